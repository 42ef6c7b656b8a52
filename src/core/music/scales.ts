// SPDX-License-Identifier: MIT
/**
 * Scales a composer can lock a melody to, and pitch ranges. The interval tables come from @tonaljs/tonal
 * (Scale.get('D dorian').intervals), not from a hand-kept list; this file only names which of its scales Etude offers
 * and turns a scale into the twelve-bit set of pitch classes the sampler needs.
 */
import { Interval, Mode, Note, Scale } from '@tonaljs/tonal';
import { parsePitchName, pitchName, PitchNameError } from './keys';
import type { Pitch } from './NoteSequence';

/** The scales offered (tonal's names); 'minor' is the natural minor. */
export const SCALE_NAMES = [
  'major',
  'minor',
  'harmonic minor',
  'dorian',
  'phrygian',
  'lydian',
  'mixolydian',
  'locrian',
  'major pentatonic',
  'minor pentatonic',
  'blues',
] as const;
export type ScaleName = (typeof SCALE_NAMES)[number];

/** A tonic (spelled as typed, e.g. "Bb") and a scale. */
export interface ScaleKey {
  tonic: string;
  scale: ScaleName;
}

/** A closed pitch range, low <= high. */
export interface PitchRange {
  low: Pitch;
  high: Pitch;
}

const ALIASES: Record<string, ScaleName> = {
  maj: 'major',
  ionian: 'major',
  m: 'minor',
  min: 'minor',
  aeolian: 'minor',
  'natural minor': 'minor',
  pentatonic: 'major pentatonic',
  'minor blues': 'blues',
};

/**
 * Parses a key typed by a person: a tonic A-G with optional #/b and a scale name ("D minor", "Bb major",
 * "F# dorian", "A minor pentatonic", "E blues", "C" = C major, "F#m" = F# minor). "off" (or "") means no key: null.
 * @throws {PitchNameError} KEY_NAME_INVALID naming the scales on offer.
 */
export function parseScaleKey(text: string): ScaleKey | null {
  const trimmed = String(text).trim();
  if (trimmed === '' || /^(off|none)$/i.test(trimmed)) return null;
  const match = /^([A-Ga-g])([#♯b♭]?)\s*(.*)$/.exec(trimmed);
  const rest = match ? match[3].trim().toLowerCase().replace(/\s+/g, ' ') : '';
  const scale =
    rest === '' ? 'major' : (SCALE_NAMES as readonly string[]).includes(rest) ? (rest as ScaleName) : ALIASES[rest];
  if (!match || !scale) {
    throw new PitchNameError(
      'KEY_NAME_INVALID',
      `"${text}" is not a key: write a tonic A-G with an optional # or b, then one of ${SCALE_NAMES.join(', ')} (e.g. "D minor", "F# dorian"), or "off".`,
    );
  }
  const accidental = match[2].replace('♯', '#').replace('♭', 'b');
  return { tonic: match[1].toUpperCase() + accidental, scale };
}

/** "D minor", "F# dorian". */
export function formatScaleKey(key: ScaleKey): string {
  return `${key.tonic} ${key.scale}`;
}

/** The key's pitch classes (0 = C .. 11 = B), ascending from the tonic, from tonal's interval table. */
export function scalePitchClasses(key: ScaleKey): number[] {
  const tonic = Note.chroma(key.tonic);
  const intervals = Scale.get(`${key.tonic} ${key.scale}`).intervals;
  if (tonic === undefined || Number.isNaN(tonic) || intervals.length === 0)
    throw new PitchNameError('KEY_NAME_INVALID', `"${formatScaleKey(key)}" is not a scale tonal knows.`);
  return intervals.map((i) => (tonic + (Interval.semitones(i) ?? 0)) % 12);
}

/**
 * Parses a range "C3-C6" (names or MIDI numbers, low first).
 * @throws {PitchNameError} PITCH_NAME_INVALID for a bad form or low > high.
 */
export function parsePitchRange(text: string): PitchRange {
  const match = /^\s*(\S+?)\s*(?:-|–|\.\.)\s*(\S+)\s*$/.exec(String(text));
  if (!match)
    throw new PitchNameError('PITCH_NAME_INVALID', `"${text}" is not a range: write LOW-HIGH, e.g. C3-C6 or 48-84.`);
  const low = parsePitchName(match[1]);
  const high = parsePitchName(match[2]);
  if (low > high)
    throw new PitchNameError(
      'PITCH_NAME_INVALID',
      `"${text}": the low pitch ${pitchName(low)} is above ${pitchName(high)}.`,
    );
  return { low, high };
}

export function formatPitchRange(range: PitchRange): string {
  return `${pitchName(range.low)}-${pitchName(range.high)}`;
}

/**
 * The key signature a take locked to `key` is written with: major-like scales (major, major pentatonic) as the tonic's
 * major, minor-like ones (natural and harmonic minor, minor pentatonic, blues) as its minor, and the church modes as
 * their parent major (D dorian: C major), tonal's Mode.relativeTonic. A notation program then spells the notes as the
 * composer expects.
 */
export function keySignatureOf(key: ScaleKey): { key: string; scale: 'major' | 'minor' } {
  switch (key.scale) {
    case 'major':
    case 'major pentatonic':
      return { key: key.tonic, scale: 'major' };
    case 'minor':
    case 'harmonic minor':
    case 'minor pentatonic':
    case 'blues':
      return { key: key.tonic, scale: 'minor' };
    default:
      return { key: Mode.relativeTonic('ionian', key.scale, key.tonic), scale: 'major' };
  }
}
