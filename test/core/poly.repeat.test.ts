// SPDX-License-Identifier: MIT
// The repeat input of the polyphonic models (src/core/model/repeatMatch.ts, polyLstmSpec `repeatContext`): the
// matcher's candidates, the same input in training segments and in the decoder, and the models' promises kept with
// it (an exact frame likelihood: causal, summing to 1, the training loss equal to the decoder's score).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, TrainableModel } from '../../src/core/engine/engine';
import type { FrameBatch } from '../../src/core/engine/types';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { buildFrameSegments, isPolyDecoder } from '../../src/core/model/polyLstm';
import {
  featureCount,
  polyConditionDim,
  polyLstmSpecProblem,
  polyLstmTensors,
  type PolyLstmSpec,
} from '../../src/core/model/polyLstmSpec';
import { REPEAT_RUN_CAP, RepeatMatcher, repeatCandidates } from '../../src/core/model/repeatMatch';
import type { ModelSpec } from '../../src/core/model/spec';
import { createRng } from '../../src/core/util/random';
import { frameLogProb, tinyPolySpec } from './helpers/engineCompare';

const P = 6;
/** Frames from their sounding pitches: frame(0, 2) sounds pitches 0 and 2 of 6. */
const frame = (...on: number[]) => Float32Array.from({ length: P }, (_, p) => (on.includes(p) ? 1 : 0));
const rollOf = (frames: Float32Array[]) => {
  const out = new Float32Array(frames.length * P);
  frames.forEach((f, t) => out.set(f, t * P));
  return out;
};

describe('the repeat matcher', () => {
  const A = frame(0);
  const B = frame(1, 3);
  const C = frame(2);
  const D = frame(5);
  const E = frame();

  it('gives, after a context heard before, the frame that followed it then, and how far the match reaches', () => {
    // A B C D A B | ? : the context "A B" was followed by C at index 2, and the match is those 2 frames only.
    const roll = rollOf([A, B, C, D, A, B, E, A, B, C]);
    const { at, run } = repeatCandidates(roll, 10, P, 2);
    // Nothing until a context of 2 frames has been heard twice.
    expect(Array.from(at.subarray(0, 6))).toEqual([-1, -1, -1, -1, -1, -1]);
    expect([at[6], run[6]]).toEqual([2, 2]);
    // "B E" is new: no candidate for the frame after it; then "A B" again, whose latest occurrence ended at 6.
    expect(at[7]).toBe(-1);
    expect(at[8]).toBe(-1);
    expect([at[9], run[9]]).toEqual([6, 2]);
  });

  it('counts a longer match up to the cap, and always takes the latest occurrence', () => {
    const section = [A, B, C, D, E, C, B];
    const roll = rollOf([...section, ...section, ...section]);
    const { at, run } = repeatCandidates(roll, 21, P, 2);
    // Frame 9 (C) follows "A B" (7, 8), last heard at 0, 1 and followed by frame 2; the match is 2 frames long.
    expect([at[9], run[9]]).toEqual([2, 2]);
    // Frame 13 follows a match of 6 frames (7..12 against 0..5).
    expect([at[13], run[13]]).toEqual([6, 6]);
    // In the third section the latest occurrence is the second's, and the match reaches back a whole section.
    expect([at[20], run[20]]).toEqual([13, 13]);
    const long = rollOf(Array.from({ length: 200 }, (_, t) => frame(t % 7 === 0 ? 0 : 1)));
    expect(Math.max(...repeatCandidates(long, 200, P, 3).run)).toBe(REPEAT_RUN_CAP);
  });

  it('is the same one frame at a time as over a whole piece', () => {
    const rng = createRng(3);
    const frames = Array.from({ length: 60 }, () => [A, B, C, D][rng.int(4)]);
    const whole = repeatCandidates(rollOf(frames), 60, P, 3);
    const matcher = new RepeatMatcher(3, P);
    frames.forEach((f, t) => {
      expect(matcher.candidate().at).toBe(whole.at[t]);
      expect(matcher.candidate().run).toBe(whole.run[t]);
      matcher.push(f);
    });
    expect(whole.at.some((s) => s >= 0)).toBe(true);
    expect(() => new RepeatMatcher(0, P)).toThrow(RangeError);
  });
});

describe('a spec with the repeat input', () => {
  it('reads 3 more features per pitch, and a condition of the candidate frame and its run', () => {
    const plain = tinyPolySpec('bi-lstm');
    const spec = { ...plain, repeatContext: 4 };
    expect(featureCount(spec)).toBe(featureCount(plain) + 3);
    expect(polyConditionDim(spec)).toBe(polyConditionDim(plain) + P + 1);
    const rows = (s: PolyLstmSpec, name: string) => polyLstmTensors(s).find((t) => t.name === name)!.shape[0];
    expect(rows(spec, 'lstm_time_1/kernel')).toBe(rows(plain, 'lstm_time_1/kernel') + 3);
    expect(rows(spec, 'lstm_back_1/kernel')).toBe(rows(plain, 'lstm_back_1/kernel') + 3);
    expect(polyLstmSpecProblem({ ...spec })).toBeUndefined();
    for (const bad of [-1, 65, 2.5, '4'])
      expect(polyLstmSpecProblem({ ...plain, repeatContext: bad })).toMatch(
        /^its repeatContext must be an integer within \[0, 64\], got: /,
      );
  });

  it('gives a segment the candidates found over its whole piece, shifted with the piece', () => {
    const spec = { ...tinyPolySpec('biaxial-lstm'), repeatContext: 2, segment: 3 };
    const A = frame(0);
    const B = frame(1, 3);
    const C = frame(2);
    // Segments start at 0, 3 and 6 (the last aligned to the end): frame 6 follows "A B" (4, 5), heard at 0, 1.
    const roll = rollOf([A, B, C, C, A, B, C, A, B]);
    const set = buildFrameSegments(spec, [{ name: 'x', tokens: roll }], [0, 1]);
    const dim = polyConditionDim(spec);
    const repeatAt = spec.beatsPerBar;
    const third = [...Array(set.size).keys()].filter((i) => set.at(i).start === 6);
    expect(third.map((i) => set.at(i).shift)).toEqual([0, 1]);
    for (const i of third) {
      const { shift } = set.at(i);
      const cond = (set.batch([i], 0, 1) as unknown as FrameBatch).condition!.values;
      // The segment's first frame (6) repeats frame 2, C (pitch 2), moved up by the shift; the run is 2 frames.
      expect(Array.from(cond.subarray(repeatAt, repeatAt + P))).toEqual(Array.from(frame(2 + shift)));
      expect(cond[repeatAt + P]).toBeCloseTo(2 / REPEAT_RUN_CAP, 6);
      // Its second frame (7) follows "B C", heard before at 1, 2 and followed then by C (frame 3).
      expect(Array.from(cond.subarray(dim + repeatAt, dim + repeatAt + P))).toEqual(Array.from(frame(2 + shift)));
    }
  });
});

describe.each(['biaxial-lstm', 'bi-lstm'] as const)('%s with the repeat input', (kind) => {
  const spec: PolyLstmSpec = { ...tinyPolySpec(kind), repeatContext: 2 };
  let engine: Engine;
  let model: TrainableModel;
  const decoder = () => {
    const d = model.createDecoder();
    if (!isPolyDecoder(d)) throw new Error('not a poly decoder');
    return d;
  };
  /** A piece that repeats itself: 5 random frames, twice, then 2 more. */
  const repeating = (seed: number) => {
    const rng = createRng(seed);
    const section = Array.from({ length: 5 }, () => Float32Array.from({ length: P }, () => (rng.next() < 0.4 ? 1 : 0)));
    return rollOf([...section, ...section, section[0], section[1]]);
  };
  beforeAll(async () => {
    engine = await createWasmEngine({ threads: 1, adaptiveThreads: false });
    model = await engine.createModel(spec as unknown as ModelSpec, { learningRate: 0.01, clipNorm: 5, randomSeed: 5 });
  });
  afterAll(async () => {
    model.dispose();
    await engine.dispose();
  });

  it('the training loss over a piece equals the decoder-scored NLL', async () => {
    const roll = repeating(1);
    const frames = roll.length / P;
    const set = buildFrameSegments({ ...spec, segment: frames }, [{ name: 'x', tokens: roll }]);
    const loss = await model.evaluate(set.batch([0], 0, 1));
    const d = decoder();
    const logits = await d.scoreFrames(roll, frames);
    let nll = 0;
    for (let t = 0; t < frames; t++) nll -= frameLogProb(logits, roll, P, t * P);
    d.dispose();
    expect(Math.abs(loss - nll / frames)).toBeLessThan(1e-4 * Math.max(1, nll / frames));
  });

  it('is causal: changing frames at or after t, or pitches above p in frame t, changes nothing before them', async () => {
    const roll = repeating(2);
    const frames = roll.length / P;
    const d = decoder();
    const base = await d.scoreFrames(roll, frames);
    // Frame 7 follows a context heard before: change what comes after its pitch 2.
    const t = 7;
    const pAt = 2;
    const changed = roll.slice();
    for (let i = t * P + pAt + 1; i < changed.length; i++) changed[i] = 1 - changed[i];
    d.reset();
    const after = await d.scoreFrames(changed, frames);
    d.dispose();
    for (let i = 0; i <= t * P + pAt; i++) expect(after[i]).toBe(base[i]);
    let moved = 0;
    for (let i = t * P + pAt + 2; i < base.length; i++) moved = Math.max(moved, Math.abs(after[i] - base[i]));
    expect(moved).toBeGreaterThan(1e-4);
  });

  it('the probabilities of all 64 frames of 6 pitches sum to 1 after a past that repeats', async () => {
    const past = repeating(3).subarray(0, 7 * P);
    let total = 0;
    for (let code = 0; code < 1 << P; code++) {
      const x = Float32Array.from({ length: P }, (_, p) => (code >> p) & 1);
      const d = decoder();
      await d.scoreFrames(past, 7);
      total += Math.exp(frameLogProb(await d.step(x), x, P));
      d.dispose();
    }
    expect(Math.abs(total - 1)).toBeLessThan(1e-5);
  });

  it('reads the repeat input: without it the same batch scores otherwise (and the decoder, equal above, reads it too)', async () => {
    const roll = repeating(4);
    const frames = roll.length / P;
    const batch = buildFrameSegments({ ...spec, segment: frames }, [{ name: 'x', tokens: roll }]).batch(
      [0],
      0,
      1,
    ) as unknown as FrameBatch;
    const values = batch.condition!.values;
    const dim = polyConditionDim(spec);
    const repeatAt = spec.beatsPerBar;
    const withCandidates = [...Array(frames).keys()].filter((t) => values[t * dim + repeatAt + P] > 0);
    expect(withCandidates.length).toBeGreaterThan(3);
    const blank = values.slice();
    for (let t = 0; t < frames; t++) blank.fill(0, t * dim + repeatAt, t * dim + repeatAt + P + 1);
    const full = await model.evaluate(batch as never);
    const without = await model.evaluate({ ...batch, condition: { dim, values: blank } } as never);
    expect(Math.abs(full - without)).toBeGreaterThan(1e-4);
  });
});
