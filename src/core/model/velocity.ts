// SPDX-License-Identifier: MIT
/**
 * Learnt dynamics: the velocity-aware option of the melody model (spec.velocityBins, ./melodyLstmSpec.ts).
 *
 * Why bins and a second softmax, not a regression: a note's loudness is a choice among a few levels (accented or not,
 * a phrase's swell), often bimodal, which a mean-squared regression would average into one grey middle. A softmax over
 * bins keeps the modes apart and lets generation's temperature act on velocities as it does on notes.
 *
 * The bins are equal-count (quantile) bins of the corpus' melody velocities, so every bin is used where the corpus
 * is; each bin is written back at the mean velocity of the corpus notes in it (never 0: MIDI velocity 0 is a
 * note-off). Edges and centres are stored in the spec, so a checkpoint decodes its bins the same way everywhere.
 *
 * The model sees the velocity bin of the latest note so far as a one-hot beside its token embedding (after the
 * chord chroma, if any), and predicts the bin of the note-on it predicts from the same LSTM state. Its loss is the
 * joint negative log-likelihood of each window's next event: -log p(token) - [token is a note-on with a known
 * velocity] log p(bin | state), averaged over the windows (./melodyLstm.ts).
 */
import type { Decoder } from '../engine/types';
import type { Rng } from '../util/random';
import { MAX_VELOCITY_BINS, type MelodyLstmSpec } from './melodyLstmSpec';
import { sampleIndex, temperatureProbabilities } from './sampler';

/** Melody tokens below this are note-ons. */
const NOTE_ON_LIMIT = 128;

/** The velocity fields of a spec, from the corpus. */
export type VelocityBinning = Required<Pick<MelodyLstmSpec, 'velocityBins' | 'velocityEdges' | 'velocityCentres'>>;

/** The default number of bins of `etude train --velocity` and of the Train screen's checkbox. */
export const DEFAULT_VELOCITY_BINS = 8;

/** A velocity option that cannot be used: a bad bin count, or a corpus without velocities. */
export class VelocityError extends Error {
  override name = 'VelocityError';
  constructor(
    readonly code: 'VELOCITY_BINS_INVALID' | 'VELOCITY_NO_DATA',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Why `bins` is not a usable number of velocity bins (one sentence), or undefined.
 */
export function velocityBinsProblem(bins: unknown): string | undefined {
  if (typeof bins !== 'number' || !Number.isInteger(bins) || bins < 2 || bins > MAX_VELOCITY_BINS)
    return `velocity bins must be a whole number within [2, ${MAX_VELOCITY_BINS}] (a model learns dynamics as that many loudness levels), got: ${String(bins)}`;
  return undefined;
}

/**
 * Equal-count bins over a corpus' note velocities (values 1..127; 0s are ignored as "unknown").
 * @throws VelocityError VELOCITY_BINS_INVALID for a bad bin count, VELOCITY_NO_DATA when no velocity is given
 */
export function velocityBinning(velocities: Iterable<number>, bins: number): VelocityBinning {
  const problem = velocityBinsProblem(bins);
  if (problem) throw new VelocityError('VELOCITY_BINS_INVALID', `The ${problem}.`);
  const counts = new Float64Array(128);
  let n = 0;
  for (const v of velocities)
    if (v >= 1 && v <= 127) {
      counts[Math.round(v)]++;
      n++;
    }
  if (n === 0) throw new VelocityError('VELOCITY_NO_DATA', 'There are no note velocities to learn from.');
  const sorted = new Uint8Array(n);
  let at = 0;
  for (let v = 1; v <= 127; v++) for (let c = 0; c < counts[v]; c++) sorted[at++] = v;
  // Edge k is the velocity at quantile k/bins: v is in bin (number of edges <= v).
  const edges = Array.from({ length: bins - 1 }, (_, k) => sorted[Math.min(n - 1, Math.floor(((k + 1) * n) / bins))]);
  const sums = new Float64Array(bins);
  const sizes = new Float64Array(bins);
  for (let v = 1; v <= 127; v++) {
    if (counts[v] === 0) continue;
    const bin = velocityBinOf(v, edges);
    sums[bin] += v * counts[v];
    sizes[bin] += counts[v];
  }
  const centres = Array.from({ length: bins }, (_, b) => {
    if (sizes[b] > 0) return Math.round(sums[b] / sizes[b]);
    // An empty bin (ties put every equal velocity in the highest of their bins): between its edges.
    const low = b === 0 ? 1 : edges[b - 1];
    const high = b === bins - 1 ? 127 : edges[b];
    return Math.round((low + high) / 2);
  });
  return { velocityBins: bins, velocityEdges: edges, velocityCentres: centres.map((c) => clampVelocity(c)) };
}

/** The bin of velocity `v` under ascending `edges`: the number of edges <= v. */
export function velocityBinOf(v: number, edges: readonly number[]): number {
  let bin = 0;
  while (bin < edges.length && edges[bin] <= v) bin++;
  return bin;
}

/** The velocity a generated note of bin `bin` is written at: the bin's corpus mean, within [1, 127]. */
export function velocityOfBin(bin: number, centres: readonly number[]): number {
  return clampVelocity(centres[Math.min(centres.length - 1, Math.max(0, bin))] ?? 64);
}

function clampVelocity(v: number): number {
  return Math.min(127, Math.max(1, Math.round(v)));
}

/** Is this melody token a note-on? */
export function isNoteOn(token: number): boolean {
  return token >= 0 && token < NOTE_ON_LIMIT;
}

/** Does this decoder's model learn velocities (a velocity-aware melody model)? */
export function isVelocityDecoder(
  decoder: Decoder,
): decoder is Decoder & Required<Pick<Decoder, 'velocityLogits' | 'setVelocity'>> {
  return typeof decoder.velocityLogits === 'function' && typeof decoder.setVelocity === 'function';
}

/** A velocity bin drawn from the decoder's velocity head at `temperature` (one draw of `rng`). */
export async function drawVelocityBin(
  decoder: Decoder & Required<Pick<Decoder, 'velocityLogits'>>,
  temperature: number,
  rng: Rng,
): Promise<number> {
  return sampleIndex(temperatureProbabilities(await decoder.velocityLogits(), temperature), rng);
}

/** Salt of the velocity draws' stream, apart from the tokens' so that a model without velocities samples as before. */
const VELOCITY_SEED_SALT = 0x2c1b3c6d;

/** The seed of a variation's velocity draws, from the variation's seed. */
export function velocitySeed(variationSeed: number): number {
  return (variationSeed ^ VELOCITY_SEED_SALT) >>> 0;
}

/**
 * Velocities for finished tokens (a form's or a loop's take, whose tokens were drawn piecewise): the decoder is reset
 * and fed the tokens, each note-on's bin drawn from the state that predicted it and fed with it, as generation does.
 * @param chordOf gives the decoder the chord of a step (generate.ts setChordOf), for a chord-conditioned model
 * @returns one velocity per token: 1..127 at note-ons, 0 elsewhere
 */
export async function drawVelocities(
  decoder: Decoder & Required<Pick<Decoder, 'velocityLogits' | 'setVelocity'>>,
  tokens: readonly number[],
  options: { temperature: number; rng: Rng; centres: readonly number[]; chordOf?: (step: number) => void },
): Promise<number[]> {
  decoder.reset();
  const out: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    options.chordOf?.(i + 1);
    if (isNoteOn(tokens[i])) {
      const bin = await drawVelocityBin(decoder, options.temperature, options.rng);
      decoder.setVelocity(bin);
      out.push(velocityOfBin(bin, options.centres));
    } else out.push(0);
    if (i + 1 < tokens.length) await decoder.step(tokens[i]);
  }
  return out;
}

/**
 * A decoder that feeds a velocity-aware model its velocity input by itself: before each note-on is stepped, a bin is
 * drawn from the velocity head (at `temperature`, from `rng`) and given as the latest note's. For the samplers that
 * step tokens themselves without knowing of velocities (forms, loops, infill): the model then sees the inputs it was
 * trained with. It does not offer velocityLogits/setVelocity itself, so a sampler that would draw them does not draw
 * twice; a take's velocities are drawn afterwards over its finished tokens (drawVelocities).
 */
export function velocityFeedingDecoder(
  inner: Decoder & Required<Pick<Decoder, 'velocityLogits' | 'setVelocity'>>,
  temperature: number,
  rng: Rng,
): Decoder {
  return {
    reset: () => inner.reset(),
    step: async (input) => {
      if (typeof input === 'number' && isNoteOn(input))
        inner.setVelocity(await drawVelocityBin(inner, temperature, rng));
      return inner.step(input);
    },
    ...(inner.setCondition ? { setCondition: (values: ArrayLike<number>) => inner.setCondition!(values) } : {}),
    dispose: () => inner.dispose(),
  };
}
