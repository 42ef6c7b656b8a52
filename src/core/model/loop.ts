// SPDX-License-Identifier: MIT
/**
 * Loop mode (game audio): a take of N bars whose last bar leads back into its first.
 *
 * Wrap score: the model's mean log-probability (natural log, temperature 1, no key/range bias) per step of the take's
 * opening (its first bar: `openingSteps`, default one bar) fed right after the take's last step, the recurrent state
 * carried through the whole take:
 *   wrap = (1/k) * sum_{i<k} log P(opening[i] | take, opening[0..i)).
 * The opening is what a looped take sounds like after the loop point: a melody opening on NO_EVENT (a pickup's
 * leading silence) becomes NOTE_OFF when a note sounds at the end of the take, since that note is cut at the loop
 * point (see below), so silence starts there. Higher (closer to 0) = the model hears the restart as a likely
 * continuation of the ending.
 *
 * Re-sampling: after the take is drawn (and its degenerate re-samples done, ./generate.ts), its ending (the last bar:
 * steps max(seedLength, total - stepsPerBar) .. total) is drawn again up to `tries` times (default 8), each time by
 * replaying the take's steps before the ending through the decoder (so the ending starts from exactly the state the
 * first one started from; the Decoder interface has no state snapshot), sampling the ending at the request's
 * temperature and logit bias, then scoring the wrap. Draws continue the variation's own random stream (the `rng` the
 * take was drawn with), so the same request gives the same loop. The ending with the best wrap score is kept (the
 * original counts as try 0; ties keep the earlier), and re-sampling stops early once a wrap scores at least
 * `threshold` (default {@link DEFAULT_WRAP_THRESHOLD}). An ending that makes a fine take degenerate (./generate.ts
 * findDegeneracy) is never kept. Cost: (1 + tries) * (total + openingSteps) decoder steps per take at most.
 *
 * Loop point: the written take is exactly N bars: every note ends at the loop end at the latest (the last bar's held
 * note is cut there, humanised timing included), none starts before 0 or at/after the end (../midi/loopMidi.ts
 * clipToLoop), so nothing of one pass overlaps the next. The written MIDI carries loop markers (../midi/loopMidi.ts).
 *
 * Other model kinds: the search only needs a {@link LoopStepModel}: how to score an input under the decoder's output
 * (log-probability), how to sample one, what the opening sounds like after the loop point, and (optionally) when a
 * take is degenerate. {@link melodyLoopModel} is the melody one (categorical softmax over 130 tokens). A polyphonic
 * frame model would plug in a LoopStepModel<Float32Array> whose logProb is the sum over pitches of the Bernoulli
 * log-likelihood log sigmoid(+-logit) of the frame, whose sample is sampler.ts samplePitches, and whose opening is the
 * first bar's frames with held notes re-struck (no hold across the loop point); {@link refineLoop} itself is generic.
 */
import type { Decoder, DecoderInput } from '../engine/types';
import { NOTE_OFF, NO_EVENT } from '../encoding/melody';
import type { Rng } from '../util/random';
import { findDegeneracy, setChordOf, type GeneratedMelody, type GenerateOptions, type LoopReport } from './generate';

import { sampleToken } from './sampler';

export type { LoopReport };

/** Re-sampled endings tried per take when the request says nothing. */
export const DEFAULT_LOOP_TRIES = 8;
/**
 * A wrap scoring at least this (mean log-probability per step of the opening's bar) stops re-sampling early: -0.5
 * nats is about a take's own mean per-step log-probability under the bundled model at temperature 1 (-0.507 over 20
 * 8-bar takes, scripts/measure-loop-wrap.ts), i.e. a restart as likely as the music before it. Takes from the
 * C4,E4,G4 seed rarely get there (their wraps score -1.81 as drawn, -1.14 after 8 tries), so most use every try.
 */
export const DEFAULT_WRAP_THRESHOLD = -0.5;

export interface LoopOptions {
  /** Re-sampled endings to try (default DEFAULT_LOOP_TRIES; 0 = only score the take). */
  tries?: number;
  /** Stop re-sampling once a wrap scores at least this (default DEFAULT_WRAP_THRESHOLD). */
  threshold?: number;
  /** Steps of the opening the wrap scores (default one bar). */
  openingSteps?: number;
  /** Step where the loop starts (default 0: the whole take loops; a continuation's own part starts later). */
  loopStart?: number;
}

/** How loop search talks to one kind of model (see the header for a frame model's). */
export interface LoopStepModel<I extends DecoderInput> {
  /** log P(input) under the decoder's output scores, at temperature 1 without bias. */
  logProb(scores: Float32Array, input: I): number;
  /** One input drawn from the scores (the request's temperature and bias), with one `rng` stream. */
  sample(scores: Float32Array, history: readonly I[], rng: Rng): I;
  /** The opening as it sounds after the loop point: `steps` steps from loopStart of a take. */
  opening(take: readonly I[], loopStart: number, steps: number): I[];
  /** Why a take is degenerate, or undefined. */
  degeneracy?(take: readonly I[]): string | undefined;
}

/** log softmax(scores)[index] in float64. */
function logSoftmaxAt(scores: ArrayLike<number>, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += Math.exp(scores[i] - max);
  return scores[index] - max - Math.log(sum);
}

/**
 * The opening of melody tokens as heard after the loop point: tokens[loopStart .. loopStart + steps) (wrapping
 * round the take if it is shorter), the first turned from NO_EVENT into NOTE_OFF when a note sounds at the take's end
 * (that note is cut at the loop point, so silence starts there).
 */
export function melodyLoopOpening(tokens: readonly number[], loopStart: number, steps: number): number[] {
  const length = tokens.length - loopStart;
  if (length <= 0) return [];
  const opening = Array.from({ length: steps }, (_, i) => tokens[loopStart + (i % length)]);
  let sounding = false;
  for (let i = loopStart; i < tokens.length; i++) {
    if (tokens[i] < NOTE_OFF) sounding = true;
    else if (tokens[i] === NOTE_OFF) sounding = false;
  }
  if (opening[0] === NO_EVENT && sounding) opening[0] = NOTE_OFF;
  return opening;
}

/** The melody model's LoopStepModel: categorical tokens, sampled as ./generate.ts samples them. */
export function melodyLoopModel(options: {
  temperature: number;
  logitBias?: GenerateOptions['logitBias'];
  seedLength: number;
  maxSilentBars?: number;
}): LoopStepModel<number> {
  return {
    logProb: (scores, input) => logSoftmaxAt(scores, input),
    sample: (scores, history, rng) => sampleToken(scores, options.temperature, rng, options.logitBias?.(history)),
    opening: melodyLoopOpening,
    degeneracy: (take) => findDegeneracy([...take], options.seedLength, options.maxSilentBars ?? 2),
  };
}

/**
 * Wrap score of a take (see the header): feeds the whole take from a reset state, then the opening, and returns the
 * mean log-probability per step of the opening. Costs take.length + opening.length decoder steps.
 */
export async function wrapScore<I extends DecoderInput>(
  decoder: Decoder,
  model: LoopStepModel<I>,
  take: readonly I[],
  opening: readonly I[],
): Promise<number> {
  decoder.reset();
  let scores: Float32Array = new Float32Array(0);
  for (const input of take) scores = await decoder.step(input);
  return scoreOpening(decoder, model, scores, opening);
}

async function scoreOpening<I extends DecoderInput>(
  decoder: Decoder,
  model: LoopStepModel<I>,
  after: Float32Array,
  opening: readonly I[],
): Promise<number> {
  let scores = after;
  let sum = 0;
  for (let i = 0; i < opening.length; i++) {
    sum += model.logProb(scores, opening[i]);
    if (i + 1 < opening.length) scores = await decoder.step(opening[i]);
  }
  return opening.length > 0 ? sum / opening.length : 0;
}

/**
 * Re-samples a take's ending for the best wrap score (see the header).
 * @param take the take as drawn (steps 0..total)
 * @param endingStart first step of the ending (after the seed: never inside it)
 * @throws RangeError for an ending that is empty or a bad option
 */
export async function refineLoop<I extends DecoderInput>(
  decoder: Decoder,
  model: LoopStepModel<I>,
  take: readonly I[],
  endingStart: number,
  rng: Rng,
  options: LoopOptions & { signal?: AbortSignal; stepsPerBar: number },
): Promise<{ take: I[]; report: LoopReport }> {
  const tries = options.tries ?? DEFAULT_LOOP_TRIES;
  if (!Number.isInteger(tries) || tries < 0 || tries > 64)
    throw new RangeError(`loop tries must be an integer within [0, 64], got: ${tries}`);
  const loopStart = options.loopStart ?? 0;
  if (!(endingStart > loopStart && endingStart < take.length))
    throw new RangeError(
      `the ending (from step ${endingStart}) must lie inside the loop (${loopStart}..${take.length})`,
    );
  const threshold = options.threshold ?? DEFAULT_WRAP_THRESHOLD;
  const openingSteps = options.openingSteps ?? options.stepsPerBar;
  const firstDegenerate = model.degeneracy?.(take);
  const wrapBefore = await wrapScore(decoder, model, take, model.opening(take, loopStart, openingSteps));
  let best = { take: [...take], score: wrapBefore, kept: 0 };
  let tried = 0;
  while (tried < tries && best.score < threshold) {
    tried++;
    if (options.signal?.aborted) break;
    decoder.reset();
    let scores: Float32Array = new Float32Array(0);
    const candidate = take.slice(0, endingStart) as I[];
    for (const input of candidate) scores = await decoder.step(input);
    while (candidate.length < take.length) {
      const next = model.sample(scores, candidate, rng);
      candidate.push(next);
      scores = await decoder.step(next);
    }
    if (!firstDegenerate && model.degeneracy?.(candidate)) continue;
    const score = await scoreOpening(decoder, model, scores, model.opening(candidate, loopStart, openingSteps));
    if (score > best.score) best = { take: candidate, score, kept: tried };
  }
  return { take: best.take, report: { wrapBefore, wrapAfter: best.score, tries: tried, kept: best.kept, loopStart } };
}

/**
 * A decoder that gives a chord-conditioned model, before each step, the chord of the step it predicts (as ./generate.ts
 * does): chords[p] within the take of `total` steps, and past its end the loop's own chords again from `loopStart`
 * (the opening heard after the loop point).
 */
function chordedDecoder(inner: Decoder, chords: ArrayLike<number>, total: number, loopStart: number): Decoder {
  let position = 0;
  const length = Math.max(1, total - loopStart);
  const at = (p: number) => (p < total ? p : loopStart + ((p - total) % length));
  return {
    reset: () => {
      position = 0;
      inner.reset();
    },
    step: (input) => {
      setChordOf(inner, chords, at(++position));
      return inner.step(input);
    },
    ...(inner.setCondition ? { setCondition: (v: ArrayLike<number>) => inner.setCondition!(v) } : {}),
    dispose: () => inner.dispose(),
  };
}

/**
 * The ./generate.ts `refine` hook of loop mode for melodies: re-samples each take's last bar (from the seed's end
 * when the seed reaches into it) on the take's own random stream, and records the wrap scores on the take.
 */
export function melodyLoopRefiner(
  inner: Decoder,
  generate: Pick<GenerateOptions, 'temperature' | 'logitBias' | 'stepsPerBar' | 'maxSilentBars' | 'signal' | 'chords'>,
  loop: LoopOptions = {},
): (melody: GeneratedMelody, rng: Rng) => Promise<GeneratedMelody> {
  const stepsPerBar = generate.stepsPerBar ?? 16;
  return async (melody, rng) => {
    const total = melody.tokens.length;
    const decoder = generate.chords ? chordedDecoder(inner, generate.chords, total, loop.loopStart ?? 0) : inner;
    const endingStart = Math.max(melody.seedLength, (loop.loopStart ?? 0) + 1, total - stepsPerBar);
    const model = melodyLoopModel({
      temperature: generate.temperature,
      seedLength: melody.seedLength,
      ...(generate.logitBias ? { logitBias: generate.logitBias } : {}),
      ...(generate.maxSilentBars !== undefined ? { maxSilentBars: generate.maxSilentBars } : {}),
    });
    const { take, report } = await refineLoop(decoder, model, melody.tokens, endingStart, rng, {
      ...loop,
      stepsPerBar,
      ...(generate.signal ? { signal: generate.signal } : {}),
    });
    return { ...melody, tokens: take, loop: report };
  };
}
