// SPDX-License-Identifier: MIT
/**
 * The degeneracy check of generated notes, by the same measures as the quality report: a note
 * held for bars counts as no new note, as silence does.
 */
import { AnalysisError } from './errors';
import { inKeyShare } from './keyFinder';
import { longestOnsetGap } from './metrics';
import type { Passage } from './passage';

/** Limits of {@link findNoteDegeneracy}; every limit is optional except the first. */
export interface NoteDegeneracyLimits {
  /** Longest acceptable stretch without a new note onset, in bars (> 0; a held note counts as none). */
  maxBarsWithoutNewNote: number;
  /** Fewest distinct pitches acceptable in the checked part (default 2: one pitch throughout is degenerate). */
  minDistinctPitches?: number;
  /** Lowest acceptable in-key share (best-fitting diatonic key, 0..1); default: not checked. */
  minInKeyShare?: number;
  /**
   * Check only what starts at or after this tick (the continuation after the seed notes); the
   * stretch is measured from here. Default 0.
   */
  fromTick?: number;
}

/**
 * Why generated notes are degenerate, or undefined when they pass. Checked in this order: no note
 * (after `fromTick`); a stretch longer than `maxBarsWithoutNewNote` bars without a new onset
 * (from `fromTick` to the first onset, between onsets, and from the last onset to the passage's
 * end — a held note is no new note); fewer distinct pitches than `minDistinctPitches`; an in-key
 * share below `minInKeyShare`.
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT when maxBarsWithoutNewNote is not a positive number.
 * @returns a sentence for people, e.g. "the take has no new note for 5.8 bars (limit 2)"
 * @example findNoteDegeneracy(passageOf(take), { maxBarsWithoutNewNote: 2 })
 */
export function findNoteDegeneracy(passage: Passage, limits: NoteDegeneracyLimits): string | undefined {
  if (!(limits.maxBarsWithoutNewNote > 0) || !Number.isFinite(limits.maxBarsWithoutNewNote)) {
    throw new AnalysisError(
      'ANALYSIS_BAD_INPUT',
      `maxBarsWithoutNewNote must be a positive number of bars, got: ${limits.maxBarsWithoutNewNote}`,
    );
  }
  const fromTick = limits.fromTick ?? 0;
  const notes = passage.notes.filter((note) => note.startTick >= fromTick);
  if (notes.length === 0) return 'the take has no note';
  const stretch = longestOnsetGap(passage, fromTick);
  if (stretch > limits.maxBarsWithoutNewNote + 1e-9) {
    return `the take has no new note for ${stretch.toFixed(1)} bars (limit ${limits.maxBarsWithoutNewNote})`;
  }
  const distinct = new Set(notes.map((note) => note.pitch)).size;
  const minDistinct = limits.minDistinctPitches ?? 2;
  if (distinct < minDistinct) {
    return distinct === 1
      ? `the take plays one pitch throughout (${notes[0].pitch})`
      : `the take uses only ${distinct} distinct pitches (at least ${minDistinct} wanted)`;
  }
  if (limits.minInKeyShare !== undefined) {
    const share = inKeyShare(notes) ?? 0;
    if (share < limits.minInKeyShare) {
      return `only ${Math.round(share * 100)}% of the take's notes are in its best-fitting key (at least ${Math.round(limits.minInKeyShare * 100)}% wanted)`;
    }
  }
  return undefined;
}
