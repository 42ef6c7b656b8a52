// SPDX-License-Identifier: MIT
/**
 * Sampling the next step from a decoder's scores, with a temperature:
 * - categorical (token models, the thesis): probabilities p^(1/T), renormalised. That equals softmax(logits / T),
 *   which is how it is computed here (in float64, max-subtracted, so T = 0.1 cannot overflow);
 * - per-pitch Bernoulli (frame models): each pitch sounds independently with probability sigmoid(logit / T).
 * `sampleStep` picks the one a spec's encoding needs (../encoding/registry.ts), so callers need not switch on kinds.
 */
import type { Rng } from '../util/random';
import type { DecoderInput } from '../engine/types';
import { getEncoding } from '../encoding/registry';
import type { ModelSpec } from './spec';

function checkTemperature(temperature: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new RangeError(`temperature must be a positive number, got: ${temperature}`);
}

/** softmax(logits / temperature) in float64. */
export function temperatureProbabilities(logits: ArrayLike<number>, temperature: number): Float64Array {
  checkTemperature(temperature);
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

/**
 * softmax(logits / temperature + bias) in float64: the bias is added after the temperature, so a bias of log(q) keeps
 * q of a token's probability (before renormalising) at every temperature; -Infinity removes the token. At least one
 * token must keep a finite bias.
 * @throws RangeError for a bad temperature, a bias of another length, or a bias that removes every token.
 */
export function biasedProbabilities(
  logits: ArrayLike<number>,
  temperature: number,
  bias: ArrayLike<number>,
): Float64Array {
  checkTemperature(temperature);
  const n = logits.length;
  if (bias.length !== n) throw new RangeError(`bias has ${bias.length} entries for ${n} logits`);
  const scaled = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    scaled[i] = logits[i] / temperature + bias[i];
    if (scaled[i] > max) max = scaled[i];
  }
  if (max === -Infinity) throw new RangeError('the bias removes every token');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    scaled[i] = Math.exp(scaled[i] - max);
    sum += scaled[i];
  }
  for (let i = 0; i < n; i++) scaled[i] /= sum;
  return scaled;
}

/**
 * One draw from softmax(logits / temperature), or from {@link biasedProbabilities} when a bias is given. Without a
 * bias this is exactly the sampler of old (same arithmetic, one draw of `rng`).
 */
export function sampleToken(
  logits: ArrayLike<number>,
  temperature: number,
  rng: Rng,
  bias?: ArrayLike<number>,
): number {
  return sampleIndex(
    bias ? biasedProbabilities(logits, temperature, bias) : temperatureProbabilities(logits, temperature),
    rng,
  );
}

/**
 * Per-pitch probabilities sigmoid(logit / temperature) in float64 (written so that large |logit| cannot overflow).
 * @throws RangeError for a temperature that is not a positive finite number.
 */
export function bernoulliProbabilities(logits: ArrayLike<number>, temperature: number): Float64Array {
  checkTemperature(temperature);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i] / temperature;
    if (x >= 0) out[i] = 1 / (1 + Math.exp(-x));
    else {
      const e = Math.exp(x);
      out[i] = e / (1 + e);
    }
  }
  return out;
}

/**
 * One pitch's probability of sounding: sigmoid(logit / temperature + bias), float64, stable for large |x|. A bias of
 * -Infinity gives 0 (a locked-out pitch never sounds); a bias b multiplies the pitch's odds by e^b.
 */
export function biasedBernoulli(logit: number, temperature: number, bias = 0): number {
  checkTemperature(temperature);
  const x = logit / temperature + bias;
  if (x === -Infinity) return 0;
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * One draw of a multi-hot frame: pitch i sounds (1) when the i-th uniform draw of `rng` falls below
 * sigmoid(logits[i] / temperature), else 0. Exactly logits.length draws, in pitch order, so a frame's draws never
 * depend on another frame's outcome.
 */
export function samplePitches(logits: ArrayLike<number>, temperature: number, rng: Rng): Float32Array {
  const probs = bernoulliProbabilities(logits, temperature);
  const frame = new Float32Array(probs.length);
  for (let i = 0; i < probs.length; i++) frame[i] = rng.next() < probs[i] ? 1 : 0;
  return frame;
}

/**
 * The next decoder input from its scores, sampled the way the spec's encoding needs: a token (categorical) for token
 * encodings, a multi-hot frame (per-pitch Bernoulli) for frame encodings.
 * @throws UnknownEncodingError for an encoding this Etude does not know.
 */
export function sampleStep(
  spec: Pick<ModelSpec, 'encoding'>,
  logits: ArrayLike<number>,
  temperature: number,
  rng: Rng,
): DecoderInput {
  return getEncoding(spec.encoding).input === 'frames'
    ? samplePitches(logits, temperature, rng)
    : sampleToken(logits, temperature, rng);
}
