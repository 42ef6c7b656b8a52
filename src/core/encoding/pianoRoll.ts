// SPDX-License-Identifier: MIT
/**
 * Polyphonic piano roll: one frame per grid step, each listing the pitches sounding in it and the
 * pitches that (re)start in it. Onsets matter for repeated notes: two quarter notes C4 C4 and one
 * half note C4 sound the same in every frame and differ only in their onsets.
 */
import type { Note, NoteSequence } from '../music/NoteSequence';
import { EncodingError, stepTicksOf } from './errors';

/** One grid step. Both lists are sorted ascending, without duplicates; `onsets` ⊆ `sounding`. */
export interface PianoRollFrame {
  sounding: number[];
  onsets: number[];
}

/** Frames on a grid of `stepsPerQuarter` steps per quarter note (4 = sixteenths). */
export interface PianoRoll {
  stepsPerQuarter: number;
  frames: PianoRollFrame[];
}

function sortedUnique(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * Encode all non-percussion notes of a sequence. Each note's start and end go to the nearest step
 * (a note lasts at least one step); it sounds in [startStep, endStep) and has its onset at
 * startStep. Frame count: up to the last note end, or `seq.totalTicks` in steps if that is longer.
 * @param stepsPerQuarter grid resolution, a positive integer (default 4 = sixteenths)
 * @throws {EncodingError} ENCODING_PPQ_INVALID for a bad stepsPerQuarter or ppq
 */
export function encodePianoRoll(seq: NoteSequence, stepsPerQuarter = 4): PianoRoll {
  if (!Number.isInteger(stepsPerQuarter) || stepsPerQuarter <= 0) {
    throw new EncodingError(
      'ENCODING_PPQ_INVALID',
      `stepsPerQuarter must be a positive integer, got: ${stepsPerQuarter}`,
    );
  }
  if (!(seq.ppq > 0))
    throw new EncodingError('ENCODING_PPQ_INVALID', `"${seq.name}": ppq must be positive, got: ${seq.ppq}`);
  const stepTicks = seq.ppq / stepsPerQuarter;
  const spans: { pitch: number; startStep: number; endStep: number }[] = [];
  let frameCount = seq.totalTicks === undefined ? 0 : Math.round(seq.totalTicks / stepTicks);
  for (const track of seq.tracks) {
    if (track.isPercussion) continue;
    for (const note of track.notes) {
      const startStep = Math.round(note.startTick / stepTicks);
      const endStep = Math.max(startStep + 1, Math.round((note.startTick + note.durationTicks) / stepTicks));
      spans.push({ pitch: note.pitch, startStep, endStep });
      frameCount = Math.max(frameCount, endStep);
    }
  }
  const sounding: Set<number>[] = Array.from({ length: frameCount }, () => new Set<number>());
  const onsets: Set<number>[] = Array.from({ length: frameCount }, () => new Set<number>());
  for (const span of spans) {
    onsets[span.startStep].add(span.pitch);
    for (let step = span.startStep; step < span.endStep; step++) sounding[step].add(span.pitch);
  }
  return {
    stepsPerQuarter,
    frames: sounding.map((pitches, step) => ({ sounding: sortedUnique(pitches), onsets: sortedUnique(onsets[step]) })),
  };
}

/**
 * Build a roll from plain frame lists (the Boulanger-Lewandowski / JSB JSON layout, which has no
 * onsets): a pitch sounding in consecutive frames is one held note, so its onset is only where it
 * was not sounding in the previous frame.
 * @param frames per step, the sounding MIDI pitches (integers 0..127, any order, duplicates allowed)
 * @throws {EncodingError} PIANOROLL_INVALID for a pitch outside 0..127, ENCODING_PPQ_INVALID for a bad stepsPerQuarter
 */
export function pianoRollFromFrameLists(frames: number[][], stepsPerQuarter: number): PianoRoll {
  if (!Number.isInteger(stepsPerQuarter) || stepsPerQuarter <= 0) {
    throw new EncodingError(
      'ENCODING_PPQ_INVALID',
      `stepsPerQuarter must be a positive integer, got: ${stepsPerQuarter}`,
    );
  }
  let previous = new Set<number>();
  return {
    stepsPerQuarter,
    frames: frames.map((frame, step) => {
      for (const pitch of frame) {
        if (!Number.isInteger(pitch) || pitch < 0 || pitch > 127) {
          throw new EncodingError(
            'PIANOROLL_INVALID',
            `frame ${step}: pitch must be an integer within [0, 127], got: ${pitch}`,
          );
        }
      }
      const sounding = sortedUnique(frame);
      const onsets = sounding.filter((pitch) => !previous.has(pitch));
      previous = new Set(sounding);
      return { sounding, onsets };
    }),
  };
}

/**
 * Decode a roll to a one-track piano sequence. A note starts at each onset of a pitch (and, for
 * robustness, where a pitch sounds without having sounded in the previous frame) and lasts while
 * the pitch keeps sounding without a new onset. `totalTicks` = frame count × step, so
 * `encodePianoRoll(decodePianoRoll(roll), roll.stepsPerQuarter)` returns `roll` for every well-formed
 * roll (onsets ⊆ sounding, and a pitch that starts sounding has an onset there — as every roll from
 * {@link encodePianoRoll} or {@link pianoRollFromFrameLists} has).
 * @param opts.ppq ticks per quarter, divisible by stepsPerQuarter (default 480)
 * @param opts.bpm default 120; opts.velocity default 100
 * @throws {EncodingError} PIANOROLL_INVALID when an onset is not sounding or a pitch is out of range;
 *   ENCODING_PPQ_INVALID when ppq is not divisible by stepsPerQuarter
 */
export function decodePianoRoll(
  roll: PianoRoll,
  opts: { ppq?: number; bpm?: number; velocity?: number } = {},
): NoteSequence {
  const ppq = opts.ppq ?? 480;
  const stepTicks = stepTicksOf(ppq, roll.stepsPerQuarter);
  const velocity = Math.min(127, Math.max(1, Math.round(opts.velocity ?? 100)));
  const notes: Note[] = [];
  // Open note per pitch: its start step, or -1.
  const openSince = new Array<number>(128).fill(-1);
  const close = (pitch: number, endStep: number): void => {
    const startStep = openSince[pitch];
    if (startStep < 0) return;
    notes.push({ pitch, startTick: startStep * stepTicks, durationTicks: (endStep - startStep) * stepTicks, velocity });
    openSince[pitch] = -1;
  };
  roll.frames.forEach((frame, step) => {
    const soundingNow = new Set<number>();
    for (const pitch of frame.sounding) {
      if (!Number.isInteger(pitch) || pitch < 0 || pitch > 127) {
        throw new EncodingError(
          'PIANOROLL_INVALID',
          `frame ${step}: pitch must be an integer within [0, 127], got: ${pitch}`,
        );
      }
      soundingNow.add(pitch);
    }
    for (const pitch of frame.onsets) {
      if (!soundingNow.has(pitch)) {
        throw new EncodingError(
          'PIANOROLL_INVALID',
          `frame ${step}: onset ${pitch} is not in the sounding pitches; every onset must sound.`,
        );
      }
    }
    for (let pitch = 0; pitch < 128; pitch++) {
      if (openSince[pitch] >= 0 && !soundingNow.has(pitch)) close(pitch, step);
    }
    for (const pitch of frame.onsets) close(pitch, step);
    for (const pitch of soundingNow) if (openSince[pitch] < 0) openSince[pitch] = step;
  });
  for (let pitch = 0; pitch < 128; pitch++) close(pitch, roll.frames.length);
  notes.sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
  return {
    ppq,
    name: 'Piano roll',
    tempos: [{ tick: 0, bpm: opts.bpm ?? 120 }],
    timeSignatures: [{ tick: 0, numerator: 4, denominator: 4 }],
    keySignatures: [],
    tracks: [{ name: 'Piano', program: 0, channel: 0, isPercussion: false, notes }],
    totalTicks: roll.frames.length * stepTicks,
  };
}
