// SPDX-License-Identifier: MIT
/**
 * The key signature a take is written in, and how a pitch is spelt in it. A take's key is known when the composer
 * locked one ("D dorian", "Bb major"); a mode is written with its parent major's signature (D dorian: none), a
 * pentatonic or blues scale with its major's or minor's. Spelling follows src/core/musicxml/spelling.ts (the key's own
 * notes as the signature has them, a minor key's leading tone raised, other notes sharp in sharp keys, flat in flat
 * ones), as the MusicXML export writes them.
 */
import { parseScaleKey, type ScaleName } from '../../../../core/music/scales';
import { spellingOfKey } from '../../../../core/musicxml/spelling';

export interface KeySignature {
  /** -7..7: flats negative, sharps positive. */
  fifths: number;
  mode: 'major' | 'minor';
}

export const C_MAJOR: KeySignature = { fifths: 0, mode: 'major' };

/** Semitones from a scale's tonic up to its parent major's tonic. */
const TO_MAJOR: Record<ScaleName, number> = {
  major: 0,
  minor: 3,
  'harmonic minor': 3,
  dorian: 10,
  phrygian: 8,
  lydian: 7,
  mixolydian: 5,
  locrian: 1,
  'major pentatonic': 0,
  'minor pentatonic': 3,
  blues: 3,
};
const MINOR: readonly ScaleName[] = ['minor', 'harmonic minor', 'minor pentatonic', 'blues'];
const LETTER_PC: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
/** VexFlow's names of the major keys by fifths, -7..7. */
const MAJOR_NAMES = ['Cb', 'Gb', 'Db', 'Ab', 'Eb', 'Bb', 'F', 'C', 'G', 'D', 'A', 'E', 'B', 'F#', 'C#'] as const;

/** The signature of a key as the compose result names it ("D dorian"); C major for "off", none or a bad name. */
export function keySignatureOf(text: string | null | undefined): KeySignature {
  let key;
  try {
    key = text ? parseScaleKey(text) : null;
  } catch {
    return C_MAJOR;
  }
  if (!key) return C_MAJOR;
  const tonicPc = LETTER_PC[key.tonic[0]] + (key.tonic[1] === '#' ? 1 : key.tonic[1] === 'b' ? -1 : 0);
  const majorPc = (((tonicPc + TO_MAJOR[key.scale]) % 12) + 12) % 12;
  // Two signatures name the same pitches (7 sharps or 5 flats): the tonic's own accidental decides, else the fewer.
  const sharps = (majorPc * 7) % 12;
  const flats = sharps - 12;
  const fifths = key.tonic.includes('#')
    ? sharps <= 7
      ? sharps
      : flats
    : key.tonic.includes('b')
      ? flats >= -7
        ? flats
        : sharps
      : sharps <= -flats
        ? sharps
        : flats;
  return { fifths, mode: MINOR.includes(key.scale) ? 'minor' : 'major' };
}

/** VexFlow's key-signature name (the major key with that signature): -2 -> "Bb". */
export function vexKeySignature(key: KeySignature): string {
  return MAJOR_NAMES[key.fifths + 7];
}

/** The alteration the signature gives a letter (0 = C .. 6 = B). */
export function signatureAlteration(key: KeySignature, letter: number): number {
  const index = [1, 3, 5, 0, 2, 4, 6][letter]; // position of C D E F G A B in the order of sharps F C G D A E B
  if (key.fifths > 0 && index < key.fifths) return 1;
  if (key.fifths < 0 && 6 - index < -key.fifths) return -1;
  return 0;
}

export interface KeySpelling {
  /** Letter index C=0 .. B=6. */
  letter: number;
  alteration: number;
  octave: number;
}

const tables = new Map<string, ReturnType<typeof spellingOfKey>>();

/** How a pitch is written in the key: letter, alteration and octave (B#3 is C4's pitch; Cb5 is B4's). */
export function spellInKey(pitch: number, key: KeySignature): KeySpelling {
  const id = `${key.fifths}:${key.mode}`;
  let table = tables.get(id);
  if (!table) {
    table = spellingOfKey(key.fifths, key.mode);
    tables.set(id, table);
  }
  const { step, alter } = table[((pitch % 12) + 12) % 12];
  const letter = 'CDEFGAB'.indexOf(step);
  // The octave of the written letter: the sounding pitch minus the alteration.
  const octave = Math.floor((pitch - alter) / 12) - 1;
  return { letter, alteration: alter, octave };
}
