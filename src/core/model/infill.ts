// SPDX-License-Identifier: MIT
/**
 * Regenerate a selection (infill) with a model that only looks back (the melody LSTM).
 *
 * A take's tokens are split at the selection's bar lines: prefix tokens[0..s), selection [s..e), suffix tokens[e..).
 * The prefix and the suffix are kept; only the selection is drawn again.
 *
 * Scheme: sampling-importance-resampling (SIR, Rubin 1987) with a look-ahead. The target is the bidirectional
 * conditional P(selection | before, after), which for a left-to-right model factorises as
 *   P(selection | before) * P(after | before, selection).
 * K candidates (default ./infillSelection.ts DEFAULT_INFILL_CANDIDATES) are drawn left to right from the state after the prefix
 * (the proposal, at the request's temperature and logit bias, exactly as generation samples), each is weighted by the
 * model's probability of the following context given prefix + candidate (temperature 1, no bias: the first
 * `contextSteps` tokens of the suffix, default one bar), and one candidate is drawn with probability proportional to
 * that weight. At temperature 1 without a bias this approximates a draw from the bidirectional conditional (exactly
 * as K grows); at another temperature it targets the tempered proposal times the look-ahead. Why sampling and not the
 * best: the best-scoring candidate is the one whose continuation the model finds most predictable, which favours
 * bland candidates; resampling keeps the variety of the proposal, and since the weights of K candidates over a bar
 * of look-ahead differ by several nats, the draw is nearly always among the best few anyway (test/core/infill.test.ts
 * measures where the kept one ranks).
 * A model that only looks back cannot do better in one pass without re-scoring; Gibbs-like passes as in DeepBach
 * (Hadjeres, Pachet & Nielsen 2017) would need a model of each step given both sides, which the melody LSTM is not.
 *
 * Candidate 0 is a plain left-to-right re-generation of the selection (what sampling alone would give with this
 * random seed): its seam score is reported as `seamLeftToRight`, the kept one's as `seam`. Seam score: the mean
 * log-probability (natural log) per step of the following context, as ./loop.ts scores a wrap.
 *
 * Seams (so the music outside the selection sounds as before):
 * - start: a note sounding when the selection begins (struck in the prefix, held into it) is cut at the bar line:
 *   the selection's first step may not be NO_EVENT while a note sounds (that token's probability is removed before
 *   sampling), so it starts with a note-off or a new note.
 * - end: when the suffix starts with NO_EVENT, it continued what sounded in the original take; that is written out:
 *   a note held across the selection's end is re-struck at the bar line (its pitch as note-on at step e), silence
 *   stays silence (a note-off there when the candidate ends on a sounding note, else NO_EVENT). Every suffix token
 *   after step e is kept as it was, and step e sounds as it did.
 *
 * Controls: the key/range/density bias (`logitBias`, ./controls.ts) steers every drawn step, as in generation; a
 * chord-conditioned model hears the take's chord of every step (`chords`) while the prefix, the candidates and the
 * look-ahead are fed, so a regenerated bar follows the progression the take was written over.
 *
 * Cost: K * (s + (e - s) + contextSteps) decoder steps (the Decoder has no state snapshot: the prefix is replayed per
 * candidate, as ./loop.ts does). Reproducible: every draw comes from createRng(randomSeed), candidates in order, then
 * the resampling draw.
 */
import type { Decoder } from '../engine/types';
import { NOTE_OFF, NO_EVENT } from '../encoding/melody';
import { CancelledError } from '../jobs/progress';
import { createRng } from '../util/random';
import { GenerationError, setChordOf, type GenerateOptions } from './generate';
import { candidateCount, infillSteps, lookAheadLength, resampleIndex, seamReport } from './infillSelection';
import { sampleToken } from './sampler';

export interface InfillOptions {
  /** First selected bar (0-based; at least 1: the model needs something before the selection to start from). */
  fromBar: number;
  /** Bar after the selection (exclusive); at most the take's length in bars. */
  toBar: number;
  /** Sixteenths per bar (default 16). */
  stepsPerBar?: number;
  temperature: number;
  randomSeed: number;
  /** Candidates drawn (default DEFAULT_INFILL_CANDIDATES). */
  candidates?: number;
  /** Steps of the following context that weigh a candidate (default one bar; fewer where the take ends). */
  contextSteps?: number;
  logitBias?: GenerateOptions['logitBias'];
  /** The chord of every step of the take (12-bit masks), for a chord-conditioned model (as ./generate.ts feeds them). */
  chords?: ArrayLike<number>;
  signal?: AbortSignal;
}

export interface InfillResult {
  /** The whole take: prefix and suffix as they were (step e written out, see the header), the selection new. */
  tokens: number[];
  /** First and last+1 step of the selection. */
  fromStep: number;
  toStep: number;
  /** Mean log-probability per step of the following context after the kept candidate (0 when nothing follows). */
  seam: number;
  /** The same after candidate 0, the plain left-to-right re-generation. */
  seamLeftToRight: number;
  candidates: number;
  /** Which candidate was kept (0 = the plain left-to-right one). */
  kept: number;
  /** Every candidate's seam score, in the order drawn. */
  candidateSeams: number[];
  /** Steps of following context scored. */
  contextSteps: number;
}

/** log softmax(scores)[index] in float64. */
function logSoftmaxAt(scores: ArrayLike<number>, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += Math.exp(scores[i] - max);
  return scores[index] - max - Math.log(sum);
}

/** The pitch sounding at the end of tokens[0..end) (a note struck and not yet stopped), or undefined. */
export function soundingAt(tokens: readonly number[], end: number): number | undefined {
  let sounding: number | undefined;
  for (let i = 0; i < end; i++) {
    if (tokens[i] < NOTE_OFF) sounding = tokens[i];
    else if (tokens[i] === NOTE_OFF) sounding = undefined;
  }
  return sounding;
}

/**
 * The suffix tokens[e..] as they follow a new selection (see the header's "end" seam): only the first may change,
 * from NO_EVENT to what sounded there in the original take.
 */
export function seamSuffix(original: readonly number[], toStep: number, candidateEndsSounding: boolean): number[] {
  const suffix = original.slice(toStep);
  if (suffix.length > 0 && suffix[0] === NO_EVENT) {
    const held = soundingAt(original, toStep);
    if (held !== undefined) suffix[0] = held;
    else if (candidateEndsSounding) suffix[0] = NOTE_OFF;
  }
  return suffix;
}

/**
 * Regenerates bars [fromBar, toBar) of melody tokens (see the header).
 * @throws GenerationError for a selection outside the take, RangeError for a bad temperature or option,
 *   CancelledError when the signal fires.
 */
export async function infillMelody(
  decoder: Decoder,
  tokens: readonly number[],
  options: InfillOptions,
): Promise<InfillResult> {
  const stepsPerBar = options.stepsPerBar ?? 16;
  for (const t of tokens)
    if (!Number.isInteger(t) || t < 0 || t > NO_EVENT)
      throw new GenerationError('GENERATION_BAD_SEED', `Tokens must be integers within [0, 129], got: ${t}`);
  const { fromStep, toStep } = infillSteps(tokens.length, options.fromBar, options.toBar, stepsPerBar);
  const k = candidateCount(options.candidates);
  const contextSteps = lookAheadLength(
    options.contextSteps,
    stepsPerBar,
    tokens.length - toStep,
    'contextSteps',
    'steps',
  );
  const rng = createRng(options.randomSeed);
  const prefix = tokens.slice(0, fromStep);
  const heldAtStart = soundingAt(tokens, fromStep) !== undefined;
  const check = () => {
    if (options.signal?.aborted) throw new CancelledError('Regeneration cancelled');
  };

  // Feeding the token at `index`: a chord-conditioned model first hears the chord of the step it predicts next.
  const step = (token: number, index: number) => {
    setChordOf(decoder, options.chords, index + 1);
    return decoder.step(token);
  };
  const drawn: { take: number[]; logLik: number; seam: number }[] = [];
  for (let c = 0; c < k; c++) {
    decoder.reset();
    let scores: Float32Array = new Float32Array(0);
    for (const [i, t] of prefix.entries()) scores = await step(t, i);
    const take = [...prefix];
    while (take.length < toStep) {
      check();
      const userBias = options.logitBias?.(take);
      let bias: ArrayLike<number> | undefined = userBias;
      if (take.length === fromStep && heldAtStart) {
        // Start seam: the held note is cut at the bar line.
        const cut = userBias ? Float64Array.from(userBias) : new Float64Array(scores.length);
        cut[NO_EVENT] = -Infinity;
        bias = cut;
      }
      const next = sampleToken(scores, options.temperature, rng, bias);
      take.push(next);
      scores = await step(next, take.length - 1);
    }
    const suffix = seamSuffix(tokens, toStep, soundingAt(take, toStep) !== undefined);
    let logLik = 0;
    for (let i = 0; i < contextSteps; i++) {
      logLik += logSoftmaxAt(scores, suffix[i]);
      if (i + 1 < contextSteps) scores = await step(suffix[i], toStep + i);
    }
    drawn.push({ take: [...take, ...suffix], logLik, seam: contextSteps > 0 ? logLik / contextSteps : 0 });
  }
  // Resampling: one draw proportional to exp(logLik) (the look-ahead's likelihood).
  const kept = resampleIndex(
    drawn.map((d) => d.logLik),
    rng,
  );
  return {
    tokens: drawn[kept].take,
    fromStep,
    toStep,
    ...seamReport(
      drawn.map((d) => d.seam),
      kept,
    ),
    contextSteps,
  };
}
