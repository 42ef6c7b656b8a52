// SPDX-License-Identifier: MIT
// Learning-rate schedules (src/core/training/schedule.ts) and the model's hook for them (TrainableModel
// .setLearningRate): the anneal schedule holds the peak, then falls by a half cosine to its floor at the budget's end;
// a rate set between steps is the one the next Adam step uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/engine/engine';
import type { FrameBatch, NamedWeights } from '../../src/core/engine/types';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { buildFrameSegments } from '../../src/core/model/polyLstm';
import type { PolyLstmSpec } from '../../src/core/model/polyLstmSpec';
import type { ModelSpec } from '../../src/core/model/spec';
import { ANNEAL, scheduledRate } from '../../src/core/training/schedule';
import { createRng } from '../../src/core/util/random';

describe('scheduledRate', () => {
  it('constant gives the peak at every point of the budget', () => {
    for (const f of [0, 0.3, 0.99, 1, 2]) expect(scheduledRate('constant', 0.002, f)).toBe(0.002);
  });

  it('anneal holds the peak, then falls monotonically to floor x peak at the end', () => {
    expect(scheduledRate('anneal', 0.002, 0)).toBe(0.002);
    expect(scheduledRate('anneal', 0.002, ANNEAL.hold)).toBe(0.002);
    expect(scheduledRate('anneal', 0.002, 1)).toBeCloseTo(0.002 * ANNEAL.floor, 12);
    expect(scheduledRate('anneal', 0.002, 5)).toBeCloseTo(0.002 * ANNEAL.floor, 12);
    // Half way down the cosine the rate is half way between the peak and the floor.
    const mid = ANNEAL.hold + (1 - ANNEAL.hold) / 2;
    expect(scheduledRate('anneal', 0.002, mid)).toBeCloseTo((0.002 * (1 + ANNEAL.floor)) / 2, 12);
    let last = Infinity;
    for (let f = 0; f <= 1; f += 0.01) {
      const r = scheduledRate('anneal', 0.002, f);
      expect(r).toBeLessThanOrEqual(last);
      last = r;
    }
  });

  it('rejects a peak that is not a positive finite number', () => {
    expect(() => scheduledRate('anneal', 0, 0.5)).toThrow(/above 0, got: 0/);
    expect(() => scheduledRate('constant', Number.NaN, 0.5)).toThrow(RangeError);
  });
});

describe('TrainableModel.setLearningRate', () => {
  const spec: PolyLstmSpec = {
    kind: 'biaxial-lstm',
    encoding: 'piano-roll-128',
    lowPitch: 60,
    pitches: 6,
    beatsPerBar: 2,
    timeSizes: [5],
    pitchSizes: [4],
    downSizes: [],
    window: 0,
    windowHidden: 0,
    dropout: 0,
    segment: 8,
  };
  const rng = createRng(3);
  const roll = Float32Array.from({ length: 8 * 6 }, () => (rng.next() < 0.3 ? 1 : 0));
  const batch = buildFrameSegments(spec, [{ name: 'a', tokens: roll }]).batch([0], 0, 1) as unknown as FrameBatch;
  const training = { learningRate: 0.01, clipNorm: 0, randomSeed: 2 };
  let engine: Engine;
  beforeAll(async () => {
    engine = await createWasmEngine({ threads: 1, adaptiveThreads: false });
  });
  afterAll(async () => {
    await engine.dispose();
  });

  /** The largest change of any weight made by one step from `start` at the model's rate after `prepare`. */
  async function firstStepChange(
    start: NamedWeights | undefined,
    prepare: (m: { setLearningRate(r: number): void }) => void,
  ) {
    const m = await engine.createModel(spec as unknown as ModelSpec, training, start);
    const before = await m.getWeights();
    prepare(m);
    await m.trainStep(batch);
    const after = await m.getWeights();
    m.dispose();
    let most = 0;
    for (const [name, w] of Object.entries(before))
      for (let i = 0; i < w.length; i++) most = Math.max(most, Math.abs(after[name][i] - w[i]));
    return { most, before };
  }

  it('scales the next Adam step (the first step moves each weight by about the rate)', async () => {
    const base = await firstStepChange(undefined, () => {});
    const doubled = await firstStepChange(base.before, (m) => m.setLearningRate(0.02));
    // Adam's first step is lr * m / (sqrt(v) + eps) with m / sqrt(v) = +-1: the largest change is the rate itself.
    expect(base.most).toBeCloseTo(0.01, 4);
    expect(doubled.most).toBeCloseTo(0.02, 4);
  });

  it('rejects a rate that is not a positive finite number, and keeps the old one', async () => {
    const m = await engine.createModel(spec as unknown as ModelSpec, training);
    expect(() => m.setLearningRate(-1)).toThrow(/above 0, got: -1/);
    expect(() => m.setLearningRate(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    m.dispose();
    const again = await firstStepChange(undefined, (x) => expect(() => x.setLearningRate(0)).toThrow(RangeError));
    expect(again.most).toBeCloseTo(0.01, 4);
  });
});
