// SPDX-License-Identifier: MIT
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

/**
 * Three builds (STYLE §1): main (ESM, Node deps external, native better-sqlite3 never bundled),
 * preload (CommonJS with everything bundled: a sandboxed preload can require only 'electron'),
 * renderer (Svelte 5, root src/renderer; also what the loopback studio serves from out/renderer).
 */
const root = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Keep node_modules out of the bundle: better-sqlite3 is native, tfjs is large and loaded on demand.
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(root, 'src/main/index.ts') },
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
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: {
        input: { index: resolve(root, 'src/renderer/index.html') },
      },
    },
  },
});
