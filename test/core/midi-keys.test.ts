// SPDX-License-Identifier: MIT
// Pitch names (middle C = C4 = 60) and the key-signature mapping used by parseMidi/writeMidi.
import { describe, expect, it } from 'vitest';
import {
  PitchNameError,
  accidentalsOfKey,
  keyFromAccidentals,
  parsePitchName,
  pitchName,
} from '../../src/core/music/keys';

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error) {
    expect(error).toBeInstanceOf(PitchNameError);
    return (error as PitchNameError).code;
  }
}

describe('pitchName / parsePitchName', () => {
  it('names pitches in scientific notation with sharps', () => {
    expect([0, 21, 59, 60, 61, 69, 108, 127].map(pitchName)).toEqual([
      'C-1',
      'A0',
      'B3',
      'C4',
      'C#4',
      'A4',
      'C8',
      'G9',
    ]);
  });

  it('parses every name it writes back to the same pitch', () => {
    for (let pitch = 0; pitch <= 127; pitch++) expect(parsePitchName(pitchName(pitch))).toBe(pitch);
  });

  it('parses flats, double accidentals, lower case, octave -1, unicode signs and plain numbers', () => {
    expect(
      ['c#4', 'Db4', 'Bb3', 'B♭3', 'F♯2', 'F##2', 'Cb4', 'B#3', 'E-1', ' 60 ', '0', '127'].map(parsePitchName),
    ).toEqual([61, 61, 58, 58, 42, 43, 59, 60, 4, 60, 0, 127]);
  });

  it('rejects text that is not a pitch and pitches outside 0..127', () => {
    for (const bad of ['', 'H4', 'C', '4C', 'C#', 'do4', '60.5', 'Cx4'])
      expect(
        codeOf(() => parsePitchName(bad)),
        bad,
      ).toBe('PITCH_NAME_INVALID');
    for (const out of ['128', 'G#9', 'Cb-1', 'C10'])
      expect(
        codeOf(() => parsePitchName(out)),
        out,
      ).toBe('PITCH_OUT_OF_RANGE');
    for (const out of [-1, 128, 60.5, Number.NaN])
      expect(
        codeOf(() => pitchName(out)),
        String(out),
      ).toBe('PITCH_OUT_OF_RANGE');
  });
});

describe('key signatures', () => {
  it('maps accidentals to tonics and back for every major and minor key', () => {
    expect(keyFromAccidentals(0, 'major')).toBe('C');
    expect(keyFromAccidentals(0, 'minor')).toBe('A');
    expect(keyFromAccidentals(1, 'minor')).toBe('E');
    expect(keyFromAccidentals(-3, 'minor')).toBe('C');
    expect(keyFromAccidentals(7, 'major')).toBe('C#');
    for (const scale of ['major', 'minor'] as const) {
      for (let accidentals = -7; accidentals <= 7; accidentals++) {
        expect(accidentalsOfKey(keyFromAccidentals(accidentals, scale), scale)).toBe(accidentals);
      }
    }
  });

  it('spells enharmonic keys outside the table with the fewest accidentals', () => {
    expect(accidentalsOfKey('D#', 'major')).toBe(-3); // = Eb major
    expect(accidentalsOfKey('Gb', 'minor')).toBe(3); // = F# minor
    expect(accidentalsOfKey('f#', 'major')).toBe(6);
  });

  it('rejects impossible signatures and names', () => {
    expect(codeOf(() => keyFromAccidentals(8, 'major'))).toBe('KEY_NAME_INVALID');
    expect(codeOf(() => keyFromAccidentals(0.5, 'minor'))).toBe('KEY_NAME_INVALID');
    expect(codeOf(() => accidentalsOfKey('H', 'major'))).toBe('KEY_NAME_INVALID');
  });
});
