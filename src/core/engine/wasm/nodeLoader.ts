// SPDX-License-Identifier: MIT
/**
 * Node seam: finds the compiled kernels next to this file (./build), building them on demand with
 * scripts/build-engine.mjs when they are missing (a fresh clone where `npm ci` did not run its prepare script) or
 * older than the kernel source.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmApi, type WasmModule } from './kernels';

/** Thrown when the wasm kernels are missing and cannot be built. */
export class EngineBuildError extends Error {
  override name = 'EngineBuildError';
  readonly code = 'ENGINE_WASM_MISSING';
}

const here = dirname(fileURLToPath(import.meta.url));
const buildDir = join(here, 'build');
const buildScript = resolve(here, '../../../../scripts/build-engine.mjs');
const kernelSource = join(here, 'assembly/index.ts');
const compiled = new Map<string, WasmModule>();

/** The compiled module: engine.wasm (shared memory, threads) or engine-single.wasm. Cached per process. */
export function loadEngineModule(shared: boolean): WasmModule {
  const file = join(buildDir, shared ? 'engine.wasm' : 'engine-single.wasm');
  const cached = compiled.get(file);
  if (cached) return cached;
  // Missing, or older than the kernel source (a checkout with new kernels and an old build): build it.
  const stale =
    existsSync(file) &&
    existsSync(kernelSource) &&
    existsSync(buildScript) &&
    statSync(kernelSource).mtimeMs > statSync(file).mtimeMs;
  if (!existsSync(file) || stale) {
    if (!existsSync(buildScript)) {
      throw new EngineBuildError(
        `The wasm engine kernels (${file}) are missing and the build script ${buildScript} is not there to make them. Reinstall the app.`,
      );
    }
    const run = spawnSync(process.execPath, [buildScript], { encoding: 'utf8' });
    if (run.status !== 0 || !existsSync(file)) {
      throw new EngineBuildError(
        `Building the wasm engine kernels failed (${buildScript}): ${(run.stderr || run.stdout || String(run.error ?? '')).trim()}. Run \`npm ci\` (AssemblyScript is a dev dependency), then \`npm run build:engine\`.`,
      );
    }
  }
  const module = new wasmApi.Module(readFileSync(file));
  compiled.set(file, module);
  return module;
}
