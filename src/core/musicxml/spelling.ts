// SPDX-License-Identifier: MIT
/**
 * Pitch spelling from a key signature: which letter and alteration a MIDI pitch is written with.
 */
import type { Pitch } from '../music/NoteSequence';
import type { SpelledStep } from './chordSymbols';

const LETTERS = ['C', 'D', 'E', 'F', 'G', 'A', 'B'] as const;
const LETTER_SEMITONES: Record<SpelledStep['step'], number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
/** Order in which a key signature adds sharps (flats go the other way). */
const SHARP_ORDER: SpelledStep['step'][] = ['F', 'C', 'G', 'D', 'A', 'E', 'B'];
const SHARP_SPELLING: SpelledStep[] = [0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5, 6].map((letter, pc) => ({
  step: LETTERS[letter],
  alter: pc - LETTER_SEMITONES[LETTERS[letter]],
}));
const FLAT_SPELLING: SpelledStep[] = [0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 6].map((letter, pc) => ({
  step: LETTERS[letter],
  alter: pc - LETTER_SEMITONES[LETTERS[letter]],
}));

/** A written pitch: MusicXML's `<step>`, `<alter>` and `<octave>` (middle C = C4). */
export interface SpelledPitch extends SpelledStep {
  octave: number;
}

/**
 * The spelling of all 12 pitch classes in a key, index = pitch class.
 *
 * Rule: the 7 notes of the key signature keep its spelling (F# in G major, B# and E# in C# major, Cb in Gb major);
 * in a minor key the raised seventh (the leading tone) is that letter raised (C# in D minor, F# in G minor);
 * every other chromatic note is spelt with a sharp in keys with sharps or none, with a flat in keys with flats.
 * @param fifths -7..7, the key signature (flats negative)
 * @param mode 'major' or 'minor'
 * @example spellingOfKey(-1, 'minor')[1] // { step: 'C', alter: 1 }  (C#, D minor's leading tone)
 */
export function spellingOfKey(fifths: number, mode: 'major' | 'minor'): SpelledStep[] {
  const table = (fifths < 0 ? FLAT_SPELLING : SHARP_SPELLING).map((s) => ({ ...s }));
  const alterOf = (step: SpelledStep['step']): number => {
    const index = SHARP_ORDER.indexOf(step);
    if (fifths > 0 && index < fifths) return 1;
    if (fifths < 0 && 6 - index < -fifths) return -1;
    return 0;
  };
  for (const step of LETTERS) {
    const alter = alterOf(step);
    table[(((LETTER_SEMITONES[step] + alter) % 12) + 12) % 12] = { step, alter };
  }
  if (mode === 'minor') {
    // The tonic of the minor key with this signature is the major tonic's sixth degree; its seventh letter is the
    // tonic's letter - 1.
    const majorTonicPc = (((fifths * 7) % 12) + 12) % 12;
    const tonicPc = (majorTonicPc + 9) % 12;
    const tonic = table[tonicPc];
    const seventh = LETTERS[(LETTERS.indexOf(tonic.step) + 6) % 7];
    table[(tonicPc + 11) % 12] = { step: seventh, alter: alterOf(seventh) + 1 };
  }
  return table;
}

/**
 * Spell a MIDI pitch with a table from {@link spellingOfKey}. The octave follows the letter: B#3 is MIDI 60, Cb4 is 59.
 * @example spellPitch(61, spellingOfKey(-3, 'major')) // { step: 'D', alter: -1, octave: 4 }
 */
export function spellPitch(pitch: Pitch, table: SpelledStep[]): SpelledPitch {
  const { step, alter } = table[pitch % 12];
  const octave = Math.round((pitch - alter - LETTER_SEMITONES[step]) / 12) - 1;
  return { step, alter, octave };
}
