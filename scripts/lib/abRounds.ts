// SPDX-License-Identifier: MIT
/**
 * Rounds for side-by-side benchmarks (bench:engine, bench:poly): this machine is shared and its load drifts, so ours
 * and the peer are measured in alternation, round after round, and only per-round ratios ours / peer are trusted.
 *
 * Order: every round measures each setting (e.g. 1 thread, then 2 threads) as a pair, ours and the peer back to back;
 * odd rounds run ours first, even rounds the peer first (ours, peer | peer, ours | ours, peer ...), so a slow drift of
 * the load and any first-runner effect (a cold cache, a CPU that has just cooled down) hit both sides equally.
 *
 * Statistics: per round the ratio ours / peer of the two back-to-back figures; over the rounds its median and its
 * spread (min-max and the interquartile range, quartiles by linear interpolation like numpy's default). The median of
 * the per-round ratios is printed, not the ratio of the medians: each ratio is taken under one load.
 */

export type Side = 'ours' | 'peer';

/** One setting's pair in one round. `peer` is undefined when the peer could not run. */
export interface RoundResult<S, T> {
  round: number;
  setting: S;
  first: Side;
  ours: T;
  peer: T | undefined;
}

/** Spread of a set of figures. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
}

/** Summary of one metric for one setting over the rounds. */
export interface PairSummary {
  rounds: number;
  ours: Spread;
  peer: Spread;
  /** ours / peer per round, in round order. */
  ratios: number[];
  ratio: Spread;
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Quantile q in [0, 1] by linear interpolation between order statistics (numpy's default); NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}

export function spread(xs: readonly number[]): Spread {
  return {
    median: median(xs),
    min: xs.length ? Math.min(...xs) : NaN,
    max: xs.length ? Math.max(...xs) : NaN,
    q1: quantile(xs, 0.25),
    q3: quantile(xs, 0.75),
  };
}

/** Who runs first in a round (1-based): ours in odd rounds, the peer in even ones. */
export function firstInRound(round: number): Side {
  return round % 2 === 1 ? 'ours' : 'peer';
}

/** Per-round ratios ours / peer of one metric, over the rounds where both sides ran, and their summary. */
export function summarizePairs<S, T>(results: readonly RoundResult<S, T>[], metric: (t: T) => number): PairSummary {
  const both = results.filter((r) => r.peer !== undefined);
  const ours = both.map((r) => metric(r.ours));
  const peer = both.map((r) => metric(r.peer as T));
  const ratios = ours.map((o, i) => o / peer[i]);
  return { rounds: both.length, ours: spread(ours), peer: spread(peer), ratios, ratio: spread(ratios) };
}

/**
 * Runs `rounds` rounds; in each, every setting in order, ours and the peer back to back (who goes first alternates by
 * round, see the file comment). `onPair` sees each pair as soon as it is measured (for per-round printing).
 */
export async function runAbRounds<S, T>(options: {
  rounds: number;
  settings: readonly S[];
  ours: (setting: S, round: number) => T | Promise<T>;
  peer: (setting: S, round: number) => T | undefined | Promise<T | undefined>;
  onPair?: (result: RoundResult<S, T>) => void;
}): Promise<RoundResult<S, T>[]> {
  const results: RoundResult<S, T>[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const setting of options.settings) {
      const first = firstInRound(round);
      let ours: T;
      let peer: T | undefined;
      if (first === 'ours') {
        ours = await options.ours(setting, round);
        peer = await options.peer(setting, round);
      } else {
        peer = await options.peer(setting, round);
        ours = await options.ours(setting, round);
      }
      const result = { round, setting, first, ours, peer };
      results.push(result);
      options.onPair?.(result);
    }
  }
  return results;
}

/** "median 1.28 (min-max 1.20-1.35, IQR 1.25-1.31, 5 rounds)". */
export function formatRatio(summary: PairSummary, digits = 2): string {
  const f = (x: number) => x.toFixed(digits);
  const r = summary.ratio;
  return `median ${f(r.median)} (min-max ${f(r.min)}-${f(r.max)}, IQR ${f(r.q1)}-${f(r.q3)}, ${summary.rounds} round${summary.rounds === 1 ? '' : 's'})`;
}

/** --rounds N (a positive integer), else `quick` with --quick, else `fallback`. */
export function roundsFlag(argv: readonly string[], fallback: number, quick: number): number {
  const i = argv.indexOf('--rounds');
  if (i >= 0) {
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--rounds wants a positive whole number, not ${argv[i + 1]}`);
    return n;
  }
  return argv.includes('--quick') ? quick : fallback;
}
