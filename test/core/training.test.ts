// SPDX-License-Identifier: MIT
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWindows, splitByPiece } from '../../src/core/model/windows';
import { evaluateWindows, trainLoop, type EpochCheckpoint } from '../../src/core/training/trainLoop';
import { buildTrainingBatches } from '../../src/core/training/batches';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import type { Engine } from '../../src/core/engine/engine';
import { DEFAULT_TRAINING, type ModelSpec, type TrainingConfig } from '../../src/core/model/spec';
import { modelTensors } from '../../src/core/model/registry';
import { createRng } from '../../src/core/util/random';
import { CancelledError, type JobProgress } from '../../src/core/jobs/progress';
import type { NamedWeights } from '../../src/core/engine/types';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const melodies: number[][] = JSON.parse(
  readFileSync(path.resolve(repoRoot, '../shared/data/seed-melodies/melodies.json'), 'utf8'),
).melodies;

const smallSpec: ModelSpec = {
  kind: 'melody-lstm',
  encoding: 'melody-130',
  vocabSize: 130,
  embeddingDim: 16,
  hiddenSize: 32,
  layers: 2,
  dropout: 0,
  window: 12,
};

function glorotLike(spec: ModelSpec, seed: number): NamedWeights {
  const rng = createRng(seed);
  const out: NamedWeights = {};
  for (const t of modelTensors(spec)) {
    const limit = t.shape.length === 2 ? Math.sqrt(6 / (t.shape[0] + t.shape[1])) : 0;
    out[t.name] = Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () =>
      limit ? rng.uniform(-limit, limit) : 0,
    );
  }
  return out;
}

let engine: Engine;
beforeAll(async () => {
  // One thread: deterministic and fair on a shared 2-core CI machine.
  engine = await createWasmEngine({ threads: 1 });
});
afterAll(async () => {
  await engine?.dispose();
});

describe('training windows', () => {
  it('makes every window of window+1 tokens: first `window` are input, the last is the target', () => {
    const pieces = [
      { name: 'a', tokens: [60, 129, 62, 129, 128, 64, 65] },
      { name: 'short', tokens: [60, 61, 62] },
    ];
    const set = buildWindows(pieces, 3);
    expect(set.size).toBe(7 - 3); // the short piece (3 tokens) has no window of 4
    const order = Uint32Array.from([0, 1, 2, 3]);
    const batch = set.batch(order, 0, 4);
    for (let w = 0; w < 4; w++) {
      expect(Array.from(batch.inputs.subarray(w * 3, w * 3 + 3))).toEqual(pieces[0].tokens.slice(w, w + 3));
      expect(batch.targets[w]).toBe(pieces[0].tokens[w + 3]);
    }
    // The thesis' count: a piece of n tokens has n - 30 windows of 31.
    expect(buildWindows([{ name: 'm', tokens: melodies[0] }], 30).size).toBe(melodies[0].length - 30);
  });

  it('transposes pitches only, and drops shifted windows that leave 0..127', () => {
    const set = buildWindows([{ name: 'a', tokens: [120, 129, 128, 125, 129] }], 3, [0, 2, 5]);
    // Windows: [120,129,128 -> 125] and [129,128,125 -> 129]; +5 pushes 125 to 130: dropped both times.
    expect(set.size).toBe(4);
    const shifts = Array.from({ length: set.size }, (_, i) => set.at(i).shift);
    expect(shifts).toEqual([0, 2, 0, 2]);
    const b = set.batch(Uint32Array.from([1]), 0, 1);
    expect(Array.from(b.inputs)).toEqual([122, 129, 128]);
    expect(b.targets[0]).toBe(127);
  });

  it('encodes the JSB soprano line (default model corpus) as melody tokens: note-on, hold, note-off, silence', async () => {
    const { sopranoTokens } = await import('../../scripts/train-default-model');
    const frames = [
      [60, 55, 52, 48],
      [60, 55, 52, 48],
      [-1, 55, 52, 48],
      [-1, -1, -1, -1],
      [62, 57, 53, 50],
      [62, 57, 53, 50],
      [64, 57, 53, 50],
    ];
    expect(sopranoTokens(frames)).toEqual([60, 129, 128, 129, 62, 129, 64]);
  });

  it('builds both sides through the model registry: transpositions augment training only', () => {
    const pieces = melodies.slice(0, 20).map((tokens, i) => ({ name: `m${i}`, tokens }));
    const built = buildTrainingBatches(
      smallSpec,
      pieces,
      { validationFraction: 0.25, transpositions: [2] },
      createRng(7),
    );
    const split = splitByPiece(pieces, 0.25, createRng(7));
    expect(built.split.valid.map((p) => p.name)).toEqual(split.valid.map((p) => p.name));
    expect(built.valid.size).toBe(buildWindows(split.valid, smallSpec.window).size);
    expect(built.train.size).toBe(buildWindows(split.train, smallSpec.window, [0, 2]).size);
    expect(built.train.size).toBeGreaterThan(buildWindows(split.train, smallSpec.window).size);
    const unknown = { ...smallSpec, kind: 'poly-lstm' } as unknown as ModelSpec;
    expect(() =>
      buildTrainingBatches(unknown, pieces, { validationFraction: 0, transpositions: [] }, createRng(1)),
    ).toThrow(/model kind "poly-lstm"/);
  });

  it('splits by piece, reproducibly from the seed, and honours stored splits', () => {
    const pieces = melodies.slice(0, 40).map((tokens, i) => ({ name: `m${i}`, tokens }));
    const a = splitByPiece(pieces, 0.25, createRng(7));
    const b = splitByPiece(pieces, 0.25, createRng(7));
    expect(a.valid.map((p) => p.name)).toEqual(b.valid.map((p) => p.name));
    expect(a.valid).toHaveLength(10);
    expect(a.train).toHaveLength(30);
    expect(new Set([...a.train, ...a.valid].map((p) => p.name)).size).toBe(40);
    const c = splitByPiece(pieces, 0.25, createRng(8));
    expect(c.valid.map((p) => p.name)).not.toEqual(a.valid.map((p) => p.name));
    const stored = pieces.map((p, i) => ({ ...p, split: i < 3 ? 'valid' : i < 5 ? 'test' : 'train' }));
    const s = splitByPiece(stored, 0.5, createRng(1));
    expect(s.valid.map((p) => p.name)).toEqual(['m0', 'm1', 'm2']);
    expect(s.train).toHaveLength(35);
  });
});

describe('training loop (wasm engine, 1 thread, reduced spec E16/H32/window 12 and a 24-melody subset of seed-melodies, for CI speed)', () => {
  const pieces = melodies.slice(0, 24).map((tokens, i) => ({ name: `m${i}`, tokens: tokens.slice(0, 400) }));
  const split = splitByPiece(pieces, 0.2, createRng(3));
  const train = buildWindows(split.train, smallSpec.window);
  const valid = buildWindows(split.valid, smallSpec.window);
  const training: TrainingConfig = {
    ...DEFAULT_TRAINING,
    epochs: 3,
    batchSize: 64,
    learningRate: 0.01,
    earlyStoppingPatience: 0,
    randomSeed: 5,
  };

  it("3 epochs lower the validation loss below the first epoch's, with progress and a checkpoint per epoch", async () => {
    const model = await engine.createModel(smallSpec, training, glorotLike(smallSpec, 1));
    const events: JobProgress[] = [];
    const checkpoints: EpochCheckpoint[] = [];
    const result = await trainLoop({
      model,
      train,
      valid,
      training,
      onProgress: (p) => events.push(p),
      onCheckpoint: (c) => void checkpoints.push(c),
    });
    model.dispose();
    expect(result.epochs).toBe(3);
    expect(checkpoints.map((c) => c.epoch)).toEqual([1, 2, 3]);
    const val = result.metrics.valLossHistory!;
    expect(val).toHaveLength(3);
    expect(val[2]).toBeLessThan(val[0]);
    const steps = events.filter((e) => e.phase === 'epoch');
    expect(steps.length).toBe(3 * Math.ceil(train.size / 64));
    expect(steps.at(-1)!.etaMs).toBe(0);
    expect(steps[0].engine).toBe('wasm');
    // The Train screen shows this sentence: threads for wasm, the adapter for webgpu.
    expect(steps[0].engineDetail).toBe(engine.info.description);
    expect(steps[0].engineDetail).toMatch(/wasm engine .*1 thread/);
    expect(steps[0].sequencesPerSec).toBeGreaterThan(0);
    expect(checkpoints[2].optimizer.step).toBe(result.steps);
  });

  it('resuming from the epoch-1 checkpoint reproduces an uninterrupted 2-epoch run exactly', async () => {
    const two = { ...training, epochs: 2 };
    const straight = await engine.createModel(smallSpec, two, glorotLike(smallSpec, 1));
    const saved: EpochCheckpoint[] = [];
    await trainLoop({ model: straight, train, valid, training: two, onCheckpoint: (c) => void saved.push(c) });
    const resumed = await engine.createModel(smallSpec, two, saved[0].weights);
    resumed.setOptimizerState(saved[0].optimizer);
    const r = await trainLoop({
      model: resumed,
      train,
      valid,
      training: two,
      resume: { epoch: 1, step: saved[0].step, metrics: saved[0].metrics },
    });
    expect(r.epochs).toBe(2);
    expect(r.metrics.valLossHistory).toEqual(saved[1].metrics.valLossHistory);
    expect((await resumed.getWeights())['lstm_2/kernel']).toEqual((await straight.getWeights())['lstm_2/kernel']);
    straight.dispose();
    resumed.dispose();
  });

  it('stops within one step of a cancel, and stops early when validation stops improving', async () => {
    const model = await engine.createModel(smallSpec, training, glorotLike(smallSpec, 1));
    const controller = new AbortController();
    let stepsAfterAbort = 0;
    const run = trainLoop({
      model,
      train,
      valid,
      training,
      signal: controller.signal,
      onProgress: (p) => {
        if (controller.signal.aborted) stepsAfterAbort++;
        if (p.phase === 'epoch' && p.step === 3) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(stepsAfterAbort).toBe(0);
    // lr 2.0 makes validation loss worse after the first epoch: patience 1 stops at epoch 2 of 3.
    const wild = { ...training, epochs: 3, learningRate: 2, clipNorm: 0, earlyStoppingPatience: 1 };
    const m2 = await engine.createModel(smallSpec, wild, glorotLike(smallSpec, 1));
    const r = await trainLoop({ model: m2, train, valid, training: wild }).catch((e: Error) => e);
    if (r instanceof Error) expect(r.name).toBe('TrainingDivergedError');
    else {
      expect(r.stopReason).toBe('early-stopping');
      expect(r.epochs).toBeLessThan(3);
    }
    model.dispose();
    m2.dispose();
  });

  describe('with a weight average (decay 0.5 per validation)', () => {
    const averaging = { ...training, weightAverageDecay: 0.5 };
    const run = async (config: TrainingConfig, extra: Partial<Parameters<typeof trainLoop>[0]> = {}) => {
      const model = await engine.createModel(smallSpec, config, glorotLike(smallSpec, 1));
      const checkpoints: EpochCheckpoint[] = [];
      const result = await trainLoop({
        model,
        train,
        valid,
        training: config,
        onCheckpoint: (c) => void checkpoints.push(c),
        ...extra,
      });
      return { model, checkpoints, result };
    };
    const kernel = (w: NamedWeights | undefined) => Array.from(w!['lstm_2/kernel']);

    it('averages the weights of every validation, validates the average, and keeps the better as the best', async () => {
      // Counts the loop's reads of the signal: one per training step and one per valid batch.
      const counting = () => {
        const signal = {
          reads: 0,
          get aborted() {
            this.reads++;
            return false;
          },
        };
        return signal;
      };
      const plainSignal = counting();
      const avgSignal = counting();
      const plain = await run(training, { signal: plainSignal as unknown as AbortSignal });
      const epochEnds: JobProgress[] = [];
      const avg = await run(averaging, {
        signal: avgSignal as unknown as AbortSignal,
        onProgress: (p) => void (p.phase === 'epoch done' && epochEnds.push(p)),
      });
      // The average is validated after epochs 2 and 3 only: after epoch 1 it is a copy of the weights.
      expect(avgSignal.reads - plainSignal.reads).toBe(2 * Math.ceil(valid.size / training.batchSize));
      const [c1, c2, c3] = avg.checkpoints;
      // The average does not change training: the weights and their valid losses are those of a run without it.
      expect(avg.result.metrics.valLossHistory).toEqual(plain.result.metrics.valLossHistory);
      expect(kernel(c3.weights)).toEqual(kernel(plain.checkpoints[2].weights));
      expect(kernel(await avg.model.getWeights())).toEqual(kernel(c3.weights));
      // First validation: the average is the weights; then half of each new set.
      expect(kernel(c1.average)).toEqual(kernel(c1.weights));
      const half = kernel(c1.weights).map((a, i) => Math.fround(0.5 * a + 0.5 * c2.weights['lstm_2/kernel'][i]));
      expect(kernel(c2.average)).toEqual(half);
      const history = avg.result.metrics.averageValLossHistory!;
      expect(history).toHaveLength(3);
      expect(history[0]).toBe(avg.result.metrics.valLossHistory![0]);
      expect(history[2]).not.toBe(avg.result.metrics.valLossHistory![2]);
      // The Train screen's chart draws it from each epoch's end.
      expect(epochEnds.map((p) => p.averageValLoss)).toEqual(history);
      // The validated average is what the checkpoint carries.
      avg.model.setWeights(c3.average!);
      expect(await evaluateWindows(avg.model, valid, training.batchSize)).toBe(history[2]);
      const all = [...avg.result.metrics.valLossHistory!, ...history];
      const best = Math.min(...all);
      expect(avg.result.metrics.bestValLoss).toBe(best);
      expect(avg.result.metrics.bestIsAverage).toBe(history.includes(best) && history.indexOf(best) > 0);
      expect(plain.checkpoints[2].average).toBeUndefined();
      expect(plain.result.metrics.averageValLossHistory).toBeUndefined();
      plain.model.dispose();
      avg.model.dispose();
    });

    it("resumes from a saved average exactly, and a cancel inside the average's validation leaves the weights trained", async () => {
      const two = { ...averaging, epochs: 2 };
      const straight = await run(two);
      const [first, second] = straight.checkpoints;
      const resumed = await engine.createModel(smallSpec, two, first.weights);
      resumed.setOptimizerState(first.optimizer);
      const after: EpochCheckpoint[] = [];
      await trainLoop({
        model: resumed,
        train,
        valid,
        training: two,
        resume: { epoch: 1, step: first.step, metrics: first.metrics, average: first.average! },
        onCheckpoint: (c) => void after.push(c),
      });
      expect(kernel(after[0].average)).toEqual(kernel(second.average));
      expect(after[0].metrics.averageValLossHistory).toEqual(second.metrics.averageValLossHistory);
      resumed.dispose();

      // The signal is read before every step and every valid batch: abort at the first valid batch of the second
      // epoch's average (the first epoch's average is its weights, so a mix-up would not show there).
      const steps = Math.ceil(train.size / two.batchSize);
      const validBatches = Math.ceil(valid.size / two.batchSize);
      const reads = 2 * steps + 2 * validBatches + 1;
      let read = 0;
      const signal = {
        get aborted() {
          return ++read >= reads;
        },
      } as AbortSignal;
      const cancelled = await engine.createModel(smallSpec, two, glorotLike(smallSpec, 1));
      const seen: EpochCheckpoint[] = [];
      await expect(
        trainLoop({ model: cancelled, train, valid, training: two, signal, onCheckpoint: (c) => void seen.push(c) }),
      ).rejects.toBeInstanceOf(CancelledError);
      expect(read).toBe(reads);
      expect(seen).toHaveLength(1);
      expect(kernel(second.average)).not.toEqual(kernel(second.weights));
      expect(kernel(await cancelled.getWeights())).toEqual(kernel(second.weights));
      cancelled.dispose();
      straight.model.dispose();
    });

    it('a run resumed without averaging drops the stored average, and a new best of the weights is not "the average"', async () => {
      const two = { ...averaging, epochs: 2 };
      const straight = await run(two);
      const [first] = straight.checkpoints;
      // As if epoch 1's best had been the average's (first.metrics may say either): the resumed run must clear it.
      const metrics = { ...first.metrics, bestIsAverage: true, bestValLoss: Infinity };
      const plainTwo = { ...training, epochs: 2 };
      const resumed = await engine.createModel(smallSpec, plainTwo, first.weights);
      resumed.setOptimizerState(first.optimizer);
      const after: EpochCheckpoint[] = [];
      const r = await trainLoop({
        model: resumed,
        train,
        valid,
        training: plainTwo,
        resume: { epoch: 1, step: first.step, metrics, average: first.average! },
        onCheckpoint: (c) => void after.push(c),
      });
      expect(after).toHaveLength(1);
      expect(after[0].average).toBeUndefined();
      expect(r.metrics.bestEpoch).toBe(2);
      expect(r.metrics.bestIsAverage).toBeUndefined();
      resumed.dispose();
      straight.model.dispose();
    });
  });
});
