// SPDX-License-Identifier: MIT
// Worker entry of the wasm engine's thread pool (see ./nodePool.ts for the job block layout). Plain ES module on
// purpose: it must load in plain Node, under vitest and under tsx without any TypeScript loader. It instantiates the
// kernels over the shared memory, then loops: wait for a job, take chunks of it until none are left, report done.
import { workerData } from 'node:worker_threads';

/**
 * @typedef {object} KernelWorkerData
 * @property {WebAssembly.Module} module   the compiled engine.wasm
 * @property {WebAssembly.Memory} memory   the shared memory all threads work in
 * @property {SharedArrayBuffer} job       the pool's job block
 * @property {number} index                this worker's number (0-based; the caller is participant 0, this one index+1)
 * @property {string[]} ops                kernel names by op index
 */

/** @type {KernelWorkerData} */
const data = workerData;
// Int32 words
const SEQ = 0;
const OP = 1;
const COUNTER = 2;
const FAILED = 3;
const DONE_BASE = 4;
// Float64 slots (from byte 64)
const F64_OFFSET = 64;
const ARGS = 0;
const TOTAL = 24;
const UNIT = 25;
const COUNT_ARG = 26;
const SCRATCH_ARG = 27;
const N_PTR = 28;
const PTRS = 29;
const SCRATCH = 48;
const STOP_OP = -1;
/** Spins this many times on the job word before sleeping in Atomics.wait (the next kernel call often follows soon). */
const SPIN_CHECKS = 20000;

const words = new Int32Array(data.job, 0, 16);
const slots = new Float64Array(data.job, F64_OFFSET, 64);
const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
/** @type {((...a: number[]) => void)[]} */
const kernels = data.ops.map((name) => /** @type {(...a: number[]) => void} */ (instance.exports[name]));
const doneWord = DONE_BASE + data.index;

let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(words, SEQ) === seen) {
    if (++spins > SPIN_CHECKS) Atomics.wait(words, SEQ, seen);
  }
  seen = Atomics.load(words, SEQ);
  const op = words[OP];
  if (op === STOP_OP) break;
  try {
    const fn = kernels[op];
    const base = [];
    for (let i = 0; i < fn.length; i++) base.push(slots[ARGS + i]);
    const total = slots[TOTAL];
    const unit = slots[UNIT];
    const countArg = slots[COUNT_ARG];
    const scratchArg = slots[SCRATCH_ARG];
    if (scratchArg >= 0) base[scratchArg] = slots[SCRATCH + data.index + 1];
    const nPtr = slots[N_PTR];
    for (;;) {
      const start = Atomics.add(words, COUNTER, 1) * unit;
      if (start >= total) break;
      const a = base.slice();
      a[countArg] = Math.min(unit, total - start);
      for (let p = 0; p < nPtr; p++) {
        const at = slots[PTRS + 2 * p];
        if (a[at] !== 0) a[at] += start * slots[PTRS + 2 * p + 1];
      }
      fn(...a);
    }
  } catch {
    Atomics.store(words, FAILED, 1);
  }
  Atomics.store(words, doneWord, seen);
  Atomics.notify(words, doneWord);
}
