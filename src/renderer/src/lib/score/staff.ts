// SPDX-License-Identifier: MIT
/**
 * Pitch spelling and bar length for the score (lib/score/engrave.ts): which letter, alteration and
 * octave a MIDI pitch is written as. Pure functions.
 */
import type { Pitch, Ticks } from '../../../../core/music/NoteSequence';

export type Spelling = 'sharps' | 'flats';

interface SpelledPitch {
  /** Letter index C=0 D=1 E=2 F=3 G=4 A=5 B=6. */
  letter: number;
  /** -1 flat, 0 natural, +1 sharp. */
  alteration: -1 | 0 | 1;
  octave: number;
}

const SHARP_SPELLING: readonly [number, -1 | 0 | 1][] = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
  [2, 0],
  [3, 0],
  [3, 1],
  [4, 0],
  [4, 1],
  [5, 0],
  [5, 1],
  [6, 0],
];
const FLAT_SPELLING: readonly [number, -1 | 0 | 1][] = [
  [0, 0],
  [1, -1],
  [1, 0],
  [2, -1],
  [2, 0],
  [3, 0],
  [4, -1],
  [4, 0],
  [5, -1],
  [5, 0],
  [6, -1],
  [6, 0],
];

export const LETTER_NAMES = ['C', 'D', 'E', 'F', 'G', 'A', 'B'] as const;

export function spellPitch(pitch: Pitch, spelling: Spelling = 'sharps'): SpelledPitch {
  const pitchClass = ((pitch % 12) + 12) % 12;
  const [letter, alteration] = (spelling === 'flats' ? FLAT_SPELLING : SHARP_SPELLING)[pitchClass];
  return { letter, alteration, octave: Math.floor(pitch / 12) - 1 };
}

/** Bar length in ticks for a time signature (4/4 by default). */
export function barLengthTicks(ppq: number, numerator = 4, denominator = 4): Ticks {
  return (ppq * 4 * numerator) / denominator;
}
