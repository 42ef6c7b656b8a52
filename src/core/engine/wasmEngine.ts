// SPDX-License-Identifier: MIT
/**
 * Node entry of our WebAssembly engine: loads (or builds) the kernels and, for more than one thread, starts a
 * worker_threads pool over one shared WebAssembly.Memory. Browser code uses ./wasmEngineCore.ts instead.
 */
import { availableParallelism } from 'node:os';
import type { Engine } from './types';
import { instantiateKernels } from './wasm/kernels';
import { loadEngineModule } from './wasm/nodeLoader';
import { createWasmEngineFromKernels } from './wasmEngineCore';
import { createNodeKernelPool } from './pool/nodePool';

export interface WasmEngineOptions {
  /** Threads for the big products: a number, or 'auto' = min(2, available cores). Default 'auto'. */
  threads?: number | 'auto';
  /**
   * Re-check every 50 training steps whether the threads still beat one thread, and fall back when they do not
   * (default true). Benchmarks and tests that compare thread counts turn it off.
   */
  adaptiveThreads?: boolean;
}

/** Creates the wasm engine. Call `dispose()` when done: it ends the worker threads. */
export async function createWasmEngine(opts: WasmEngineOptions = {}): Promise<Engine> {
  const requested = opts.threads ?? 'auto';
  const threads = requested === 'auto' ? Math.min(2, availableParallelism()) : Math.max(1, Math.floor(requested));
  const shared = threads > 1;
  const module = loadEngineModule(shared);
  const kernels = await instantiateKernels(
    module,
    shared,
    shared ? (memory) => createNodeKernelPool(module, memory, threads - 1) : undefined,
  );
  return createWasmEngineFromKernels(kernels, { adaptiveThreads: opts.adaptiveThreads ?? true });
}
