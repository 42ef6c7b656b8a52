// SPDX-License-Identifier: MIT
// The round/median/spread logic shared by bench:engine and bench:poly (scripts/lib/abRounds.ts). No benchmark runs.
import { describe, expect, it } from 'vitest';
import {
  firstInRound,
  formatRatio,
  median,
  quantile,
  roundsFlag,
  runAbRounds,
  spread,
  summarizePairs,
} from '../../scripts/lib/abRounds';

describe('abRounds statistics', () => {
  it('median of odd and even counts, unsorted input left alone', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('quartiles interpolate linearly (numpy default)', () => {
    // numpy.percentile([1, 2, 3, 4], [25, 75]) == [1.75, 3.25]
    expect(quantile([4, 3, 2, 1], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile([1, 2, 3, 4], 0.75)).toBeCloseTo(3.25, 12);
    expect(quantile([1, 2, 3], 0.25)).toBeCloseTo(1.5, 12);
    expect(spread([2, 9, 4, 1, 7])).toEqual({ median: 4, min: 1, max: 9, q1: 2, q3: 7 });
  });

  it('ratio per round ours/peer, median of the ratios (not the ratio of the medians), rounds without a peer left out', () => {
    const results = [
      { round: 1, setting: 1, first: 'ours' as const, ours: 300, peer: 200 }, // 1.5
      { round: 2, setting: 1, first: 'peer' as const, ours: 100, peer: 100 }, // 1.0
      { round: 3, setting: 1, first: 'ours' as const, ours: 240, peer: 200 }, // 1.2
      { round: 4, setting: 1, first: 'peer' as const, ours: 999, peer: undefined },
    ];
    const s = summarizePairs(results, (x) => x);
    expect(s.rounds).toBe(3);
    expect(s.ratios).toEqual([1.5, 1, 1.2]);
    expect(s.ratio.median).toBeCloseTo(1.2, 12);
    expect(s.ratio.min).toBe(1);
    expect(s.ratio.max).toBe(1.5);
    expect(s.ratio.q1).toBeCloseTo(1.1, 12);
    expect(s.ratio.q3).toBeCloseTo(1.35, 12);
    // medians of each side: 240 / 200 = 1.2 here too, but by coincidence of the data only
    expect(s.ours.median).toBe(240);
    expect(s.peer.median).toBe(200);
    expect(formatRatio(s)).toBe('median 1.20 (min-max 1.00-1.50, IQR 1.10-1.35, 3 rounds)');
  });

  it('median ratio differs from the ratio of medians when the load moves both sides', () => {
    const results = [
      { round: 1, setting: 't', first: 'ours' as const, ours: { ms: 10 }, peer: { ms: 10 } },
      { round: 2, setting: 't', first: 'peer' as const, ours: { ms: 40 }, peer: { ms: 20 } },
      { round: 3, setting: 't', first: 'ours' as const, ours: { ms: 30 }, peer: { ms: 30 } },
    ];
    const s = summarizePairs(results, (x) => x.ms);
    expect(s.ratio.median).toBe(1);
    expect(s.ours.median / s.peer.median).toBe(1.5);
  });

  it('alternates who goes first per round and keeps each setting a back-to-back pair', async () => {
    expect([1, 2, 3, 4].map(firstInRound)).toEqual(['ours', 'peer', 'ours', 'peer']);
    const log: string[] = [];
    const seen: number[] = [];
    const results = await runAbRounds({
      rounds: 3,
      settings: [1, 2],
      ours: (t, r) => (log.push(`o${t}r${r}`), 10 * t),
      peer: async (t, r) => (log.push(`p${t}r${r}`), 5 * t),
      onPair: (x) => seen.push(x.round),
    });
    expect(log).toEqual([
      'o1r1',
      'p1r1',
      'o2r1',
      'p2r1',
      'p1r2',
      'o1r2',
      'p2r2',
      'o2r2',
      'o1r3',
      'p1r3',
      'o2r3',
      'p2r3',
    ]);
    expect(seen).toEqual([1, 1, 2, 2, 3, 3]);
    expect(summarizePairs(results, (x) => x).ratios).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it('--rounds, --quick and the default', () => {
    expect(roundsFlag(['--rounds', '4'], 5, 2)).toBe(4);
    expect(roundsFlag(['--quick'], 5, 2)).toBe(2);
    expect(roundsFlag([], 5, 2)).toBe(5);
    expect(() => roundsFlag(['--rounds', '0'], 5, 2)).toThrow(/positive whole number/);
  });
});
