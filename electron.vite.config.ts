// SPDX-License-Identifier: MIT
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { RENDERER_ALIASES } from './scripts/rendererAliases';

/**
 * Three builds (STYLE §1): main (ESM, Node deps external, native better-sqlite3 never bundled),
 * preload (CommonJS with everything bundled: a sandboxed preload can require only 'electron'),
 * renderer (Svelte 5, root src/renderer; also what the loopback studio serves from out/renderer).
 *
 * The main build keeps the source layout (preserveModules, root src/): the services find their
 * worker threads, the engine's kernel worker and its .wasm files by paths relative to
 * import.meta.url, and those paths then hold in out/main exactly as in src/. The small .mjs
 * bootstraps that register tsx for the sources are replaced by ones that load the compiled file.
 */
const root = dirname(fileURLToPath(import.meta.url));
const outMain = resolve(root, 'out/main');

/** Worker entries: compiled module (under src/) -> the bootstrap name the code points its Worker at. */
const WORKER_ENTRIES = [
  'main/workers/trainingWorker',
  'main/workers/importWorker',
  'main/workers/generationWorker',
  'main/workers/walCheckpointWorker',
  'main/workers/wavRenderWorker',
];

function mainLayoutPlugin(): Plugin {
  return {
    name: 'etude-main-layout',
    apply: 'build',
    generateBundle() {
      // package.json "main" is out/main/index.js.
      this.emitFile({ type: 'asset', fileName: 'index.js', source: "import './main/index.js';\n" });
      for (const entry of WORKER_ENTRIES) {
        const base = entry.slice(entry.lastIndexOf('/') + 1);
        this.emitFile({ type: 'asset', fileName: `${entry}.mjs`, source: `import './${base}.js';\n` });
      }
    },
    closeBundle() {
      // Plain files the engine loads at run time, next to the compiled modules that look for them.
      const copies: [string, string][] = [
        ['src/core/engine/pool/kernelWorker.mjs', 'core/engine/pool/kernelWorker.mjs'],
      ];
      const wasmBuild = resolve(root, 'src/core/engine/wasm/build');
      if (existsSync(wasmBuild)) {
        for (const file of readdirSync(wasmBuild).filter((f) => f.endsWith('.wasm'))) {
          copies.push([join('src/core/engine/wasm/build', file), join('core/engine/wasm/build', file)]);
        }
      }
      for (const [from, to] of copies) {
        const source = resolve(root, from);
        if (!existsSync(source)) continue;
        mkdirSync(dirname(join(outMain, to)), { recursive: true });
        copyFileSync(source, join(outMain, to));
      }
    },
  };
}

export default defineConfig({
  main: {
    plugins: [mainLayoutPlugin()],
    build: {
      outDir: 'out/main',
      // Keep node_modules out of the bundle: better-sqlite3 is native, tfjs is large and loaded on demand.
      externalizeDeps: true,
      rollupOptions: {
        input: Object.fromEntries([
          ['main/index', resolve(root, 'src/main/index.ts')],
          ...WORKER_ENTRIES.map((entry) => [entry, resolve(root, `src/${entry}.ts`)]),
        ]),
        output: { preserveModules: true, preserveModulesRoot: resolve(root, 'src'), entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Sandboxed preloads cannot require node_modules: bundle zod and the contract into the one file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    // Relative asset URLs work both from file:// (Electron) and from the studio's http://127.0.0.1:port/.
    base: './',
    plugins: [svelte()],
    resolve: { alias: RENDERER_ALIASES },
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: {
        input: { index: resolve(root, 'src/renderer/index.html') },
      },
    },
  },
});
