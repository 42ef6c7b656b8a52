// SPDX-License-Identifier: MIT
/**
 * A piece as a polyphonic model reads it: frames of 0/1 over a pitch window [lowPitch, lowPitch + pitches), flattened
 * frame by frame (T * P values), at `stepsPerQuarter` frames per quarter note. A note sounds in every frame it covers
 * (./pianoRoll.ts rounds starts and ends to the grid); notes outside the window are left out and counted, so a caller
 * can say how much of a corpus its model cannot hear. Frames carry no onsets: a pitch sounding in consecutive frames is
 * one held note (the benchmark's convention, Boulanger-Lewandowski et al. 2012), which is how rollToNotes reads them.
 */
import type { Note } from '../music/NoteSequence';
import type { NoteSequence } from '../music/NoteSequence';
import { encodePianoRoll } from './pianoRoll';

export interface RollWindow {
  lowPitch: number;
  pitches: number;
  stepsPerQuarter: number;
}

export interface FlatRoll {
  values: Uint8Array;
  frames: number;
  /** Notes (frame-pitch cells, counted once per note onset) outside the pitch window, left out. */
  outOfRange: number;
}

/** The flattened roll of a sequence's non-percussion notes within `window`. */
export function flatRoll(sequence: NoteSequence, window: RollWindow): FlatRoll {
  const roll = encodePianoRoll(sequence, window.stepsPerQuarter);
  const P = window.pitches;
  const values = new Uint8Array(roll.frames.length * P);
  let outOfRange = 0;
  roll.frames.forEach((frame, t) => {
    for (const pitch of frame.sounding) {
      const p = pitch - window.lowPitch;
      if (p >= 0 && p < P) values[t * P + p] = 1;
    }
    for (const pitch of frame.onsets) if (pitch < window.lowPitch || pitch >= window.lowPitch + P) outOfRange++;
  });
  return { values, frames: roll.frames.length, outOfRange };
}

/**
 * The notes of flattened frames (T * P values, nonzero = sounding): a run of frames in which a pitch sounds is one note,
 * `ticksPerFrame` ticks a frame, velocity `velocity` (dynamics are applied later).
 */
export function rollToNotes(
  values: ArrayLike<number>,
  window: Pick<RollWindow, 'lowPitch' | 'pitches'>,
  ticksPerFrame: number,
  velocity = 80,
): Note[] {
  const P = window.pitches;
  const T = Math.floor(values.length / P);
  const notes: Note[] = [];
  for (let p = 0; p < P; p++) {
    let start = -1;
    for (let t = 0; t <= T; t++) {
      const on = t < T && values[t * P + p] !== 0;
      if (on && start < 0) start = t;
      else if (!on && start >= 0) {
        notes.push({
          pitch: window.lowPitch + p,
          startTick: start * ticksPerFrame,
          durationTicks: (t - start) * ticksPerFrame,
          velocity,
        });
        start = -1;
      }
    }
  }
  return notes.sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}
