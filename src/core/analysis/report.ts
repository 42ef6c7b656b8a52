// SPDX-License-Identifier: MIT
/**
 * The quality report: generated takes measured side by side with their corpus, each measure with
 * its spread, plus the distance between the two sets' histograms and how much of the corpus the
 * takes copy. Yang & Lerch (2018) compare a generated set with a training set through the
 * distributions of such per-piece features; we report the per-piece spread of each (mean, std,
 * quartiles) and a Jensen-Shannon divergence and total variation between the pooled histograms.
 */
import type { NoteSequence } from '../music/NoteSequence';
import { type CopiedRun, type CopyIndex, type CopyOptions, buildCopyIndex, longestCopiedRun } from './copying';
import { inKeyShare } from './keyFinder';
import {
  NOTE_LENGTH_BUCKETS,
  emptyBarShare,
  jensenShannonDivergence,
  longestStretchWithoutOnset,
  noteLengthHistogram,
  notesPerBar,
  pitchClassHistogram,
  pitchRange,
  repetition,
  totalVariationDistance,
} from './metrics';
import { type Passage, passageOf } from './passage';

/** Spread of one measure over the pieces where it is defined (quartiles by linear interpolation). */
export interface Spread {
  /** Pieces the measure is defined for (e.g. pitch range needs a note). */
  count: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

/** Names of the per-piece measures a {@link MetricSummary} spreads. */
export const SCALAR_METRICS = [
  'inKeyShare',
  'pitchRangeSemitones',
  'notesPerBar',
  'emptyBarShare',
  'longestStretchWithoutOnsetBars',
  'repeatedBarShare',
  'repeatedTwoBarShare',
  'pitchClassDistanceToCorpus',
] as const;
/** One of {@link SCALAR_METRICS}. */
export type ScalarMetric = (typeof SCALAR_METRICS)[number];

/** One set (the takes, or the corpus) measured. */
export interface MetricSummary {
  pieces: number;
  notes: number;
  /** Count-weighted pitch-class histogram of all notes of the set pooled, 12 bins summing to 1. */
  pitchClassHistogram: number[];
  /** Note-length histogram in sixteenths of all notes pooled (see noteLengthHistogram), 16 bins. */
  noteLengthHistogram: number[];
  /**
   * Spread over pieces of: in-key share (best-fitting diatonic key), pitch range in semitones,
   * mean notes per bar, empty-bar share, longest stretch without a new note (bars), repeated 1-
   * and 2-bar pattern shares, and the Jensen-Shannon divergence of each piece's pitch-class
   * histogram from the corpus' pooled one. Undefined when no piece defines the measure.
   */
  metrics: Record<ScalarMetric, Spread | undefined>;
}

/** Distance between the takes' and the corpus' pooled histograms. */
export interface HistogramDistance {
  /** Base-2 Jensen-Shannon divergence, 0..1. */
  jensenShannon: number;
  /** Total variation distance, 0..1. */
  totalVariation: number;
}

/** Result of {@link qualityReport}. */
export interface QualityReport {
  takes: MetricSummary;
  corpus: MetricSummary;
  distances: { pitchClassHistogram: HistogramDistance; noteLengthHistogram: HistogramDistance };
  copying: {
    /** Per take, in take order: its longest run of notes shared with a corpus piece. */
    perTake: CopiedRun[];
    /** Spread over takes of the run length in notes. */
    notes: Spread | undefined;
    /** Spread over takes of run length / the take's note count (1 = the whole take is copied). */
    share: Spread | undefined;
    /** Whether runs were compared transposition-invariantly. */
    transpositionInvariant: boolean;
  };
}

/**
 * Spread of a list of numbers; undefined entries and NaN are skipped.
 * @returns undefined when nothing is left
 */
export function spreadOf(values: readonly (number | undefined)[]): Spread | undefined {
  const sorted = values.filter((v): v is number => v !== undefined && !Number.isNaN(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return undefined;
  const mean = sorted.reduce((sum, v) => sum + v, 0) / n;
  const variance = sorted.reduce((sum, v) => sum + (v - mean) ** 2, 0) / n;
  const quantile = (q: number): number => {
    const at = q * (n - 1);
    const low = Math.floor(at);
    const high = Math.min(n - 1, low + 1);
    return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
  };
  return {
    count: n,
    mean,
    std: Math.sqrt(variance),
    min: sorted[0],
    q1: quantile(0.25),
    median: quantile(0.5),
    q3: quantile(0.75),
    max: sorted[n - 1],
  };
}

function pooled(passages: readonly Passage[], histogram: (p: Passage) => number[], bins: number): number[] {
  const sum = new Array<number>(bins).fill(0);
  let total = 0;
  for (const passage of passages) {
    const h = histogram(passage);
    // Un-normalise so that every note of the set weighs the same.
    h.forEach((v, i) => (sum[i] += v * passage.notes.length));
    total += passage.notes.length;
  }
  return total > 0 ? sum.map((v) => v / total) : sum;
}

/**
 * Measure a set of passages against a reference pitch-class histogram.
 * @param referencePitchClasses the corpus' pooled histogram (for pitchClassDistanceToCorpus)
 */
export function summarise(passages: readonly Passage[], referencePitchClasses: readonly number[]): MetricSummary {
  const perPiece: Record<ScalarMetric, (number | undefined)[]> = Object.fromEntries(
    SCALAR_METRICS.map((name) => [name, [] as (number | undefined)[]]),
  ) as Record<ScalarMetric, (number | undefined)[]>;
  for (const passage of passages) {
    const repeated = repetition(passage);
    const empty = passage.notes.length === 0;
    perPiece.inKeyShare.push(inKeyShare(passage.notes));
    perPiece.pitchRangeSemitones.push(pitchRange(passage.notes)?.semitones);
    perPiece.notesPerBar.push(notesPerBar(passage));
    perPiece.emptyBarShare.push(emptyBarShare(passage));
    perPiece.longestStretchWithoutOnsetBars.push(longestStretchWithoutOnset(passage));
    perPiece.repeatedBarShare.push(repeated.bars);
    perPiece.repeatedTwoBarShare.push(repeated.twoBarPatterns);
    perPiece.pitchClassDistanceToCorpus.push(
      empty ? undefined : jensenShannonDivergence(pitchClassHistogram(passage.notes), referencePitchClasses),
    );
  }
  return {
    pieces: passages.length,
    notes: passages.reduce((sum, p) => sum + p.notes.length, 0),
    pitchClassHistogram: pooled(passages, (p) => pitchClassHistogram(p.notes), 12),
    noteLengthHistogram: pooled(passages, noteLengthHistogram, NOTE_LENGTH_BUCKETS),
    metrics: Object.fromEntries(SCALAR_METRICS.map((name) => [name, spreadOf(perPiece[name])])) as Record<
      ScalarMetric,
      Spread | undefined
    >,
  };
}

function distance(p: readonly number[], q: readonly number[]): HistogramDistance {
  return { jensenShannon: jensenShannonDivergence(p, q), totalVariation: totalVariationDistance(p, q) };
}

/**
 * Measure generated takes against their corpus (see {@link QualityReport} for every field).
 * Works on all pitched tracks of each sequence (melody and polyphonic alike); bars follow each
 * sequence's own time-signature map (4/4 when it has none).
 * @param options.copyIndex a corpus index built earlier with buildCopyIndex (to reuse it across
 *   reports); otherwise one is built from `corpus` with `options.copy`
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT when a sequence's ppq or time signature is invalid.
 */
export function qualityReport(
  takes: readonly NoteSequence[],
  corpus: readonly NoteSequence[],
  options: { copy?: CopyOptions; copyIndex?: CopyIndex } = {},
): QualityReport {
  const takePassages = takes.map((take) => passageOf(take));
  const corpusPassages = corpus.map((piece) => passageOf(piece));
  const corpusPitchClasses = pooled(corpusPassages, (p) => pitchClassHistogram(p.notes), 12);
  const takeSummary = summarise(takePassages, corpusPitchClasses);
  const corpusSummary = summarise(corpusPassages, corpusPitchClasses);
  const index = options.copyIndex ?? buildCopyIndex(corpusPassages, options.copy);
  const perTake = takePassages.map((take) => longestCopiedRun(take, index));
  return {
    takes: takeSummary,
    corpus: corpusSummary,
    distances: {
      pitchClassHistogram: distance(takeSummary.pitchClassHistogram, corpusSummary.pitchClassHistogram),
      noteLengthHistogram: distance(takeSummary.noteLengthHistogram, corpusSummary.noteLengthHistogram),
    },
    copying: {
      perTake,
      notes: spreadOf(perTake.map((run) => run.notes)),
      share: spreadOf(
        perTake.map((run, i) =>
          takePassages[i].notes.length > 0 ? run.notes / takePassages[i].notes.length : undefined,
        ),
      ),
      transpositionInvariant: index.transpositionInvariant,
    },
  };
}
