import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  lossPointFromProgress,
  progressFraction,
} from '../../src/renderer/src/lib/stores/progressView';

const base = { phase: 'epoch', current: 0, total: 0 };

describe('loss points from training progress', () => {
  it('places step losses at fractional epochs', () => {
    expect(lossPointFromProgress({ ...base, epoch: 3, step: 25, stepsPerEpoch: 100, loss: 1.5 })).toEqual({
      epochPosition: 2.25,
      loss: 1.5,
      valLoss: undefined,
    });
  });

  it('ignores the validation loss repeated on step events and keeps it at the epoch end', () => {
    expect(
      lossPointFromProgress({ ...base, epoch: 3, step: 25, stepsPerEpoch: 100, loss: 1.5, valLoss: 1.7 })?.valLoss,
    ).toBeUndefined();
    expect(lossPointFromProgress({ ...base, phase: 'epoch done', epoch: 3, loss: 1.4, valLoss: 1.6 })).toEqual({
      epochPosition: 3,
      loss: 1.4,
      valLoss: 1.6,
    });
  });

  it("keeps the weight average's validation loss at the epoch end, beside the weights'", () => {
    expect(
      lossPointFromProgress({ ...base, phase: 'epoch done', epoch: 2, loss: 1.4, valLoss: 1.6, averageValLoss: 1.55 }),
    ).toEqual({ epochPosition: 2, loss: 1.4, valLoss: 1.6, averageValLoss: 1.55 });
    expect(
      lossPointFromProgress({ ...base, epoch: 3, step: 5, stepsPerEpoch: 10, loss: 1.3, averageValLoss: 1.55 }),
    ).not.toHaveProperty('averageValLoss');
  });

  it('adds nothing for events without losses', () => {
    expect(lossPointFromProgress({ ...base, phase: 'preparing windows' })).toBeNull();
    expect(lossPointFromProgress({ ...base, epoch: 1, step: 1, stepsPerEpoch: 2, valLoss: 2 })).toBeNull();
  });
});

describe('progress text', () => {
  it('formats durations in the largest sensible units', () => {
    expect(formatDuration(42_400)).toBe('42 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatDuration(-5)).toBe('0 s');
  });

  it('gives a clamped fraction, or null when the total is unknown', () => {
    expect(progressFraction({ ...base, current: 1, total: 4 })).toBe(0.25);
    expect(progressFraction({ ...base, current: 9, total: 4 })).toBe(1);
    expect(progressFraction({ ...base, current: 3, total: 0 })).toBeNull();
    expect(progressFraction(null)).toBeNull();
  });
});
