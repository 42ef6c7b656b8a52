// SPDX-License-Identifier: MIT
/**
 * Pitch names and key signatures. Scientific pitch notation with middle C = C4 = MIDI 60
 * (the convention of most DAWs and of music21; Yamaha's "C3" convention is not supported).
 */
import type { Pitch } from './NoteSequence';

/** Why a pitch or key name was rejected. */
export type PitchNameErrorCode = 'PITCH_NAME_INVALID' | 'PITCH_OUT_OF_RANGE' | 'KEY_NAME_INVALID';

/** Thrown by {@link parsePitchName}, {@link pitchName} and the key helpers on bad input. */
export class PitchNameError extends Error {
  override name = 'PitchNameError' as const;
  readonly code: PitchNameErrorCode;
  constructor(code: PitchNameErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

const SHARP_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const;
const LETTER_SEMITONES: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/**
 * Name of a MIDI pitch with sharps, middle C = "C4".
 * @param pitch integer 0..127
 * @throws {PitchNameError} PITCH_OUT_OF_RANGE for anything else.
 * @example pitchName(60) // "C4";  pitchName(61) // "C#4";  pitchName(21) // "A0"
 */
export function pitchName(pitch: Pitch): string {
  if (!Number.isInteger(pitch) || pitch < 0 || pitch > 127) {
    throw new PitchNameError('PITCH_OUT_OF_RANGE', `pitch must be an integer within [0, 127], got: ${pitch}`);
  }
  return `${SHARP_NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;
}

/**
 * Parse a pitch typed by a person: a note name with optional accidentals and an octave
 * ("C4", "c#4", "Bb3", "F##2", "Cb4", "E-1"), or a plain MIDI number ("60").
 * Accidentals: "#" or "♯" sharp, "b" or "♭" flat (several allowed). Case-insensitive letter.
 * @returns MIDI pitch 0..127
 * @throws {PitchNameError} PITCH_NAME_INVALID when the text is neither form,
 *   PITCH_OUT_OF_RANGE when it names a pitch outside 0..127 (e.g. "G9" is 127, "G#9" is out).
 * @example parsePitchName('Bb3') // 58
 */
export function parsePitchName(name: string): Pitch {
  const text = String(name).trim();
  if (/^\d+$/.test(text)) {
    const pitch = Number(text);
    if (pitch > 127)
      throw new PitchNameError('PITCH_OUT_OF_RANGE', `pitch number must be within [0, 127], got: ${text}`);
    return pitch;
  }
  const match = /^([A-Ga-g])([#♯b♭]*)(-?\d+)$/.exec(text);
  if (!match) {
    throw new PitchNameError(
      'PITCH_NAME_INVALID',
      `"${text}" is not a pitch: write a letter A-G, optional # or b, and an octave (e.g. C4, F#3, Bb2), or a MIDI number 0-127.`,
    );
  }
  const [, letter, accidentals, octaveText] = match;
  let semitone = LETTER_SEMITONES[letter.toUpperCase()];
  for (const accidental of accidentals) semitone += accidental === '#' || accidental === '♯' ? 1 : -1;
  const pitch = (Number(octaveText) + 1) * 12 + semitone;
  if (pitch < 0 || pitch > 127) {
    throw new PitchNameError('PITCH_OUT_OF_RANGE', `"${text}" is MIDI pitch ${pitch}, outside [0, 127].`);
  }
  return pitch;
}

/** Major keys by number of sharps (+) or flats (-), index = count + 7. */
const MAJOR_BY_ACCIDENTALS = [
  'Cb',
  'Gb',
  'Db',
  'Ab',
  'Eb',
  'Bb',
  'F',
  'C',
  'G',
  'D',
  'A',
  'E',
  'B',
  'F#',
  'C#',
] as const;
/** Minor keys by the same count (relative minors). */
const MINOR_BY_ACCIDENTALS = [
  'Ab',
  'Eb',
  'Bb',
  'F',
  'C',
  'G',
  'D',
  'A',
  'E',
  'B',
  'F#',
  'C#',
  'G#',
  'D#',
  'A#',
] as const;

/**
 * Tonic name of the key a MIDI key-signature event means.
 * @param accidentals -7..7: flats negative, sharps positive (the event's `sf` byte)
 * @example keyFromAccidentals(1, 'minor') // "E"  (one sharp, minor = E minor)
 * @throws {PitchNameError} KEY_NAME_INVALID when out of range.
 */
export function keyFromAccidentals(accidentals: number, scale: 'major' | 'minor'): string {
  const table = scale === 'major' ? MAJOR_BY_ACCIDENTALS : MINOR_BY_ACCIDENTALS;
  const key = table[accidentals + 7];
  if (!Number.isInteger(accidentals) || key === undefined) {
    throw new PitchNameError('KEY_NAME_INVALID', `a key signature has -7..7 accidentals, got: ${accidentals}`);
  }
  return key;
}

/**
 * Number of sharps (+) or flats (-) of a key, for writing a MIDI key-signature event.
 * Enharmonic spellings outside the table (e.g. "D#" major, "Gb" minor) map to the spelling with
 * fewer accidentals.
 * @example accidentalsOfKey('E', 'minor') // 1
 * @throws {PitchNameError} KEY_NAME_INVALID for a name that is not a key.
 */
export function accidentalsOfKey(key: string, scale: 'major' | 'minor'): number {
  const table: readonly string[] = scale === 'major' ? MAJOR_BY_ACCIDENTALS : MINOR_BY_ACCIDENTALS;
  const normalised = key.length > 0 ? key[0].toUpperCase() + key.slice(1) : key;
  const direct = table.indexOf(normalised);
  if (direct >= 0) return direct - 7;
  if (!/^[A-G][#b]?$/.test(normalised)) {
    throw new PitchNameError(
      'KEY_NAME_INVALID',
      `"${key}" is not a key name: write a letter A-G with an optional # or b (e.g. "F#", "Bb").`,
    );
  }
  const pitchClass =
    (((LETTER_SEMITONES[normalised[0]] + (normalised[1] === '#' ? 1 : normalised[1] === 'b' ? -1 : 0)) % 12) + 12) % 12;
  let best = 0;
  let bestAbs = Infinity;
  for (let i = 0; i < table.length; i++) {
    const candidate = table[i];
    const candidateClass =
      (((LETTER_SEMITONES[candidate[0]] + (candidate[1] === '#' ? 1 : candidate[1] === 'b' ? -1 : 0)) % 12) + 12) % 12;
    if (candidateClass === pitchClass && Math.abs(i - 7) < bestAbs) {
      best = i - 7;
      bestAbs = Math.abs(i - 7);
    }
  }
  return best;
}
