// SPDX-License-Identifier: MIT
// The wasm engine's melody model against the float64 reference model, plus init, training and determinism.
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import type { NamedWeights, TokenBatch } from '../../src/core/engine/types';
import type { Engine } from '../../src/core/engine/engine';
import { refMelodyLossAndGradients, type Weights64 } from '../../src/core/engine/reference/melodyLstm';
import { initWeights } from '../../src/core/model/init';
import { DEFAULT_MELODY_SPEC, melodyLstmTensors, type MelodyLstmSpec } from '../../src/core/model/spec';
import { parameterCount } from '../../src/core/model/registry';
import { createRng } from '../../src/core/util/random';
import { instantiateKernels } from '../../src/core/engine/wasm/kernels';
import { loadEngineModule } from '../../src/core/engine/wasm/nodeLoader';
import { createWasmEngineFromKernels } from '../../src/core/engine/wasmEngineCore';
import { TINY_MELODY_SPEC } from './helpers/engineCompare';

const tinySpec = TINY_MELODY_SPEC;
const training = { learningRate: 0.01, clipNorm: 0, randomSeed: 7 };

function randomBatch(spec: MelodyLstmSpec, batchSize: number, randomSeed: number): TokenBatch {
  const rng = createRng(randomSeed);
  const inputs = new Int32Array(batchSize * spec.window).map(() => rng.int(spec.vocabSize));
  const targets = new Int32Array(batchSize).map(() => rng.int(spec.vocabSize));
  return { inputs, targets, batchSize };
}

function to64(w: NamedWeights): Weights64 {
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Float64Array.from(v)]));
}

/** max |a-b| / (max |b| over the tensor + tiny): a relative error per tensor, robust to near-zero entries. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.dispose();
});
async function engine1(): Promise<Engine> {
  const e = await createWasmEngine({ threads: 1 });
  engines.push(e);
  return e;
}

describe('melody-lstm weights', () => {
  it('has the thesis parameter count and initWeights gives every tensor its shape', () => {
    expect(parameterCount(DEFAULT_MELODY_SPEC)).toBe(1_117_314);
    const w = initWeights(DEFAULT_MELODY_SPEC, 1);
    for (const t of melodyLstmTensors(DEFAULT_MELODY_SPEC)) {
      expect(w[t.name], t.name).toBeInstanceOf(Float32Array);
      expect(w[t.name].length, t.name).toBe(t.shape.reduce((a, b) => a * b, 1));
    }
    expect(Object.keys(w).sort()).toEqual(
      melodyLstmTensors(DEFAULT_MELODY_SPEC)
        .map((t) => t.name)
        .sort(),
    );
  });

  it('initialises as Keras does: ranges, orthogonal recurrent rows, forget bias 1, same seed same weights', () => {
    const w = initWeights(DEFAULT_MELODY_SPEC, 3);
    const H = DEFAULT_MELODY_SPEC.hiddenSize;
    const emb = w['embedding/embeddings'];
    expect(maxAbs(emb)).toBeLessThanOrEqual(0.05);
    const glorot = Math.sqrt(6 / (256 + 1024));
    const k1 = w['lstm_1/kernel'];
    expect(maxAbs(k1)).toBeLessThanOrEqual(glorot);
    expect(maxAbs(k1)).toBeGreaterThan(glorot * 0.99);
    const u = w['lstm_2/recurrent_kernel'];
    for (const [r1, r2] of [
      [0, 0],
      [0, 1],
      [17, 200],
      [255, 255],
    ]) {
      let dot = 0;
      for (let j = 0; j < 4 * H; j++) dot += u[r1 * 4 * H + j] * u[r2 * 4 * H + j];
      expect(dot).toBeCloseTo(r1 === r2 ? 1 : 0, 4);
    }
    const bias = w['lstm_1/bias'];
    expect([bias[0], bias[H - 1], bias[H], bias[2 * H - 1], bias[2 * H], bias[4 * H - 1]]).toEqual([0, 0, 1, 1, 0, 0]);
    expect(initWeights(DEFAULT_MELODY_SPEC, 3)['lstm_2/kernel']).toEqual(w['lstm_2/kernel']);
    expect(initWeights(DEFAULT_MELODY_SPEC, 4)['lstm_2/kernel']).not.toEqual(w['lstm_2/kernel']);
  });
});

/** The one melody model on each backend; the float64 reference model (unfolded, unshared code) is the oracle. */
const engineMakers: Record<string, () => Promise<Engine>> = {
  wasm: engine1,
  'tfjs-cpu': async () => {
    const { createTfjsEngine } = await import('../../src/core/engine/tfjsEngine');
    return createTfjsEngine('cpu');
  },
};

describe.each(Object.keys(engineMakers))('melody-lstm on %s against the float64 reference', (engineName) => {
  it('computeGradients equals the reference model loss and every gradient (float32 vs float64, rel. error < 1e-4)', async () => {
    const engine = await engineMakers[engineName]();
    const weights = initWeights(tinySpec, 5);
    // Larger weights than the init so that every gate works away from its linear region.
    for (const v of Object.values(weights)) for (let i = 0; i < v.length; i++) v[i] *= 3;
    const model = await engine.createModel(tinySpec, training, weights);
    const batch = randomBatch(tinySpec, 3, 11);
    const { loss, grads } = await model.computeGradients(batch);
    const ref = refMelodyLossAndGradients(
      tinySpec,
      to64(await model.getWeights()),
      batch.inputs,
      batch.targets,
      batch.batchSize,
    );
    expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
    for (const t of melodyLstmTensors(tinySpec)) {
      expect(relativeError(grads[t.name], ref.grads[t.name]), t.name).toBeLessThan(1e-4);
      expect(maxAbs(ref.grads[t.name]), `${t.name} gradient is not trivially zero`).toBeGreaterThan(1e-4);
    }
  });

  it('the decoder gives the same logits as the training forward pass over the same window', async () => {
    const engine = await engineMakers[engineName]();
    const model = await engine.createModel(tinySpec, training);
    const batch = randomBatch(tinySpec, 1, 5);
    const decoder = model.createDecoder();
    let logits: Float32Array = new Float32Array(0);
    for (const token of batch.inputs) logits = await decoder.step(token);
    // Softmax of the decoder's logits at the target = exp(-loss) of the training forward pass.
    const max = Math.max(...logits);
    const sum = logits.reduce((s, x) => s + Math.exp(x - max), 0);
    const nll = Math.log(sum) + max - logits[batch.targets[0]];
    expect(nll).toBeCloseTo(await model.evaluate(batch), 5);
    decoder.reset();
    const again = await decoder.step(batch.inputs[0]);
    decoder.reset();
    expect(await decoder.step(batch.inputs[0])).toEqual(again);
  });
});

describe('memory reuse', () => {
  it('alternating batch sizes (full batches, then the last partial one) stop allocating after one round', async () => {
    const k = await instantiateKernels(loadEngineModule(false), false);
    const engine = createWasmEngineFromKernels(k);
    const model = await engine.createModel(tinySpec, training, initWeights(tinySpec, 2));
    const big = randomBatch(tinySpec, 8, 1);
    const small = randomBatch(tinySpec, 5, 2);
    await model.evaluate(big);
    await model.computeGradients(small);
    const allocated = k.allocatedBytes;
    for (let round = 0; round < 3; round++) {
      await model.computeGradients(big);
      const { loss, grads } = await model.computeGradients(small);
      expect(k.allocatedBytes).toBe(allocated);
      const ref = refMelodyLossAndGradients(tinySpec, to64(await model.getWeights()), small.inputs, small.targets, 5);
      expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
      for (const t of melodyLstmTensors(tinySpec))
        expect(relativeError(grads[t.name], ref.grads[t.name]), t.name).toBeLessThan(1e-4);
    }
    model.dispose();
  });

  it('released buffers serve allocations of other sizes: neighbours merge, a larger request splits nothing off top', async () => {
    const k = await instantiateKernels(loadEngineModule(false), false);
    const MB = 1 << 18; // floats
    const first = k.track(() => [k.allocF32(MB), k.allocF32(MB), k.allocF32(MB)]);
    k.f32(first.result[1]).fill(7);
    const peak = k.allocatedBytes;
    k.release(first.group);
    // Three released neighbours are one range: a request of 2.5 of them fits without growing, and comes back zeroed.
    const second = k.track(() => k.allocF32(2.5 * MB));
    expect(k.allocatedBytes).toBe(peak);
    expect(k.f32(second.result).every((x) => x === 0)).toBe(true);
    // What is left (half a block) and smaller requests share it; a request larger than any range extends the one
    // that ends at the bump pointer instead of leaving it behind.
    const small = k.track(() => k.allocF32(MB / 4));
    expect(k.allocatedBytes).toBe(peak);
    k.release(second.group);
    k.release(small.group);
    k.track(() => k.allocF32(4 * MB));
    expect(k.allocatedBytes).toBe(peak + MB * 4);
  });

  it('a released model gives its memory to the next model of the same spec', async () => {
    const k = await instantiateKernels(loadEngineModule(false), false);
    const engine = createWasmEngineFromKernels(k);
    const batch = randomBatch(tinySpec, 4, 3);
    const use = async () => {
      const model = await engine.createModel(tinySpec, training, initWeights(tinySpec, 2));
      const loss = await model.evaluate(batch);
      model.createDecoder().dispose();
      model.dispose();
      return loss;
    };
    const first = await use();
    const allocated = k.allocatedBytes;
    for (let i = 0; i < 5; i++) expect(await use()).toBe(first);
    expect(k.allocatedBytes).toBe(allocated);
  });

  it('disposed decoders hand their buffers to the next one (no growth over many generations)', async () => {
    const k = await instantiateKernels(loadEngineModule(false), false);
    const engine = createWasmEngineFromKernels(k);
    const model = await engine.createModel(tinySpec, training);
    model.createDecoder().dispose();
    const allocated = k.allocatedBytes;
    for (let i = 0; i < 20; i++) {
      const decoder = model.createDecoder();
      await decoder.step(i % tinySpec.vocabSize);
      decoder.dispose();
    }
    expect(k.allocatedBytes).toBe(allocated);
    const disposed = model.createDecoder();
    disposed.dispose();
    await expect(disposed.step(1)).rejects.toMatchObject({ code: 'DECODER_DISPOSED' });
    const live = model.createDecoder();
    await expect(live.step(tinySpec.vocabSize)).rejects.toMatchObject({ code: 'TOKEN_OUT_OF_RANGE' });
    await expect(live.step(new Float32Array(128))).rejects.toMatchObject({ code: 'DECODER_INPUT_INVALID' });
    model.dispose();
    // A decoder that outlives its model refuses to run on released memory.
    await expect(live.step(1)).rejects.toThrow(/model was disposed/);
    expect(() => model.createDecoder()).toThrow(expect.objectContaining({ code: 'MODEL_DISPOSED' }));
  });
});

describe('training', () => {
  it('lowers the loss on a tiny synthetic corpus and is deterministic for a given randomSeed', async () => {
    const engine = await engine1();
    const spec: MelodyLstmSpec = { ...tinySpec, vocabSize: 8, embeddingDim: 8, hiddenSize: 12, window: 6 };
    // Corpus: the sequence 0,1,2,...,7,0,1,... — next token = (last + 1) mod 8.
    const batchSize = 16;
    const inputs = new Int32Array(batchSize * spec.window);
    const targets = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      for (let t = 0; t < spec.window; t++) inputs[b * spec.window + t] = (b + t) % 8;
      targets[b] = (b + spec.window) % 8;
    }
    const batch = { inputs, targets, batchSize };
    const run = async () => {
      const model = await engine.createModel(spec, { learningRate: 0.02, clipNorm: 5, randomSeed: 42 });
      const first = await model.evaluate(batch);
      for (let s = 0; s < 60; s++) await model.trainStep(batch);
      return {
        first,
        last: await model.evaluate(batch),
        weights: await model.getWeights(),
        opt: await model.getOptimizerState(),
      };
    };
    const a = await run();
    expect(a.first).toBeGreaterThan(1.8);
    expect(a.last).toBeLessThan(a.first * 0.3);
    expect(a.opt.step).toBe(60);
    const b = await run();
    expect(b.weights).toEqual(a.weights);
  });

  it('with dropout: training still lowers the loss, is reproducible, and evaluation applies no dropout', async () => {
    const engine = await engine1();
    const spec: MelodyLstmSpec = {
      ...tinySpec,
      vocabSize: 8,
      embeddingDim: 8,
      hiddenSize: 16,
      window: 6,
      dropout: 0.2,
    };
    const batchSize = 16;
    const inputs = new Int32Array(batchSize * spec.window);
    const targets = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      for (let t = 0; t < spec.window; t++) inputs[b * spec.window + t] = (b + t) % 8;
      targets[b] = (b + spec.window) % 8;
    }
    const batch = { inputs, targets, batchSize };
    const run = async () => {
      const model = await engine.createModel(spec, { learningRate: 0.02, clipNorm: 5, randomSeed: 9 });
      const first = await model.evaluate(batch);
      expect(await model.evaluate(batch)).toBe(first);
      const g1 = await model.computeGradients(batch);
      const g2 = await model.computeGradients(batch);
      // Fresh dropout masks per call: the training losses differ, the evaluation loss does not.
      expect(g2.loss).not.toBe(g1.loss);
      for (let s = 0; s < 80; s++) await model.trainStep(batch);
      const last = await model.evaluate(batch);
      model.dispose();
      return { first, last };
    };
    const a = await run();
    expect(a.last).toBeLessThan(a.first * 0.5);
    expect(await run()).toEqual(a);
  });

  it('rejects tokens outside the vocabulary with a typed error', async () => {
    const engine = await engine1();
    const model = await engine.createModel(tinySpec, training);
    const batch = randomBatch(tinySpec, 2, 1);
    batch.inputs[3] = tinySpec.vocabSize;
    await expect(model.trainStep(batch)).rejects.toMatchObject({ name: 'ModelInputError', code: 'TOKEN_OUT_OF_RANGE' });
  });
});
