// SPDX-License-Identifier: MIT
// A polyphonic model of fewer pitches than the frame (eval:poly's default: the keys the training split sounds) is
// scored over the whole frame: its own distribution over its pitches times a fixed Bernoulli per pitch outside them.
import { describe, expect, it } from 'vitest';
import type { RollPiece } from '../../src/core/data/polyBenchmark';
import { cropRoll, soundingSpan } from '../../src/core/data/rollRange';
import { bernoulliScorer, type PieceScorer, rangedScorer } from '../../src/core/model/polyMetrics';

const piece = (name: string, pitches: number, frames: number[][]): RollPiece => {
  const roll = new Float32Array(frames.length * pitches);
  frames.forEach((f, t) => f.forEach((p) => (roll[t * pitches + p] = 1)));
  return { name, frames: frames.length, pitches, roll };
};

describe('pitch ranges of piano rolls', () => {
  it('finds the lowest to the highest sounding pitch over all pieces, and none in silence', () => {
    const a = piece('a', 10, [[3], [], [5, 4]]);
    const b = piece('b', 10, [[7], [6]]);
    expect(soundingSpan([a, b])).toEqual({ from: 3, count: 5 });
    expect(soundingSpan([piece('c', 10, [[], []])])).toBeUndefined();
  });

  it('cuts each frame down to the span and refuses a span beyond the frame', () => {
    const a = piece('a', 6, [
      [0, 2, 3],
      [4, 5],
    ]);
    const c = cropRoll(a, { from: 2, count: 3 });
    expect(c.pitches).toBe(3);
    expect(c.frames).toBe(2);
    expect(Array.from(c.roll)).toEqual([1, 1, 0, 0, 0, 1]);
    expect(Array.from(a.roll)).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(() => cropRoll(a, { from: 4, count: 3 })).toThrow(/4\.\.6 must lie within the piece's 6 pitches/);
  });

  it('scores a model of its span and a Bernoulli outside exactly as one Bernoulli over the whole frame', async () => {
    const probs = [0.1, 0.3, 0.6, 0.2, 0.05];
    const span = { from: 1, count: 3 };
    const inner = bernoulliScorer(probs.slice(1, 4));
    const outside = probs.map((p, i) => (i >= 1 && i < 4 ? 0.5 : p));
    const a = piece('a', 5, [[0, 2], [4], [1, 2, 3], []]);
    const ranged = await rangedScorer(inner, span, outside)(a);
    expect(ranged).toBeCloseTo(await bernoulliScorer(probs)(a), 10);
    // A note outside the span costs -log of its outside probability, whatever the model says of its own pitches.
    const withLow = await rangedScorer(inner, span, outside)(piece('b', 5, [[0]]));
    const without = await rangedScorer(inner, span, outside)(piece('c', 5, [[]]));
    expect(withLow - without).toBeCloseTo(Math.log(0.9) - Math.log(0.1), 10);
  });

  it('gives probabilities that sum to 1 over all 32 frames of 5 pitches with a non-independent model of 2', async () => {
    // The model of pitches 2..3: a fixed table over the 4 frames of its span, far from independent pitches.
    const table = [0.5, 0.1, 0.1, 0.3];
    const model: PieceScorer = (p) => -Math.log(table[p.roll[0] + 2 * p.roll[1]]);
    const scorer = rangedScorer(model, { from: 2, count: 2 }, [0.2, 0.7, 0.5, 0.5, 0.01]);
    let total = 0;
    for (let code = 0; code < 32; code++) {
      const frame = [0, 1, 2, 3, 4].filter((p) => (code >> p) & 1);
      total += Math.exp(-(await scorer(piece('x', 5, [frame]))));
    }
    expect(total).toBeCloseTo(1, 12);
  });

  it('refuses an outside Bernoulli of another width than the frame', async () => {
    const scorer = rangedScorer(bernoulliScorer([0.5]), { from: 0, count: 1 }, [0.5, 0.5]);
    await expect(scorer(piece('a', 3, [[0]]))).rejects.toThrow(/2 pitches, the piece 3/);
  });
});
