// SPDX-License-Identifier: MIT
/**
 * Objective measures of a take or a piece, for comparing generated takes with their corpus.
 *
 * Where a measure overlaps one of Yang & Lerch (2018), "On the evaluation of generative models in
 * music", Neural Computing and Applications 32 — pitch-class histogram (PCH), note count per bar
 * (NC), pitch range (PR), note-length histogram (NLH) — or of MusPy (Dong et al. 2020, "MusPy: A
 * Toolkit for Symbolic Music Generation", ISMIR) — `pitch_range`, `empty_measure_rate`,
 * `pitch_in_scale_rate` — the JSDoc says which definition it follows and where it differs.
 * Every function is pure and works on a {@link Passage} (all notes of all pitched tracks), so
 * melodies and polyphonic takes are measured alike.
 */
import type { Note, Ticks } from '../music/NoteSequence';
import { AnalysisError } from './errors';
import { type Bar, type Bars, type Passage, barIndexAt, barPosition, barsOf } from './passage';

/** How a histogram counts a note: once (`count`) or by its length in ticks (`duration`). */
export type HistogramWeighting = 'count' | 'duration';

/**
 * Pitch-class histogram (Yang & Lerch 2018, PCH): 12 bins, C = 0 ... B = 11, normalised to sum 1.
 * Count-weighted by default (each note counts once, as Yang & Lerch and MusPy count), or
 * duration-weighted (each note counts its length in ticks, as the key finder weighs).
 * @returns 12 numbers summing to 1, or all zeros when there are no notes
 * @example pitchClassHistogram(cMajorScale)[0] // 1/8 for C D E F G A B C
 */
export function pitchClassHistogram(notes: readonly Note[], weighting: HistogramWeighting = 'count'): number[] {
  const histogram = new Array<number>(12).fill(0);
  for (const note of notes) histogram[note.pitch % 12] += weighting === 'count' ? 1 : note.durationTicks;
  return normalise(histogram);
}

function normalise(histogram: number[]): number[] {
  const total = histogram.reduce((sum, value) => sum + value, 0);
  return total > 0 ? histogram.map((value) => value / total) : histogram;
}

function checkPair(p: readonly number[], q: readonly number[]): void {
  if (p.length !== q.length || p.length === 0) {
    throw new AnalysisError(
      'ANALYSIS_BAD_INPUT',
      `histograms must have the same non-zero length, got: ${p.length} and ${q.length}`,
    );
  }
  for (const value of [...p, ...q]) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new AnalysisError('ANALYSIS_BAD_INPUT', `histogram entries must be finite and >= 0, got: ${value}`);
    }
  }
}

/**
 * Jensen-Shannon divergence between two histograms (each normalised to sum 1 first), with base-2
 * logarithms, so 0 = identical and 1 = no bin in common. JS(P, Q) = ½ KL(P‖M) + ½ KL(Q‖M),
 * M = ½ (P + Q). Symmetric and finite where KL divergence (Yang & Lerch's choice between
 * distributions) is infinite on an empty bin. An all-zero histogram is at distance 1 from a
 * non-empty one and 0 from another all-zero one.
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT on different lengths or negative/non-finite entries.
 */
export function jensenShannonDivergence(p: readonly number[], q: readonly number[]): number {
  checkPair(p, q);
  const a = normalise([...p]);
  const b = normalise([...q]);
  const aEmpty = a.every((v) => v === 0);
  const bEmpty = b.every((v) => v === 0);
  if (aEmpty || bEmpty) return aEmpty && bEmpty ? 0 : 1;
  let divergence = 0;
  for (let i = 0; i < a.length; i++) {
    const m = (a[i] + b[i]) / 2;
    if (a[i] > 0) divergence += 0.5 * a[i] * Math.log2(a[i] / m);
    if (b[i] > 0) divergence += 0.5 * b[i] * Math.log2(b[i] / m);
  }
  return Math.min(1, Math.max(0, divergence));
}

/**
 * Total variation distance: ½ Σ |P_i − Q_i| of the normalised histograms, 0..1 (the share of
 * mass that must move to turn one into the other; 1 − the overlapping area of the two).
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT as {@link jensenShannonDivergence}.
 */
export function totalVariationDistance(p: readonly number[], q: readonly number[]): number {
  checkPair(p, q);
  const a = normalise([...p]);
  const b = normalise([...q]);
  const aEmpty = a.every((v) => v === 0);
  const bEmpty = b.every((v) => v === 0);
  if (aEmpty || bEmpty) return aEmpty && bEmpty ? 0 : 1;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / 2;
}

/** Lowest and highest MIDI pitch and their distance in semitones. */
export interface PitchRange {
  lowest: number;
  highest: number;
  semitones: number;
}

/**
 * Pitch range (Yang & Lerch 2018 PR; MusPy `pitch_range`): highest minus lowest MIDI pitch, in
 * semitones, with both ends.
 * @returns undefined when there are no notes
 */
export function pitchRange(notes: readonly Note[]): PitchRange | undefined {
  if (notes.length === 0) return undefined;
  let lowest = Infinity;
  let highest = -Infinity;
  for (const note of notes) {
    lowest = Math.min(lowest, note.pitch);
    highest = Math.max(highest, note.pitch);
  }
  return { lowest, highest, semitones: highest - lowest };
}

/**
 * Mean notes per bar (Yang & Lerch 2018 NC, averaged over bars): the number of notes (every
 * note of a chord counts) divided by the number of bars in the passage's grid, empty bars
 * included.
 */
export function notesPerBar(passage: Passage): number {
  return passage.notes.length / barsOf(passage).length;
}

/** Number of buckets of {@link noteLengthHistogram}. */
export const NOTE_LENGTH_BUCKETS = 16;

/**
 * Note-length histogram in sixteenths (after Yang & Lerch 2018 NLH, which uses 12 named classes;
 * we use a plain sixteenth grid, which also holds dotted values): bucket i holds notes whose
 * length rounds to i + 1 sixteenths (a sixteenth = ppq / 4 ticks); notes shorter than half a
 * sixteenth go to bucket 0, and bucket 15 holds everything of a whole note (16 sixteenths) or
 * longer. Count-weighted, normalised to sum 1.
 * @returns 16 numbers summing to 1, or all zeros when there are no notes
 */
export function noteLengthHistogram(passage: Passage): number[] {
  const histogram = new Array<number>(NOTE_LENGTH_BUCKETS).fill(0);
  const sixteenth = passage.ppq / 4;
  for (const note of passage.notes) {
    const sixteenths = Math.round(note.durationTicks / sixteenth);
    histogram[Math.min(NOTE_LENGTH_BUCKETS, Math.max(1, sixteenths)) - 1]++;
  }
  return normalise(histogram);
}

/**
 * Share of bars in which nothing sounds: no note starts in the bar and none held from before
 * reaches into it. MusPy's `empty_measure_rate` counts bars without a note onset instead; we count
 * silence here because a held note is measured by {@link longestStretchWithoutOnset}.
 * @returns 0..1 over all bars of the passage's grid (an empty passage is one empty bar: 1)
 */
export function emptyBarShare(passage: Passage): number {
  const bars = barsOf(passage);
  const sounding = new Array<boolean>(bars.length).fill(false);
  for (const note of passage.notes) {
    if (note.durationTicks <= 0) continue;
    const first = barIndexAt(bars, note.startTick);
    const end = note.startTick + note.durationTicks;
    let last = barIndexAt(bars, end);
    // A note that ends exactly on a bar line does not reach into that bar.
    if (last > first && bars[last].startTick >= end) last--;
    for (let i = first; i <= last; i++) sounding[i] = true;
  }
  return sounding.filter((s) => !s).length / bars.length;
}

/**
 * The longest time without a new note onset, in bars (fractional; across meter changes each bar
 * counts as one): the largest gap between consecutive distinct onsets, also from the passage's
 * start to the first onset and from the last onset to the passage's end. A note held for bars is
 * no new note, so a single note held six bars gives 6, as does six bars of silence.
 * @example longestStretchWithoutOnset(oneNoteHeldSixBars) // 6
 */
export function longestStretchWithoutOnset(passage: Passage): Bars {
  return longestOnsetGap(passage, 0);
}

/** {@link longestStretchWithoutOnset} counted from `fromTick` on (onsets before it are ignored). */
export function longestOnsetGap(passage: Passage, fromTick: Ticks): Bars {
  const bars = barsOf(passage);
  let previous = barPosition(bars, fromTick);
  let longest = 0;
  for (const note of passage.notes) {
    if (note.startTick < fromTick) continue;
    const position = barPosition(bars, note.startTick);
    longest = Math.max(longest, position - previous);
    previous = position;
  }
  return Math.max(longest, barPosition(bars, passage.endTick) - previous);
}

/** Result of {@link repetition}. */
export interface Repetition {
  /** Share 0..1 of non-empty bars whose content equals an earlier bar's. */
  bars: number;
  /** Share 0..1 of non-empty 2-bar windows (bar i and i + 1) equal to an earlier window. */
  twoBarPatterns: number;
}

/**
 * Content of each bar as a string key: the bar's length, and for every note starting in it its
 * onset from the bar start and its length (clipped at the bar's end), both rounded to sixteenths,
 * and its pitch. Bars without an onset get '' (empty).
 */
function barContents(passage: Passage, bars: readonly Bar[]): string[] {
  const sixteenth = passage.ppq / 4;
  const parts: string[][] = bars.map(() => []);
  for (const note of passage.notes) {
    const index = barIndexAt(bars, note.startTick);
    const bar = bars[index];
    const onset = Math.round((note.startTick - bar.startTick) / sixteenth);
    const end = Math.min(note.startTick + note.durationTicks, bar.startTick + bar.lengthTicks);
    const length = Math.round((end - note.startTick) / sixteenth);
    parts[index].push(`${onset}:${note.pitch}:${length}`);
  }
  return parts.map((notes, i) =>
    notes.length === 0 ? '' : `${bars[i].lengthTicks / sixteenth}|${notes.sort().join(',')}`,
  );
}

/**
 * Repetition of 1- and 2-bar patterns. A bar's content is the set of notes starting in it, each
 * as (onset from the bar start, pitch, length clipped at the bar end), onsets and lengths rounded
 * to sixteenths; pitches are absolute (a transposed bar is not a repeat). `bars` is the share of
 * non-empty bars (those with an onset) whose content equals some earlier bar's; `twoBarPatterns`
 * the same for the overlapping windows (bar i, bar i + 1), skipping windows with no onset.
 * Four identical bars give bars = 3/4 and twoBarPatterns = 2/3 (windows 1-2 and 2-3 repeat 0-1).
 * Empty takes give 0 for both.
 */
export function repetition(passage: Passage): Repetition {
  const contents = barContents(passage, barsOf(passage));
  return {
    bars: repeatedShare(contents.filter((c) => c !== '')),
    twoBarPatterns: repeatedShare(
      contents
        .slice(0, -1)
        .map((c, i) => [c, contents[i + 1]])
        .filter(([a, b]) => a !== '' || b !== '')
        .map(([a, b]) => `${a}/${b}`),
    ),
  };
}

function repeatedShare(keys: readonly string[]): number {
  if (keys.length === 0) return 0;
  const seen = new Set<string>();
  let repeats = 0;
  for (const key of keys) {
    if (seen.has(key)) repeats++;
    else seen.add(key);
  }
  return repeats / keys.length;
}
