// SPDX-License-Identifier: MIT
/**
 * The quality report of a model: N takes generated through the generation runner (nothing is stored in the
 * library) measured against a corpus with src/core/analysis (metrics as Yang & Lerch 2018 and MusPy define them
 * where they overlap; see src/core/analysis/metrics.ts), side by side with the corpus' spread, plus the validation
 * NLL of the checkpoint the takes came from. A melody model is measured on melodies against the corpus' melody lines;
 * a polyphonic model (biaxial-lstm, bi-lstm) on every note of its takes against every note of the corpus. One service
 * for every door: `etude evaluate`, the studio's `models:evaluate` call and the preview script.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NOTE_LENGTH_LABELS,
  PITCH_CLASS_LABELS,
  SCALAR_METRICS,
  type QualityReport,
  type ScalarMetric,
  type Spread,
  findNoteDegeneracy,
  histogramComparisonSvg,
  passageOf,
  qualityReport,
} from '../../core/analysis';
import { tokensFromRuns } from '../../core/data/melodyRuns';
import { decodeMelody } from '../../core/encoding/melody';
import type { EngineChoice } from '../../core/engine/select';
import type { ProgressSink } from '../../core/jobs/progress';
import { composingValLoss, readCheckpointHeader } from '../../core/model/checkpoint';
import { seedTokensFromPitches } from '../../core/model/generate';
import type { NoteSequence } from '../../core/music/NoteSequence';
import type { Library } from '../db/open';
import { DEFAULT_MODEL_NAME, bundledDefaultModelPath, loadModelCheckpoint, runGeneration } from './generation';
import type { GenerationRunner } from './generationRequest';
import { corpusSequences } from './corpusNotes';
import { rollWindowOf } from './polyGeneration';
import { chordSeedFrames } from '../../core/model/polySeed';
import { polyTakeSequence } from '../../core/model/takes';
import { isPolySpec } from '../../core/model/spec';
import { COMMON_TIME } from '../../core/music/meter';

/** The chorales the bundled model learnt, in full, in the source tree (../shared/data beside the repository). */
export function defaultJsbFile(): string {
  return path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../../../shared/data/jsb-chorales/Jsb16thSeparated.json',
  );
}

/** A corpus the report cannot be made against; `code` says why. */
export class EvaluationError extends Error {
  override name = 'EvaluationError';
  constructor(
    readonly code: 'EVALUATION_NO_CORPUS' | 'EVALUATION_EMPTY_CORPUS' | 'EVALUATION_BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

/** The `format` of a corpus bundled with the app (scripts/make-default-corpus.ts writes it). */
export const BUNDLED_CORPUS_FORMAT = 'etude-melody-runs/1';
/** Where the bundled model's corpus lies in the resources folder. */
export const DEFAULT_CORPUS_RELATIVE_PATH = path.join('default-model', 'jsb-soprano.json');

/** resources/default-model/jsb-soprano.json in the source tree (the app passes its own resources path). */
export function bundledDefaultCorpusPath(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources', DEFAULT_CORPUS_RELATIVE_PATH);
}

/**
 * The melodies of a bundled corpus (all splits), as the bundled model learnt them.
 * @throws EvaluationError EVALUATION_NO_CORPUS when the file is missing, not JSON, or not in that format
 */
export function bundledCorpusMelodies(file: string = bundledDefaultCorpusPath()): NoteSequence[] {
  if (!existsSync(file))
    throw new EvaluationError(
      'EVALUATION_NO_CORPUS',
      `The chorales the default model learnt (${file}) are not here; reinstall Etude, or name a corpus of your library with --against.`,
    );
  let parsed: { format?: unknown; splits?: Record<string, unknown> };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch (err) {
    throw new EvaluationError('EVALUATION_NO_CORPUS', `${file} is not JSON: ${(err as Error).message}`);
  }
  if (parsed.format !== BUNDLED_CORPUS_FORMAT || typeof parsed.splits !== 'object' || parsed.splits === null)
    throw new EvaluationError(
      'EVALUATION_NO_CORPUS',
      `${file} is not a corpus in the ${BUNDLED_CORPUS_FORMAT} format.`,
    );
  const pieces = ['train', 'valid', 'test'].flatMap((split) => {
    const list = parsed.splits![split];
    return Array.isArray(list) ? (list as unknown[]) : [];
  });
  return pieces.map((runs, i) => {
    try {
      if (!Array.isArray(runs)) throw new Error('it is not a list of runs');
      return decodeMelody(tokensFromRuns(runs as number[]), { name: `chorale ${i}` });
    } catch (err) {
      throw new EvaluationError('EVALUATION_NO_CORPUS', `${file}, piece ${i}: ${(err as Error).message}`);
    }
  });
}

/**
 * The soprano line (voice 0) of every chorale of Jsb16thSeparated.json (train, valid and test splits), one token
 * per sixteenth as the bundled model was trained on it. A pitch repeated in consecutive frames is read as held: the
 * frames cannot tell a re-struck note from a held one.
 * @throws EvaluationError EVALUATION_NO_CORPUS when the file is missing or is not that JSON
 */
export function jsbSopranoCorpus(file: string = defaultJsbFile()): NoteSequence[] {
  if (!existsSync(file))
    throw new EvaluationError(
      'EVALUATION_NO_CORPUS',
      `The chorales the default model learnt (${file}) are not here; name a corpus of your library with --against.`,
    );
  let splits: Record<string, number[][][] | undefined>;
  try {
    splits = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number[][][] | undefined>;
  } catch (err) {
    throw new EvaluationError('EVALUATION_NO_CORPUS', `${file} is not JSON: ${(err as Error).message}`);
  }
  const chorales = [...(splits.train ?? []), ...(splits.valid ?? []), ...(splits.test ?? [])];
  return chorales.map((frames, i) => {
    const tokens: number[] = [];
    let previous = -2;
    for (const frame of frames) {
      const pitch = frame[0];
      tokens.push(pitch === previous ? 129 : pitch < 0 ? 128 : pitch);
      previous = pitch;
    }
    return decodeMelody(tokens, { name: `chorale ${i}` });
  });
}

/** Every note of every piece of a library corpus (what a polyphonic model is measured against). */
export function libraryCorpusSequences(library: Library, corpusName: string): NoteSequence[] {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  return corpusSequences(library, corpus.id).map((p) => p.sequence);
}

/** The melodies of a library corpus, decoded from the tokens the melody model trains on. */
export function libraryCorpusMelodies(library: Library, corpusName: string): NoteSequence[] {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  return library.pieces.getMelodyTokens(corpus.id).map((row) => decodeMelody(row.tokens, { name: row.name }));
}

export interface EvaluateRequest {
  /** A model name of the library, or 'default'. */
  model: string;
  /** A corpus name of the library; default: the model's own corpus (the JSB soprano lines for 'default'). */
  against?: string;
  /** Takes to generate, 1..256. */
  takes: number;
  /** Bars per take (seed included), 2..256. */
  bars: number;
  temperature?: number;
  randomSeed?: number;
  /** Seed pitches, a quarter note each (default C4 D4 E4 F4). */
  seedPitches?: number[];
  engine?: EngineChoice;
}

/** One line of the report: a measure of the takes beside the corpus'. */
export interface EvaluationRow {
  metric: ScalarMetric | 'copiedNotes' | 'copiedShare';
  label: string;
  takes: Spread | undefined;
  corpus: Spread | undefined;
}

/** Plain data (it crosses IPC as is): everything the CLI prints and the studio shows. */
export interface Evaluation {
  modelName: string;
  corpusName: string;
  corpusPieces: number;
  takes: number;
  bars: number;
  temperature: number;
  randomSeed: number;
  /** Checkpoint's epoch and its validation NLL (mean cross-entropy per token, nats), when it recorded one. */
  checkpoint: { epoch: number; validationNll: number | null };
  rows: EvaluationRow[];
  pitchClassHistogram: { labels: string[]; takes: number[]; corpus: number[] };
  noteLengthHistogram: { labels: string[]; takes: number[]; corpus: number[] };
  distances: QualityReport['distances'];
  /** Takes the degeneracy check (2 bars without a new note) would reject, with the first reason. */
  degenerate: { count: number; example?: string };
  /** Takes still degenerate after the generator's re-samples. */
  keptDegenerate: number;
  /** Takes the generator re-sampled (its degeneracy check, src/core/model/generate.ts), and re-samples in all. */
  resampled: { takes: number; tries: number };
}

export const METRIC_LABELS: Record<EvaluationRow['metric'], string> = {
  inKeyShare: 'in-key share (best diatonic key)',
  pitchRangeSemitones: 'pitch range (semitones)',
  notesPerBar: 'notes per bar',
  emptyBarShare: 'empty-bar share',
  longestStretchWithoutOnsetBars: 'longest stretch without a new note (bars)',
  repeatedBarShare: 'repeated 1-bar patterns (share)',
  repeatedTwoBarShare: 'repeated 2-bar patterns (share)',
  pitchClassDistanceToCorpus: 'pitch-class JS distance to corpus',
  copiedNotes: 'copying: longest run shared with corpus (notes)',
  copiedShare: 'copying: that run / notes of the take',
};

/**
 * Generates `takes` takes of the model (not stored) and measures them against the corpus.
 * @throws NotFoundError (model, corpus), GenerationError, EvaluationError, CancelledError
 */
export async function evaluateModel(
  library: Library,
  request: EvaluateRequest,
  context: {
    defaultModelPath?: string | null;
    /** The bundled corpus the default model is measured against (default: bundledDefaultCorpusPath()). */
    defaultCorpusPath?: string;
    runner?: GenerationRunner;
    signal?: AbortSignal;
    onProgress?: ProgressSink;
  } = {},
): Promise<Evaluation> {
  const { takes, bars } = request;
  if (!Number.isInteger(takes) || takes < 1 || takes > 256)
    throw new EvaluationError('EVALUATION_BAD_REQUEST', `takes must be an integer within [1, 256], got: ${takes}`);
  if (!Number.isInteger(bars) || bars < 2 || bars > 256)
    throw new EvaluationError('EVALUATION_BAD_REQUEST', `bars must be an integer within [2, 256], got: ${bars}`);
  const temperature = request.temperature ?? 1;
  const randomSeed = request.randomSeed ?? 1;
  const loaded = loadModelCheckpoint(
    library,
    request.model,
    context.defaultModelPath === undefined ? bundledDefaultModelPath() : context.defaultModelPath,
  );
  const { spec } = readCheckpointHeader(loaded.bytes);
  // A polyphonic model is measured on every note of its takes against every note of the corpus; a melody model on
  // melodies (the corpus pieces' melody lines).
  const poly = isPolySpec(spec) ? spec : undefined;
  const corpusOf = (name: string) =>
    poly ? libraryCorpusSequences(library, name) : libraryCorpusMelodies(library, name);
  // The corpus first: a missing one is a sentence before any sampling.
  let corpusName: string;
  let corpus: NoteSequence[];
  if (request.against !== undefined) {
    corpusName = request.against;
    corpus = corpusOf(request.against);
  } else if (loaded.modelName === DEFAULT_MODEL_NAME) {
    corpusName = 'JSB chorales (soprano lines)';
    corpus = bundledCorpusMelodies(context.defaultCorpusPath ?? bundledDefaultCorpusPath());
  } else {
    const row = library.models.getModelByName(loaded.modelName);
    const corpusRow = row?.corpusId != null ? library.corpora.getCorpus(row.corpusId) : undefined;
    if (!corpusRow)
      throw new EvaluationError(
        'EVALUATION_NO_CORPUS',
        `The model "${loaded.modelName}" no longer has its corpus in the library; name one to compare with (--against CORPUS).`,
      );
    corpusName = corpusRow.name;
    corpus = corpusOf(corpusRow.name);
  }
  if (corpus.length === 0)
    throw new EvaluationError('EVALUATION_EMPTY_CORPUS', `The corpus "${corpusName}" has no melody to compare with.`);
  // Melody: the seed notes as quarter notes, one after another; polyphonic: as one chord held for a quarter note.
  const window = poly ? rollWindowOf(poly) : undefined;
  const seedTokens = poly ? [] : seedTokensFromPitches(request.seedPitches ?? [60, 62, 64, 65]);
  const seedFrames = window ? chordSeedFrames(request.seedPitches ?? [48, 60, 64, 67], window) : [];
  const framesPerBar = window ? window.stepsPerQuarter * 4 : 16;
  const seedSteps = window ? seedFrames.length / window.pitches : seedTokens.length;
  if (seedSteps >= bars * framesPerBar)
    throw new EvaluationError('EVALUATION_BAD_REQUEST', `The seed fills the ${bars} bars; ask for more bars.`);
  const run = await (context.runner ?? runGeneration)(
    {
      checkpoint: loaded.bytes,
      seedTokens,
      ...(window ? { poly: { seedFrames, framesPerBar } } : {}),
      bars,
      temperature,
      variations: takes,
      randomSeed,
      engine: request.engine ?? 'auto',
    },
    {
      ...(context.signal ? { signal: context.signal } : {}),
      ...(context.onProgress ? { onProgress: context.onProgress } : {}),
    },
  );
  const generated: { retries: number; degenerate?: string }[] = window ? (run.rolls ?? []) : run.melodies;
  const sequences = window
    ? (run.rolls ?? []).map((r, i) =>
        polyTakeSequence(r.frames, window, {
          bpm: 120,
          timeSignature: COMMON_TIME,
          randomSeed: i,
          name: `take ${i + 1}`,
        }),
      )
    : run.melodies.map((m) => decodeMelody(m.tokens));
  const report = qualityReport(sequences, corpus);
  const { metrics, epoch } = readCheckpointHeader(loaded.bytes);
  const valLoss = composingValLoss(epoch, metrics);
  const rows: EvaluationRow[] = SCALAR_METRICS.map((metric) => ({
    metric,
    label: METRIC_LABELS[metric],
    takes: report.takes.metrics[metric],
    corpus: report.corpus.metrics[metric],
  }));
  rows.push(
    { metric: 'copiedNotes', label: METRIC_LABELS.copiedNotes, takes: report.copying.notes, corpus: undefined },
    { metric: 'copiedShare', label: METRIC_LABELS.copiedShare, takes: report.copying.share, corpus: undefined },
  );
  // Both kinds' takes are at 480 ticks a quarter note.
  const seedTicks = (seedSteps * 480) / (window ? window.stepsPerQuarter : 4);
  const reasons = sequences
    .map((s) => findNoteDegeneracy(passageOf(s), { maxBarsWithoutNewNote: 2, fromTick: seedTicks }))
    .filter((r): r is string => r !== undefined);
  return {
    modelName: loaded.modelName,
    corpusName,
    corpusPieces: corpus.length,
    takes,
    bars,
    temperature,
    randomSeed,
    checkpoint: { epoch: loaded.epoch, validationNll: typeof valLoss === 'number' ? valLoss : null },
    rows,
    pitchClassHistogram: {
      labels: [...PITCH_CLASS_LABELS],
      takes: report.takes.pitchClassHistogram,
      corpus: report.corpus.pitchClassHistogram,
    },
    noteLengthHistogram: {
      labels: [...NOTE_LENGTH_LABELS],
      takes: report.takes.noteLengthHistogram,
      corpus: report.corpus.noteLengthHistogram,
    },
    distances: report.distances,
    degenerate: { count: reasons.length, ...(reasons[0] ? { example: reasons[0] } : {}) },
    keptDegenerate: generated.filter((m) => m.degenerate !== undefined).length,
    resampled: {
      takes: generated.filter((m) => m.retries > 0).length,
      tries: generated.reduce((n, m) => n + m.retries, 0),
    },
  };
}

function formatSpread(s: Spread | undefined): string {
  if (!s) return '-';
  const f = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
  return `${f(s.mean)} ± ${f(s.std)} [${f(s.min)}..${f(s.max)}]`;
}

/** The report as text lines (what `etude evaluate` prints): each measure's mean ± std [min..max], takes | corpus. */
export function evaluationLines(e: Evaluation): string[] {
  const lines = [
    `model             ${e.modelName} (checkpoint epoch ${e.checkpoint.epoch}${
      e.checkpoint.validationNll !== null ? `, validation NLL ${e.checkpoint.validationNll.toFixed(4)} nats/token` : ''
    })`,
    `takes             ${e.takes} of ${e.bars} bars at temperature ${e.temperature}, random seed ${e.randomSeed}`,
    `corpus            ${e.corpusName} (${e.corpusPieces} pieces)`,
    '',
    `${'measure'.padEnd(50)}${'takes: mean ± std [min..max]'.padEnd(34)}corpus`,
  ];
  for (const row of e.rows)
    lines.push(`${row.label.padEnd(50)}${formatSpread(row.takes).padEnd(34)}${formatSpread(row.corpus)}`);
  const d = e.distances;
  lines.push(
    '',
    `pitch-class histogram distance   JS ${d.pitchClassHistogram.jensenShannon.toFixed(4)}  TV ${d.pitchClassHistogram.totalVariation.toFixed(4)}`,
    `note-length histogram distance   JS ${d.noteLengthHistogram.jensenShannon.toFixed(4)}  TV ${d.noteLengthHistogram.totalVariation.toFixed(4)}`,
    `pitch classes (takes)   ${histogramText(e.pitchClassHistogram.labels, e.pitchClassHistogram.takes)}`,
    `pitch classes (corpus)  ${histogramText(e.pitchClassHistogram.labels, e.pitchClassHistogram.corpus)}`,
    `more than 2 bars without a new note: ${e.degenerate.count} of ${e.takes} takes${
      e.degenerate.example ? ` (e.g. ${e.degenerate.example})` : ''
    }`,
    `re-sampled by the generator's degeneracy check: ${e.resampled.takes} of ${e.takes} takes (${e.resampled.tries} re-samples); kept degenerate: ${e.keptDegenerate}`,
  );
  return lines;
}

function histogramText(labels: readonly string[], values: readonly number[]): string {
  return values.map((v, i) => `${labels[i]} ${(v * 100).toFixed(0)}%`).join(' ');
}

/** The two plots as SVG documents, by file name. */
export function evaluationPlots(e: Evaluation): Record<string, string> {
  const series = (h: { takes: number[]; corpus: number[] }) => [
    { name: 'takes', values: h.takes },
    { name: 'corpus', values: h.corpus },
  ];
  return {
    'pitch-classes.svg': histogramComparisonSvg({
      title: `Pitch classes: ${e.modelName} vs ${e.corpusName}`,
      binLabels: e.pitchClassHistogram.labels,
      xLabel: 'pitch class',
      yLabel: 'share of notes',
      series: series(e.pitchClassHistogram),
    }),
    'note-lengths.svg': histogramComparisonSvg({
      title: `Note lengths: ${e.modelName} vs ${e.corpusName}`,
      binLabels: e.noteLengthHistogram.labels,
      xLabel: 'length in sixteenths',
      yLabel: 'share of notes',
      series: series(e.noteLengthHistogram),
    }),
  };
}
