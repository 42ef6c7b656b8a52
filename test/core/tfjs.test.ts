// SPDX-License-Identifier: MIT
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { melodyLstmTensors, type ModelSpec } from '../../src/core/model/spec';
import { modelTensors } from '../../src/core/model/registry';
import { createRng } from '../../src/core/util/random';
import type { NamedWeights, TokenBatch } from '../../src/core/engine/types';
import type { Engine } from '../../src/core/engine/engine';

const spec: ModelSpec = {
  kind: 'melody-lstm',
  encoding: 'melody-130',
  vocabSize: 130,
  embeddingDim: 8,
  hiddenSize: 6,
  layers: 2,
  dropout: 0,
  window: 5,
};
const training = { learningRate: 0.01, clipNorm: 5, randomSeed: 1 };

function weightsFor(seed: number, scale = 0.3): NamedWeights {
  const rng = createRng(seed);
  const out: NamedWeights = {};
  for (const t of modelTensors(spec))
    out[t.name] = Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-scale, scale));
  return out;
}

function batchFor(seed: number, batchSize = 3): TokenBatch {
  const rng = createRng(seed);
  return {
    inputs: Int32Array.from({ length: batchSize * spec.window }, () => rng.int(130)),
    targets: Int32Array.from({ length: batchSize }, () => rng.int(130)),
    batchSize,
  };
}

let cpu: Engine;
beforeAll(async () => {
  // Through the engine, which sets the cpu backend and silences tfjs' "install tfjs-node" banner.
  const { createTfjsEngine } = await import('../../src/core/engine/tfjsEngine');
  cpu = await createTfjsEngine('cpu');
});

describe('the melody model on the tfjs cpu backend (tiny spec)', () => {
  it('gradients agree with central differences of its own loss (float32, relative 2e-2 on the largest entries)', async () => {
    const weights = weightsFor(1);
    const model = await cpu.createModel(spec, training, weights);
    const batch = batchFor(2);
    const { loss, grads } = await model.computeGradients(batch);
    expect(loss).toBeGreaterThan(4); // about ln(130) = 4.87 at small random weights
    expect(loss).toBeLessThan(5.5);
    const eps = 1e-2;
    for (const name of [
      'embedding/embeddings',
      'lstm_1/kernel',
      'lstm_2/recurrent_kernel',
      'lstm_2/bias',
      'dense/kernel',
    ]) {
      const g = grads[name];
      // The 3 largest-magnitude gradient entries of this tensor: differences there stand well above float32 noise.
      const idx = Array.from(g.keys())
        .sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]))
        .slice(0, 3);
      for (const i of idx) {
        const plus = { ...weights, [name]: weights[name].slice() };
        plus[name][i] += eps;
        model.setWeights(plus);
        const lp = await model.evaluate(batch);
        const minus = { ...weights, [name]: weights[name].slice() };
        minus[name][i] -= eps;
        model.setWeights(minus);
        const lm = await model.evaluate(batch);
        const numeric = (lp - lm) / (2 * eps);
        expect(Math.abs(numeric - g[i])).toBeLessThan(2e-2 * Math.abs(g[i]) + 2e-4);
      }
    }
    model.dispose();
  });

  it('the stateful batch-1 decoder gives the same logits as the windowed model on the same tokens', async () => {
    const weights = weightsFor(3, 0.5);
    const model = await cpu.createModel(spec, training, weights);
    const tokens = [60, 129, 129, 128, 62];
    const decoder = model.createDecoder();
    decoder.reset();
    let logits: Float32Array = new Float32Array(0);
    for (const t of tokens) logits = await decoder.step(t);
    // Windowed: loss of each target = -log softmax(logits)[target]; compare through evaluate on one window.
    const probs = tf.tidy(() => tf.softmax(tf.tensor1d(logits)).dataSync());
    for (const target of [0, 60, 129]) {
      const ce = await model.evaluate({
        inputs: Int32Array.from(tokens),
        targets: Int32Array.from([target]),
        batchSize: 1,
      });
      expect(ce).toBeCloseTo(-Math.log(probs[target]), 4);
    }
    decoder.dispose();
    model.dispose();
  });

  it('trains (loss falls on a repeated batch), keeps tensor count constant, and round-trips weights and Adam state', async () => {
    const before = tf.memory().numTensors;
    const model = await cpu.createModel(spec, training, weightsFor(4));
    const batch = batchFor(5, 8);
    const first = await model.trainStep(batch);
    // The first step allocated the workspace for this batch size; from then on no step leaks a tensor.
    const afterFirst = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) await model.trainStep(batch);
    const last = await model.evaluate(batch);
    expect(last).toBeLessThan(first * 0.7);
    expect(tf.memory().numTensors).toBe(afterFirst);
    model.createDecoder().dispose();
    const withDecoder = tf.memory().numTensors;
    for (let round = 0; round < 3; round++) {
      const decoder = model.createDecoder();
      for (let i = 0; i < 10; i++) await decoder.step(60 + i);
      decoder.dispose();
      expect(tf.memory().numTensors).toBe(withDecoder);
    }

    // A second model given the first's weights and optimizer state continues identically.
    const copy = await cpu.createModel(spec, training, await model.getWeights());
    copy.setOptimizerState(await model.getOptimizerState());
    expect((await copy.getOptimizerState()).step).toBe(31);
    const a = await model.trainStep(batchFor(6, 8));
    const b = await copy.trainStep(batchFor(6, 8));
    expect(b).toBe(a);
    expect((await copy.getWeights())['dense/bias']).toEqual((await model.getWeights())['dense/bias']);
    model.dispose();
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('wasm engine vs tfjs cpu reference (tiny spec, same checkpoint)', () => {
  /** max |a-b| over max |b|: 1e-4 means the engines agree to about four significant digits on every tensor. */
  const relDiff = (a: Float32Array, b: Float32Array) => {
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < b.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return diff / Math.max(scale, 1e-12);
  };

  it('give the same loss and gradients (relative 1e-4), and a checkpoint trained in one continues in the other', async () => {
    const { createWasmEngine } = await import('../../src/core/engine/wasmEngine');
    const { createTfjsEngine } = await import('../../src/core/engine/tfjsEngine');
    const { initWeights } = await import('../../src/core/model/init');
    const { encodeCheckpoint, decodeCheckpoint } = await import('../../src/core/model/checkpoint');
    const { DEFAULT_TRAINING } = await import('../../src/core/model/spec');
    const wasm = await createWasmEngine({ threads: 1 });
    const ref = await createTfjsEngine('cpu');
    const weights = initWeights(spec, 11);
    const a = await wasm.createModel(spec, training, weights);
    const b = await ref.createModel(spec, training, weights);
    const batch = batchFor(12, 4);
    const ga = await a.computeGradients(batch);
    const gb = await b.computeGradients(batch);
    expect(Math.abs(ga.loss - gb.loss) / gb.loss).toBeLessThan(1e-4);
    for (const t of modelTensors(spec)) expect(relDiff(ga.grads[t.name], gb.grads[t.name]), t.name).toBeLessThan(1e-4);

    // Train 5 steps on wasm, checkpoint (with Adam state), continue 3 steps on wasm and on tfjs from those bytes.
    for (let i = 0; i < 5; i++) await a.trainStep(batchFor(20 + i, 4));
    const bytes = encodeCheckpoint({
      formatVersion: 1,
      spec,
      training: { ...DEFAULT_TRAINING, ...training },
      epoch: 1,
      step: 5,
      metrics: {},
      weights: await a.getWeights(),
      optimizer: await a.getOptimizerState(),
      engine: 'wasm',
      createdAt: Date.now(),
    });
    const restored = decodeCheckpoint(bytes);
    const c = await ref.createModel(spec, training, restored.weights);
    c.setOptimizerState(restored.optimizer!);
    for (let i = 0; i < 3; i++) {
      const la = await a.trainStep(batchFor(40 + i, 4));
      const lc = await c.trainStep(batchFor(40 + i, 4));
      expect(Math.abs(la - lc) / la).toBeLessThan(1e-4);
    }
    const wa = await a.getWeights();
    const wc = await c.getWeights();
    for (const t of modelTensors(spec)) expect(relDiff(wc[t.name], wa[t.name]), t.name).toBeLessThan(1e-4);
    // The decoders agree too.
    const da = a.createDecoder();
    const dc = c.createDecoder();
    for (const token of [60, 129, 62]) expect(relDiff(await dc.step(token), await da.step(token))).toBeLessThan(1e-4);
    for (const m of [a, b, c]) m.dispose();
    da.dispose();
    dc.dispose();
    await wasm.dispose();
  });

  it('with dropout too: one model, one mask stream, so both engines train to the same numbers (3 layers)', async () => {
    const { createWasmEngine } = await import('../../src/core/engine/wasmEngine');
    const { initWeights } = await import('../../src/core/model/init');
    const wasm = await createWasmEngine({ threads: 1 });
    const dropSpec: ModelSpec = { ...spec, layers: 3, dropout: 0.3 };
    const weights = initWeights(dropSpec, 5);
    const a = await wasm.createModel(dropSpec, training, weights);
    const b = await cpu.createModel(dropSpec, training, weights);
    const losses: number[][] = [[], []];
    for (let i = 0; i < 4; i++) {
      losses[0].push(await a.trainStep(batchFor(60 + i, 4)));
      losses[1].push(await b.trainStep(batchFor(60 + i, 4)));
    }
    for (let i = 0; i < 4; i++) expect(Math.abs(losses[0][i] - losses[1][i]) / losses[0][i]).toBeLessThan(1e-4);
    // Dropout really acted: evaluation (no dropout) differs from the training loss on the same batch.
    const batch = batchFor(70, 4);
    expect(await a.evaluate(batch)).not.toBe((await a.computeGradients(batch)).loss);
    const [wa, wb] = [await a.getWeights(), await b.getWeights()];
    for (const t of melodyLstmTensors(dropSpec)) expect(relDiff(wb[t.name], wa[t.name]), t.name).toBeLessThan(1e-4);
    a.dispose();
    b.dispose();
    await wasm.dispose();
  });
});
