// SPDX-License-Identifier: MIT
/**
 * Sampling the next token with a temperature, as the thesis: probabilities p^(1/T), renormalised. That equals
 * softmax(logits / T), which is how it is computed here (in float64, max-subtracted, so T = 0.1 cannot overflow).
 */
import type { Rng } from '../util/random';

/** softmax(logits / temperature) in float64. */
export function temperatureProbabilities(logits: ArrayLike<number>, temperature: number): Float64Array {
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new RangeError(`temperature must be a positive number, got: ${temperature}`);
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    probs[i] = Math.exp((logits[i] - max) / temperature);
    sum += probs[i];
  }
  for (let i = 0; i < n; i++) probs[i] /= sum;
  return probs;
}

/** Picks an index from a probability vector with one uniform draw of `rng` (inverse CDF). */
export function sampleIndex(probs: ArrayLike<number>, rng: Rng): number {
  const u = rng.next();
  let acc = 0;
  for (let i = 0; i < probs.length; i++) {
    acc += probs[i];
    if (u < acc) return i;
  }
  // Rounding left the cumulative sum a hair under 1: take the last token with non-zero probability.
  for (let i = probs.length - 1; i >= 0; i--) if (probs[i] > 0) return i;
  return probs.length - 1;
}

/** One draw from softmax(logits / temperature). */
export function sampleToken(logits: ArrayLike<number>, temperature: number, rng: Rng): number {
  return sampleIndex(temperatureProbabilities(logits, temperature), rng);
}
