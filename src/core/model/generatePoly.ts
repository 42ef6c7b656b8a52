// SPDX-License-Identifier: MIT
/**
 * Polyphonic generation: the decoder of a piano-roll model (./polyLstm.ts PolyDecoder) is reset, fed the seed frames
 * (teacher forcing), then draws each next frame pitch by pitch from low to high at a temperature and moves on to it.
 * Length is counted in bars of `framesPerBar` frames and INCLUDES the seed, as for melodies (./generate.ts).
 *
 * Reproducibility: variation k draws from createRng(variationSeed(randomSeed, k)), one uniform draw per pitch per frame,
 * so the same seed, settings and checkpoint give the same frames on one engine, and variation k does not depend on how
 * many were asked for. Degenerate takes (no note at all, or a stretch longer than maxSilentBars without a new onset:
 * silence, or one chord held on) are re-sampled up to maxRetries times from the same random stream, as melodies are;
 * the measure is the quality report's (src/core/analysis longestOnsetGap over the take's notes).
 * Chords (a chord-conditioned model): `chords` gives the chord of every frame; the decoder is given frame t's before
 * it scores or draws frame t.
 */
import { longestOnsetGap, makePassage } from '../analysis';
import { rollToNotes } from '../encoding/rollFrames';
import { CancelledError } from '../jobs/progress';
import { createRng, type Rng } from '../util/random';
import { GenerationError, setChordOf, variationSeed } from './generate';
import type { LoopReport } from './loop';
import type { PolyDecoder } from './polyLstm';

export interface GeneratePolyOptions {
  /** Seed frames, flattened (S * pitches values of 0/1); may be empty: the model starts from silence, as in training. */
  seedFrames: ArrayLike<number>;
  /** Total length in bars of `framesPerBar` frames, seed included. */
  bars: number;
  framesPerBar: number;
  /** Total frames, seed included, when not `bars` whole bars (a continuation of a clip whose meter changes). */
  totalFrames?: number;
  temperature: number;
  variations: number;
  randomSeed: number;
  /** Index of the first variation (default 0), as for melodies. */
  firstVariation?: number;
  /** Re-samples of a degenerate take before it is kept anyway (default 3). */
  maxRetries?: number;
  /** Longest acceptable stretch without a new onset, in bars (default 2). */
  maxSilentBars?: number;
  /** Added to every drawn pitch's temperature-scaled logit (per pitch of the window; ./controls.ts framePitchBias). */
  pitchBias?: ArrayLike<number>;
  /** Called before every frame is scored or drawn: throw (e.g. CancelledError) to stop. */
  beforeFrame?: () => void;
  /** The chord of every frame, seed included (12-bit masks, ../music/chords.ts), for a chord-conditioned model. */
  chords?: ArrayLike<number>;
  signal?: AbortSignal;
  /**
   * Called with each finished take and the random stream it was drawn with, before it is kept: loop mode re-draws its
   * ending here (./polyLoop.ts), continuing the same stream.
   */
  refine?: (roll: GeneratedRoll, rng: Rng) => Promise<GeneratedRoll>;
}

export interface GeneratedRoll {
  /** Seed frames followed by the drawn ones, flattened (bars * framesPerBar * pitches values of 0/1). */
  frames: Uint8Array;
  pitches: number;
  seedFrames: number;
  /** Share of the drawn frames (after the seed) in which nothing sounds. */
  emptyFrameShare: number;
  retries: number;
  rejected: string[];
  degenerate?: string;
  /** Loop mode's wrap scores (./polyLoop.ts). */
  loop?: LoopReport;
}

/** Ticks per frame used only to measure a take (any positive grid works: bars compare as bars). */
const CHECK_TICKS = 120;

/**
 * Why the drawn part of a take (frames from `fromFrame` on) is degenerate, or undefined: no note at all, or a
 * stretch longer than maxSilentBars bars without a new onset.
 */
export function findRollDegeneracy(
  frames: ArrayLike<number>,
  pitches: number,
  fromFrame: number,
  framesPerBar: number,
  maxSilentBars: number,
): string | undefined {
  const notes = rollToNotes(frames, { lowPitch: 0, pitches }, CHECK_TICKS);
  const fromTick = fromFrame * CHECK_TICKS;
  const total = Math.floor(frames.length / pitches);
  if (!notes.some((n) => n.startTick + n.durationTicks > fromTick)) return 'the take has no note';
  // A meter whose bar is framesPerBar frames: n/4 with a quarter of CHECK_TICKS * framesPerBar / n ticks.
  const ppq = (CHECK_TICKS * framesPerBar) / 4;
  const passage = makePassage(notes, ppq, [], total * CHECK_TICKS);
  const stretch = longestOnsetGap(passage, fromTick);
  if (stretch > maxSilentBars + 1e-9) return `the take has no new note for ${stretch.toFixed(1)} bars`;
  return undefined;
}

async function sampleOnce(
  decoder: PolyDecoder,
  seed: ArrayLike<number>,
  pitches: number,
  totalFrames: number,
  temperature: number,
  rng: Rng,
  options: Pick<GeneratePolyOptions, 'beforeFrame' | 'signal' | 'chords' | 'pitchBias'>,
): Promise<Uint8Array> {
  decoder.reset();
  const out = new Uint8Array(totalFrames * pitches);
  const seedCount = seed.length / pitches;
  for (let t = 0; t < seedCount; t++) {
    options.beforeFrame?.();
    const frame = Float32Array.from({ length: pitches }, (_, p) => (seed[t * pitches + p] ? 1 : 0));
    setChordOf(decoder, options.chords, t);
    await decoder.step(frame);
    out.set(frame, t * pitches);
  }
  for (let t = seedCount; t < totalFrames; t++) {
    if (options.signal?.aborted) throw new CancelledError('Generation cancelled');
    options.beforeFrame?.();
    setChordOf(decoder, options.chords, t);
    const frame = await decoder.sampleFrame(temperature, rng, options.pitchBias);
    out.set(frame, t * pitches);
  }
  return out;
}

/** Share of frames from `from` on in which nothing sounds. */
export function emptyShare(frames: Uint8Array, pitches: number, from: number): number {
  const total = frames.length / pitches;
  if (total <= from) return 0;
  let empty = 0;
  for (let t = from; t < total; t++) {
    let any = false;
    for (let p = 0; p < pitches && !any; p++) any = frames[t * pitches + p] !== 0;
    if (!any) empty++;
  }
  return empty / (total - from);
}

/**
 * Generates `variations` takes with a polyphonic decoder (reset per try).
 * @throws GenerationError when the seed does not fit the model or already fills the bars asked for
 * @throws CancelledError when the signal fires (checked per frame)
 */
export async function generatePolyphonic(decoder: PolyDecoder, options: GeneratePolyOptions): Promise<GeneratedRoll[]> {
  const { seedFrames, bars, framesPerBar, temperature, variations, randomSeed } = options;
  const pitches = decoder.pitches;
  if (seedFrames.length % pitches !== 0)
    throw new GenerationError(
      'GENERATION_BAD_SEED',
      `Seed frames must be whole frames of the model's ${pitches} pitches, got ${seedFrames.length} values.`,
    );
  if (!Number.isInteger(bars) || bars < 1 || bars > 1024)
    throw new GenerationError('GENERATION_BAD_LENGTH', `bars must be an integer within [1, 1024], got: ${bars}`);
  if (!Number.isInteger(framesPerBar) || framesPerBar < 1 || framesPerBar > 1024)
    throw new GenerationError('GENERATION_BAD_LENGTH', `framesPerBar must be a positive integer, got: ${framesPerBar}`);
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new GenerationError('GENERATION_BAD_LENGTH', `temperature must be a positive number, got: ${temperature}`);
  const totalFrames = options.totalFrames ?? bars * framesPerBar;
  if (!Number.isInteger(totalFrames) || totalFrames < 1)
    throw new GenerationError('GENERATION_BAD_LENGTH', `totalFrames must be a positive integer, got: ${totalFrames}`);
  const seedCount = seedFrames.length / pitches;
  if (seedCount >= totalFrames)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      `The seed is ${seedCount} frames long, which fills the ${bars} bars asked for; ask for more bars or a shorter seed.`,
    );
  if (!Number.isInteger(variations) || variations < 1)
    throw new GenerationError('GENERATION_BAD_LENGTH', `variations must be a positive integer, got: ${variations}`);
  const maxRetries = options.maxRetries ?? 3;
  const maxSilentBars = options.maxSilentBars ?? 2;
  const first = options.firstVariation ?? 0;
  const out: GeneratedRoll[] = [];
  for (let k = first; k < first + variations; k++) {
    const rng = createRng(variationSeed(randomSeed, k));
    const rejected: string[] = [];
    const draw = () => sampleOnce(decoder, seedFrames, pitches, totalFrames, temperature, rng, options);
    let frames = await draw();
    let reason = findRollDegeneracy(frames, pitches, seedCount, framesPerBar, maxSilentBars);
    while (reason && rejected.length < maxRetries) {
      rejected.push(reason);
      frames = await draw();
      reason = findRollDegeneracy(frames, pitches, seedCount, framesPerBar, maxSilentBars);
    }
    const roll: GeneratedRoll = {
      frames,
      pitches,
      seedFrames: seedCount,
      emptyFrameShare: emptyShare(frames, pitches, seedCount),
      retries: rejected.length,
      rejected,
      ...(reason ? { degenerate: reason } : {}),
    };
    out.push(options.refine ? await options.refine(roll, rng) : roll);
  }
  return out;
}
