// SPDX-License-Identifier: MIT
/**
 * The one canonical sequence shape of the domain core. Ticks + PPQ are the truth;
 * seconds are derived through the tempo map. Plain data only: no classes, no reactivity,
 * so it crosses worker, IPC and HTTP boundaries unchanged.
 */

export type Ticks = number;
export type Seconds = number;
export type Bpm = number;
/** MIDI velocity 1..127 (0 is a note-off on the wire and never stored). */
export type Velocity = number;
/** MIDI pitch 0..127. */
export type Pitch = number;

export interface Note {
  pitch: Pitch;
  startTick: Ticks;
  durationTicks: Ticks;
  velocity: Velocity;
}

export interface Track {
  name: string;
  /** General MIDI program 0..127 (0 = acoustic grand piano). */
  program: number;
  /** MIDI channel 0..15; 9 is percussion. */
  channel: number;
  isPercussion: boolean;
  /** Sorted by startTick, then pitch. */
  notes: Note[];
}

export interface TempoEvent {
  tick: Ticks;
  bpm: Bpm;
}

export interface TimeSignatureEvent {
  tick: Ticks;
  numerator: number;
  denominator: number;
}

export interface KeySignatureEvent {
  tick: Ticks;
  /** e.g. "C", "F#", "Bb". */
  key: string;
  scale: 'major' | 'minor';
}

export interface NoteSequence {
  /** Ticks per quarter note. */
  ppq: number;
  name: string;
  /** Sorted by tick; empty means the MIDI default of 120 bpm. */
  tempos: TempoEvent[];
  /** Sorted by tick; empty means 4/4. */
  timeSignatures: TimeSignatureEvent[];
  keySignatures: KeySignatureEvent[];
  tracks: Track[];
}

/** A monophonic or polyphonic token/frame representation ready to store and train on. */
export type MelodyTokens = number[];
