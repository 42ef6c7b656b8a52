// SPDX-License-Identifier: MIT
// Key finder (Krumhansl-Schmuckler with Krumhansl-Kessler profiles), key names and in-key share,
// on hand-made notes whose answers are known.
import { describe, expect, it } from 'vitest';
import type { Note } from '../../src/core/music/NoteSequence';
import {
  AnalysisError,
  bestDiatonicKey,
  diatonicPitchClasses,
  findKey,
  formatKey,
  inKeyShare,
  parseKey,
  rankKeys,
} from '../../src/core/analysis';

const SIXTEENTH = 120; // at ppq 480

/** Notes one after another: [pitch, length in sixteenths]. */
function melody(steps: [number, number][]): Note[] {
  let at = 0;
  return steps.map(([pitch, sixteenths]) => {
    const note = { pitch, startTick: at, durationTicks: sixteenths * SIXTEENTH, velocity: 90 };
    at += sixteenths * SIXTEENTH;
    return note;
  });
}

const C_MAJOR_SCALE = melody([60, 62, 64, 65, 67, 69, 71, 72].map((p) => [p, 4]));

describe('findKey', () => {
  it('names C major for a C-major scale', () => {
    const estimate = findKey(C_MAJOR_SCALE);
    expect(formatKey(estimate)).toBe('C major');
    expect(estimate.ranking).toHaveLength(24);
    expect(estimate.correlation).toBe(estimate.ranking[0].correlation);
    // Ranking is sorted and the runner-up is a different key.
    for (let i = 1; i < 24; i++)
      expect(estimate.ranking[i].correlation).toBeLessThanOrEqual(estimate.ranking[i - 1].correlation);
    expect(formatKey(estimate.ranking[1])).not.toBe('C major');
  });

  it('names D minor for a D-minor melody with its leading tone', () => {
    // D F A | G F E D | C# D E F | E D C# | D (long)
    const notes = melody([
      [62, 4],
      [65, 4],
      [69, 8],
      [67, 4],
      [65, 4],
      [64, 4],
      [62, 4],
      [61, 4],
      [62, 4],
      [64, 4],
      [65, 4],
      [64, 4],
      [62, 4],
      [61, 8],
      [62, 16],
    ]);
    expect(formatKey(findKey(notes))).toBe('D minor');
  });

  it('weighs by duration: the same pitches read A minor when A and E are long, C major when C, E, G are', () => {
    const pitches = [69, 60, 64, 67, 71, 69];
    const lengths = (l: number[]): Note[] => melody(pitches.map((p, i) => [p, l[i]]));
    expect(formatKey(findKey(lengths([32, 8, 16, 2, 2, 32])))).toBe('A minor');
    expect(formatKey(findKey(lengths([2, 32, 16, 16, 2, 2])))).toBe('C major');
  });

  it('is transposition-equivariant: the C-major scale up a tritone is F# major', () => {
    const up = C_MAJOR_SCALE.map((n) => ({ ...n, pitch: n.pitch + 6 }));
    expect(findKey(up)).toMatchObject({ tonic: 6, mode: 'major' });
  });

  it('reproduces a correlation computed by hand', () => {
    // A single C: weights = (1, 0, ..., 0); r with the C-major profile = (x_0 - mean) standardised.
    const profile = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
    const mean = profile.reduce((a, b) => a + b) / 12;
    const sd = Math.sqrt(profile.reduce((a, b) => a + (b - mean) ** 2, 0));
    // x = (1, 0, ..., 0): covariance = p_0 - mean, |x - mean(x)| = sqrt(11/12).
    const expected = (profile[0] - mean) / (sd * Math.sqrt(11 / 12));
    const cMajor = rankKeys([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).find((k) => k.tonic === 0 && k.mode === 'major');
    expect(cMajor?.correlation).toBeCloseTo(expected, 12);
  });

  it('throws a typed error when there are no notes', () => {
    expect(() => findKey([])).toThrow(AnalysisError);
    try {
      findKey([]);
    } catch (error) {
      expect((error as AnalysisError).code).toBe('ANALYSIS_NO_NOTES');
    }
  });
});

describe('key names', () => {
  it('formats with conventional spellings', () => {
    expect(formatKey({ tonic: 2, mode: 'minor' })).toBe('D minor');
    expect(formatKey({ tonic: 6, mode: 'major' })).toBe('F# major');
    expect(formatKey({ tonic: 10, mode: 'major' })).toBe('Bb major');
    expect(formatKey({ tonic: 1, mode: 'major' })).toBe('Db major');
    expect(formatKey({ tonic: 3, mode: 'minor' })).toBe('Eb minor');
    expect(formatKey({ tonic: 8, mode: 'minor' })).toBe('G# minor');
    expect(formatKey({ tonic: 6, mode: 'minor' })).toBe('F# minor');
    expect(() => formatKey({ tonic: 12, mode: 'major' })).toThrow(AnalysisError);
  });

  it('parses what people type', () => {
    expect(parseKey('D minor')).toEqual({ tonic: 2, mode: 'minor' });
    expect(parseKey('F# major')).toEqual({ tonic: 6, mode: 'major' });
    expect(parseKey('Bb major')).toEqual({ tonic: 10, mode: 'major' });
    expect(parseKey('bb')).toEqual({ tonic: 10, mode: 'major' });
    expect(parseKey('Am')).toEqual({ tonic: 9, mode: 'minor' });
    expect(parseKey('Ebm')).toEqual({ tonic: 3, mode: 'minor' });
    expect(parseKey('C#min')).toEqual({ tonic: 1, mode: 'minor' });
    expect(parseKey('CM')).toEqual({ tonic: 0, mode: 'major' });
    expect(parseKey('Cb major')).toEqual({ tonic: 11, mode: 'major' });
    for (const bad of ['H minor', 'D dorian', '', 'minor', 'D minor x']) {
      expect(() => parseKey(bad), bad).toThrow(/is not a key/);
    }
  });

  it('round-trips all 24 keys', () => {
    for (let tonic = 0; tonic < 12; tonic++) {
      for (const mode of ['major', 'minor'] as const)
        expect(parseKey(formatKey({ tonic, mode }))).toEqual({ tonic, mode });
    }
  });
});

describe('in-key share', () => {
  it('is 1.0 for a C-major scale, in C major and as the best diatonic key', () => {
    expect(inKeyShare(C_MAJOR_SCALE, { tonic: 0, mode: 'major' })).toBe(1);
    expect(inKeyShare(C_MAJOR_SCALE)).toBe(1);
    expect(bestDiatonicKey(C_MAJOR_SCALE)).toEqual({ tonic: 0, mode: 'major', share: 1 });
  });

  it('counts notes, not durations: 3 of 4 notes in C major, whatever their lengths', () => {
    const notes = melody([
      [60, 1],
      [64, 1],
      [67, 1],
      [66, 32],
    ]);
    expect(inKeyShare(notes, { tonic: 0, mode: 'major' })).toBe(0.75);
    // In G major (F# in, F out) all four are in.
    expect(inKeyShare(notes, { tonic: 7, mode: 'major' })).toBe(1);
  });

  it('uses the natural minor scale for minor keys', () => {
    expect(diatonicPitchClasses({ tonic: 9, mode: 'minor' })).toEqual([9, 11, 0, 2, 4, 5, 7]);
    // A harmonic-minor G# is out of A natural minor.
    const notes = melody([
      [69, 4],
      [71, 4],
      [72, 4],
      [68, 4],
    ]);
    expect(inKeyShare(notes, { tonic: 9, mode: 'minor' })).toBe(0.75);
  });

  it('picks the scale holding most notes, named by the better-correlating key', () => {
    // All white keys around A, lingering on A and E: same scale as C major, but A minor by K-S.
    const notes = melody([
      [69, 16],
      [71, 2],
      [72, 2],
      [74, 2],
      [76, 8],
      [72, 2],
      [71, 2],
      [69, 16],
    ]);
    expect(bestDiatonicKey(notes)).toEqual({ tonic: 9, mode: 'minor', share: 1 });
    // A chromatic run of all 12 classes once: the best diatonic scale holds 7 of 12.
    const chromatic = melody(Array.from({ length: 12 }, (_, i) => [60 + i, 2] as [number, number]));
    expect(inKeyShare(chromatic)).toBeCloseTo(7 / 12, 12);
    expect(inKeyShare([])).toBeUndefined();
  });
});
