// SPDX-License-Identifier: MIT
/**
 * How alike two sections of a piece are, for judging a generated form (AABA...): is a repeated A recognisably A, and
 * not a copy of it?
 *
 * Measure: the piece is read on a grid of sixteenths (`stepTicks` ticks); each step gets a state, the pitch sounding
 * there (the highest, if several) or silence, and whether a note starts there. The similarity of sections X and Y of
 * equal length n is the share of the n aligned steps (X's i-th with Y's i-th) whose states are equal: 1 = the same
 * notes at the same times, 0 = nothing in common at any step. This is the mean of the main diagonal of the (X, Y) block
 * of a binary self-similarity (recurrence) matrix over those step states, the matrix music structure analysis reads
 * repeats from (Foote 1999, "Visualizing music and audio using self-similarity", ACM Multimedia; Müller 2015,
 * "Fundamentals of Music Processing", ch. 4: a repeated section shows as a stripe parallel to the main diagonal).
 * Only the aligned diagonal is read: a repeat shifted by a sixteenth scores low, which suits a form whose sections
 * start on bar lines. Velocities are ignored. An exact copy (every step equal) is reported apart from the share.
 */
import type { Note, Ticks } from '../music/NoteSequence';
import { AnalysisError } from './errors';

/** A stretch of a piece in ticks: [startTick, endTick). */
export interface SectionSpan {
  startTick: Ticks;
  endTick: Ticks;
}

/** No note sounds at this step. */
const SILENT = -1;

/**
 * The state of each sixteenth of [span.startTick, span.endTick): pitch * 2 + 1 when a note of that pitch starts there,
 * pitch * 2 when it goes on sounding, SILENT when nothing sounds. Of simultaneous notes the highest counts.
 */
export function stepStates(notes: readonly Note[], span: SectionSpan, stepTicks: number): Int32Array {
  const steps = Math.round((span.endTick - span.startTick) / stepTicks);
  const out = new Int32Array(Math.max(0, steps)).fill(SILENT);
  for (const note of notes) {
    const first = Math.max(0, Math.ceil((note.startTick - span.startTick) / stepTicks - 1e-9));
    const last = Math.min(steps, Math.ceil((note.startTick + note.durationTicks - span.startTick) / stepTicks - 1e-9));
    for (let i = first; i < last; i++) {
      const onset = Math.abs(span.startTick + i * stepTicks - note.startTick) < 1e-9 ? 1 : 0;
      const state = note.pitch * 2 + onset;
      // The highest pitch wins; of one pitch, the onset.
      if (out[i] === SILENT || state > out[i]) out[i] = state;
    }
  }
  return out;
}

/** Two sections compared: the share of equal steps, and whether every step is equal (a copy). */
export interface SectionComparison {
  /** 0..1: share of aligned sixteenths with the same state (sounding pitch or silence, onset or not). */
  similarity: number;
  /** Every step equal: the repeat is a copy. */
  copy: boolean;
}

/**
 * Compares two sections of the same length (see the file header).
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT when the spans differ in length or are empty, or stepTicks is not > 0.
 */
export function compareSections(
  notes: readonly Note[],
  x: SectionSpan,
  y: SectionSpan,
  stepTicks: number,
): SectionComparison {
  if (!(stepTicks > 0)) throw new AnalysisError('ANALYSIS_BAD_INPUT', `stepTicks must be > 0, got: ${stepTicks}`);
  const lx = x.endTick - x.startTick;
  const ly = y.endTick - y.startTick;
  if (lx !== ly || lx < stepTicks)
    throw new AnalysisError(
      'ANALYSIS_BAD_INPUT',
      `sections must have the same length of at least one step, got: ${lx} and ${ly} ticks`,
    );
  const a = stepStates(notes, x, stepTicks);
  const b = stepStates(notes, y, stepTicks);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return { similarity: same / a.length, copy: same === a.length };
}

/** A labelled section of a piece (a form's A, B...). */
export interface LabelledSection extends SectionSpan {
  letter: string;
}

/** The similarity figures of a piece's form. */
export interface FormSimilarity {
  /** Mean similarity over pairs of sections with the same letter (NaN when no letter repeats). */
  sameLetter: number;
  /** Mean similarity over pairs of equal-length sections with different letters (NaN when there is none). */
  differentLetter: number;
  /** Pairs of same-letter sections that are exact copies. */
  copies: number;
  /** Every compared pair, in order of the sections. */
  pairs: { x: number; y: number; same: boolean; similarity: number; copy: boolean }[];
}

/**
 * Compares every pair of equal-length sections: mean similarity of same-letter pairs (A vs A) and of different-letter
 * pairs (A vs B), and how many same-letter pairs are copies. Pairs of different lengths are skipped.
 */
export function formSimilarity(
  notes: readonly Note[],
  sections: readonly LabelledSection[],
  stepTicks: number,
): FormSimilarity {
  const pairs: FormSimilarity['pairs'] = [];
  for (let i = 0; i < sections.length; i++)
    for (let j = i + 1; j < sections.length; j++) {
      const x = sections[i];
      const y = sections[j];
      if (x.endTick - x.startTick !== y.endTick - y.startTick) continue;
      const { similarity, copy } = compareSections(notes, x, y, stepTicks);
      pairs.push({ x: i, y: j, same: x.letter === y.letter, similarity, copy });
    }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN);
  return {
    sameLetter: mean(pairs.filter((p) => p.same).map((p) => p.similarity)),
    differentLetter: mean(pairs.filter((p) => !p.same).map((p) => p.similarity)),
    copies: pairs.filter((p) => p.same && p.copy).length,
    pairs,
  };
}
