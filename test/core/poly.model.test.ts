// SPDX-License-Identifier: MIT
// The polyphonic models (src/core/model/polyLstm.ts) held to their promises on tiny instances: an exact autoregressive
// frame likelihood (causal in time and in pitch, summing to 1 over every frame of 6 pitches), gradients equal to
// central differences, the training path and the decoder agreeing, checkpoints, seeds, and the two engines agreeing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameBatch } from '../../src/core/engine/types';
import type { Engine, TrainableModel } from '../../src/core/engine/engine';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { createTfjsEngine } from '../../src/core/engine/tfjsEngine';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/core/model/checkpoint';
import { buildFrameSegments, isPolyDecoder, type PolyDecoder } from '../../src/core/model/polyLstm';
import type { PolyLstmSpec } from '../../src/core/model/polyLstmSpec';
import { DEFAULT_TRAINING, type ModelSpec } from '../../src/core/model/spec';
import { createRng } from '../../src/core/util/random';
import { frameLogProb, tinyPolySpec } from './helpers/engineCompare';

const P = 6;
const tiny = (kind: PolyLstmSpec['kind']) => tinyPolySpec(kind);
const asModelSpec = (s: PolyLstmSpec) => s as unknown as ModelSpec;
const training = { learningRate: 0.01, clipNorm: 5, randomSeed: 11 };

/** A random roll of `frames` frames (about 40% of pitches on). */
function randomRoll(frames: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: frames * P }, () => (rng.next() < 0.4 ? 1 : 0));
}

/** The batch of one whole piece: previous frames, targets, beats. */
function pieceBatch(spec: PolyLstmSpec, roll: Float32Array): FrameBatch {
  const set = buildFrameSegments({ ...spec, segment: roll.length / P }, [{ name: 'x', tokens: roll }]);
  return set.batch([0], 0, 1) as unknown as FrameBatch;
}

let wasm: Engine;
let tfjs: Engine;
beforeAll(async () => {
  wasm = await createWasmEngine({ threads: 1, adaptiveThreads: false });
  tfjs = await createTfjsEngine('cpu');
});
afterAll(async () => {
  await wasm.dispose();
});

describe.each(['biaxial-lstm', 'bi-lstm'] as const)('%s', (kind) => {
  const spec = tiny(kind);
  let model: TrainableModel;
  const decoder = () => {
    const d = model.createDecoder();
    if (!isPolyDecoder(d)) throw new Error('not a poly decoder');
    return d;
  };
  beforeAll(async () => {
    model = await wasm.createModel(asModelSpec(spec), training);
  });

  it('the training loss over a piece equals the decoder-scored NLL (nats per frame)', async () => {
    const roll = randomRoll(9, 1);
    const loss = await model.evaluate(pieceBatch(spec, roll) as never);
    const d = decoder();
    const logits = await d.scoreFrames(roll, 9);
    let nll = 0;
    for (let t = 0; t < 9; t++) nll -= frameLogProb(logits, roll, P, t * P);
    d.dispose();
    expect(loss).toBeGreaterThan(0);
    expect(Math.abs(loss - nll / 9)).toBeLessThan(1e-4 * Math.max(1, nll / 9));
  });

  it('is causal: changing frames at or after t, or pitches above p in frame t, changes nothing before them', async () => {
    const roll = randomRoll(8, 2);
    const d = decoder();
    const base = await d.scoreFrames(roll, 8);
    const t = 4;
    const pAt = 2;
    const changed = roll.slice();
    for (let i = t * P + pAt + 1; i < changed.length; i++) changed[i] = 1 - changed[i];
    d.reset();
    const after = await d.scoreFrames(changed, 8);
    d.dispose();
    // Every logit up to pitch pAt of frame t is unchanged ...
    for (let i = 0; i <= t * P + pAt; i++) expect(after[i]).toBe(base[i]);
    // ... and the change does reach the later ones (the test could fail).
    let moved = 0;
    for (let i = t * P + pAt + 2; i < base.length; i++) moved = Math.max(moved, Math.abs(after[i] - base[i]));
    expect(moved).toBeGreaterThan(1e-4);
  });

  it('the probabilities of all 64 frames of 6 pitches sum to 1 after any past', async () => {
    const past = randomRoll(3, 3);
    let total = 0;
    for (let code = 0; code < 1 << P; code++) {
      const x = Float32Array.from({ length: P }, (_, p) => (code >> p) & 1);
      const d = decoder();
      await d.scoreFrames(past, 3);
      total += Math.exp(frameLogProb(await d.step(x), x, P));
      d.dispose();
    }
    expect(Math.abs(total - 1)).toBeLessThan(1e-5);
  });

  it('gradients equal central differences of the loss', async () => {
    const m = await tfjs.createModel(asModelSpec(spec), training);
    const batch = buildFrameSegments(spec, [
      { name: 'a', tokens: randomRoll(12, 4) },
      { name: 'b', tokens: randomRoll(7, 5) },
    ]);
    const b = batch.batch([0, 2], 0, 2);
    const { grads } = await m.computeGradients(b);
    const weights = await m.getWeights();
    const names = Object.keys(weights);
    const rng = createRng(9);
    let checked = 0;
    for (const name of names) {
      for (let k = 0; k < 2; k++) {
        const i = rng.int(weights[name].length);
        const eps = 1e-2;
        const at = async (delta: number) => {
          const w = { ...weights, [name]: weights[name].slice() };
          w[name][i] += delta;
          m.setWeights(w);
          return m.evaluate(b);
        };
        const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        const analytic = grads[name][i];
        expect(Math.abs(numeric - analytic)).toBeLessThan(2e-3 + 2e-2 * Math.abs(analytic));
        checked++;
      }
    }
    m.setWeights(weights);
    m.dispose();
    expect(checked).toBe(2 * names.length);
  });

  it('the wasm and tfjs-cpu engines give the same loss and gradients', async () => {
    const weights = await model.getWeights();
    const m = await tfjs.createModel(asModelSpec(spec), training, weights);
    const b = buildFrameSegments(spec, [{ name: 'a', tokens: randomRoll(10, 6) }]).batch([0, 1], 0, 2);
    const [x, y] = [await model.computeGradients(b), await m.computeGradients(b)];
    expect(Math.abs(x.loss - y.loss)).toBeLessThan(1e-4);
    for (const name of Object.keys(x.grads))
      for (let i = 0; i < x.grads[name].length; i++)
        expect(Math.abs(x.grads[name][i] - y.grads[name][i])).toBeLessThan(1e-4);
    m.dispose();
  });

  it('a checkpoint round-trips and the same seed samples the same notes', async () => {
    const weights = await model.getWeights();
    const bytes = encodeCheckpoint({
      formatVersion: 1,
      spec: asModelSpec(spec),
      training: DEFAULT_TRAINING,
      epoch: 1,
      step: 3,
      metrics: {},
      weights,
      engine: 'wasm',
      createdAt: 0,
    });
    const back = decodeCheckpoint(bytes);
    expect(back.spec).toEqual(spec);
    const m = await wasm.createModel(back.spec, training, back.weights);
    const take = async (model: TrainableModel, seed: number) => {
      const d = model.createDecoder() as PolyDecoder;
      const rng = createRng(seed);
      const frames: number[] = [];
      for (let t = 0; t < 6; t++) frames.push(...(await d.sampleFrame(1, rng)));
      d.dispose();
      return frames;
    };
    const a = await take(model, 5);
    expect(await take(m, 5)).toEqual(a);
    expect(await take(model, 6)).not.toEqual(a);
    m.dispose();
  });

  it('sampling follows the model: a frame drawn pitch by pitch has the probability the scorer gives it', async () => {
    // Draw many first frames; the empirical frequency of the most common frame matches exp(log P(frame)).
    const d = decoder();
    const rng = createRng(1);
    const counts = new Map<string, number>();
    const n = 400;
    for (let i = 0; i < n; i++) {
      d.reset();
      const f = await d.sampleFrame(1, rng);
      counts.set(f.join(''), (counts.get(f.join('')) ?? 0) + 1);
    }
    const [key, count] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    const x = Float32Array.from(key, Number);
    d.reset();
    const p = Math.exp(frameLogProb(await d.step(x), x, P));
    d.dispose();
    const sd = Math.sqrt((p * (1 - p)) / n);
    expect(Math.abs(count / n - p)).toBeLessThan(4 * sd + 1e-3);
  });
});

describe('frame segments (the polyphonic batch builder)', () => {
  it('cuts whole segments, the last aligned to the end; previous frames are the targets shifted by one', () => {
    const spec = tiny('biaxial-lstm');
    const roll = randomRoll(12, 8);
    const set = buildFrameSegments(spec, [
      { name: 'long', tokens: roll },
      { name: 'short', tokens: randomRoll(4, 9) },
    ]);
    // 12 frames in segments of 5: starts 0, 5 and 7 (the last aligned to the end); the 4-frame piece is left out.
    expect(Array.from({ length: set.size }, (_, i) => set.at(i))).toEqual([
      { piece: 0, start: 0, shift: 0 },
      { piece: 0, start: 5, shift: 0 },
      { piece: 0, start: 7, shift: 0 },
    ]);
    const b = set.batch([0, 2], 0, 2) as unknown as FrameBatch;
    const T = spec.segment;
    // Segment 0: the frame before the piece is all zero; then frame t-1 for target t.
    expect(Array.from(b.frames.subarray(0, P))).toEqual(new Array(P).fill(0));
    for (let t = 0; t < T; t++)
      expect(Array.from(b.targets.subarray(t * P, t * P + P))).toEqual(Array.from(roll.subarray(t * P, t * P + P)));
    // Segment starting at 7: its first previous frame is frame 6 of the piece, its beats 7 mod 2, 8 mod 2, ...
    expect(Array.from(b.frames.subarray(T * P, T * P + P))).toEqual(Array.from(roll.subarray(6 * P, 7 * P)));
    const beats = b.condition!.values;
    for (let t = 0; t < T; t++) expect(beats[(T + t) * 2 + ((7 + t) % 2)]).toBe(1);
  });
});
