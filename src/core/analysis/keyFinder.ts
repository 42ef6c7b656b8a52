// SPDX-License-Identifier: MIT
/**
 * Key finding and key names.
 *
 * The key finder is the Krumhansl-Schmuckler algorithm (Krumhansl 1990, "Cognitive Foundations of
 * Musical Pitch", ch. 4) with the probe-tone profiles of Krumhansl & Kessler (1982), "Tracing the
 * dynamic changes in perceived tonal organization in a spatial representation of musical keys",
 * Psychological Review 89(4): the duration-weighted pitch-class histogram of the notes is
 * correlated (Pearson) with each of the 24 profiles rotated to every tonic, and the key with the
 * highest correlation wins.
 */
import type { Note } from '../music/NoteSequence';
import { PitchNameError, accidentalsOfKey, keyFromAccidentals } from '../music/keys';
import { AnalysisError } from './errors';

/** 0..11, C = 0, C# = 1, ... B = 11. */
export type PitchClass = number;
/** Major, or minor (whose diatonic scale is the natural minor). */
export type KeyMode = 'major' | 'minor';

/** A key: tonic pitch class and mode. */
export interface Key {
  tonic: PitchClass;
  mode: KeyMode;
}

/** A key with its Krumhansl-Schmuckler correlation (-1..1). */
export interface RankedKey extends Key {
  correlation: number;
}

/** Result of {@link findKey}: the best key, its correlation, and all 24 keys best first. */
export interface KeyEstimate extends RankedKey {
  ranking: RankedKey[];
}

/** Krumhansl & Kessler (1982) major-key probe-tone ratings, index 0 = tonic. */
export const KRUMHANSL_KESSLER_MAJOR: readonly number[] = [
  6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
/** Krumhansl & Kessler (1982) minor-key probe-tone ratings, index 0 = tonic. */
export const KRUMHANSL_KESSLER_MINOR: readonly number[] = [
  6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

/** Scale steps above the tonic of the major scale and the natural minor scale. */
const DIATONIC_STEPS: Record<KeyMode, readonly number[]> = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
};

/**
 * Duration-weighted pitch-class histogram: entry c is the summed `durationTicks` of the notes
 * whose pitch is of class c (not normalised). The unit cancels in a correlation.
 */
export function durationPitchClassWeights(notes: readonly Note[]): number[] {
  const weights = new Array<number>(12).fill(0);
  for (const note of notes) weights[note.pitch % 12] += note.durationTicks;
  return weights;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i] / n;
    meanY += y[i] / n;
  }
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < n; i++) {
    covariance += (x[i] - meanX) * (y[i] - meanY);
    varianceX += (x[i] - meanX) ** 2;
    varianceY += (y[i] - meanY) ** 2;
  }
  // A flat histogram (all twelve classes equally long) has no key: correlation 0 with every profile.
  if (varianceX === 0 || varianceY === 0) return 0;
  return covariance / Math.sqrt(varianceX * varianceY);
}

/**
 * Correlate a 12-bin pitch-class weight vector with the 24 rotated Krumhansl-Kessler profiles.
 * @returns all 24 keys, highest correlation first; ties keep the order C major, C minor, C# major ...
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT when `weights` does not have 12 finite entries.
 */
export function rankKeys(weights: readonly number[]): RankedKey[] {
  if (weights.length !== 12 || weights.some((w) => !Number.isFinite(w))) {
    throw new AnalysisError('ANALYSIS_BAD_INPUT', `a pitch-class histogram has 12 finite entries, got: ${weights}`);
  }
  const ranking: RankedKey[] = [];
  for (let tonic = 0; tonic < 12; tonic++) {
    for (const mode of ['major', 'minor'] as const) {
      const profile = mode === 'major' ? KRUMHANSL_KESSLER_MAJOR : KRUMHANSL_KESSLER_MINOR;
      // Weight of class c against the profile's rating for c's scale degree in this key.
      const rotated = weights.map((_, c) => profile[(c - tonic + 12) % 12]);
      ranking.push({ tonic, mode, correlation: pearson(weights, rotated) });
    }
  }
  return ranking.sort((a, b) => b.correlation - a.correlation);
}

/**
 * The most likely key of some notes by the Krumhansl-Schmuckler algorithm (see the file header):
 * duration-weighted pitch-class histogram correlated with the 24 rotated Krumhansl-Kessler
 * profiles. Works on melodies and on polyphonic material (every note counts by its duration).
 * @returns the best key, its correlation (-1..1) and the ranking of all 24 keys, best first
 * @throws {AnalysisError} ANALYSIS_NO_NOTES when there is no note with a positive duration.
 * @example formatKey(findKey(cMajorScale)) // "C major"
 */
export function findKey(notes: readonly Note[]): KeyEstimate {
  const weights = durationPitchClassWeights(notes);
  if (!weights.some((w) => w > 0)) {
    throw new AnalysisError('ANALYSIS_NO_NOTES', 'a key needs notes, and there are none with a duration');
  }
  const ranking = rankKeys(weights);
  return { ...ranking[0], ranking };
}

/** The seven pitch classes of a key's diatonic scale (natural minor for minor keys), ascending from the tonic. */
export function diatonicPitchClasses(key: Key): PitchClass[] {
  return DIATONIC_STEPS[key.mode].map((step) => (key.tonic + step) % 12);
}

/**
 * Share of notes whose pitch class is in the key's diatonic scale (major, or natural minor for a
 * minor key). Count-weighted: every note counts once, whatever its length, as MusPy's
 * `pitch_in_scale_rate` does (Dong et al. 2020, "MusPy: A Toolkit for Symbolic Music Generation",
 * ISMIR). Without a key, the best-fitting diatonic key's share ({@link bestDiatonicKey}).
 * @returns 0..1, or undefined when there are no notes
 */
export function inKeyShare(notes: readonly Note[], key?: Key): number | undefined {
  if (notes.length === 0) return undefined;
  if (!key) return bestDiatonicKey(notes)?.share;
  const scale = new Set(diatonicPitchClasses(key));
  let inKey = 0;
  for (const note of notes) if (scale.has(note.pitch % 12)) inKey++;
  return inKey / notes.length;
}

/**
 * The diatonic key that holds the largest share of the notes (count-weighted, see
 * {@link inKeyShare}): MusPy's `scale_consistency` (Dong et al. 2020) over the 12 major scales;
 * a natural minor scale holds the same pitch classes as its relative major, so the share decides
 * between 12 scales, and of the keys that share the winning scale (or tie on share) the one with
 * the higher Krumhansl-Schmuckler correlation is named.
 * @returns the key and its share 0..1, or undefined when there are no notes
 */
export function bestDiatonicKey(notes: readonly Note[]): (Key & { share: number }) | undefined {
  if (notes.length === 0) return undefined;
  const counts = new Array<number>(12).fill(0);
  for (const note of notes) counts[note.pitch % 12]++;
  const ranking = rankKeys(durationPitchClassWeights(notes));
  let best: (Key & { share: number }) | undefined;
  for (const candidate of ranking) {
    let inKey = 0;
    for (const c of diatonicPitchClasses(candidate)) inKey += counts[c];
    const share = inKey / notes.length;
    // The ranking is best-correlation first, so a strictly higher share is needed to replace.
    if (!best || share > best.share) best = { tonic: candidate.tonic, mode: candidate.mode, share };
  }
  return best;
}

const SHARP_TONICS = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
const LETTER_CLASSES: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

function tonicClassOf(name: string): number {
  let pc = LETTER_CLASSES[name[0]];
  for (const accidental of name.slice(1)) pc += accidental === '#' ? 1 : -1;
  return (pc + 12) % 12;
}

/**
 * Spell a key the way a key signature does, with at most six accidentals: "D minor",
 * "F# major", "Bb major", "Eb minor". Of the two six-accidental spellings, major keys take sharps
 * ("F# major") and minor keys take flats ("Eb minor").
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT when tonic is not an integer 0..11.
 */
export function formatKey(key: Key): string {
  if (!Number.isInteger(key.tonic) || key.tonic < 0 || key.tonic > 11) {
    throw new AnalysisError('ANALYSIS_BAD_INPUT', `a tonic is a pitch class within [0, 11], got: ${key.tonic}`);
  }
  const order =
    key.mode === 'major'
      ? [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6]
      : [0, -1, 1, -2, 2, -3, 3, -4, 4, -5, 5, -6, 6];
  for (const accidentals of order) {
    const name = keyFromAccidentals(accidentals, key.mode);
    if (tonicClassOf(name) === key.tonic) return `${name} ${key.mode}`;
  }
  return `${SHARP_TONICS[key.tonic]} ${key.mode}`;
}

/**
 * Parse a key typed by a person: a tonic letter with optional "#"/"b" accidentals, then a mode
 * word — "major"/"maj"/"M" or "minor"/"min"/"m" — or none (major). Case-insensitive except that
 * a lone "m" means minor and "M" major. Spaces optional.
 * @example parseKey('D minor') // { tonic: 2, mode: 'minor' };  parseKey('Bb') // { tonic: 10, mode: 'major' };  parseKey('F#m') // { tonic: 6, mode: 'minor' }
 * @throws {PitchNameError} KEY_NAME_INVALID for anything else (the error of ../music/keys).
 */
export function parseKey(text: string): Key {
  const match = /^\s*([A-Ga-g])([#♯b♭]*)\s*(major|maj|minor|min|m|M)?\s*$/i.exec(String(text));
  if (!match) {
    throw new PitchNameError(
      'KEY_NAME_INVALID',
      `"${text}" is not a key: write a tonic A-G with an optional # or b, then "major" or "minor" (e.g. "D minor", "F# major", "Bb major").`,
    );
  }
  const accidentals = match[2].replace(/♯/g, '#').replace(/♭/g, 'b');
  const tonic = tonicClassOf(match[1].toUpperCase() + accidentals);
  const modeWord = match[3];
  let mode: KeyMode = 'major';
  if (modeWord === 'm' || (modeWord !== undefined && /^min/i.test(modeWord))) mode = 'minor';
  return { tonic, mode };
}

/** Number of sharps (+) or flats (-) in a key's signature, for a MIDI key-signature event. */
export function keySignatureAccidentals(key: Key): number {
  const name = formatKey(key).split(' ')[0];
  return accidentalsOfKey(name, key.mode);
}
