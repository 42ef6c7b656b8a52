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
import { setFlagsFromString } from 'node:v8';
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
const fmaModules = new WeakSet<WasmModule>();
let relaxedSimdFlagTried = false;

/**
 * Whether this runtime accepts relaxed SIMD (the fused multiply-add kernels). Node 20 needs V8's
 * --experimental-wasm-relaxed-simd, which is set here once; Electron (Chrome >= 114) and Node >= 22 have it on.
 */
function relaxedSimdAvailable(fmaBytes: Uint8Array): boolean {
  const validate = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly
    .validate;
  if (validate(fmaBytes)) return true;
  if (!relaxedSimdFlagTried) {
    relaxedSimdFlagTried = true;
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      return false;
    }
  }
  return validate(fmaBytes);
}

/** True when `module` is one of the fused multiply-add builds. */
export function isFmaModule(module: WasmModule): boolean {
  return fmaModules.has(module);
}

/**
 * The compiled kernels: the shared-memory build (threads) or the single-thread one, each with fused multiply-add
 * where the runtime supports relaxed SIMD (`fma: 'auto'`, the default). ETUDE_WASM_FMA=0 in the environment forces
 * the plain build, whose float results are the same on every machine (FMA results can differ in the last bits
 * between CPUs with and without FMA). Builds the files on demand when missing or older than the kernel source.
 * Cached per process.
 */
export function loadEngineModule(shared: boolean, fma: boolean | 'auto' = 'auto'): WasmModule {
  const plainFile = join(buildDir, shared ? 'engine.wasm' : 'engine-single.wasm');
  const fmaFile = join(buildDir, shared ? 'engine-fma.wasm' : 'engine-fma-single.wasm');
  ensureBuilt([plainFile, fmaFile]);
  const wantFma = fma === 'auto' ? process.env.ETUDE_WASM_FMA !== '0' : fma;
  const fmaBytes = wantFma ? readFileSync(fmaFile) : undefined;
  const useFma = fmaBytes !== undefined && relaxedSimdAvailable(fmaBytes);
  if (fma === true && !useFma)
    throw new EngineBuildError(
      'This runtime does not support relaxed SIMD, which the fused multiply-add kernels need. Use the plain kernels (fma: false).',
    );
  const file = useFma ? fmaFile : plainFile;
  const cached = compiled.get(file);
  if (cached) return cached;
  const module = new wasmApi.Module(fmaBytes && useFma ? fmaBytes : readFileSync(file));
  if (useFma) fmaModules.add(module);
  compiled.set(file, module);
  return module;
}

function ensureBuilt(files: string[]): void {
  // Missing, or older than the kernel source (a checkout with new kernels and an old build): build them.
  const sourceMs = existsSync(kernelSource) && existsSync(buildScript) ? statSync(kernelSource).mtimeMs : 0;
  if (files.every((f) => existsSync(f) && statSync(f).mtimeMs >= sourceMs)) return;
  if (!existsSync(buildScript)) {
    throw new EngineBuildError(
      `The wasm engine kernels (${files.join(', ')}) are missing and the build script ${buildScript} is not there to make them. Reinstall the app.`,
    );
  }
  const run = spawnSync(process.execPath, [buildScript], { encoding: 'utf8' });
  if (run.status !== 0 || !files.every((f) => existsSync(f))) {
    throw new EngineBuildError(
      `Building the wasm engine kernels failed (${buildScript}): ${(run.stderr || run.stdout || String(run.error ?? '')).trim()}. Run \`npm ci\` (AssemblyScript is a dev dependency), then \`npm run build:engine\`.`,
    );
  }
}
