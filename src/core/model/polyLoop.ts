// SPDX-License-Identifier: MIT
/**
 * Loop mode for polyphonic takes (game audio): the idea of ./loop.ts on piano-roll frames. A take of N bars has its
 * last bar (from the seed's end when the seed reaches into it) drawn again until the model finds the restart likely.
 *
 * Wrap score: the mean log-probability per frame (nats; ./polyDecoding.ts frameLogProb, exact: the sum over pitches of
 * each pitch's Bernoulli log-likelihood given the lower pitches of its frame) of the loop's opening (its first bar,
 * wrapping round a take shorter than a bar) fed right after the take's last frame, the recurrent state carried through
 * the whole take, at temperature 1 without a control's bias. Frames carry no onsets, so the opening is the first bar's
 * frames as they are (the written MIDI cuts every note at the loop end: ../midi/loopMidi.ts clipToLoop).
 *
 * Threshold: where the melody loop stops at a fixed -0.5 nats per sixteenth, a frame's log-probability depends on
 * how many pitches the model has and sounds, so the polyphonic loop stops once the wrap is at least as likely as the
 * take's own drawn frames are on average (their mean log-probability per frame, scored in the same pass): a restart
 * as likely as the music before it. A request may give its own threshold.
 *
 * Re-sampling: up to `tries` (default ./loop.ts DEFAULT_LOOP_TRIES) endings, each drawn after replaying the frames
 * before it (the decoder has no state snapshot), at the request's temperature and pitch bias, with the variation's
 * own random stream (the same request gives the same loop). The best wrap is kept (the first ending counts as try 0;
 * ties keep the earlier); an ending that makes a fine take degenerate (./generatePoly.ts findRollDegeneracy) is never
 * kept. Chords: past the take's end the opening hears the loop's own chords again from its start. Cost:
 * (1 + tries) * (frames + openingFrames) decoder frames at most.
 */
import type { Rng } from '../util/random';
import { emptyShare, findRollDegeneracy, type GeneratedRoll } from './generatePoly';
import { DEFAULT_LOOP_TRIES, type LoopReport } from './loop';
import type { PolyDecoder } from './polyLstm';
import { drawFrames, feedFrames, frameLogProb, meanFrameLogProb, type FrameDraw } from './polyDecoding';

export interface PolyLoopOptions extends FrameDraw {
  framesPerBar: number;
  /** Frames of the take that are its seed (never re-drawn). */
  seedFrames: number;
  /** Re-sampled endings to try (default DEFAULT_LOOP_TRIES; 0 = only score the take). */
  tries?: number;
  /** Stop once a wrap scores at least this (default: the take's own mean log-probability per drawn frame). */
  threshold?: number;
  /** Frame where the loop starts (default 0; a continuation's own part starts later). */
  loopStart?: number;
  /** Longest acceptable stretch without a new onset, in bars (default 2). */
  maxSilentBars?: number;
}

/** The loop's opening as heard after the loop point: frames [loopStart, loopStart + count), wrapping round the loop. */
export function polyLoopOpening(
  frames: ArrayLike<number>,
  pitches: number,
  loopStart: number,
  count: number,
): Uint8Array {
  const total = Math.floor(frames.length / pitches);
  const length = total - loopStart;
  const out = new Uint8Array(length > 0 ? count * pitches : 0);
  if (length <= 0) return out;
  for (let i = 0; i < count; i++) {
    const t = loopStart + (i % length);
    for (let p = 0; p < pitches; p++) out[i * pitches + p] = frames[t * pitches + p] ? 1 : 0;
  }
  return out;
}

/**
 * Wrap score of a take (see the header), and the take's own mean log-probability per frame from `from` on.
 * Costs frames + openingFrames decoder frames.
 */
export async function polyWrapScore(
  decoder: PolyDecoder,
  frames: ArrayLike<number>,
  options: Pick<PolyLoopOptions, 'framesPerBar' | 'chords' | 'loopStart'> & { from?: number },
): Promise<{ wrap: number; ownMean: number }> {
  const P = decoder.pitches;
  const total = Math.floor(frames.length / P);
  const loopStart = options.loopStart ?? 0;
  const chordAt = loopChordIndex(total, loopStart);
  decoder.reset();
  const logits = await feedFrames(decoder, frames, 0, options.chords, chordAt);
  const from = Math.min(options.from ?? 0, total - 1);
  let own = 0;
  for (let t = from; t < total; t++) own += frameLogProb(logits, frames, P, t * P, t * P);
  const opening = polyLoopOpening(frames, P, loopStart, options.framesPerBar);
  const wrap = await meanFrameLogProb(decoder, opening, total, options.chords, chordAt);
  return { wrap, ownMean: own / Math.max(1, total - from) };
}

/** Frame index -> chord track index: the take's own, then the loop's again from its start past the end. */
function loopChordIndex(total: number, loopStart: number): (t: number) => number {
  const length = Math.max(1, total - loopStart);
  return (t) => (t < total ? t : loopStart + ((t - total) % length));
}

/**
 * Re-draws a take's ending for the best wrap (see the header), continuing `rng`.
 * @throws RangeError for a bad tries count or a take with no frame after the seed to re-draw
 */
export async function refinePolyLoop(
  decoder: PolyDecoder,
  take: Uint8Array,
  rng: Rng,
  options: PolyLoopOptions,
): Promise<{ frames: Uint8Array; report: LoopReport }> {
  const P = decoder.pitches;
  const total = take.length / P;
  const tries = options.tries ?? DEFAULT_LOOP_TRIES;
  if (!Number.isInteger(tries) || tries < 0 || tries > 64)
    throw new RangeError(`loop tries must be an integer within [0, 64], got: ${tries}`);
  const loopStart = options.loopStart ?? 0;
  const endingStart = Math.max(options.seedFrames, loopStart + 1, total - options.framesPerBar);
  if (!(endingStart < total))
    throw new RangeError(`the ending (from frame ${endingStart}) must lie inside the loop (${loopStart}..${total})`);
  const maxSilentBars = options.maxSilentBars ?? 2;
  const degenerate = (frames: Uint8Array) =>
    findRollDegeneracy(frames, P, options.seedFrames, options.framesPerBar, maxSilentBars);
  const firstDegenerate = degenerate(take);
  const chordAt = loopChordIndex(total, loopStart);
  const scored = await polyWrapScore(decoder, take, { ...options, from: options.seedFrames });
  const threshold = options.threshold ?? scored.ownMean;
  let best = { frames: take, score: scored.wrap, kept: 0 };
  let tried = 0;
  while (tried < tries && best.score < threshold) {
    tried++;
    if (options.signal?.aborted) break;
    decoder.reset();
    await feedFrames(decoder, take.subarray(0, endingStart * P), 0, options.chords);
    const ending = await drawFrames(decoder, total - endingStart, endingStart, rng, options);
    const candidate = new Uint8Array(take);
    candidate.set(ending, endingStart * P);
    if (!firstDegenerate && degenerate(candidate)) continue;
    const opening = polyLoopOpening(candidate, P, loopStart, options.framesPerBar);
    const score = await meanFrameLogProb(decoder, opening, total, options.chords, chordAt);
    if (score > best.score) best = { frames: candidate, score, kept: tried };
  }
  return {
    frames: best.frames,
    report: { wrapBefore: scored.wrap, wrapAfter: best.score, tries: tried, kept: best.kept, loopStart },
  };
}

/**
 * The ./generatePoly.ts `refine` hook of loop mode: re-draws each take's last bar on the take's own random stream and
 * records the wrap scores on it.
 */
export function polyLoopRefiner(
  decoder: PolyDecoder,
  options: Omit<PolyLoopOptions, 'seedFrames'>,
): (roll: GeneratedRoll, rng: Rng) => Promise<GeneratedRoll> {
  return async (roll, rng) => {
    const { frames, report } = await refinePolyLoop(decoder, roll.frames, rng, {
      ...options,
      seedFrames: roll.seedFrames,
    });
    return { ...roll, frames, emptyFrameShare: emptyShare(frames, roll.pitches, roll.seedFrames), loop: report };
  };
}
