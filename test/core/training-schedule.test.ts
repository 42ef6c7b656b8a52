// SPDX-License-Identifier: MIT
// Learning-rate schedules (src/core/training/schedule.ts) and the model's hook for them (TrainableModel
// .setLearningRate): the anneal schedule holds the peak, then falls by a half cosine to its floor at the budget's end;
// a rate set between steps is the one the next Adam step uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, TrainableModel } from '../../src/core/engine/engine';
import type { FrameBatch, NamedWeights, TokenBatch } from '../../src/core/engine/types';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { buildFrameSegments } from '../../src/core/model/polyLstm';
import type { PolyLstmSpec } from '../../src/core/model/polyLstmSpec';
import { DEFAULT_TRAINING, type ModelSpec, type TrainingConfig } from '../../src/core/model/spec';
import type { WindowSet } from '../../src/core/model/windows';
import { CancelledError } from '../../src/core/jobs/progress';
import { ANNEAL, scheduledRate } from '../../src/core/training/schedule';
import { trainLoop } from '../../src/core/training/trainLoop';
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

describe('trainLoop with training.learningRateSchedule', () => {
  /** A model that records the rate of each step (set before it) and learns nothing: the loop's side only. */
  function recordingModel() {
    let rate = NaN;
    const ratesAtSteps: number[] = [];
    const model = {
      spec: {} as ModelSpec,
      engine: { name: 'wasm', threads: 1, description: 'recording stand-in' },
      setLearningRate: (r: number) => void (rate = r),
      trainStep: async () => (ratesAtSteps.push(rate), 1),
      evaluate: async () => 1,
      getWeights: async () => ({}),
      getOptimizerState: async () => ({ step: 0, moments: {} }),
    } as unknown as TrainableModel;
    return { model, ratesAtSteps };
  }
  const windows = (size: number): WindowSet => ({
    window: 1,
    size,
    at: () => ({ piece: 0, start: 0, shift: 0 }),
    batch: () => ({}) as TokenBatch,
  });
  const training = (schedule: 'constant' | 'anneal', epochs: number): TrainingConfig => ({
    ...DEFAULT_TRAINING,
    batchSize: 2,
    epochs,
    learningRate: 0.004,
    learningRateSchedule: schedule,
  });

  it('anneal sets every step its rate from the share of the planned steps done; constant sets none', async () => {
    // 5 epochs of 4 steps (8 windows, batch 2): step k (0-based) trains at scheduledRate(k / 20).
    const annealed = recordingModel();
    await trainLoop({ model: annealed.model, train: windows(8), training: training('anneal', 5) });
    expect(annealed.ratesAtSteps).toHaveLength(20);
    annealed.ratesAtSteps.forEach((r, k) => expect(r).toBeCloseTo(scheduledRate('anneal', 0.004, k / 20), 15));
    expect(annealed.ratesAtSteps[0]).toBe(0.004);
    expect(annealed.ratesAtSteps[19]).toBeLessThan(0.004 * 0.1);
    const constant = recordingModel();
    await trainLoop({ model: constant.model, train: windows(8), training: training('constant', 5) });
    // The model keeps the rate it was built with: the loop never sets one.
    expect(constant.ratesAtSteps.every((r) => Number.isNaN(r))).toBe(true);
  });

  /** The rate of every step of an annealed run resumed after 3 epochs of 4 steps, planned over `epochs` in all. */
  async function ratesResumedAfter3(epochs: number): Promise<number[]> {
    const resumed = recordingModel();
    await trainLoop({
      model: resumed.model,
      train: windows(8),
      training: training('anneal', epochs),
      resume: { epoch: 3, step: 12, metrics: {} },
    });
    return resumed.ratesAtSteps;
  }

  it('a resumed run goes on down the schedule from its stored step; a caller may pace it by its own budget', async () => {
    const resumedRates = await ratesResumedAfter3(5);
    expect(resumedRates).toHaveLength(8);
    resumedRates.forEach((r, k) => expect(r).toBeCloseTo(scheduledRate('anneal', 0.004, (12 + k) / 20), 15));
    // eval:poly's time budget: the schedule reads the caller's progress, whatever the nominal epochs.
    const paced = recordingModel();
    let spent = 0;
    await trainLoop({
      model: paced.model,
      train: windows(8),
      training: training('anneal', 1000),
      signal: {
        get aborted() {
          return (spent += 0.1) > 1;
        },
      } as AbortSignal,
      scheduleProgress: () => spent,
    }).catch((e: unknown) => expect(e).toBeInstanceOf(CancelledError));
    expect(paced.ratesAtSteps.length).toBeGreaterThan(5);
    paced.ratesAtSteps.forEach((r, k) => expect(r).toBeCloseTo(scheduledRate('anneal', 0.004, 0.1 * (k + 1)), 12));
  });

  it('a resume to a larger epoch total re-plans the schedule over the new total: a warm restart that anneals again', async () => {
    // 3 epochs of 4 steps ran to the end of their schedule; the user asks for 6 in all.
    const first = recordingModel();
    await trainLoop({ model: first.model, train: windows(8), training: training('anneal', 3) });
    expect(first.ratesAtSteps).toHaveLength(12);
    const endOfFirst = first.ratesAtSteps[11];
    const rates = await ratesResumedAfter3(6);
    expect(rates).toHaveLength(12);
    // The rate goes back up to where step 12 of 24 stands on the new schedule, then falls to the floor by the end.
    expect(rates[0]).toBeCloseTo(scheduledRate('anneal', 0.004, 12 / 24), 15);
    expect(rates[0]).toBeGreaterThan(5 * endOfFirst);
    for (let k = 1; k < 12; k++) expect(rates[k]).toBeLessThan(rates[k - 1]);
    expect(rates[11]).toBeCloseTo(scheduledRate('anneal', 0.004, 23 / 24), 15);
    expect(rates[11]).toBeLessThan(2 * endOfFirst);
  });
});
