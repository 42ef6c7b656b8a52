// SPDX-License-Identifier: MIT
/**
 * A small seeded PRNG (mulberry32 algorithm, public domain idea, written here) so that weight
 * initialisation, data shuffling and sampling are reproducible on every engine and OS.
 * Never use Math.random in the core: results must follow from `randomSeed` alone.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Shuffles in place (Fisher-Yates) and returns the array. */
  shuffle<T>(items: T[]): T[];
  /** A new independent generator derived from this one's stream. */
  fork(): Rng;
}

/** Creates a generator from any integer seed (same seed, same stream, everywhere). */
export function createRng(randomSeed: number): Rng {
  let state = (Math.floor(randomSeed) ^ 0x9e3779b9) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      let u = next();
      while (u <= 1e-12) u = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
    fork: () => createRng(Math.floor(next() * 4294967296)),
  };
  return rng;
}
