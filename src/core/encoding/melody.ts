// SPDX-License-Identifier: MIT
/**
 * The thesis' monophonic melody format ("Melody-RNN", see shared SEED.md): one integer per
 * sixteenth note —
 *   0..127  a note starts at that MIDI pitch (and stops the one sounding),
 *   128     NOTE_OFF: silence starts (a rest),
 *   129     NO_EVENT: whatever sounds (note or silence) goes on.
 * A note of d sixteenths at step i writes its pitch at i and 128 at i + d, unless another note
 * starts at i + d.
 */
import type { Note, NoteSequence, Rest, Track } from '../music/NoteSequence';
import { EncodingError, stepTicksOf } from './errors';

/** Token: silence starts. */
export const NOTE_OFF = 128;
/** Token: nothing new happens in this sixteenth. */
export const NO_EVENT = 129;
/** Number of distinct tokens (0..129). */
export const MELODY_VOCAB = 130;

/** Sixteenths per quarter note: the melody grid. */
const STEPS_PER_QUARTER = 4;

/**
 * Which notes of a sequence form the melody.
 * - `first-part`: the first non-percussion track that has notes (music21's "first part", as the thesis);
 * - `most-notes`: the non-percussion track with the most notes (the first of equals);
 * - `merged`: all non-percussion tracks together (then the highest note wins at each onset).
 */
export type MelodySource = 'first-part' | 'most-notes' | 'merged';

/** The tracks a source reads; empty when the sequence has no pitched notes. */
function melodyTracks(seq: NoteSequence, source: MelodySource): Track[] {
  const pitched = seq.tracks.filter(
    (track) => !track.isPercussion && (track.notes.length > 0 || (track.rests?.length ?? 0) > 0),
  );
  if (pitched.length === 0) return [];
  if (source === 'merged') return pitched;
  if (source === 'most-notes') {
    let best = pitched[0];
    for (const track of pitched) if (track.notes.length > best.notes.length) best = track;
    return [best];
  }
  return [pitched[0]];
}

/** A note on the sixteenth grid: steps, not ticks. */
interface GridNote {
  pitch: number;
  velocity: number;
  startStep: number;
  endStep: number;
}

/**
 * Quantise to the grid and make monophonic: start and end go to the nearest sixteenth (a note is
 * at least one sixteenth long); of notes starting in the same sixteenth the highest pitch wins;
 * a note is cut where the next one starts.
 */
function toGridMelody(notes: readonly Note[], ppq: number): GridNote[] {
  const stepTicks = ppq / STEPS_PER_QUARTER;
  const byStart = new Map<number, GridNote>();
  for (const note of notes) {
    const startStep = Math.round(note.startTick / stepTicks);
    const endStep = Math.max(startStep + 1, Math.round((note.startTick + note.durationTicks) / stepTicks));
    const current = byStart.get(startStep);
    if (!current || note.pitch > current.pitch) {
      byStart.set(startStep, { pitch: note.pitch, velocity: note.velocity, startStep, endStep });
    }
  }
  const melody = [...byStart.values()].sort((a, b) => a.startStep - b.startStep);
  for (let i = 0; i + 1 < melody.length; i++) {
    melody[i].endStep = Math.min(melody[i].endStep, melody[i + 1].startStep);
  }
  return melody;
}

/**
 * The monophonic melody of a sequence, as the encoder sees it: notes of the chosen
 * {@link MelodySource}, quantised to sixteenths (start and end to the nearest sixteenth, at least
 * one sixteenth long), the highest pitch where several start in the same sixteenth, each note cut
 * where the next starts. Ticks are on the sequence's own PPQ.
 * @param source default 'first-part'
 * @returns notes sorted by startTick, never overlapping; [] when there are no pitched notes
 */
export function extractMelody(seq: NoteSequence, source: MelodySource = 'first-part'): Note[] {
  const stepTicks = seq.ppq / STEPS_PER_QUARTER;
  const notes = melodyTracks(seq, source).flatMap((track) => track.notes);
  return toGridMelody(notes, seq.ppq).map((note) => ({
    pitch: note.pitch,
    velocity: note.velocity,
    startTick: Math.round(note.startStep * stepTicks),
    durationTicks: Math.round(note.endStep * stepTicks) - Math.round(note.startStep * stepTicks),
  }));
}

/**
 * The velocity of every melody note-on of a sequence, by sixteenth: the MIDI velocity of the note that
 * {@link encodeMelody} writes at that step (the same source, quantisation and highest-pitch rule), 0 where no note
 * starts. A velocity-aware model learns from these (../model/velocity.ts).
 * @param steps length of the result (the piece's token count)
 */
export function melodyVelocities(seq: NoteSequence, source: MelodySource, steps: number): Uint8Array {
  const out = new Uint8Array(steps);
  if (!(seq.ppq > 0)) return out;
  const melody = toGridMelody(
    melodyTracks(seq, source).flatMap((track) => track.notes),
    seq.ppq,
  );
  for (const note of melody)
    if (note.startStep >= 0 && note.startStep < steps) out[note.startStep] = Math.min(127, Math.max(0, note.velocity));
  return out;
}

function gridToTokens(
  melody: readonly GridNote[],
  restStartSteps: readonly number[],
  totalSteps: number | undefined,
): number[] {
  let length = 0;
  for (const note of melody) length = Math.max(length, note.endStep + 1);
  for (const restStep of restStartSteps) length = Math.max(length, restStep + 1);
  if (totalSteps !== undefined) {
    // A stated length wins, but never drops an event.
    length = totalSteps;
    for (const note of melody) length = Math.max(length, note.startStep + 1);
    for (const restStep of restStartSteps) length = Math.max(length, restStep + 1);
  }
  const tokens = new Array<number>(length).fill(NO_EVENT);
  for (const restStep of restStartSteps) tokens[restStep] = NOTE_OFF;
  for (const note of melody) if (note.endStep < length) tokens[note.endStep] = NOTE_OFF;
  // Onsets last: a note starting where another ends replaces that 128.
  for (const note of melody) tokens[note.startStep] = note.pitch;
  return tokens;
}

/**
 * Tokens of monophonic (or not) notes, with no stated length: the sequence ends with the 128
 * after the last note. Notes are quantised and reduced exactly as {@link extractMelody} does.
 * @param ppq ticks per quarter of the notes' ticks
 * @example melodyNotesToTokens([{ pitch: 60, startTick: 0, durationTicks: 240, velocity: 90 }], 480) // [60, 129, 128]
 */
export function melodyNotesToTokens(notes: Note[], ppq: number): number[] {
  if (!(ppq > 0)) throw new EncodingError('ENCODING_PPQ_INVALID', `ppq must be positive, got: ${ppq}`);
  return gridToTokens(toGridMelody(notes, ppq), [], undefined);
}

/**
 * Encode a sequence as melody tokens (one per sixteenth of its own PPQ).
 *
 * Length: `seq.totalTicks` in sixteenths when set (a note reaching the end then gets no closing
 * 128), otherwise up to and including the 128 after the last note. Stated rests
 * (`track.rests`, from {@link decodeMelody}) of a single-track source write their 128 too, so
 * `encodeMelody(decodeMelody(tokens))` returns `tokens` exactly for every valid token list.
 * @param opts.source which notes form the melody, default 'first-part'
 */
export function encodeMelody(seq: NoteSequence, opts: { source?: MelodySource } = {}): number[] {
  const source = opts.source ?? 'first-part';
  if (!(seq.ppq > 0))
    throw new EncodingError('ENCODING_PPQ_INVALID', `"${seq.name}": ppq must be positive, got: ${seq.ppq}`);
  const stepTicks = seq.ppq / STEPS_PER_QUARTER;
  const tracks = melodyTracks(seq, source);
  const melody = toGridMelody(
    tracks.flatMap((track) => track.notes),
    seq.ppq,
  );
  const rests: Rest[] = source === 'merged' || tracks.length !== 1 ? [] : (tracks[0].rests ?? []);
  const restStartSteps = rests.map((rest) => Math.round(rest.startTick / stepTicks));
  const totalSteps = seq.totalTicks === undefined ? undefined : Math.round(seq.totalTicks / stepTicks);
  return gridToTokens(melody, restStartSteps, totalSteps);
}

/**
 * Check that every token is an integer within [0, 129].
 * @throws {EncodingError} MELODY_TOKEN_INVALID naming the first bad index and value.
 */
export function validateMelodyTokens(tokens: ArrayLike<number>): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!Number.isInteger(token) || token < 0 || token >= MELODY_VOCAB) {
      throw new EncodingError(
        'MELODY_TOKEN_INVALID',
        `melody token ${i} must be an integer within [0, ${MELODY_VOCAB - 1}] (0-127 note, 128 note-off, 129 no event), got: ${token}`,
      );
    }
  }
}

/**
 * Decode melody tokens to a one-track sequence. Every token other than 129 starts an event that
 * lasts until the next such token or the end: a note for 0..127, a rest for 128 (kept in
 * `track.rests`). Leading 129s are silence. `totalTicks` = tokens.length sixteenths, so trailing
 * silence survives re-encoding.
 * @param opts.ppq ticks per quarter, divisible by 4 (default 480)
 * @param opts.bpm tempo written to the sequence (default 120)
 * @param opts.velocity velocity of every note, 1..127 (default 100)
 * @param opts.name sequence and track name (default "Melody")
 * @param opts.timeSignature the meter written to the sequence (default 4/4)
 * @throws {EncodingError} MELODY_TOKEN_INVALID or ENCODING_PPQ_INVALID
 */
export function decodeMelody(
  tokens: ArrayLike<number>,
  opts: {
    ppq?: number;
    bpm?: number;
    velocity?: number;
    name?: string;
    timeSignature?: { numerator: number; denominator: number };
  } = {},
): NoteSequence {
  validateMelodyTokens(tokens);
  const ppq = opts.ppq ?? 480;
  const stepTicks = stepTicksOf(ppq, STEPS_PER_QUARTER);
  const bpm = opts.bpm ?? 120;
  const velocity = Math.min(127, Math.max(1, Math.round(opts.velocity ?? 100)));
  const name = opts.name ?? 'Melody';
  const notes: Note[] = [];
  const rests: Rest[] = [];
  let eventStep = -1;
  const closeEvent = (endStep: number): void => {
    if (eventStep < 0) return;
    const startTick = eventStep * stepTicks;
    const durationTicks = (endStep - eventStep) * stepTicks;
    const token = tokens[eventStep];
    if (token === NOTE_OFF) rests.push({ startTick, durationTicks });
    else notes.push({ pitch: token, startTick, durationTicks, velocity });
  };
  for (let step = 0; step < tokens.length; step++) {
    if (tokens[step] === NO_EVENT) continue;
    closeEvent(step);
    eventStep = step;
  }
  closeEvent(tokens.length);
  return {
    ...melodySequence(notes, { ppq, bpm, name, ...(opts.timeSignature ? { timeSignature: opts.timeSignature } : {}) }),
    totalTicks: tokens.length * stepTicks,
    tracks: [{ ...melodyTrack(name, notes), rests }],
  };
}

function melodyTrack(name: string, notes: Note[]): Track {
  return { name, program: 0, channel: 0, isPercussion: false, notes };
}

/**
 * A melody's notes as a one-track sequence on the piano (program 0, channel 0) at one tempo and one meter (default
 * 4/4): the shape of every generated or decoded melody, in the app and in the files it writes.
 */
export function melodySequence(
  notes: readonly Note[],
  opts: { ppq: number; bpm: number; name: string; timeSignature?: { numerator: number; denominator: number } },
): NoteSequence {
  const { ppq, bpm, name } = opts;
  const { numerator, denominator } = opts.timeSignature ?? { numerator: 4, denominator: 4 };
  return {
    ppq,
    name,
    tempos: [{ tick: 0, bpm }],
    timeSignatures: [{ tick: 0, numerator, denominator }],
    keySignatures: [],
    tracks: [melodyTrack(name, [...notes])],
  };
}
