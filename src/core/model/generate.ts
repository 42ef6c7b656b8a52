// SPDX-License-Identifier: MIT
/**
 * The thesis' generation: a stateful batch-1 decoder is reset, fed the seed tokens, then each next token is sampled with
 * a temperature and fed back. Length is counted in bars of sixteenths (16 tokens per 4/4 bar; stepsPerBar for other
 * meters) and INCLUDES the seed,
 * as in the thesis (8 bars = 128 tokens, seed included).
 *
 * Reproducibility: variation k draws from createRng(variationSeed(randomSeed, k)), so the same seed, settings and
 * checkpoint give the same tokens on every engine (up to float rounding deciding a draw that falls exactly on a
 * boundary), and variation k does not depend on how many variations were asked for.
 * Degenerate results (no note at all, silence longer than maxSilentBars, one token repeated throughout, or a stretch
 * longer than maxSilentBars without a new note: a held note counts, as the quality report measures it) are re-sampled
 * up to maxRetries times, continuing the same random stream; the result says how often and why.
 * Chords (a chord-conditioned model, ../music/chords.ts): `chords` gives the chord of every step of the take; before
 * feeding token i the decoder is given the chord of step i + 1, the step it predicts (as in training, ./windows.ts).
 * Velocities (a velocity-aware model, ./velocity.ts): before each note-on is fed (seed notes included) or kept as the
 * last token, its velocity bin is drawn from the velocity head of the state that predicted it, at the same temperature,
 * from the variation's own velocity stream (so the token stream of a model without velocities is exactly as before),
 * and fed with it as the latest note's bin; `velocityCentres` turn the bins into the melody's velocities.
 */
import { longestOnsetGap, makePassage } from '../analysis';
import { decodeMelody } from '../encoding/melody';
import type { Decoder } from '../engine/types';
import { pitchName } from '../music/keys';
import { CHORD_DIM, writeChroma } from '../music/chords';
import { CancelledError } from '../jobs/progress';
import { createRng, type Rng } from '../util/random';
import { sampleToken } from './sampler';
import { drawVelocityBin, isNoteOn, isVelocityDecoder, velocityOfBin, velocitySeed } from './velocity';

export const SIXTEENTHS_PER_BAR = 16;
const NOTE_OFF = 128;
const NO_EVENT = 129;

export interface GenerateOptions {
  /** Encoded melody tokens fed before sampling (at least one). */
  seedTokens: number[];
  /** Total length in bars (of stepsPerBar sixteenths), seed included. */
  bars: number;
  temperature: number;
  variations: number;
  randomSeed: number;
  /**
   * Index of the first variation (default 0): variations firstVariation .. firstVariation + variations - 1 are drawn,
   * each from its own derived seed, so a caller can generate one variation at a time (progress, cancel between them).
   */
  firstVariation?: number;
  /** Re-samples of a degenerate variation before it is kept anyway (default 3). */
  maxRetries?: number;
  /** Longest acceptable silence, and stretch without a new note (a held note), in bars (default 2). */
  maxSilentBars?: number;
  /**
   * Sixteenths per bar (default 16, 4/4): a bar of n/d is n * 16 / d sixteenths (6/8: 12, 3/4: 12, 5/4: 20).
   * `bars` counts bars of this length.
   */
  stepsPerBar?: number;
  /**
   * Total length in steps, seed included, when it is not `bars` whole bars of stepsPerBar: a continuation of a clip
   * whose meter changes runs to the clip's own last bar line, then whole bars of its last meter
   * (./continuationLayout.ts). Undefined: bars * stepsPerBar.
   */
  totalSteps?: number;
  /**
   * The sampling hook: a bias added to the temperature-scaled logits of each generated step, then renormalised
   * (sampler.ts biasedProbabilities); undefined (or a hook answering undefined) samples exactly as without it.
   * Called with the tokens so far (seed included). Key and range locks use it (./controls.ts).
   */
  logitBias?: (tokens: readonly number[]) => ArrayLike<number> | undefined;
  /**
   * Called on each variation once drawn (degenerate re-samples done) with the variation's random stream, to continue
   * it: loop mode re-samples the ending here (./loop.ts melodyLoopRefiner). Undefined: the take is kept as drawn.
   */
  refine?: (melody: GeneratedMelody, rng: Rng) => Promise<GeneratedMelody>;
  /**
   * The chord of every step of the take, seed included (12-bit pitch-class masks, ../music/chords.ts chordTrackOf),
   * for a chord-conditioned model; steps past its end have no chord. Undefined: no chord input.
   */
  chords?: ArrayLike<number>;
  /**
   * A velocity-aware model's bin velocities (its spec's velocityCentres): the melody then carries `velocities`.
   * Without them such a model still draws its bins (its input needs them) but the melody carries none.
   */
  velocityCentres?: readonly number[];
  signal?: AbortSignal;
}

/** Gives the decoder the chord of step `step` (N.C. past the track's end). */
export function setChordOf(decoder: Decoder, chords: ArrayLike<number> | undefined, step: number): void {
  if (!chords || !decoder.setCondition) return;
  const chroma = new Float32Array(CHORD_DIM);
  writeChroma(chords[step] ?? 0, chroma, 0);
  decoder.setCondition(chroma);
}

/** What loop mode did to one take (stored with the generation and shown by the CLI and the Compose screen). */
export interface LoopReport {
  /** Wrap score of the take as first drawn (mean log-probability per step of the opening after the ending). */
  wrapBefore: number;
  /** Wrap score of the ending kept. */
  wrapAfter: number;
  /** Endings re-sampled (0..tries). */
  tries: number;
  /** Which ending was kept: 0 = the first one, k = the k-th re-sample. */
  kept: number;
  /** Steps of the take that loop: loopStart .. tokens.length. */
  loopStart: number;
}

export interface GeneratedMelody {
  /** Seed followed by the sampled continuation; length bars * 16. */
  tokens: number[];
  seedLength: number;
  /** How many times this variation was re-sampled. */
  retries: number;
  /** Why earlier tries were rejected (one entry per retry), and why the kept one is still degenerate if it is. */
  rejected: string[];
  /** Set when all tries were degenerate and the last one was kept. */
  degenerate?: string;
  /** Loop mode's wrap scores (./loop.ts), when the take was made to loop. */
  loop?: LoopReport;
  /**
   * A velocity-aware model's velocities, one per token (1..127 at note-ons, 0 elsewhere), when its velocityCentres
   * were given; undefined otherwise (the take gets the default dynamics, ../music/dynamics.ts).
   */
  velocities?: number[];
}

/** A generation request that cannot be run; message says what to change. */
export class GenerationError extends Error {
  override name = 'GenerationError';
  constructor(
    readonly code:
      | 'GENERATION_BAD_SEED'
      | 'GENERATION_BAD_LENGTH'
      | 'GENERATION_NO_CHECKPOINT'
      | 'GENERATION_NO_DEFAULT_MODEL'
      | 'GENERATION_UNSUPPORTED'
      | 'GENERATION_BAD_CHORDS',
    message: string,
  ) {
    super(message);
  }
}

/** Seed of variation k, derived from the request's randomSeed only. */
export function variationSeed(randomSeed: number, variation: number): number {
  return (Math.imul(randomSeed | 0, 0x27d4eb2f) ^ Math.imul(variation + 1, 0x165667b1)) >>> 0;
}

/**
 * Seed tokens for seed pitches: each pitch becomes a quarter note (note-on then three no-event tokens), the way the
 * encoder writes a quarter note.
 *
 * Why not the thesis' lone note-on token for a single pitch: the model is trained only on the prediction after a full
 * window, so its output after one token from a zero state is close to uniform. Measured on the bundled model: after
 * [60] alone, 72% of the probability mass lies outside the chorales' range (below G3 or above C#6) and the first sampled
 * notes jump across the keyboard; after [60, 129, 129, 129] that mass is 0.2%.
 */
export function seedTokensFromPitches(pitches: number[]): number[] {
  if (pitches.length === 0)
    throw new GenerationError('GENERATION_BAD_SEED', 'Give at least one seed note (e.g. 60 or C4).');
  for (const p of pitches) {
    if (!Number.isInteger(p) || p < 0 || p > 127)
      throw new GenerationError('GENERATION_BAD_SEED', `Seed pitch must be within [0, 127], got: ${p}`);
  }
  return pitches.flatMap((p) => [p, NO_EVENT, NO_EVENT, NO_EVENT]);
}

/**
 * Why the continuation tokens[from..] are degenerate, or undefined when they are fine.
 * Silence is counted from a note-off (or the start, if nothing sounds) until the next note-on.
 */
export function findDegeneracy(tokens: number[], from: number, maxSilentBars: number): string | undefined {
  const part = tokens.slice(from);
  if (part.length === 0) return undefined;
  if (part.every((t) => t === part[0])) return `the continuation repeats one token (${part[0]}) throughout`;
  if (!part.some((t) => t < NOTE_OFF)) return 'the continuation has no note';
  let sounding = false;
  for (let i = 0; i < from; i++) {
    if (tokens[i] < NOTE_OFF) sounding = true;
    else if (tokens[i] === NOTE_OFF) sounding = false;
  }
  let silent = 0;
  let longest = 0;
  for (const t of part) {
    if (t < NOTE_OFF) sounding = true;
    else if (t === NOTE_OFF) sounding = false;
    silent = sounding ? 0 : silent + 1;
    longest = Math.max(longest, silent);
  }
  if (longest > maxSilentBars * SIXTEENTHS_PER_BAR)
    return `the continuation is silent for ${(longest / SIXTEENTHS_PER_BAR).toFixed(1)} bars`;
  return findHeldNote(tokens, from, maxSilentBars);
}

/** Ticks per quarter of the notes the held-note check measures (a sixteenth = 120 ticks). */
const CHECK_PPQ = 480;

/**
 * A stretch longer than maxSilentBars bars without a new onset in tokens[from..] (from `from`, between onsets, and to
 * the end), measured as the quality report measures it (src/core/analysis longestOnsetGap: a held note is no new
 * note), or undefined. The sentence names the note that sounds when the stretch begins.
 */
function findHeldNote(tokens: number[], from: number, maxSilentBars: number): string | undefined {
  const step = CHECK_PPQ / 4;
  const notes = decodeMelody(tokens, { ppq: CHECK_PPQ }).tracks[0].notes;
  const passage = makePassage(notes, CHECK_PPQ, [], tokens.length * step);
  const fromTick = from * step;
  const stretch = longestOnsetGap(passage, fromTick);
  if (stretch <= maxSilentBars + 1e-9) return undefined;
  // Where the longest stretch begins (4/4 throughout: ticks compare as bars do).
  let previous = fromTick;
  let start = fromTick;
  let widest = -1;
  for (const onset of [
    ...passage.notes.filter((n) => n.startTick >= fromTick).map((n) => n.startTick),
    passage.endTick,
  ]) {
    if (onset - previous > widest) {
      widest = onset - previous;
      start = previous;
    }
    previous = onset;
  }
  const held = passage.notes.filter((n) => n.startTick <= start && n.startTick + n.durationTicks > start).at(-1);
  const bars = stretch.toFixed(1);
  if (!held) return `the continuation has no new note for ${bars} bars`;
  const heldBars = (
    (Math.min(held.startTick + held.durationTicks, start + widest) - start) /
    (step * SIXTEENTHS_PER_BAR)
  ).toFixed(1);
  return heldBars === bars
    ? `the continuation holds ${pitchName(held.pitch)} (${held.pitch}) for ${bars} bars without a new note`
    : `the continuation has no new note for ${bars} bars (${pitchName(held.pitch)} (${held.pitch}) held for ${heldBars} of them)`;
}

async function sampleOnce(
  decoder: Decoder,
  seedTokens: number[],
  total: number,
  temperature: number,
  rng: ReturnType<typeof createRng>,
  signal?: AbortSignal,
  logitBias?: GenerateOptions['logitBias'],
  chords?: ArrayLike<number>,
  velocityRng?: Rng,
): Promise<{ tokens: number[]; bins?: number[] }> {
  decoder.reset();
  const velocity = velocityRng && isVelocityDecoder(decoder) ? decoder : undefined;
  const bins: number[] = [];
  // A note-on's bin comes from the state that predicted it, so it is drawn before the note is fed.
  const drawBin = async (token: number) => {
    if (!velocity) return;
    const bin = isNoteOn(token) ? await drawVelocityBin(velocity, temperature, velocityRng!) : -1;
    if (bin >= 0) velocity.setVelocity(bin);
    bins.push(bin);
  };
  let logits: Float32Array = new Float32Array(0);
  for (let i = 0; i < seedTokens.length; i++) {
    setChordOf(decoder, chords, i + 1);
    await drawBin(seedTokens[i]);
    logits = await decoder.step(seedTokens[i]);
  }
  const tokens = [...seedTokens];
  while (tokens.length < total) {
    if (signal?.aborted) throw new CancelledError('Generation cancelled');
    const next = sampleToken(logits, temperature, rng, logitBias?.(tokens));
    tokens.push(next);
    await drawBin(next);
    if (tokens.length < total) {
      setChordOf(decoder, chords, tokens.length);
      logits = await decoder.step(next);
    }
  }
  return velocity ? { tokens, bins } : { tokens };
}

/**
 * Generates `variations` melodies with the decoder (which must be fresh or reusable: it is reset per try).
 * Asynchronous because every decoder step is (an engine may read logits back from a GPU); the promise rejects with
 * the errors below, validation ones before any step runs.
 * @throws GenerationError when the seed is empty/out of range or already fills the requested bars.
 * @throws CancelledError when the signal fires (checked per generated token).
 */
export async function generateMelodies(decoder: Decoder, options: GenerateOptions): Promise<GeneratedMelody[]> {
  const { seedTokens, bars, temperature, variations, randomSeed } = options;
  const maxRetries = options.maxRetries ?? 3;
  const maxSilentBars = options.maxSilentBars ?? 2;
  if (seedTokens.length === 0) throw new GenerationError('GENERATION_BAD_SEED', 'Give at least one seed token.');
  for (const t of seedTokens) {
    if (!Number.isInteger(t) || t < 0 || t > NO_EVENT)
      throw new GenerationError('GENERATION_BAD_SEED', `Seed token must be within [0, 129], got: ${t}`);
  }
  if (!Number.isInteger(bars) || bars < 1 || bars > 1024)
    throw new GenerationError('GENERATION_BAD_LENGTH', `bars must be an integer within [1, 1024], got: ${bars}`);
  const stepsPerBar = options.stepsPerBar ?? SIXTEENTHS_PER_BAR;
  if (!Number.isInteger(stepsPerBar) || stepsPerBar < 1 || stepsPerBar > 16 * 64)
    throw new GenerationError('GENERATION_BAD_LENGTH', `stepsPerBar must be a positive integer, got: ${stepsPerBar}`);
  const total = options.totalSteps ?? bars * stepsPerBar;
  if (!Number.isInteger(total) || total < 1 || total > 16 * 64 * 1024)
    throw new GenerationError('GENERATION_BAD_LENGTH', `totalSteps must be a positive integer, got: ${total}`);
  if (seedTokens.length >= total)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      `The seed is ${seedTokens.length} sixteenths long, which fills the ${bars} bars asked for; ask for more bars or a shorter seed.`,
    );
  if (!Number.isInteger(variations) || variations < 1)
    throw new GenerationError('GENERATION_BAD_LENGTH', `variations must be a positive integer, got: ${variations}`);
  const first = options.firstVariation ?? 0;
  if (!Number.isInteger(first) || first < 0)
    throw new GenerationError('GENERATION_BAD_LENGTH', `firstVariation must be an integer >= 0, got: ${first}`);
  if (options.chords && !decoder.setCondition)
    throw new GenerationError('GENERATION_UNSUPPORTED', 'This model has no chord input; it cannot follow chords.');
  const out: GeneratedMelody[] = [];
  for (let k = first; k < first + variations; k++) {
    const rng = createRng(variationSeed(randomSeed, k));
    const velocityRng = isVelocityDecoder(decoder) ? createRng(velocitySeed(variationSeed(randomSeed, k))) : undefined;
    const rejected: string[] = [];
    let drawn = await sampleOnce(
      decoder,
      seedTokens,
      total,
      temperature,
      rng,
      options.signal,
      options.logitBias,
      options.chords,
      velocityRng,
    );
    let reason = findDegeneracy(drawn.tokens, seedTokens.length, maxSilentBars);
    while (reason && rejected.length < maxRetries) {
      rejected.push(reason);
      drawn = await sampleOnce(
        decoder,
        seedTokens,
        total,
        temperature,
        rng,
        options.signal,
        options.logitBias,
        options.chords,
        velocityRng,
      );
      reason = findDegeneracy(drawn.tokens, seedTokens.length, maxSilentBars);
    }
    const { tokens, bins } = drawn;
    const centres = options.velocityCentres;
    const melody: GeneratedMelody = {
      tokens,
      seedLength: seedTokens.length,
      retries: rejected.length,
      rejected,
      ...(reason ? { degenerate: reason } : {}),
      ...(bins && centres ? { velocities: bins.map((b) => (b >= 0 ? velocityOfBin(b, centres) : 0)) } : {}),
    };
    out.push(options.refine ? await options.refine(melody, rng) : melody);
  }
  return out;
}
