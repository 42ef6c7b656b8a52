// SPDX-License-Identifier: MIT
// Each note metric on hand-made passages whose values are known. PPQ 480: a sixteenth is 120
// ticks, a 4/4 bar 1920.
import { describe, expect, it } from 'vitest';
import type { Note, TimeSignatureEvent } from '../../src/core/music/NoteSequence';
import {
  AnalysisError,
  barsOf,
  emptyBarShare,
  jensenShannonDivergence,
  longestStretchWithoutOnset,
  makePassage,
  noteLengthHistogram,
  notesPerBar,
  passageOf,
  pitchClassHistogram,
  pitchRange,
  repetition,
  totalVariationDistance,
} from '../../src/core/analysis';

const PPQ = 480;
const S = 120; // one sixteenth
const BAR = 16 * S;

function note(pitch: number, startSixteenths: number, lengthSixteenths: number): Note {
  return { pitch, startTick: startSixteenths * S, durationTicks: lengthSixteenths * S, velocity: 80 };
}

/** C D E F G A B C in quarter notes: two 4/4 bars. */
const C_MAJOR_SCALE = [60, 62, 64, 65, 67, 69, 71, 72].map((p, i) => note(p, i * 4, 4));

describe('bar grid', () => {
  it('follows the time-signature map and cuts a bar short at a meter change', () => {
    const signatures: TimeSignatureEvent[] = [
      { tick: 0, numerator: 4, denominator: 4 },
      { tick: BAR + 6 * S, numerator: 6, denominator: 8 },
    ];
    const passage = makePassage([note(60, 0, 16 + 6 + 12 + 12)], PPQ, signatures);
    expect(barsOf(passage)).toEqual([
      { startTick: 0, lengthTicks: BAR },
      { startTick: BAR, lengthTicks: 6 * S },
      { startTick: BAR + 6 * S, lengthTicks: 12 * S },
      { startTick: BAR + 18 * S, lengthTicks: 12 * S },
    ]);
  });

  it('defaults to 4/4 and takes the end from the sequence', () => {
    const passage = passageOf({
      ppq: PPQ,
      name: 't',
      tempos: [],
      timeSignatures: [],
      keySignatures: [],
      totalTicks: 4 * BAR,
      tracks: [
        { name: '', program: 0, channel: 0, isPercussion: false, notes: [note(60, 0, 4)] },
        { name: 'drums', program: 0, channel: 9, isPercussion: true, notes: [note(36, 0, 1)] },
      ],
    });
    expect(passage.notes).toHaveLength(1);
    expect(barsOf(passage)).toHaveLength(4);
    expect(() => makePassage([], 0)).toThrow(AnalysisError);
    expect(() => makePassage([note(128, 0, 1)], PPQ)).toThrow(/pitch within \[0, 127\]/);
    expect(() => makePassage([note(60, -1, 1)], PPQ)).toThrow(AnalysisError);
    expect(() => makePassage([], PPQ, [{ tick: 0, numerator: 0, denominator: 4 }])).toThrow(AnalysisError);
    expect(() => barsOf({ notes: [], ppq: 0, timeSignatures: [], endTick: 10 })).toThrow(AnalysisError);
  });
});

describe('pitch-class histogram and distances', () => {
  it('counts a C-major scale: C twice, the other six once, black keys never', () => {
    const histogram = pitchClassHistogram(C_MAJOR_SCALE);
    expect(histogram).toEqual([2, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1].map((n) => n / 8));
  });

  it('weighs by length when asked', () => {
    const notes = [note(60, 0, 12), note(62, 12, 4)];
    expect(pitchClassHistogram(notes, 'count').slice(0, 3)).toEqual([0.5, 0, 0.5]);
    expect(pitchClassHistogram(notes, 'duration').slice(0, 3)).toEqual([0.75, 0, 0.25]);
    expect(pitchClassHistogram([])).toEqual(new Array(12).fill(0));
  });

  it('Jensen-Shannon divergence: 0 for the same, 1 for disjoint, a hand-computed middle value', () => {
    expect(jensenShannonDivergence([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 12);
    expect(jensenShannonDivergence([1, 0], [0, 1])).toBeCloseTo(1, 12);
    // P = (1, 0), Q = (½, ½), M = (¾, ¼): ½ log2(4/3) + ½ (½ log2(2/3) + ½ log2 2) = 0.311278
    expect(jensenShannonDivergence([1, 0], [0.5, 0.5])).toBeCloseTo(0.311278, 6);
    expect(jensenShannonDivergence([0, 0], [0, 0])).toBe(0);
    expect(jensenShannonDivergence([0, 0], [0, 1])).toBe(1);
    expect(() => jensenShannonDivergence([1], [1, 2])).toThrow(AnalysisError);
    expect(() => jensenShannonDivergence([-1, 2], [1, 2])).toThrow(AnalysisError);
  });

  it('total variation: half the L1 distance of the normalised histograms', () => {
    expect(totalVariationDistance([1, 0], [0.5, 0.5])).toBeCloseTo(0.5, 12);
    expect(totalVariationDistance([3, 1], [1, 3])).toBeCloseTo(0.5, 12);
    expect(totalVariationDistance([1, 1], [5, 5])).toBe(0);
  });
});

describe('pitch range, notes per bar, note lengths', () => {
  it('pitch range of the C-major scale is one octave', () => {
    expect(pitchRange(C_MAJOR_SCALE)).toEqual({ lowest: 60, highest: 72, semitones: 12 });
    expect(pitchRange([])).toBeUndefined();
  });

  it('notes per bar counts every note of a chord and every empty bar', () => {
    expect(notesPerBar(makePassage(C_MAJOR_SCALE, PPQ))).toBe(4);
    // The same eight quarters in 3/4 fill 2 2/3 bars: three bars.
    expect(notesPerBar(makePassage(C_MAJOR_SCALE, PPQ, [{ tick: 0, numerator: 3, denominator: 4 }]))).toBeCloseTo(
      8 / 3,
      12,
    );
    // A C-major triad per bar for 2 bars, then 2 empty bars up to the end.
    const chords = [0, 16].flatMap((at) => [60, 64, 67].map((p) => note(p, at, 16)));
    expect(notesPerBar(makePassage(chords, PPQ, [], 4 * BAR))).toBe(6 / 4);
  });

  it('note-length histogram buckets by sixteenths, the last bucket a whole note or longer', () => {
    const notes = [note(60, 0, 1), note(60, 1, 2), note(60, 3, 4), note(60, 7, 4), note(60, 11, 20)];
    const histogram = noteLengthHistogram(makePassage(notes, PPQ));
    expect(histogram).toHaveLength(16);
    expect(histogram[0]).toBeCloseTo(0.2, 12);
    expect(histogram[1]).toBeCloseTo(0.2, 12);
    expect(histogram[3]).toBeCloseTo(0.4, 12);
    expect(histogram[15]).toBeCloseTo(0.2, 12);
    expect(histogram.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    // A dotted eighth (3 sixteenths) at another PPQ lands in bucket 2.
    const dotted = noteLengthHistogram(makePassage([{ pitch: 60, startTick: 0, durationTicks: 72, velocity: 1 }], 96));
    expect(dotted[2]).toBe(1);
  });
});

describe('empty bars and stretches without a new note', () => {
  it('a bar is empty when nothing sounds in it; a held note fills the bars it reaches', () => {
    // 4 bars: a note in bar 0, one in bar 3.
    expect(emptyBarShare(makePassage([note(60, 0, 4), note(62, 48, 4)], PPQ))).toBe(0.5);
    // The first note held into bar 1: only bar 2 is empty.
    expect(emptyBarShare(makePassage([note(60, 0, 20), note(62, 48, 4)], PPQ))).toBe(0.25);
    // A note ending exactly on the bar line does not reach into the next bar.
    expect(emptyBarShare(makePassage([note(60, 0, 16), note(62, 48, 4)], PPQ))).toBe(0.5);
    // Trailing silence up to the take's end counts.
    expect(emptyBarShare(makePassage([note(60, 0, 4)], PPQ, [], 8 * BAR))).toBe(7 / 8);
  });

  it('a note held six bars is a six-bar stretch without a new note', () => {
    expect(longestStretchWithoutOnset(makePassage([note(60, 0, 6 * 16)], PPQ))).toBe(6);
    // ... also when a melody plays before it: held from bar 2 to bar 8.
    const before = [0, 4, 8, 12, 16, 20, 24, 28].map((at) => note(60, at, 4));
    expect(longestStretchWithoutOnset(makePassage([...before, note(64, 32, 6 * 16)], PPQ))).toBe(6);
  });

  it('counts silence before the first note and after the last, in bars of the meter in force', () => {
    // Silence from the start to the first note, at bar 3 (it then sounds a quarter to the end).
    expect(longestStretchWithoutOnset(makePassage([note(60, 48, 4)], PPQ))).toBe(3);
    // 4/4 then 3/4: onsets at 0 and at the start of the second 3/4 bar = 2 bars apart.
    const signatures = [
      { tick: 0, numerator: 4, denominator: 4 },
      { tick: BAR, numerator: 3, denominator: 4 },
    ];
    const passage = makePassage([note(60, 0, 1), note(62, 16 + 12, 12)], PPQ, signatures);
    expect(longestStretchWithoutOnset(passage)).toBeCloseTo(2, 12);
    // Chord notes share an onset: no stretch between them.
    expect(longestStretchWithoutOnset(makePassage([note(60, 0, 4), note(64, 0, 4), note(67, 4, 12)], PPQ))).toBe(
      1 - 0.25,
    );
  });
});

describe('repetition', () => {
  const barOf = (at: number, pitches: number[]): Note[] => pitches.map((p, i) => note(p, at * 16 + i * 4, 4));

  it('four identical bars: 3/4 of bars and 2/3 of 2-bar windows repeat', () => {
    const notes = [0, 1, 2, 3].flatMap((b) => barOf(b, [60, 62, 64, 65]));
    expect(repetition(makePassage(notes, PPQ))).toEqual({ bars: 0.75, twoBarPatterns: 2 / 3 });
  });

  it('ABAB: half the bars and one of three windows repeat', () => {
    const a = [60, 62, 64, 65];
    const b = [67, 65, 64, 62];
    const notes = [a, b, a, b].flatMap((pitches, i) => barOf(i, pitches));
    expect(repetition(makePassage(notes, PPQ))).toEqual({ bars: 0.5, twoBarPatterns: 1 / 3 });
  });

  it('a transposed or re-rhythmed bar is no repeat; empty bars are not counted', () => {
    const notes = [
      ...barOf(0, [60, 62, 64, 65]),
      ...barOf(1, [62, 64, 66, 67]),
      note(60, 32, 8),
      note(62, 40, 8),
      ...barOf(4, [60, 62, 64, 65]),
    ];
    // Bars 0, 1, 2, 4 have notes (bar 3 is empty); only bar 4 repeats bar 0.
    const measured = repetition(makePassage(notes, PPQ));
    expect(measured.bars).toBe(1 / 4);
    // Windows (0,1) (1,2) (2,3) (3,4): none equal.
    expect(measured.twoBarPatterns).toBe(0);
    expect(repetition(makePassage([], PPQ))).toEqual({ bars: 0, twoBarPatterns: 0 });
  });
});
