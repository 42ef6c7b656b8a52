// SPDX-License-Identifier: MIT
// The moving average of the weights over validations: its arithmetic, and the training setting that asks for it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING, trainingConfigProblem } from '../../src/core/model/spec';
import { averagedWeights } from '../../src/core/training/weightAverage';

const named = (a: number[], b: number[]) => ({ a: Float32Array.from(a), b: Float32Array.from(b) });

describe('the weight average', () => {
  it('starts as a copy of the first weights, then moves by (1 - decay) towards each new set', () => {
    const first = named([1, 2], [4]);
    const started = averagedWeights(undefined, first, 0.75);
    expect(Array.from(started.a)).toEqual([1, 2]);
    expect(started.a).not.toBe(first.a);
    const second = named([5, -2], [0]);
    const moved = averagedWeights(started, second, 0.75);
    // 0.75 × average + 0.25 × weights
    expect(Array.from(moved.a)).toEqual([2, 1]);
    expect(Array.from(moved.b)).toEqual([3]);
    // Neither input changed.
    expect(Array.from(started.a)).toEqual([1, 2]);
    expect(Array.from(second.a)).toEqual([5, -2]);
  });

  it("refuses an average of another model's tensors and a decay outside (0, 1)", () => {
    const w = named([1, 2], [4]);
    expect(() => averagedWeights({ a: Float32Array.from([1, 2]) }, w, 0.5)).toThrow(
      /has no tensor "b" of 1 values: it is of another model/,
    );
    expect(() => averagedWeights({ ...w, a: Float32Array.from([1]) }, w, 0.5)).toThrow(/no tensor "a" of 2 values/);
    for (const decay of [0, 1, -0.5, Number.NaN])
      expect(() => averagedWeights(undefined, w, decay)).toThrow(RangeError);
  });

  it('is a training setting in (0, 1), absent by default', () => {
    expect(DEFAULT_TRAINING.weightAverageDecay).toBeUndefined();
    expect(trainingConfigProblem({ ...DEFAULT_TRAINING })).toBeUndefined();
    expect(trainingConfigProblem({ ...DEFAULT_TRAINING, weightAverageDecay: 0.5 })).toBeUndefined();
    for (const decay of [0, 1, 1.5, '0.5', null])
      expect(trainingConfigProblem({ ...DEFAULT_TRAINING, weightAverageDecay: decay })).toMatch(
        /its weightAverageDecay must be a number above 0 and below 1, got: /,
      );
  });
});
