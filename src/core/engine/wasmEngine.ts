// SPDX-License-Identifier: MIT
/**
 * Node entry of our WebAssembly engine: loads (or builds) the kernels and, for more than one thread, starts a
 * worker_threads pool over one shared WebAssembly.Memory. Browser code uses ./wasmEngineCore.ts instead.
 */
import { availableParallelism } from 'node:os';
import type { Engine } from './engine';
import { instantiateKernels } from './wasm/kernels';
import { loadEngineModule } from './wasm/nodeLoader';
import { createWasmEngineFromKernels } from './wasmEngineCore';
import { createNodeKernelPool, KernelPoolError } from './pool/nodePool';

export interface WasmEngineOptions {
  /** Threads for the big products: a number, or 'auto' = min(2, available cores). Default 'auto'. */
  threads?: number | 'auto';
  /**
   * Re-check every 50 training steps whether the threads still beat one thread, and fall back when they do not
   * (default true). Benchmarks and tests that compare thread counts turn it off.
   */
  adaptiveThreads?: boolean;
  /** Where the pool's worker entry lives (default ./pool/kernelWorker.mjs beside this file; a bundle may move it). */
  workerUrl?: URL;
}

/**
 * Creates the wasm engine. Call `dispose()` when done: it ends the worker threads. When the worker threads cannot
 * start (e.g. a bundle without kernelWorker.mjs), the engine runs on the calling thread and says why in
 * `info.fallbackReason`.
 */
export async function createWasmEngine(opts: WasmEngineOptions = {}): Promise<Engine> {
  const requested = opts.threads ?? 'auto';
  const threads = requested === 'auto' ? Math.min(2, availableParallelism()) : Math.max(1, Math.floor(requested));
  const adaptiveThreads = opts.adaptiveThreads ?? true;
  if (threads > 1) {
    const module = loadEngineModule(true);
    try {
      const kernels = await instantiateKernels(module, true, (memory) =>
        createNodeKernelPool(module, memory, threads - 1, opts.workerUrl),
      );
      return createWasmEngineFromKernels(kernels, { adaptiveThreads });
    } catch (error) {
      if (!(error instanceof KernelPoolError)) throw error;
      const engine = createWasmEngineFromKernels(await instantiateKernels(loadEngineModule(false), false), {
        adaptiveThreads,
      });
      engine.info.fallbackReason = `${error.message} Running on 1 thread.`;
      return engine;
    }
  }
  return createWasmEngineFromKernels(await instantiateKernels(loadEngineModule(false), false), { adaptiveThreads });
}
