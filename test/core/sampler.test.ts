// SPDX-License-Identifier: MIT
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bernoulliProbabilities,
  sampleIndex,
  samplePitches,
  sampleStep,
  sampleToken,
  temperatureProbabilities,
} from '../../src/core/model/sampler';
import {
  findDegeneracy,
  generateMelodies,
  GenerationError,
  seedTokensFromPitches,
} from '../../src/core/model/generate';
import { createRng } from '../../src/core/util/random';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { createTfjsEngine } from '../../src/core/engine/tfjsEngine';
import { initWeights } from '../../src/core/model/init';
import { decodeMelody } from '../../src/core/encoding/melody';
import type { Decoder } from '../../src/core/engine/types';
import type { Engine } from '../../src/core/engine/engine';
import type { ModelSpec } from '../../src/core/model/spec';

const spec: ModelSpec = {
  kind: 'melody-lstm',
  encoding: 'melody-130',
  vocabSize: 130,
  embeddingDim: 16,
  hiddenSize: 24,
  layers: 2,
  dropout: 0,
  window: 8,
};
const training = { learningRate: 0.001, clipNorm: 5, randomSeed: 3 };

describe('temperature sampling', () => {
  it('softmax(logits/T) equals probabilities^(1/T) renormalised (the thesis formula)', () => {
    const logits = [2, 0.5, -1, 0, 3];
    const p = temperatureProbabilities(logits, 1);
    for (const T of [0.5, 1.2, 3]) {
      const viaThesis = Array.from(p, (x) => Math.pow(x, 1 / T));
      const sum = viaThesis.reduce((a, b) => a + b, 0);
      const ours = temperatureProbabilities(logits, T);
      viaThesis.forEach((x, i) => expect(ours[i]).toBeCloseTo(x / sum, 12));
    }
    // Low temperature sharpens, high flattens; huge logits do not overflow.
    expect(temperatureProbabilities(logits, 0.1)[4]).toBeGreaterThan(0.99);
    expect(Math.max(...temperatureProbabilities(logits, 100))).toBeLessThan(0.21);
    expect(temperatureProbabilities([1e4, 0], 0.01)[0]).toBe(1);
    expect(() => temperatureProbabilities(logits, 0)).toThrow(RangeError);
  });

  it('draws tokens with the stated frequencies', () => {
    const rng = createRng(1);
    const probs = [0.1, 0.6, 0.3];
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleIndex(probs, rng)]++;
    probs.forEach((p, i) => expect(Math.abs(counts[i] / 20000 - p)).toBeLessThan(0.015));
    expect(sampleToken([0, 50, 0], 1, createRng(2))).toBe(1);
  });
});

describe('per-pitch Bernoulli sampling', () => {
  it('sigmoid(logit/T) per pitch, sharpened by low and flattened by high temperatures, without overflow', () => {
    const logits = [2, 0, -1, 1e4, -1e4];
    const p = bernoulliProbabilities(logits, 1);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(p[1]).toBe(0.5);
    expect(p[2]).toBeCloseTo(1 / (1 + Math.exp(1)), 12);
    expect([p[3], p[4]]).toEqual([1, 0]);
    expect(bernoulliProbabilities([2], 0.25)[0]).toBeGreaterThan(0.99);
    expect(bernoulliProbabilities([2], 50)[0]).toBeLessThan(0.52);
    expect(() => bernoulliProbabilities(logits, -1)).toThrow(RangeError);
  });

  it('each pitch sounds with its own probability, independently, reproducibly for a seed', () => {
    const logits = [Math.log(0.2 / 0.8), 0, Math.log(0.9 / 0.1)];
    const rng = createRng(4);
    const counts = [0, 0, 0];
    let both = 0;
    const draws = 20000;
    for (let i = 0; i < draws; i++) {
      const frame = samplePitches(logits, 1, rng);
      expect(frame.every((x) => x === 0 || x === 1)).toBe(true);
      frame.forEach((x, j) => (counts[j] += x));
      both += frame[0] * frame[2];
    }
    [0.2, 0.5, 0.9].forEach((p, j) => expect(Math.abs(counts[j] / draws - p)).toBeLessThan(0.015));
    // Independence: P(pitch 0 and pitch 2) = 0.2 * 0.9.
    expect(Math.abs(both / draws - 0.18)).toBeLessThan(0.015);
    expect(samplePitches(logits, 1, createRng(9))).toEqual(samplePitches(logits, 1, createRng(9)));
  });

  it('sampleStep asks the encoding registry: a token for melody-130, a frame for piano-roll-128', () => {
    const logits = new Float32Array(128).fill(-30);
    logits[60] = 30;
    expect(sampleStep({ encoding: 'melody-130' }, logits, 1, createRng(1))).toBe(60);
    const frame = sampleStep({ encoding: 'piano-roll-128' as 'melody-130' }, logits, 1, createRng(1));
    expect(frame).toBeInstanceOf(Float32Array);
    expect(Array.from(frame as Float32Array).flatMap((x, i) => (x ? [i] : []))).toEqual([60]);
    expect(() => sampleStep({ encoding: 'midi-like' as 'melody-130' }, logits, 1, createRng(1))).toThrow(
      /does not know the encoding "midi-like"/,
    );
  });
});

describe('stateful generation', () => {
  let wasm: Engine;
  let ref: Engine;
  beforeAll(async () => {
    wasm = await createWasmEngine({ threads: 1 });
    ref = await createTfjsEngine('cpu');
  });
  afterAll(async () => {
    await wasm?.dispose();
  });

  it('same seed + settings + weights -> the same notes twice and on both engines; another seed differs', async () => {
    const weights = initWeights(spec, 5);
    const a = await wasm.createModel(spec, training, weights);
    const b = await ref.createModel(spec, training, weights);
    const options = {
      seedTokens: seedTokensFromPitches([60, 64, 67]),
      bars: 2,
      temperature: 1.2,
      variations: 3,
      randomSeed: 7,
    };
    const first = await generateMelodies(a.createDecoder(), options);
    const again = await generateMelodies(a.createDecoder(), options);
    const onTfjs = await generateMelodies(b.createDecoder(), options);
    expect(first.map((m) => m.tokens)).toEqual(again.map((m) => m.tokens));
    expect(onTfjs.map((m) => m.tokens)).toEqual(first.map((m) => m.tokens));
    for (const m of first) {
      expect(m.tokens).toHaveLength(32);
      expect(m.tokens.slice(0, 12)).toEqual(options.seedTokens);
      const notes = decodeMelody(m.tokens, { ppq: 480, bpm: 100 }).tracks[0].notes;
      expect(notes.length).toBeGreaterThan(3);
    }
    // Variations differ from each other, and variation k does not depend on how many were asked.
    expect(first[1].tokens).not.toEqual(first[0].tokens);
    expect((await generateMelodies(a.createDecoder(), { ...options, variations: 1 }))[0].tokens).toEqual(
      first[0].tokens,
    );
    const other = await generateMelodies(a.createDecoder(), { ...options, randomSeed: 8 });
    expect(other.map((m) => m.tokens)).not.toEqual(first.map((m) => m.tokens));
    a.dispose();
    b.dispose();
  });

  it('re-samples degenerate variations up to maxRetries and says so', async () => {
    // A decoder that (almost) always predicts "no event": every try is one held note / silence.
    const holdForever: Decoder = {
      reset() {},
      async step() {
        const logits = new Float32Array(130);
        logits[129] = 50;
        return logits;
      },
      dispose() {},
    };
    const [m] = await generateMelodies(holdForever, {
      seedTokens: [60],
      bars: 2,
      temperature: 1,
      variations: 1,
      randomSeed: 1,
      maxRetries: 2,
    });
    expect(m.retries).toBe(2);
    expect(m.rejected).toHaveLength(2);
    expect(m.degenerate).toMatch(/repeats one token/);
    expect(findDegeneracy([60, 128, ...Array(40).fill(129), 62], 1, 2)).toMatch(/silent for 2\.6 bars/);
    expect(findDegeneracy([60, 129, 62, 129, 128, 64], 1, 2)).toBeUndefined();
  });

  it('stops at the next generated token once the signal fires (CancelledError, no further decoder step)', async () => {
    const controller = new AbortController();
    let steps = 0;
    const counting: Decoder = {
      reset() {},
      async step() {
        steps++;
        if (steps === 10) controller.abort();
        return new Float32Array(130);
      },
      dispose() {},
    };
    await expect(
      generateMelodies(counting, {
        seedTokens: [60, 129, 129, 129],
        bars: 8,
        temperature: 1,
        variations: 3,
        randomSeed: 1,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ name: 'CancelledError' });
    expect(steps).toBe(10);
  });

  it('refuses a seed that fills the requested bars, and bad seed pitches', async () => {
    const d: Decoder = { reset() {}, step: async () => new Float32Array(130), dispose() {} };
    await expect(
      generateMelodies(d, { seedTokens: Array(16).fill(60), bars: 1, temperature: 1, variations: 1, randomSeed: 1 }),
    ).rejects.toThrow(GenerationError);
    expect(() => seedTokensFromPitches([128])).toThrow(/within \[0, 127\]/);
    expect(seedTokensFromPitches([60])).toEqual([60, 129, 129, 129]);
  });
});
