// SPDX-License-Identifier: MIT
// The roofline line of bench:engine and bench:poly (scripts/lib/roofline.ts): the multiply-add counter reads each
// kernel's sizes from the right arguments, the peak kernel runs, and the bound follows from them. No benchmark runs.
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../../src/core/engine/wasm/kernels';
import { loadEngineModule } from '../../src/core/engine/wasm/nodeLoader';
import { DEFAULT_MELODY_SPEC } from '../../src/core/model/spec';
import { bestPossibleRatio, countStepMacs, simdPeakGflops, trainStepMacs } from '../../scripts/lib/roofline';

describe('roofline', () => {
  it('counts m x n x k per product and rows x time x hidden x 4 hidden per recurrence, and unwraps afterwards', async () => {
    const k = await instantiateKernels(loadEngineModule(false), false);
    try {
      const [m, n, depth, rows, time, hidden] = [5, 7, 3, 2, 4, 6];
      const a = k.allocF32(m * depth).ptr;
      const b = k.allocF32(depth * n).ptr;
      const c = k.allocF32(m * n).ptr;
      const gates = k.allocF32(rows * time * 4 * hidden).ptr;
      const cells = k.allocF32(rows * time * hidden).ptr;
      const hs = k.allocF32(rows * time * hidden).ptr;
      const u = k.allocF32(hidden * 4 * hidden).ptr;
      const counted = await countStepMacs(async () => {
        k.matmulAB(c, a, b, m, n, depth, depth, n, n, false);
        k.matmulABt(c, a, b, m, n, depth, depth, depth, n, false);
        k.lstmSequenceForward(gates, cells, hs, u, 0, rows, time, hidden, false);
      });
      expect(counted).toBe(2 * m * n * depth + rows * time * hidden * 4 * hidden);
      // The wrappers are gone: a later call counts nothing.
      expect(await countStepMacs(async () => {})).toBe(0);
    } finally {
      k.dispose();
    }
  });

  it('a training step of the melody model runs at least its recurrences, forward and backward', async () => {
    const spec = { ...DEFAULT_MELODY_SPEC, embeddingDim: 8, hiddenSize: 8, layers: 1, window: 4 };
    const batch = { inputs: new Int32Array(2 * 4).fill(60), targets: new Int32Array(2).fill(61), batchSize: 2 };
    const macs = await trainStepMacs(spec, batch);
    expect(macs).toBeGreaterThanOrEqual(2 * (2 * 4 * 8 * 32));
    // The same step twice is counted the same.
    expect(await trainStepMacs(spec, batch)).toBe(macs);
  });

  it('measures a finite, positive peak and bounds the ratio by it', async () => {
    const peak = await simdPeakGflops(1);
    expect(peak).toBeGreaterThan(0.1);
    expect(Number.isFinite(peak)).toBe(true);
    // 1e9 multiply-adds at 20 GFLOPS take 100 ms; against a 200 ms peer step the ratio cannot go below 0.5.
    expect(bestPossibleRatio(1e9, 20, 200)).toBeCloseTo(0.5, 12);
    // On 2 threads the bound is twice the peak: the same work takes 50 ms, so against a 50 ms peer step it is 1.
    expect(bestPossibleRatio(1e9, 20, 50, 2)).toBeCloseTo(1, 12);
  });
});
