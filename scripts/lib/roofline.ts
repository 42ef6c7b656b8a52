// SPDX-License-Identifier: MIT
/**
 * The roofline line that `npm run bench:engine` and `npm run bench:poly` print beside their ratios: how fast any
 * product kernel of our WebAssembly module could go on one core of this machine, and so the lowest ratio ours / peer
 * that any kernel work in this module could reach there.
 *
 * - {@link simdPeakGflops}: times the module's `simdPeak` kernel (12 independent multiply-add chains in registers, no
 *   memory traffic) on the calling thread: the core's multiply-add throughput through WebAssembly SIMD, which has 4
 *   float lanes. A native BLAS (the PyTorch peer's) runs the same core at 16 lanes where the CPU has AVX-512.
 * - {@link countStepMacs}: the multiply-adds our training step runs in its products and LSTM recurrences (the Kernels
 *   methods are wrapped while the step runs; on 1 thread, so every call is counted once). The elementwise work
 *   (gates, losses, Adam) is left out, so the figure is a lower bound on the step's arithmetic.
 * - {@link bestPossibleRatio}: at 100% of the peak with nothing else in the step, one step takes 2 * macs / peak;
 *   against the peer's measured ms per step that is the lowest 1-thread ratio this module can print.
 */
import type { Batch } from '../../src/core/engine/types';
import { Kernels, instantiateKernels } from '../../src/core/engine/wasm/kernels';
import { loadEngineModule } from '../../src/core/engine/wasm/nodeLoader';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { DEFAULT_TRAINING, type ModelSpec } from '../../src/core/model/spec';

/** Rounds of the peak kernel per timed call: 4.8 GFLOP, about 0.1 s at the 50-55 GFLOPS measured on this machine. */
const PEAK_ROUNDS = 50_000_000;

/** The multiply-add peak of one core through our module's SIMD, GFLOPS: the best of `runs` timed calls. */
export async function simdPeakGflops(runs = 5): Promise<number> {
  const kernels = await instantiateKernels(loadEngineModule(false), false);
  try {
    kernels.exports.simdPeak(PEAK_ROUNDS / 10); // tier-up
    let best = 0;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const sink = kernels.exports.simdPeak(PEAK_ROUNDS);
      const seconds = (performance.now() - t0) / 1000;
      if (!Number.isFinite(sink)) throw new Error('simdPeak returned a non-finite sum');
      best = Math.max(best, (PEAK_ROUNDS * 96) / seconds / 1e9);
    }
    return best;
  } finally {
    kernels.dispose();
  }
}

type Counted = 'matmulAB' | 'matmulAtB' | 'matmulABt' | 'lstmSequenceForward' | 'lstmSequenceBackward';

/** Multiply-adds of one call, from its arguments (products: m, n, k; recurrences: rows x time x hidden x 4 hidden). */
const MACS: Record<Counted, (args: number[]) => number> = {
  matmulAB: (a) => a[3] * a[4] * a[5],
  matmulAtB: (a) => a[3] * a[4] * a[5],
  matmulABt: (a) => a[3] * a[4] * a[5],
  lstmSequenceForward: (a) => a[5] * a[6] * a[7] * 4 * a[7],
  lstmSequenceBackward: (a) => a[8] * a[9] * a[10] * 4 * a[10],
};

/** The multiply-adds of the products and recurrences run while `work` runs (see the header). */
export async function countStepMacs(work: () => Promise<void>): Promise<number> {
  const proto = Kernels.prototype as unknown as Record<Counted, (...args: number[]) => void>;
  const originals = new Map<Counted, (...args: number[]) => void>();
  let macs = 0;
  for (const name of Object.keys(MACS) as Counted[]) {
    const original = proto[name];
    originals.set(name, original);
    proto[name] = function (this: unknown, ...args: number[]) {
      macs += MACS[name](args);
      return original.apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    for (const [name, original] of originals) proto[name] = original;
  }
  return macs;
}

/** The multiply-adds of one training step of `spec` on `batch` (a fresh model, 1 thread; see countStepMacs). */
export async function trainStepMacs(spec: ModelSpec, batch: Batch): Promise<number> {
  const engine = await createWasmEngine({ threads: 1, adaptiveThreads: false });
  try {
    const model = await engine.createModel(spec, { ...DEFAULT_TRAINING, randomSeed: 1 });
    try {
      return await countStepMacs(async () => {
        await model.trainStep(batch);
      });
    } finally {
      model.dispose();
    }
  } finally {
    await engine.dispose();
  }
}

/**
 * The lowest ratio ours / peer on `threads` cores: our step's products at 100% of the peak on every core (perfect
 * scaling, nothing else in the step), against the peer's step on as many cores.
 */
export function bestPossibleRatio(macs: number, peakGflops: number, peerMs: number, threads = 1): number {
  return (2 * macs) / (peakGflops * threads * 1e6) / peerMs;
}

/** One line for a benchmark's report, for one thread setting (ours and the peer measured on `threads` cores). */
export function rooflineLine(o: {
  macs: number;
  peakGflops: number;
  oursMs: number;
  peerMs: number;
  unit: string;
  threads?: number;
}): string {
  const threads = o.threads ?? 1;
  const gflop = (2 * o.macs) / 1e9;
  const floorMs = (2 * o.macs) / (o.peakGflops * threads * 1e6);
  const cores = threads === 1 ? 'one core' : `${threads} cores`;
  return (
    `roofline (${threads} thread${threads === 1 ? '' : 's'}): our step runs ${gflop.toFixed(2)} GFLOP of products and ` +
    `recurrences per ${o.unit}; at this core's WebAssembly SIMD multiply-add peak (4 lanes, ${o.peakGflops.toFixed(1)} ` +
    `GFLOPS) on ${cores}, no kernel of ours can take under ${floorMs.toFixed(1)} ms per ${o.unit} (ours: ` +
    `${o.oursMs.toFixed(1)} ms, ${((100 * floorMs) / o.oursMs).toFixed(0)}% of that bound); against the peer's ` +
    `${o.peerMs.toFixed(1)} ms the best possible ratio is ${bestPossibleRatio(o.macs, o.peakGflops, o.peerMs, threads).toFixed(2)}`
  );
}
