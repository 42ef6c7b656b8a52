// SPDX-License-Identifier: MIT
/**
 * Regenerate a selection of a polyphonic take: bars [fromBar, toBar) AND a pitch range [low, high]. Only the cells of
 * the piano roll inside both are drawn again; every other cell keeps its value, so every note outside the selected
 * bars or pitches stays note for note.
 *
 * Clamping: a polyphonic frame is drawn pitch by pitch from low to high, each a Bernoulli given the past frames and the
 * lower pitches of its frame (./polyLstm.ts). Inside the selected bars, a pitch outside the range is clamped to the
 * take's value (PolyDecoder.sampleFrame `clamp`): it is fed to the pitch stack as if drawn, so the pitches above it are
 * drawn given what the take plays there, and the frame's time state sees the whole frame as the take will have it.
 *
 * Scheme: sampling-importance-resampling with a look-ahead, as ./infill.ts does for melodies. The target is
 * P(selection | before, after) ~ P(selection | before) * P(after | before, selection): K candidates (default
 * ./infillSelection.ts DEFAULT_INFILL_CANDIDATES) are drawn left to right from the state after the bars before the selection
 * (at the request's temperature and pitch bias, which steer only the drawn pitches), each is weighted by the model's
 * probability of the following context (the take's next `contextFrames` frames, default one bar; temperature 1, no
 * bias; exact frame log-probabilities, ./polyDecoding.ts frameLogProb) given everything before it, and one candidate
 * is drawn with probability proportional to that weight. Candidate 0 is a plain left-to-right re-generation of the
 * same cells with this random seed: its seam score is reported as `seamLeftToRight`, the kept one's as `seam` (mean
 * log-probability per frame of the following context, nats).
 *
 * Seams: frames carry no onsets, so the rolls need no rewriting at the bar lines; the notes do (./polyInfill.ts
 * splicePolyInfillNotes): a selected-range note held into the selection ends at its first bar line, one held out of it
 * keeps its part after the last bar line as a note of its own, a new note ends at that bar line at the latest.
 *
 * Cost: K * (toFrame + contextFrames) decoder frames (the prefix is replayed per candidate: the decoder has no state
 * snapshot). Reproducible: every draw comes from createRng(randomSeed), candidates in order, then the resampling draw.
 */
import { rollToNotes } from '../encoding/rollFrames';
import { applyDynamics } from '../music/dynamics';
import type { Meter } from '../music/meter';
import type { Note } from '../music/NoteSequence';
import { createRng } from '../util/random';
import { GenerationError } from './generate';
import { candidateCount, infillSteps, lookAheadLength, resampleIndex, seamReport } from './infillSelection';
import type { PolyDecoder } from './polyLstm';
import { drawFrames, feedFrames, meanFrameLogProb } from './polyDecoding';

/** MIDI pitches low..high, both included. */
export interface PitchSpan {
  low: number;
  high: number;
}

export interface PolyInfillOptions {
  /** First selected bar (0-based, at least 1) and the bar after the selection. */
  fromBar: number;
  toBar: number;
  framesPerBar: number;
  /** The model's pitch window (the roll's first pitch). */
  lowPitch: number;
  /** The pitches to draw again (default: all of the window). */
  pitchRange?: PitchSpan;
  temperature: number;
  randomSeed: number;
  candidates?: number;
  /** Frames of following context that weigh a candidate (default one bar; fewer where the take ends). */
  contextFrames?: number;
  /** Per pitch of the window, added to each drawn pitch's logit (./controls.ts framePitchBias). */
  pitchBias?: ArrayLike<number>;
  /** The chord of every frame of the take (12-bit masks), for a chord-conditioned model. */
  chords?: ArrayLike<number>;
  signal?: AbortSignal;
  /** Called before every frame drawn: throw (e.g. CancelledError) to stop. */
  beforeFrame?: () => void;
}

export interface PolyInfillResult {
  /** The whole take's frames: every cell outside the selection as it was. */
  frames: Uint8Array;
  fromFrame: number;
  toFrame: number;
  /** The selected pitches, clipped to the window. */
  pitchRange: PitchSpan;
  seam: number;
  seamLeftToRight: number;
  candidates: number;
  kept: number;
  candidateSeams: number[];
  contextFrames: number;
}

/**
 * Regenerates the selected bars x pitches of a take's frames (see the header).
 * @throws GenerationError for a selection outside the take or the window, RangeError for a bad option,
 *   CancelledError when the signal fires.
 */
export async function infillPoly(
  decoder: PolyDecoder,
  frames: Uint8Array,
  options: PolyInfillOptions,
): Promise<PolyInfillResult> {
  const P = decoder.pitches;
  if (frames.length % P !== 0)
    throw new GenerationError(
      'GENERATION_BAD_SEED',
      `A take's frames must be whole frames of the model's ${P} pitches, got ${frames.length} values.`,
    );
  const total = frames.length / P;
  const { fromStep: fromFrame, toStep: toFrame } = infillSteps(
    total,
    options.fromBar,
    options.toBar,
    options.framesPerBar,
  );
  const high = options.lowPitch + P - 1;
  const wanted = options.pitchRange ?? { low: options.lowPitch, high };
  if (!Number.isInteger(wanted.low) || !Number.isInteger(wanted.high) || wanted.low > wanted.high)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      `The pitch range must run from a low pitch up to a high one, got ${wanted.low}-${wanted.high}.`,
    );
  const range = { low: Math.max(wanted.low, options.lowPitch), high: Math.min(wanted.high, high) };
  if (range.low > range.high)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      `The pitch range ${wanted.low}-${wanted.high} lies outside the pitches this model plays (${options.lowPitch}-${high}); select pitches within them.`,
    );
  const k = candidateCount(options.candidates);
  const contextFrames = lookAheadLength(
    options.contextFrames,
    options.framesPerBar,
    total - toFrame,
    'contextFrames',
    'frames',
  );
  const rng = createRng(options.randomSeed);
  const free = (p: number) => options.lowPitch + p >= range.low && options.lowPitch + p <= range.high;
  const clampOf = (t: number) => Float32Array.from({ length: P }, (_, p) => (free(p) ? -1 : frames[t * P + p]));
  const prefix = frames.subarray(0, fromFrame * P);
  const context = frames.subarray(toFrame * P, (toFrame + contextFrames) * P);
  const drawn: { frames: Uint8Array; seam: number }[] = [];
  for (let c = 0; c < k; c++) {
    decoder.reset();
    await feedFrames(decoder, prefix, 0, options.chords);
    const selection = await drawFrames(
      decoder,
      toFrame - fromFrame,
      fromFrame,
      rng,
      {
        temperature: options.temperature,
        ...(options.pitchBias ? { pitchBias: options.pitchBias } : {}),
        ...(options.chords ? { chords: options.chords } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.beforeFrame ? { beforeFrame: options.beforeFrame } : {}),
      },
      { clampOf },
    );
    const take = new Uint8Array(frames);
    take.set(selection, fromFrame * P);
    const seam = await meanFrameLogProb(decoder, context, toFrame, options.chords);
    drawn.push({ frames: take, seam });
  }
  // Resampling: one draw proportional to exp(log-likelihood of the context) = exp(seam * contextFrames).
  const kept = resampleIndex(
    drawn.map((d) => d.seam * contextFrames),
    rng,
  );
  return {
    frames: drawn[kept].frames,
    fromFrame,
    toFrame,
    pitchRange: range,
    ...seamReport(
      drawn.map((d) => d.seam),
      kept,
    ),
    contextFrames,
  };
}

/**
 * The notes of a polyphonic take after infillPoly: every note outside the selected pitches, or outside the selected
 * bars, kept exactly as it was (velocity, timing, edits); a selected-pitch note held into the selection ends at its
 * first bar line, one held out of it keeps its part after the last bar line (re-struck there); the selection's notes
 * come from the new frames (velocities from ../music/dynamics.ts), ending at its last bar line at the latest. A note
 * belongs to the frame its start rounds to.
 */
export function splicePolyInfillNotes(
  original: readonly Note[],
  frames: ArrayLike<number>,
  options: {
    ppq: number;
    meter: Meter;
    stepsPerQuarter: number;
    lowPitch: number;
    pitches: number;
    fromFrame: number;
    toFrame: number;
    pitchRange: PitchSpan;
  },
): Note[] {
  const { ppq, fromFrame, toFrame, pitchRange, lowPitch, pitches } = options;
  const ticksPerFrame = ppq / options.stepsPerQuarter;
  const fromTick = fromFrame * ticksPerFrame;
  const toTick = toFrame * ticksPerFrame;
  const frameOf = (tick: number) => Math.round(tick / ticksPerFrame);
  const selected = (pitch: number) => pitch >= pitchRange.low && pitch <= pitchRange.high;
  const out: Note[] = [];
  for (const note of original) {
    const start = frameOf(note.startTick);
    const endTick = note.startTick + note.durationTicks;
    if (!selected(note.pitch) || start >= toFrame || frameOf(endTick) <= fromFrame) {
      out.push({ ...note });
      continue;
    }
    if (start < fromFrame)
      out.push({ ...note, durationTicks: Math.max(1, Math.min(endTick, fromTick) - note.startTick) });
    if (frameOf(endTick) > toFrame) out.push({ ...note, startTick: toTick, durationTicks: endTick - toTick });
  }
  // The selection's cells only: frames [fromFrame, toFrame) of the selected pitches.
  const count = toFrame - fromFrame;
  const cells = new Uint8Array(count * pitches);
  for (let t = 0; t < count; t++)
    for (let p = 0; p < pitches; p++)
      if (selected(lowPitch + p)) cells[t * pitches + p] = frames[(fromFrame + t) * pitches + p] ? 1 : 0;
  const fresh = rollToNotes(cells, { lowPitch, pitches }, ticksPerFrame).map((n) => ({
    ...n,
    startTick: n.startTick + fromTick,
  }));
  const dynamic = applyDynamics(fresh, { ppq, meter: options.meter });
  return [...out, ...dynamic].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}
