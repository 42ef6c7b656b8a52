// SPDX-License-Identifier: MIT
/**
 * The wasm engine over already-instantiated kernels. No Node imports: a browser page builds Kernels from
 * engine-single.wasm and calls createWasmEngineFromKernels; Node callers use createWasmEngine (./wasmEngine.ts),
 * which adds file loading and worker threads.
 */
import type { EngineInfo } from './types';
import type { Engine } from './engine';
import type { Kernels } from './wasm/kernels';
import { createBackendEngine } from './backendEngine';
import { createWasmBackend } from './wasmBackend';
import { describeWasm, ThreadGovernor } from './threadGovernor';

export { UnsupportedModelError } from './backendEngine';

/** Builds the Engine over kernels (with or without a pool); `dispose` ends the pool's threads. */
export function createWasmEngineFromKernels(kernels: Kernels, opts: { adaptiveThreads?: boolean } = {}): Engine {
  const info: EngineInfo = { name: 'wasm', threads: kernels.maxThreads, description: describeWasm(kernels.maxThreads) };
  const governor = new ThreadGovernor(kernels, info, opts.adaptiveThreads ?? true);
  return createBackendEngine(createWasmBackend(kernels, info, (work) => governor.run(work)));
}
