// SPDX-License-Identifier: MIT
// Worker entry of the wasm engine's thread pool (see ./nodePool.ts). Plain ES module on purpose: it must load in
// plain Node, under vitest and under tsx without any TypeScript loader. It instantiates the kernels over the shared
// memory and then loops: wait for a command in its control block, run one kernel on its slice, report done.
import { workerData } from 'node:worker_threads';

/**
 * @typedef {object} KernelWorkerData
 * @property {WebAssembly.Module} module       the compiled engine.wasm
 * @property {WebAssembly.Memory} memory       the shared memory all threads work in
 * @property {SharedArrayBuffer} control       this worker's control block (layout in nodePool.ts)
 * @property {string[]} ops                    kernel names by op index
 */

/** @type {KernelWorkerData} */
const data = workerData;
const SEQ = 0;
const DONE = 1;
const OP = 2;
const FAILED = 3;
const ARGS_BYTE_OFFSET = 16;
const MAX_ARGS = 20;
const STOP_OP = -1;
/** Spins this many times on the command word before sleeping in Atomics.wait (a kernel call often follows soon). */
const SPIN_CHECKS = 20000;

const control = new Int32Array(data.control, 0, 4);
const args = new Float64Array(data.control, ARGS_BYTE_OFFSET, MAX_ARGS);
const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
/** @type {((...a: number[]) => void)[]} */
const kernels = data.ops.map((name) => /** @type {(...a: number[]) => void} */ (instance.exports[name]));

let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(control, SEQ) === seen) {
    if (++spins > SPIN_CHECKS) Atomics.wait(control, SEQ, seen);
  }
  seen = Atomics.load(control, SEQ);
  const op = control[OP];
  if (op === STOP_OP) break;
  try {
    const fn = kernels[op];
    const count = fn.length;
    const a = [];
    for (let i = 0; i < count; i++) a.push(args[i]);
    fn(...a);
  } catch {
    Atomics.store(control, FAILED, 1);
  }
  Atomics.store(control, DONE, seen);
  Atomics.notify(control, DONE);
}
