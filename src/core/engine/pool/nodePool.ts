// SPDX-License-Identifier: MIT
/**
 * Node seam: a worker_threads pool for the wasm kernels. Every worker instantiates the same module over the one
 * shared WebAssembly.Memory; a call hands each worker the arguments of its slice through a small control block
 * (a SharedArrayBuffer) and wakes it with Atomics; the caller runs its own slice meanwhile and then waits.
 *
 * Control block per worker (Int32 words, then Float64 arguments):
 *   [0] SEQ     command counter, bumped by the caller for each call
 *   [1] DONE    the SEQ value the worker finished last
 *   [2] OP      index into POOL_OPS, or -1 = stop
 *   [3] FAILED  set to 1 when the kernel threw (a wasm trap)
 *   bytes 16..  up to 20 float64 arguments (pointers and sizes are exact in float64)
 * Workers are unref'd and terminated on dispose, so they never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { POOL_OPS, type KernelPool, type PoolOp, type WasmMemory, type WasmModule } from '../wasm/kernels';

const SEQ = 0;
const DONE = 1;
const OP = 2;
const FAILED = 3;
const ARGS_BYTE_OFFSET = 16;
const MAX_ARGS = 20;
const STOP_OP = -1;
/** Spins on the done word this many times before sleeping in Atomics.wait. */
const SPIN_CHECKS = 20000;

/** Thrown when a worker's kernel failed or the pool cannot start. */
export class KernelPoolError extends Error {
  override name = 'KernelPoolError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

let liveWorkers = 0;

/** Kernel worker threads of this process that have not exited yet (tests check dispose ends them all). */
export function liveKernelWorkers(): number {
  return liveWorkers;
}

interface WorkerSlot {
  worker: Worker;
  control: Int32Array;
  args: Float64Array;
  seq: number;
}

/** Starts `workerCount` workers over `memory` and waits until every one has instantiated the kernels. */
export async function createNodeKernelPool(module: WasmModule, memory: WasmMemory, workerCount: number): Promise<KernelPool> {
  const slots: WorkerSlot[] = [];
  const url = new URL('./kernelWorker.mjs', import.meta.url);
  let failure: Error | undefined;
  for (let w = 0; w < workerCount; w++) {
    const sab = new SharedArrayBuffer(ARGS_BYTE_OFFSET + MAX_ARGS * 8);
    const worker = new Worker(url, { workerData: { module, memory, control: sab, ops: [...POOL_OPS] } });
    worker.unref();
    liveWorkers++;
    worker.once('exit', () => {
      liveWorkers--;
    });
    worker.on('error', (error) => {
      failure = error;
    });
    slots.push({ worker, control: new Int32Array(sab, 0, 4), args: new Float64Array(sab, ARGS_BYTE_OFFSET, MAX_ARGS), seq: 0 });
  }
  // Ready check: a no-op product (m = 0) round trip through every worker.
  const opIndex = POOL_OPS.indexOf('matmulAB');
  for (const slot of slots) {
    slot.args.fill(0);
    slot.control[OP] = opIndex;
    Atomics.store(slot.control, SEQ, ++slot.seq);
    Atomics.notify(slot.control, SEQ);
  }
  const deadline = Date.now() + 30_000;
  for (const slot of slots) {
    while (Atomics.load(slot.control, DONE) !== slot.seq) {
      if (failure) break;
      if (Date.now() > deadline) failure = new Error('no answer within 30 s');
      if (failure) break;
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  if (failure) {
    for (const slot of slots) void slot.worker.terminate();
    throw new KernelPoolError('POOL_START_FAILED', `The wasm engine's worker threads did not start (${failure.message}). Use threads: 1.`);
  }

  let disposed = false;
  return {
    workerCount,
    run(op: PoolOp, callerShare: () => void, workerArgs: number[][]): void {
      if (disposed) throw new KernelPoolError('POOL_DISPOSED', 'The wasm engine was disposed; create a new one.');
      const index = POOL_OPS.indexOf(op);
      const used = slots.slice(0, workerArgs.length);
      used.forEach((slot, w) => {
        const a = workerArgs[w];
        for (let i = 0; i < a.length; i++) slot.args[i] = a[i];
        slot.control[OP] = index;
        Atomics.store(slot.control, SEQ, ++slot.seq);
        Atomics.notify(slot.control, SEQ);
      });
      callerShare();
      for (const slot of used) {
        let spins = 0;
        let done = Atomics.load(slot.control, DONE);
        while (done !== slot.seq) {
          if (++spins > SPIN_CHECKS) Atomics.wait(slot.control, DONE, done, 1000);
          if (failure) throw new KernelPoolError('POOL_WORKER_DIED', `A wasm engine worker thread died: ${failure.message}`);
          done = Atomics.load(slot.control, DONE);
        }
        if (Atomics.load(slot.control, FAILED)) {
          throw new KernelPoolError('POOL_KERNEL_FAILED', `The wasm kernel ${op} failed on a worker thread (out-of-bounds memory access?).`);
        }
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const slot of slots) {
        slot.control[OP] = STOP_OP;
        Atomics.store(slot.control, SEQ, ++slot.seq);
        Atomics.notify(slot.control, SEQ);
        void slot.worker.terminate();
      }
    },
  };
}
