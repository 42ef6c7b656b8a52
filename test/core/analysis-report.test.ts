// SPDX-License-Identifier: MIT
// The quality report, its spreads, the SVG histogram plot and the note degeneracy check, on
// hand-made sequences whose values are known.
import { describe, expect, it } from 'vitest';
import type { Note, NoteSequence } from '../../src/core/music/NoteSequence';
import {
  AnalysisError,
  PITCH_CLASS_LABELS,
  buildCopyIndex,
  findNoteDegeneracy,
  histogramComparisonSvg,
  makePassage,
  passageOf,
  qualityReport,
  spreadOf,
} from '../../src/core/analysis';

const PPQ = 480;
const S = 120;

function note(pitch: number, startSixteenths: number, lengthSixteenths: number): Note {
  return { pitch, startTick: startSixteenths * S, durationTicks: lengthSixteenths * S, velocity: 80 };
}

function sequence(notes: Note[], extra: Partial<NoteSequence> = {}): NoteSequence {
  return {
    ppq: PPQ,
    name: 'test',
    tempos: [],
    timeSignatures: [],
    keySignatures: [],
    tracks: [{ name: '', program: 0, channel: 0, isPercussion: false, notes }],
    ...extra,
  };
}

/** Quarter notes, one per pitch. */
const quarters = (pitches: number[]): Note[] => pitches.map((p, i) => note(p, i * 4, 4));
const C_MAJOR_SCALE = quarters([60, 62, 64, 65, 67, 69, 71, 72]);

describe('spreadOf', () => {
  it('gives mean, population std and interpolated quartiles, skipping undefined', () => {
    expect(spreadOf([4, undefined, 1, 3, 2])).toEqual({
      count: 4,
      mean: 2.5,
      std: Math.sqrt(1.25),
      min: 1,
      q1: 1.75,
      median: 2.5,
      q3: 3.25,
      max: 4,
    });
    expect(spreadOf([undefined])).toBeUndefined();
    expect(spreadOf([7])).toMatchObject({ mean: 7, std: 0, q1: 7, q3: 7 });
  });
});

describe('qualityReport', () => {
  const corpus = [
    sequence(C_MAJOR_SCALE),
    sequence(quarters([69, 71, 72, 74, 76, 77, 79, 81])),
    sequence(quarters([62, 62, 62, 62, 62, 62, 62, 62])),
  ];

  it('the corpus against itself: zero distances, every take copied whole', () => {
    const report = qualityReport(corpus, corpus);
    expect(report.distances.pitchClassHistogram.jensenShannon).toBeCloseTo(0, 12);
    expect(report.distances.noteLengthHistogram.totalVariation).toBeCloseTo(0, 12);
    expect(report.copying.perTake.map((run) => run.notes)).toEqual([8, 8, 8]);
    expect(report.copying.share).toMatchObject({ min: 1, max: 1 });
    expect(report.copying.transpositionInvariant).toBe(true);
    expect(report.takes).toEqual(report.corpus);
  });

  it('summarises each measure over pieces with known values', () => {
    const report = qualityReport([sequence(C_MAJOR_SCALE)], corpus);
    const takes = report.takes;
    expect(takes.pieces).toBe(1);
    expect(takes.notes).toBe(8);
    expect(takes.pitchClassHistogram).toEqual([2, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1].map((n) => n / 8));
    expect(takes.noteLengthHistogram[3]).toBe(1);
    expect(takes.metrics.inKeyShare).toMatchObject({ count: 1, mean: 1 });
    expect(takes.metrics.pitchRangeSemitones?.mean).toBe(12);
    expect(takes.metrics.notesPerBar?.mean).toBe(4);
    expect(takes.metrics.emptyBarShare?.mean).toBe(0);
    expect(takes.metrics.longestStretchWithoutOnsetBars?.mean).toBe(0.25);
    expect(takes.metrics.repeatedBarShare?.mean).toBe(0);
    // Corpus spreads: pitch ranges 12, 12, 0.
    expect(report.corpus.metrics.pitchRangeSemitones).toMatchObject({ count: 3, min: 0, max: 12, median: 12 });
    // The repeated-D piece: its second bar repeats its first.
    expect(report.corpus.metrics.repeatedBarShare).toMatchObject({ max: 0.5, min: 0 });
    // Corpus pooled: 24 notes, D = 1 (scale) + 1 (A minor run) + 8 = 10 of them.
    expect(report.corpus.pitchClassHistogram[2]).toBeCloseTo(10 / 24, 12);
    expect(report.distances.pitchClassHistogram.jensenShannon).toBeGreaterThan(0);
    // The scale is in the corpus: copied whole.
    expect(report.copying.perTake[0]).toMatchObject({ notes: 8, pieceIndex: 0 });
  });

  it('reuses a prebuilt copy index, and measures an empty take without failing', () => {
    const index = buildCopyIndex(
      corpus.map((piece) => passageOf(piece)),
      { transpositionInvariant: false },
    );
    const empty = sequence([], { totalTicks: 4 * 16 * S });
    const report = qualityReport([empty, sequence(quarters([61, 63, 66]))], corpus, { copyIndex: index });
    expect(report.copying.transpositionInvariant).toBe(false);
    expect(report.copying.perTake[0].notes).toBe(0);
    expect(report.takes.metrics.inKeyShare?.count).toBe(1);
    expect(report.takes.metrics.emptyBarShare).toMatchObject({ count: 2, max: 1 });
    expect(report.takes.metrics.pitchRangeSemitones).toMatchObject({ count: 1, mean: 5 });
  });

  it('reads bars from each sequence’s own meter', () => {
    const waltz = sequence(quarters([60, 64, 67, 60, 64, 67]), {
      timeSignatures: [{ tick: 0, numerator: 3, denominator: 4 }],
    });
    const report = qualityReport([waltz], corpus);
    expect(report.takes.metrics.notesPerBar?.mean).toBe(3);
    expect(report.takes.metrics.repeatedBarShare?.mean).toBe(0.5);
  });
});

describe('histogramComparisonSvg', () => {
  const a = [2, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1].map((n) => n / 8);
  const b = new Array(12).fill(1 / 12);

  it('draws one bar per bin and series, heights in proportion, with labels and a legend', () => {
    const svg = histogramComparisonSvg({
      title: 'Pitch classes <takes & corpus>',
      binLabels: PITCH_CLASS_LABELS,
      xLabel: 'pitch class',
      yLabel: 'share of notes',
      series: [
        { name: 'takes', values: a },
        { name: 'corpus', values: b },
      ],
    });
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const bars = [...svg.matchAll(/<rect class="bar" data-series="(\d)" data-bin="(\d+)"[^>]* height="([\d.]+)"/g)];
    expect(bars).toHaveLength(24);
    const height = (series: number, bin: number): number =>
      Number(bars.find((m) => m[1] === String(series) && m[2] === String(bin))?.[3]);
    expect(height(0, 1)).toBe(0);
    expect(height(0, 0) / height(0, 2)).toBeCloseTo(2, 1);
    expect(height(1, 5) / height(0, 5)).toBeCloseTo(8 / 12, 1);
    for (const text of [
      'pitch class',
      'share of notes',
      '>C#<',
      '>Bb<',
      '>takes<',
      '>corpus<',
      '&lt;takes &amp; corpus&gt;',
    ]) {
      expect(svg, text).toContain(text);
    }
    // Y axis ticks: maximum 0.25 -> ticks 0, 0.05, ..., 0.25.
    expect(svg).toContain('>0.25<');
  });

  it('rejects series that do not fit the bins', () => {
    const plot = { title: 't', binLabels: ['a', 'b'], xLabel: 'x', yLabel: 'y' };
    expect(() => histogramComparisonSvg({ ...plot, series: [{ name: 's', values: [1] }] })).toThrow(AnalysisError);
    expect(() => histogramComparisonSvg({ ...plot, series: [{ name: 's', values: [1, -1] }] })).toThrow(AnalysisError);
    expect(() => histogramComparisonSvg({ ...plot, series: [] })).toThrow(AnalysisError);
  });
});

describe('findNoteDegeneracy', () => {
  const limits = { maxBarsWithoutNewNote: 2 };

  it('rejects a note held for almost six bars, which a silence-only check keeps', () => {
    const held = makePassage([...quarters([60, 62, 64, 65]), note(67, 16, 16 * 5 + 12)], PPQ);
    expect(findNoteDegeneracy(held, limits)).toBe('the take has no new note for 5.8 bars (limit 2)');
  });

  it('passes a lively take and flags silence, a single pitch and nothing at all', () => {
    expect(findNoteDegeneracy(makePassage(C_MAJOR_SCALE, PPQ), limits)).toBeUndefined();
    const gap = makePassage([note(60, 0, 4), note(62, 16 * 3, 4)], PPQ);
    expect(findNoteDegeneracy(gap, limits)).toMatch(/no new note for 3\.0 bars/);
    expect(findNoteDegeneracy(makePassage(quarters([62, 62, 62, 62]), PPQ), limits)).toBe(
      'the take plays one pitch throughout (62)',
    );
    expect(findNoteDegeneracy(makePassage([], PPQ, [], 16 * S), limits)).toBe('the take has no note');
  });

  it('checks only the continuation after fromTick, and the key share when asked', () => {
    // Seed: one note held 4 bars; continuation from bar 4: a scale.
    const seedHeld = [note(48, 0, 64), ...C_MAJOR_SCALE.map((n) => ({ ...n, startTick: n.startTick + 64 * S }))];
    const passage = makePassage(seedHeld, PPQ);
    expect(findNoteDegeneracy(passage, limits)).toMatch(/4\.0 bars/);
    expect(findNoteDegeneracy(passage, { ...limits, fromTick: 64 * S })).toBeUndefined();
    const chromatic = makePassage(quarters([60, 61, 62, 63, 64, 65, 66, 67]), PPQ);
    // C to G chromatically: a diatonic scale holds at most 5 of the 8 (C D E F G): 62.5%.
    expect(findNoteDegeneracy(chromatic, { ...limits, minInKeyShare: 0.9 })).toBe(
      "only 63% of the take's notes are in its best-fitting key (at least 90% wanted)",
    );
    expect(() => findNoteDegeneracy(chromatic, { maxBarsWithoutNewNote: 0 })).toThrow(AnalysisError);
  });
});
