// SPDX-License-Identifier: MIT
// The polyphonic models' weighted training loss (spec.loss 'weighted', src/core/model/polyLstmSpec.ts): a training
// step minimises the weighted objective (value and gradient against a float64 computation from the decoder's logits
// and central differences), onWeight 1 is plain BCE to the bit, evaluation stays the plain likelihood, and a short
// training run with it leaves a model that gives empty frames a lower probability than plain BCE does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameBatch } from '../../src/core/engine/types';
import type { Engine, TrainableModel } from '../../src/core/engine/engine';
import { createTfjsEngine } from '../../src/core/engine/tfjsEngine';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { generatePolyphonic } from '../../src/core/model/generatePoly';
import { buildFrameSegments, isPolyDecoder } from '../../src/core/model/polyLstm';
import { polyLstmSpecProblem, type PolyLstmSpec } from '../../src/core/model/polyLstmSpec';
import type { ModelSpec } from '../../src/core/model/spec';
import { createRng } from '../../src/core/util/random';

const P = 8;
const plain: PolyLstmSpec = {
  kind: 'bi-lstm',
  encoding: 'piano-roll-128',
  lowPitch: 60,
  pitches: P,
  beatsPerBar: 2,
  timeSizes: [6],
  pitchSizes: [5],
  downSizes: [3],
  window: 2,
  windowHidden: 3,
  dropout: 0,
  segment: 6,
};
const weighted = (onWeight: number): PolyLstmSpec => ({ ...plain, loss: 'weighted', onWeight });
const asModelSpec = (s: PolyLstmSpec) => s as unknown as ModelSpec;
const training = { learningRate: 0.01, clipNorm: 5, randomSeed: 5 };

/** A sparse roll: one note per frame at a random pitch, a tenth of the frames empty. */
function sparseRoll(frames: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const roll = new Float32Array(frames * P);
  for (let t = 0; t < frames; t++) if (rng.next() >= 0.1) roll[t * P + rng.int(P)] = 1;
  return roll;
}

/** -log P(y | logit z), stably. */
const logLoss = (z: number, y: number) => {
  const s = y > 0 ? z : -z;
  return s >= 0 ? Math.log1p(Math.exp(-s)) : -s + Math.log1p(Math.exp(s));
};

let wasm: Engine;
beforeAll(async () => {
  wasm = await createWasmEngine({ threads: 1, adaptiveThreads: false });
});
afterAll(async () => {
  await wasm.dispose();
});

describe('the weighted polyphonic loss', () => {
  const roll = sparseRoll(12, 1);
  const batch = () =>
    buildFrameSegments({ ...plain, segment: 12 }, [{ name: 'a', tokens: roll }]).batch(
      [0],
      0,
      1,
    ) as unknown as FrameBatch;

  it('is the spec validator: a loss, an onWeight only with the weighted loss, within (0, 100]', () => {
    expect(polyLstmSpecProblem({ ...plain })).toBeUndefined();
    expect(polyLstmSpecProblem({ ...weighted(3) })).toBeUndefined();
    expect(polyLstmSpecProblem({ ...plain, loss: 'bce' })).toBeUndefined();
    expect(polyLstmSpecProblem({ ...plain, loss: 'focal' })).toMatch(/its loss must be 'bce' or 'weighted'/);
    expect(polyLstmSpecProblem({ ...weighted(0) })).toMatch(/its onWeight must be a number within \(0, 100\]/);
    expect(polyLstmSpecProblem({ ...plain, onWeight: 2 })).toMatch(/set its loss to 'weighted'/);
  });

  it('onWeight 1 is plain BCE to the bit (loss and every gradient)', async () => {
    const a = await wasm.createModel(asModelSpec(plain), training);
    const b = await wasm.createModel(asModelSpec(weighted(1)), training, await a.getWeights());
    const [x, y] = [await a.computeGradients(batch()), await b.computeGradients(batch())];
    expect(y.loss).toBe(x.loss);
    for (const name of Object.keys(x.grads)) expect(Array.from(y.grads[name])).toEqual(Array.from(x.grads[name]));
    a.dispose();
    b.dispose();
  });

  it('a training pass gives the weighted objective and its gradient; evaluation the plain NLL', async () => {
    const w = 3;
    const m = await wasm.createModel(asModelSpec(weighted(w)), training);
    const d = m.createDecoder();
    if (!isPolyDecoder(d)) throw new Error('not a poly decoder');
    const logits = await d.scoreFrames(roll, 12);
    d.dispose();
    let nll = 0;
    let objective = 0;
    for (let i = 0; i < logits.length; i++) {
      nll += logLoss(logits[i], roll[i]);
      objective += (roll[i] > 0 ? w : 1) * logLoss(logits[i], roll[i]);
    }
    const { loss, grads } = await m.computeGradients(batch());
    expect(Math.abs(loss - objective / 12)).toBeLessThan(1e-4 * (objective / 12));
    expect(Math.abs((await m.evaluate(batch())) - nll / 12)).toBeLessThan(1e-4 * (nll / 12));
    expect(objective).toBeGreaterThan(nll * 1.2); // the weighting shows (the test could fail)
    // The gradient is the weighted objective's: central differences of the training pass's loss.
    const weights = await m.getWeights();
    const rng = createRng(3);
    for (const name of Object.keys(weights)) {
      const i = rng.int(weights[name].length);
      const at = async (delta: number) => {
        const v = { ...weights, [name]: weights[name].slice() };
        v[name][i] += delta;
        m.setWeights(v);
        return (await m.computeGradients(batch())).loss;
      };
      const eps = 1e-2;
      const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
      expect(Math.abs(numeric - grads[name][i])).toBeLessThan(2e-3 + 2e-2 * Math.abs(grads[name][i]));
    }
    m.dispose();
  });

  it('the wasm and tfjs-cpu engines give the same weighted loss and gradients', async () => {
    const tfjs = await createTfjsEngine('cpu');
    const a = await wasm.createModel(asModelSpec(weighted(3)), training);
    const b = await tfjs.createModel(asModelSpec(weighted(3)), training, await a.getWeights());
    const [x, y] = [await a.computeGradients(batch()), await b.computeGradients(batch())];
    expect(Math.abs(x.loss - y.loss)).toBeLessThan(1e-4 * x.loss);
    for (const name of Object.keys(x.grads))
      for (let i = 0; i < x.grads[name].length; i++)
        expect(Math.abs(x.grads[name][i] - y.grads[name][i])).toBeLessThan(1e-4);
    a.dispose();
    b.dispose();
  });

  it('trained briefly with it, a model gives the empty frame a lower probability, and draws fewer, than trained with plain BCE', async () => {
    const pieces = [0, 1, 2, 3].map((k) => ({ name: `p${k}`, tokens: sparseRoll(48, 10 + k) }));
    const meanEmpty = async (spec: PolyLstmSpec) => {
      const m: TrainableModel = await wasm.createModel(asModelSpec(spec), training);
      const set = buildFrameSegments(spec, pieces);
      const order = Array.from({ length: set.size }, (_, i) => i);
      for (let step = 0; step < 60; step++) await m.trainStep(set.batch(order, (step * 4) % set.size, 4));
      // Mean over the training frames of P(frame t empty | the frames before it).
      let sum = 0;
      let n = 0;
      const zero = new Float32Array(P);
      for (const piece of pieces.slice(0, 2))
        for (let t = 0; t < 48; t += 3) {
          const d = m.createDecoder();
          if (!isPolyDecoder(d)) throw new Error('not a poly decoder');
          if (t > 0) await d.scoreFrames(piece.tokens.subarray(0, t * P), t);
          const z = await d.step(zero);
          d.dispose();
          let logEmpty = 0;
          for (let p = 0; p < P; p++) logEmpty -= logLoss(z[p], 0);
          sum += Math.exp(logEmpty);
          n++;
        }
      // And the share of empty frames in 6 takes of 48 frames drawn with a fixed seed (no re-sampling).
      const d = m.createDecoder();
      if (!isPolyDecoder(d)) throw new Error('not a poly decoder');
      const takes = await generatePolyphonic(d, {
        seedFrames: [],
        bars: 24,
        framesPerBar: 2,
        temperature: 1,
        variations: 6,
        randomSeed: 7,
        maxRetries: 0,
      });
      d.dispose();
      m.dispose();
      return { probability: sum / n, drawn: takes.reduce((a, t) => a + t.emptyFrameShare, 0) / takes.length };
    };
    const [withPlain, withWeighted] = [await meanEmpty(plain), await meanEmpty(weighted(3))];
    // The data's share of empty frames is 0.1; here plain gives P(empty) 0.41 and draws 35% empty frames, weighted
    // 0.05 and 4%.
    expect(withWeighted.probability).toBeLessThan(withPlain.probability * 0.5);
    expect(withWeighted.drawn).toBeLessThan(withPlain.drawn * 0.5);
  });
});
