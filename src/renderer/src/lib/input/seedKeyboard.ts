// SPDX-License-Identifier: MIT
/**
 * The computer keyboard as a piano for seed notes, tracker-style: the home row plays white
 * keys, the row above plays black keys. A W S E D F T G Y H U J K = C C# D D# E F F# G G# A A# B C'.
 * Z and X shift the octave down/up.
 */
import type { Pitch } from '../../../../core/music/NoteSequence';

const SEMITONE_BY_KEY: Readonly<Record<string, number>> = {
  a: 0,
  w: 1,
  s: 2,
  e: 3,
  d: 4,
  f: 5,
  t: 6,
  g: 7,
  y: 8,
  h: 9,
  u: 10,
  j: 11,
  k: 12,
};

/** Octave numbers follow scientific pitch notation: C4 = MIDI 60. */
export const MIN_OCTAVE = 0;
export const MAX_OCTAVE = 8;
export const DEFAULT_OCTAVE = 4;

export function octaveBasePitch(octave: number): Pitch {
  return (octave + 1) * 12;
}

export type SeedKeyAction = { kind: 'note'; pitch: Pitch } | { kind: 'octave'; octave: number } | { kind: 'none' };

/**
 * What a key press means in the given octave. `key` is KeyboardEvent.key; modifiers are the
 * caller's business (Ctrl+Z is undo, not octave down).
 */
export function seedKeyAction(key: string, octave: number): SeedKeyAction {
  const lower = key.toLowerCase();
  if (lower === 'z') return { kind: 'octave', octave: Math.max(MIN_OCTAVE, octave - 1) };
  if (lower === 'x') return { kind: 'octave', octave: Math.min(MAX_OCTAVE, octave + 1) };
  const semitone = SEMITONE_BY_KEY[lower];
  if (semitone === undefined) return { kind: 'none' };
  const pitch = octaveBasePitch(octave) + semitone;
  return pitch >= 0 && pitch <= 127 ? { kind: 'note', pitch } : { kind: 'none' };
}

/** The key label for a pitch in the current octave, if any (for the on-screen keyboard). */
export function keyLabelForPitch(pitch: Pitch, octave: number): string | null {
  const semitone = pitch - octaveBasePitch(octave);
  for (const [key, s] of Object.entries(SEMITONE_BY_KEY)) if (s === semitone) return key.toUpperCase();
  return null;
}
