// SPDX-License-Identifier: MIT
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleIndex, sampleToken, temperatureProbabilities } from '../../src/core/model/sampler';
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
import type { Decoder, Engine } from '../../src/core/engine/types';
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
    const first = generateMelodies(a.createDecoder(), options);
    const again = generateMelodies(a.createDecoder(), options);
    const onTfjs = generateMelodies(b.createDecoder(), options);
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
    expect(generateMelodies(a.createDecoder(), { ...options, variations: 1 })[0].tokens).toEqual(first[0].tokens);
    const other = generateMelodies(a.createDecoder(), { ...options, randomSeed: 8 });
    expect(other.map((m) => m.tokens)).not.toEqual(first.map((m) => m.tokens));
    a.dispose();
    b.dispose();
  });

  it('re-samples degenerate variations up to maxRetries and says so', () => {
    // A decoder that (almost) always predicts "no event": every try is one held note / silence.
    const holdForever: Decoder = {
      reset() {},
      step() {
        const logits = new Float32Array(130);
        logits[129] = 50;
        return logits;
      },
      dispose() {},
    };
    const [m] = generateMelodies(holdForever, {
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

  it('refuses a seed that fills the requested bars, and bad seed pitches', () => {
    const d: Decoder = { reset() {}, step: () => new Float32Array(130), dispose() {} };
    expect(() =>
      generateMelodies(d, { seedTokens: Array(16).fill(60), bars: 1, temperature: 1, variations: 1, randomSeed: 1 }),
    ).toThrow(GenerationError);
    expect(() => seedTokensFromPitches([128])).toThrow(/within \[0, 127\]/);
    expect(seedTokensFromPitches([60])).toEqual([60, 129, 129, 129]);
  });
});
