// SPDX-License-Identifier: MIT
/**
 * Node seam: a worker_threads pool for the wasm kernels. Every worker instantiates the same module over the one
 * shared WebAssembly.Memory. A job is one kernel call over `total` rows (or columns) cut into chunks of `unit`;
 * the caller and the workers take chunks from a shared counter until none are left, so a worker that the OS has
 * descheduled (another process on the core) just takes fewer chunks instead of stalling the step. Results do not
 * depend on who computed which chunk (every output element is computed the same way by any chunk).
 *
 * Job block (one SharedArrayBuffer): Int32 words [0] SEQ (job counter; workers wait on it), [1] OP (index into
 * POOL_OPS, -1 = stop), [2] COUNTER (next chunk), [3] FAILED, [4 + w] DONE of worker w; from byte 64 Float64 slots:
 * [0..24) kernel arguments, [24] total, [25] unit, [26] index of the count argument, [27] index of the scratch
 * argument (-1 none), [28] number of pointer arguments, [29..45) pairs (argument index, bytes per row), [48..64)
 * scratch pointer per participant (0 = the caller).
 * Workers are unref'd and terminated on dispose, so they never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { POOL_OPS, type ChunkedJob, type KernelPool, type WasmMemory, type WasmModule } from '../wasm/kernels';

const SEQ = 0;
const OP = 1;
const COUNTER = 2;
const FAILED = 3;
const DONE_BASE = 4;
const F64_OFFSET = 64;
const TOTAL = 24;
const UNIT = 25;
const COUNT_ARG = 26;
const SCRATCH_ARG = 27;
const N_PTR = 28;
const PTRS = 29;
const SCRATCH = 48;
const STOP_OP = -1;
const MAX_WORKERS = 11;
/** Spins on a done word this many times before sleeping in Atomics.wait. */
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

/** Starts `workerCount` workers over `memory` and waits until every one has instantiated the kernels. */
export async function createNodeKernelPool(
  module: WasmModule,
  memory: WasmMemory,
  workerCount: number,
  workerUrl: URL = new URL('./kernelWorker.mjs', import.meta.url),
): Promise<KernelPool> {
  if (workerCount < 1 || workerCount > MAX_WORKERS)
    throw new KernelPoolError(
      'POOL_SIZE',
      `The wasm engine pool takes 1..${MAX_WORKERS} worker threads; asked for ${workerCount}.`,
    );
  const job = new SharedArrayBuffer(F64_OFFSET + 64 * 8);
  const words = new Int32Array(job, 0, 16);
  const slots = new Float64Array(job, F64_OFFSET, 64);
  const workers: Worker[] = [];
  let failure: Error | undefined;
  let seq = 0;
  for (let w = 0; w < workerCount; w++) {
    const worker = new Worker(workerUrl, { workerData: { module, memory, job, index: w, ops: [...POOL_OPS] } });
    worker.unref();
    liveWorkers++;
    worker.once('exit', () => {
      liveWorkers--;
    });
    worker.on('error', (error) => {
      failure = error;
    });
    workers.push(worker);
  }

  const post = (opIndex: number) => {
    words[OP] = opIndex;
    Atomics.store(words, COUNTER, 0);
    Atomics.store(words, SEQ, ++seq);
    Atomics.notify(words, SEQ);
  };

  // Ready check: an empty job (total 0) round trip through every worker.
  slots[TOTAL] = 0;
  slots[UNIT] = 1;
  slots[SCRATCH_ARG] = -1;
  slots[N_PTR] = 0;
  post(0);
  const deadline = Date.now() + 30_000;
  for (let w = 0; w < workerCount && !failure; w++) {
    while (Atomics.load(words, DONE_BASE + w) !== seq && !failure) {
      if (Date.now() > deadline) failure = new Error('no answer within 30 s');
      else await new Promise((r) => setTimeout(r, 2));
    }
  }
  if (failure) {
    // Wait for the workers to be gone (and counted out) before reporting.
    await Promise.all(workers.map((worker) => worker.terminate()));
    await new Promise((r) => setImmediate(r));
    throw new KernelPoolError(
      'POOL_START_FAILED',
      `The wasm engine's worker threads did not start (${failure.message}). Use threads: 1.`,
    );
  }

  let disposed = false;
  return {
    workerCount,
    run(j: ChunkedJob, callerChunk: (args: number[]) => void): void {
      if (disposed) throw new KernelPoolError('POOL_DISPOSED', 'The wasm engine was disposed; create a new one.');
      for (let i = 0; i < j.args.length; i++) slots[i] = j.args[i];
      slots[TOTAL] = j.total;
      slots[UNIT] = j.unit;
      slots[COUNT_ARG] = j.countArg;
      slots[SCRATCH_ARG] = j.scratchArg;
      slots[N_PTR] = j.pointers.length;
      j.pointers.forEach(([at, bytesPerRow], p) => {
        slots[PTRS + 2 * p] = at;
        slots[PTRS + 2 * p + 1] = bytesPerRow;
      });
      j.scratch.forEach((ptr, t) => (slots[SCRATCH + t] = ptr));
      post(POOL_OPS.indexOf(j.op));
      // The caller takes chunks too.
      const base = j.args.slice();
      if (j.scratchArg >= 0) base[j.scratchArg] = j.scratch[0];
      for (;;) {
        const start = Atomics.add(words, COUNTER, 1) * j.unit;
        if (start >= j.total) break;
        const a = base.slice();
        a[j.countArg] = Math.min(j.unit, j.total - start);
        for (const [at, bytesPerRow] of j.pointers) if (a[at] !== 0) a[at] += start * bytesPerRow;
        callerChunk(a);
      }
      for (let w = 0; w < workerCount; w++) {
        const word = DONE_BASE + w;
        let spins = 0;
        let done = Atomics.load(words, word);
        while (done !== seq) {
          if (++spins > SPIN_CHECKS) Atomics.wait(words, word, done, 1000);
          if (failure)
            throw new KernelPoolError('POOL_WORKER_DIED', `A wasm engine worker thread died: ${failure.message}`);
          done = Atomics.load(words, word);
        }
      }
      if (Atomics.load(words, FAILED)) {
        throw new KernelPoolError(
          'POOL_KERNEL_FAILED',
          `The wasm kernel ${j.op} failed on a worker thread (out-of-bounds memory access?).`,
        );
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      post(STOP_OP);
      for (const worker of workers) void worker.terminate();
    },
  };
}
