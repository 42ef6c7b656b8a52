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
  /**
   * Explicit rests, only where a source states them: the melody format's 128 token is a rest
   * event, and a melody may hold several in a row. Kept so that melody tokens survive a
   * decode -> encode round trip exactly; MIDI files have no rests, so parseMidi never sets it and
   * writeMidi ignores it. Sorted by startTick.
   */
  rests?: Rest[];
}

/** A stated silence (see {@link Track.rests}). */
export interface Rest {
  startTick: Ticks;
  durationTicks: Ticks;
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
  /**
   * Length of the piece in ticks when a source knows it beyond its last note (a decoded melody's
   * token count x step, a decoded piano roll's frame count x step), so trailing silence survives a
   * round trip. Absent means "ends with its last note". parseMidi leaves it unset: end-of-track
   * padding in files is arbitrary.
   */
  totalTicks?: Ticks;
}

/** A monophonic or polyphonic token/frame representation ready to store and train on. */
export type MelodyTokens = number[];
