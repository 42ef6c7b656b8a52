// SPDX-License-Identifier: MIT
/**
 * Training a model on a corpus of the library. The work never runs on the thread that serves UI/IPC: it runs in a
 * worker_threads Worker (src/main/workers/trainingWorker.mjs) that posts progress and, after each epoch, stores the
 * epoch's checkpoint itself through its own connection to the library file (saveCheckpoint: one transaction; WAL
 * makes it atomic and lets the two connections share the file), then posts this thread only the checkpoint's id and
 * metrics. A 13 MB commit thus never stalls this thread; it writes only the model row's small updates. Killing the
 * process at any moment leaves the last complete checkpoint. An in-memory library (tests) cannot be opened from
 * another thread, so there, and for inProcess runs, the job posts the bytes and this thread stores them.
 *
 * Checkpoint policy on cancel: the run stops within one training step; nothing is written for the unfinished epoch,
 * the model keeps its last epoch's checkpoint and is marked 'cancelled' (it can be resumed or used to compose).
 */
import { Worker } from 'node:worker_threads';
import { CancelledError, throttleProgress, type ProgressSink } from '../../core/jobs/progress';
import { decodeCheckpoint, readCheckpointHeader } from '../../core/model/checkpoint';
import {
  DEFAULT_MELODY_SPEC,
  DEFAULT_TRAINING,
  isPolySpec,
  type MelodyLstmSpec,
  type ModelKind,
  type ModelSpec,
  type PolyLstmSpec,
  type TrainingConfig,
} from '../../core/model/spec';
import { trainingSettingsProblem } from '../../core/model/registry';
import {
  corpusPitchRange,
  POLY_DEFAULT_BATCH,
  POLY_DEFAULT_RATE,
  POLY_DEFAULT_SCHEDULE,
  polySpecForCorpus,
} from '../../core/model/polyLstmSpec';
import { flatRoll } from '../../core/encoding/rollFrames';
import { decodeMelody, melodyVelocities, type MelodySource } from '../../core/encoding/melody';
import { melodyVelocityBins } from '../../core/model/melodyLstmSpec';
import { velocityBinning, velocityBinsProblem } from '../../core/model/velocity';
import { meterMapOf, stepsIntoBar } from '../../core/music/meterMap';
import { inferChordTrack } from '../../core/music/chords';
import type { SplitPiece } from '../../core/model/windows';
import { ENGINE_CHOICES, isEngineChoice, type EngineChoice } from '../../core/engine/select';
import type { EngineInfo } from '../../core/engine/types';
import type { ParsedRequest } from '../../shared/ipc';
import type { TrainResultDto } from '../../shared/dto';
import { NotFoundError } from '../db/errors';
import type { Library } from '../db/open';
import type { CheckpointId, CorpusId, ModelId, ModelRow, PieceId } from '../db/types';
import type { NoteSequence } from '../../core/music/NoteSequence';
import { acquireTrainingLease, isLeaseLive, type HeldLease } from './trainingLease';
import { canStoreInWorker } from './trainingCheckpoints';
import { type ComposingEpoch, modelComposingEpoch, pruneKeepingComposing } from './composingCheckpoint';
import { corpusSequences } from './corpusNotes';
import {
  runTrainingJob,
  type TrainingJobMessage,
  type TrainingJobRequest,
  type TrainingJobSummary,
} from './trainingJob';

/**
 * Sizes a new model may set: the melody model's, or a polyphonic model's (which kind reads which is its spec's), and a
 * polyphonic model's training loss.
 */
export type SpecOverrides = Partial<
  Pick<MelodyLstmSpec, 'embeddingDim' | 'hiddenSize' | 'layers' | 'dropout' | 'window' | 'chords' | 'velocityBins'>
> &
  Partial<
    Pick<
      PolyLstmSpec,
      'timeSizes' | 'pitchSizes' | 'downSizes' | 'windowHidden' | 'segment' | 'loss' | 'onWeight' | 'repeatContext'
    >
  >;

/** The training settings a run may set: every default's, the optional weight average and weight decay (both off by default). */
const TRAINING_KEYS: readonly string[] = [...Object.keys(DEFAULT_TRAINING), 'weightAverageDecay', 'weightDecay'];
/** The overrides only the polyphonic models read. */
const POLY_ONLY_KEYS = [
  'timeSizes',
  'pitchSizes',
  'downSizes',
  'windowHidden',
  'segment',
  'loss',
  'onWeight',
  'repeatContext',
] as const satisfies readonly (keyof SpecOverrides)[];
/** The model settings a new model may override (the rest of the spec is its kind's default). */
const SPEC_OVERRIDE_KEYS: readonly (keyof SpecOverrides)[] = [
  'embeddingDim',
  'hiddenSize',
  'layers',
  'dropout',
  'window',
  ...POLY_ONLY_KEYS,
  'chords',
  'velocityBins',
];

export interface TrainModelOptions {
  corpusName: string;
  modelName: string;
  /** The kind of a new model (default 'melody-lstm'); a resumed or fine-tuned one keeps its checkpoint's. */
  kind?: ModelKind;
  spec?: SpecOverrides;
  training?: Partial<TrainingConfig>;
  engine?: EngineChoice;
  threads?: number | 'auto';
  /** Continue the model's latest checkpoint (weights, Adam state, epoch); `training.epochs` is the new total. */
  resume?: boolean;
  /** Start from these checkpoint bytes' weights (e.g. the bundled default model); the spec comes from them. */
  fineTuneFrom?: Uint8Array;
  /** Run on this thread instead of a worker (diagnostics only: it blocks the thread). */
  inProcess?: boolean;
  /** Who trains, as other processes name the run in messages (default 'Etude'); the CLI says 'etude train'. */
  ownerLabel?: string;
}

export interface TrainResult {
  modelId: ModelId;
  modelName: string;
  /** Completed epochs in total (including resumed ones). */
  epochs: number;
  steps: number;
  loss?: number;
  valLoss?: number;
  stopReason: TrainingJobSummary['stopReason'];
  engine: EngineInfo;
  checkpointId?: CheckpointId;
  elapsedMs: number;
  sequencesPerSec: number;
  trainWindows: number;
  validWindows: number;
  /** Pieces of the corpus without a melody (piano roll only), which the melody model skipped. */
  skippedNoMelody: number;
  /** The settings it trained with: the kind's defaults, the stored ones when resuming, and the caller's. */
  training: TrainingConfig;
  /** The epoch the model composes with: its best on valid where kept (./composingCheckpoint.ts). */
  composesWith?: ComposingEpoch;
}

/** A training request that cannot start, or a run that failed inside the worker. */
export class TrainingError extends Error {
  override name = 'TrainingError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checkpoints kept per model (older ones are pruned after each save). */
export const CHECKPOINTS_KEPT = 3;

interface Prepared {
  model: ModelRow;
  /** A model created by this run (not resumed): removed again when the run ends before its first checkpoint. */
  fresh: boolean;
  request: TrainingJobRequest;
  /** The model's training lease, held from before the first write until the run ends. */
  lease: HeldLease;
  /** Pieces of the corpus without a melody (piano roll only), which the melody model skips. */
  skippedNoMelody: number;
}

interface TrainingPieces {
  pieces: SplitPiece[];
  /** Pieces without a melody, which the melody model skips (0 for a polyphonic model, which reads every piece). */
  skippedNoMelody: number;
}

/**
 * The pitch window of a new polyphonic model: the corpus' lowest to highest note (at least two octaves).
 * @throws TrainingError TRAINING_EMPTY_CORPUS when the corpus holds no note
 */
function pitchRangeOf(
  corpusName: string,
  rows: readonly { sequence: NoteSequence }[],
): { lowPitch: number; pitches: number } {
  let low = 128;
  let high = -1;
  for (const { sequence } of rows)
    for (const track of sequence.tracks)
      if (!track.isPercussion)
        for (const n of track.notes) {
          if (n.pitch < low) low = n.pitch;
          if (n.pitch > high) high = n.pitch;
        }
  if (high < 0)
    throw new TrainingError(
      'TRAINING_EMPTY_CORPUS',
      `The corpus "${corpusName}" has no notes; import MIDI files into it first.`,
    );
  return corpusPitchRange(low, high);
}

/**
 * The chord of every step of a piece (12-bit pitch-class masks) at `stepsPerQuarter` steps per quarter note, for a
 * chord-conditioned model: inferred per quarter note from ALL the piece's notes by template matching (the documented
 * method, src/core/music/chords.ts inferChordTrack), so any corpus can train one; a melody-only piece's chords are
 * those its melody implies.
 */
export function pieceChords(sequence: NoteSequence, steps: number, stepsPerQuarter: number): Uint16Array {
  const notes = sequence.tracks.filter((t) => !t.isPercussion).flatMap((t) => t.notes);
  const sixteenths = Math.ceil((steps * 4) / stepsPerQuarter) + 1;
  const track = inferChordTrack(notes, sequence.ppq, sixteenths);
  return Uint16Array.from({ length: steps }, (_, i) => track[Math.floor((i * 4) / stepsPerQuarter)] ?? 0);
}

const MELODY_SOURCES: readonly string[] = ['first-part', 'most-notes', 'merged'] satisfies MelodySource[];

/**
 * The velocity of every melody note-on of each MIDI piece of a corpus (src/core/encoding/melody.ts melodyVelocities),
 * read from what the library already keeps: the piece's NoteSequence and the melody source its tokens were made with,
 * so a corpus imported before velocity-aware models trains one without a re-import. Token melodies and piano rolls
 * carry no velocities and are absent from the map.
 */
function corpusMelodyVelocities(library: Library, corpusId: CorpusId): Map<PieceId, Uint8Array> {
  const out = new Map<PieceId, Uint8Array>();
  for (const row of library.pieces.getPieceNotes(corpusId)) {
    if (row.format !== 'midi' || !row.sequence || !row.melodyTokens) continue;
    const source = (MELODY_SOURCES.includes(row.melodySource ?? '') ? row.melodySource : 'first-part') as MelodySource;
    out.set(row.pieceId, melodyVelocities(row.sequence, source, row.melodyTokens.length));
  }
  return out;
}

/**
 * A velocity-aware spec's bins from the corpus' melody velocities (src/core/model/velocity.ts velocityBinning).
 * @throws TrainingError TRAINING_NO_VELOCITIES when the corpus has no velocities, or only one (nothing to learn)
 */
function withCorpusVelocityBins(spec: MelodyLstmSpec, corpusName: string, velocities: Map<PieceId, Uint8Array>) {
  const all: number[] = [];
  for (const piece of velocities.values()) for (const v of piece) if (v > 0) all.push(v);
  if (all.length === 0)
    throw new TrainingError(
      'TRAINING_NO_VELOCITIES',
      `The corpus "${corpusName}" has no note velocities to learn dynamics from (its pieces are token melodies or piano rolls); import MIDI files into a corpus to learn dynamics, or train without --velocity.`,
    );
  const first = all[0];
  if (all.every((v) => v === first))
    throw new TrainingError(
      'TRAINING_NO_VELOCITIES',
      `Every melody note of the corpus "${corpusName}" has velocity ${first}, so there are no dynamics to learn; train without --velocity (takes then get Etude's default dynamics).`,
    );
  return { ...spec, ...velocityBinning(all, spec.velocityBins!) };
}

/** Each of `frames` frames' place in its bar (frames from its start) by the piece's time-signature map. */
export function pieceBarPositions(sequence: NoteSequence, frames: number, stepsPerQuarter: number): Int32Array {
  return stepsIntoBar(meterMapOf(sequence.timeSignatures), sequence.ppq, sequence.ppq / stepsPerQuarter, frames);
}

/**
 * What the job trains on, for the spec's kind: melody tokens (melody model) or flattened piano rolls in the model's
 * pitch window at its frame rate (polyphonic models); with each piece's chords when the spec has a chord input.
 * @throws TrainingError TRAINING_EMPTY_CORPUS when nothing in the corpus fits the model
 */
function trainingPieces(
  library: Library,
  corpus: { id: CorpusId; name: string },
  spec: ModelSpec,
  corpusNotes: () => { name: string; split: string | null; sequence: NoteSequence }[],
  corpusVelocities: () => Map<PieceId, Uint8Array>,
): TrainingPieces {
  if (isPolySpec(spec)) {
    const window = { lowPitch: spec.lowPitch, pitches: spec.pitches, stepsPerQuarter: spec.stepsPerQuarter ?? 1 };
    const pieces = corpusNotes().map((row) => {
      const tokens = flatRoll(row.sequence, window).values;
      const frames = tokens.length / spec.pitches;
      return {
        name: row.name,
        split: row.split,
        tokens,
        // The beat input counts from the piece's own bar lines (a 3/4 bar's 13th sixteenth is the next bar's first).
        barPositions: pieceBarPositions(row.sequence, frames, window.stepsPerQuarter),
        ...(spec.chords ? { chords: pieceChords(row.sequence, frames, window.stepsPerQuarter) } : {}),
      };
    });
    if (!pieces.some((p) => p.tokens.some((v) => v !== 0)))
      throw new TrainingError(
        'TRAINING_EMPTY_CORPUS',
        `The corpus "${corpus.name}" has no notes within the model's pitches ${spec.lowPitch}..${spec.lowPitch + spec.pitches - 1}; import MIDI files into it first.`,
      );
    return { pieces, skippedNoMelody: 0 };
  }
  const rows = library.pieces.getMelodyTokens(corpus.id);
  const skippedNoMelody = library.pieces.countPiecesWithoutMelody(corpus.id);
  if (rows.length === 0)
    throw new TrainingError(
      'TRAINING_EMPTY_CORPUS',
      skippedNoMelody > 0
        ? `The corpus "${corpus.name}" has no piece with a melody (${skippedNoMelody} piano-roll-only piece${skippedNoMelody === 1 ? '' : 's'} skipped); the melody model needs melodies.`
        : `The corpus "${corpus.name}" has no pieces; import MIDI files into it first.`,
    );
  const velocities = melodyVelocityBins(spec) > 0 ? corpusVelocities() : undefined;
  if (velocities && velocities.size === 0) withCorpusVelocityBins(spec, corpus.name, velocities); // throws its sentence
  const withVelocities = (r: { pieceId: PieceId }) => {
    const v = velocities?.get(r.pieceId);
    return v ? { velocities: v } : {};
  };
  if (spec.chords) {
    const byId = new Map(library.pieces.getPieceNotes(corpus.id).map((r) => [r.pieceId, r]));
    const pieces = rows.map((r) => {
      const row = byId.get(r.pieceId);
      const sequence = row?.sequence ?? decodeMelody(r.tokens, { name: r.name });
      return {
        name: r.name,
        tokens: r.tokens,
        split: r.split,
        chords: pieceChords(sequence, r.tokens.length, 4),
        ...withVelocities(r),
      };
    });
    return { pieces, skippedNoMelody };
  }
  return {
    pieces: rows.map((r) => ({ name: r.name, tokens: r.tokens, split: r.split, ...withVelocities(r) })),
    skippedNoMelody,
  };
}

/** The melody model's sizes among the overrides (a polyphonic size given for a melody model is refused). */
function melodyOverrides(overrides: SpecOverrides = {}): Partial<MelodyLstmSpec> {
  const stray = POLY_ONLY_KEYS.find((key) => overrides[key] !== undefined);
  if (stray)
    throw new TrainingError(
      'TRAINING_SETTINGS_INVALID',
      `${stray} is a setting of the polyphonic models; the melody model takes embeddingDim, hiddenSize, layers, window and dropout.`,
    );
  const { velocityBins, embeddingDim, hiddenSize, layers, window, dropout, chords } = overrides;
  const melody = Object.fromEntries(
    Object.entries({ embeddingDim, hiddenSize, layers, window, dropout, chords }).filter(([, v]) => v !== undefined),
  ) as Partial<MelodyLstmSpec>;
  if (velocityBins === undefined || velocityBins === 0) return melody; // 0 = off: the spec is as before
  const problem = velocityBinsProblem(velocityBins);
  if (problem) throw new TrainingError('TRAINING_SETTINGS_INVALID', `Cannot learn dynamics: ${problem}.`);
  // Placeholder bins until the corpus is read (withCorpusVelocityBins), so that the spec can be checked whole.
  return { ...melody, ...velocityBinning([1, 127], velocityBins) };
}

/** A polyphonic model's sizes among the overrides (a melody size given for a polyphonic model is refused). */
function polyOverrides(overrides: SpecOverrides = {}): Partial<PolyLstmSpec> {
  const { embeddingDim, hiddenSize, layers, velocityBins, ...poly } = overrides;
  if (velocityBins !== undefined && velocityBins !== 0)
    throw new TrainingError(
      'TRAINING_SETTINGS_INVALID',
      'Learning dynamics (velocityBins) is an option of the melody model for now; train a melody model to use it.',
    );
  const stray = Object.entries({ embeddingDim, hiddenSize, layers }).find(([, v]) => v !== undefined);
  if (stray)
    throw new TrainingError(
      'TRAINING_SETTINGS_INVALID',
      `${stray[0]} is a size of the melody model; the polyphonic models take timeSizes, pitchSizes, downSizes, window, windowHidden, segment, repeatContext and dropout.`,
    );
  return poly;
}

/** A run's row whose trainer died (its lease is dead) before the first checkpoint: nothing in it to keep. */
function diedBeforeFirstCheckpoint(library: Library, row: ModelRow): boolean {
  if (row.status !== 'training' || library.checkpoints.listCheckpoints(row.id).length > 0) return false;
  const lease = library.trainingLeases.get(row.id);
  return lease !== undefined && !isLeaseLive(lease);
}

/**
 * Refuses settings no engine should be handed, before anything is read, allocated or stored: every door (CLI, app,
 * studio) reaches training through here. The spec and training settings are checked whole, after merging.
 * @throws TrainingError TRAINING_SETTINGS_INVALID naming the setting and what is accepted
 */
function checkSettings(options: TrainModelOptions, spec: ModelSpec | undefined, training: TrainingConfig): void {
  const refuse = (problem: string): never => {
    throw new TrainingError('TRAINING_SETTINGS_INVALID', `Cannot train "${options.modelName}": ${problem}.`);
  };
  const engine = options.engine ?? 'auto';
  if (!isEngineChoice(engine))
    refuse(`there is no engine ${JSON.stringify(engine)} (the engines are ${ENGINE_CHOICES.join(', ')})`);
  const threads = options.threads ?? 'auto';
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= 64))
    refuse(`threads must be "auto" or a whole number within [1, 64], got: ${String(threads)}`);
  const overrides = options.spec ?? {};
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))
    refuse("the model's settings are not an object");
  const unknown = Object.keys(overrides).find((key) => !(SPEC_OVERRIDE_KEYS as readonly string[]).includes(key));
  if (unknown !== undefined)
    refuse(`there is no model setting "${unknown}" (the settings are ${SPEC_OVERRIDE_KEYS.join(', ')})`);
  const unknownTraining = Object.keys(options.training ?? {}).find((key) => !TRAINING_KEYS.includes(key));
  if (unknownTraining !== undefined)
    refuse(`there is no training setting "${unknownTraining}" (the settings are ${TRAINING_KEYS.join(', ')})`);
  if ((options.resume || options.fineTuneFrom) && Object.keys(overrides).length > 0)
    refuse(
      `${options.resume ? 'resuming' : 'fine-tuning'} keeps the model's shape, so its settings (${Object.keys(overrides).join(', ')}) cannot change`,
    );
  const problem = trainingSettingsProblem(spec, training);
  if (problem) refuse(problem);
}

/** The training defaults of a spec's kind: the melody model's, with a polyphonic model's batch, rate and schedule. */
function defaultTrainingFor(spec: ModelSpec): TrainingConfig {
  return isPolySpec(spec)
    ? {
        ...DEFAULT_TRAINING,
        batchSize: POLY_DEFAULT_BATCH,
        learningRate: POLY_DEFAULT_RATE,
        learningRateSchedule: POLY_DEFAULT_SCHEDULE,
      }
    : DEFAULT_TRAINING;
}

/** Is this a polyphonic kind (a piano-roll model)? */
const isPolyKind = (kind: ModelKind | undefined): kind is PolyLstmSpec['kind'] =>
  kind === 'biaxial-lstm' || kind === 'bi-lstm';

/** The spec of a new model before the corpus is read (a polyphonic one over the piano's 88 keys, its range to come). */
function provisionalSpec(options: TrainModelOptions): ModelSpec {
  return isPolyKind(options.kind)
    ? polySpecForCorpus(options.kind, { lowPitch: 21, pitches: 88 }, polyOverrides(options.spec))
    : { ...DEFAULT_MELODY_SPEC, ...melodyOverrides(options.spec) };
}

function prepare(library: Library, options: TrainModelOptions): Prepared {
  if (!options.resume && !options.fineTuneFrom)
    checkSettings(options, provisionalSpec(options), {
      ...defaultTrainingFor(provisionalSpec(options)),
      ...(options.training ?? {}),
    });
  const corpus = library.corpora.getCorpusByName(options.corpusName);
  if (!corpus)
    throw new NotFoundError(
      'corpus',
      options.corpusName,
      'Import MIDI files into it first (etude import FILES --corpus NAME).',
    );
  const engine = options.engine ?? 'auto';
  const threads = options.threads ?? 'auto';
  let model: ModelRow;
  let spec: ModelSpec;
  let training: TrainingConfig;
  let initial: TrainingJobRequest['initial'];
  let lease: HeldLease;
  let data: TrainingPieces;
  const ownerLabel = options.ownerLabel ?? 'Etude';
  // A polyphonic model reads every piece's notes; read once, whichever branch needs them.
  let notes: { name: string; split: string | null; sequence: NoteSequence }[] | undefined;
  const corpusNotes = () => (notes ??= corpusSequences(library, corpus.id));
  let velocities: Map<PieceId, Uint8Array> | undefined;
  const corpusVelocities = () => (velocities ??= corpusMelodyVelocities(library, corpus.id));
  if (options.resume) {
    const existing = library.models.getModelByName(options.modelName);
    if (!existing) throw new NotFoundError('model', options.modelName, 'Drop --resume to train a new model.');
    const latest = library.checkpoints.latestCheckpoint(existing.id);
    if (!latest)
      throw new TrainingError(
        'TRAINING_NOTHING_TO_RESUME',
        `The model "${existing.name}" has no checkpoint to resume from; train it afresh under a new name.`,
      );
    const header = readCheckpointHeader(latest.data);
    spec = header.spec;
    training = { ...header.training, ...(options.training ?? {}) };
    checkSettings(options, spec, training);
    data = trainingPieces(library, corpus, spec, corpusNotes, corpusVelocities);
    initial = { bytes: latest.data, mode: 'resume' };
    // Before any write: a run of the same model in another process keeps its row untouched.
    lease = acquireTrainingLease(library, existing, ownerLabel);
    try {
      model = library.models.updateModel(existing.id, { status: 'training', engine, training });
    } catch (err) {
      lease.release();
      throw err;
    }
  } else {
    if (options.fineTuneFrom) {
      const base = decodeCheckpoint(options.fineTuneFrom);
      spec = base.spec;
      initial = { bytes: options.fineTuneFrom, mode: 'fine-tune' };
    } else if (isPolyKind(options.kind)) {
      spec = polySpecForCorpus(options.kind, pitchRangeOf(corpus.name, corpusNotes()), polyOverrides(options.spec));
    } else {
      spec = { ...DEFAULT_MELODY_SPEC, ...melodyOverrides(options.spec) };
      if (melodyVelocityBins(spec) > 0) spec = withCorpusVelocityBins(spec, corpus.name, corpusVelocities());
    }
    training = { ...defaultTrainingFor(spec), ...(options.training ?? {}) };
    checkSettings(options, spec, training);
    data = trainingPieces(library, corpus, spec, corpusNotes, corpusVelocities);
    // 'default' always means the bundled model (CLI, app and studio), so no library model may take that name.
    if (options.modelName.trim().toLowerCase() === 'default')
      throw new TrainingError('NAME_RESERVED', '"default" is the name of the bundled model; pick another model name.');
    // The row and its lease appear in one transaction (under the write lock): a model at status 'training' with no
    // checkpoint is a run that holds its lease, or one that died before its first checkpoint. The dead run's row
    // holds nothing to resume, so a new run of that name replaces it instead of refusing the name.
    ({ model, lease } = library.db
      .transaction(() => {
        let taken = library.models.getModelByName(options.modelName);
        if (taken && diedBeforeFirstCheckpoint(library, taken)) {
          library.models.deleteModel(taken.id);
          taken = undefined;
        }
        if (taken)
          throw new TrainingError(
            'NAME_TAKEN',
            `A model named "${taken.name}" already exists; continue it with --resume, or pick another name.`,
          );
        const created = library.models.createModel({
          name: options.modelName,
          spec,
          training,
          corpusId: corpus.id,
          engine,
          status: 'training',
        });
        return { model: created, lease: acquireTrainingLease(library, created, ownerLabel) };
      })
      .immediate());
  }
  // The worker stores checkpoints itself where it can open the same library file.
  const store =
    !options.inProcess && canStoreInWorker(library.path)
      ? { libraryPath: library.path, modelId: model.id, keepLatest: CHECKPOINTS_KEPT }
      : undefined;
  return {
    model,
    fresh: !options.resume,
    lease,
    skippedNoMelody: data.skippedNoMelody,
    request: {
      pieces: data.pieces,
      spec,
      training,
      engine,
      threads,
      corpus: { id: corpus.id, name: corpus.name },
      ...(initial ? { initial } : {}),
      ...(store ? { store } : {}),
    },
  };
}

/** Runs the job in a worker (or here) and yields its messages. */
function startJob(
  request: TrainingJobRequest,
  inProcess: boolean,
  onMessage: (m: TrainingJobMessage) => void,
  signal?: AbortSignal,
): Promise<void> {
  if (inProcess) {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    return runTrainingJob(request, (m) => onMessage(m), controller.signal).finally(() =>
      signal?.removeEventListener('abort', onAbort),
    );
  }
  return new Promise((resolve, reject) => {
    // Inherit the parent's loader flags (tsx) but not flags that only make sense for an --eval entry.
    const execArgv: string[] = [];
    for (let i = 0; i < process.execArgv.length; i++) {
      const a = process.execArgv[i];
      if (['-e', '--eval', '-p', '--print'].includes(a))
        i++; // and the code after it
      else if (!a.startsWith('--input-type') && !a.startsWith('--eval=') && !a.startsWith('--print=')) execArgv.push(a);
    }
    const worker = new Worker(new URL('../workers/trainingWorker.mjs', import.meta.url), { execArgv });
    const cancelFlag = new SharedArrayBuffer(4);
    let terminal = false;
    const onAbort = () => {
      Atomics.store(new Int32Array(cancelFlag), 0, 1);
      worker.postMessage({ type: 'cancel' });
      // A worker stuck in native code gets 10 s, then is terminated; the last stored checkpoint is intact either way.
      setTimeout(() => void worker.terminate(), 10_000).unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: TrainingJobMessage) => {
      if (m.type === 'done' || m.type === 'cancelled' || m.type === 'error') terminal = true;
      try {
        onMessage(m);
      } catch (err) {
        terminal = true;
        void worker.terminate();
        reject(err);
      }
    });
    worker.on('error', (err) => {
      terminal = true;
      reject(new TrainingError('TRAINING_WORKER_CRASHED', `The training worker crashed: ${err.message}`));
    });
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (terminal) resolve();
      else
        reject(
          new TrainingError(
            'TRAINING_WORKER_CRASHED',
            `The training worker exited (code ${code}) without finishing; the last stored checkpoint is intact.`,
          ),
        );
    });
    worker.postMessage({ type: 'start', request, cancelFlag });
  });
}

/**
 * Trains (or resumes / fine-tunes) `modelName` on `corpusName`, storing a checkpoint after every epoch.
 * @throws NotFoundError (corpus or model), NameTakenError (a new model's name exists), TrainingError,
 *   EngineUnavailableError (a forced engine cannot load), CancelledError (signal fired; the model keeps its last
 *   epoch's checkpoint).
 */
export async function trainModel(
  library: Library,
  options: TrainModelOptions,
  job: { signal?: AbortSignal; onProgress?: ProgressSink } = {},
): Promise<TrainResult> {
  if (job.signal?.aborted) throw new CancelledError('Training cancelled');
  const { model, fresh, request, lease, skippedNoMelody } = prepare(library, options);
  const progress = job.onProgress ? throttleProgress(job.onProgress) : undefined;
  let engine: EngineInfo | undefined;
  let summary: TrainingJobSummary | undefined;
  let failure: { name: string; code: string; message: string } | undefined;
  let cancelled = false;
  let checkpointId: CheckpointId | undefined;
  let lastMetrics: Record<string, unknown> = {};
  // A new model that never reached a checkpoint is removed, so a failed start (e.g. a forced engine that cannot
  // load) does not leave a useless row that blocks the name; otherwise the row keeps its final status.
  const finish = (status: 'failed' | 'cancelled') => {
    // The worker may have committed a checkpoint whose message never arrived (it was terminated): ask the library.
    if (fresh && checkpointId === undefined && library.checkpoints.listCheckpoints(model.id).length === 0)
      library.models.deleteModel(model.id);
    else library.models.updateModel(model.id, { status });
  };
  progress?.({
    phase: 'starting',
    current: 0,
    total: 0,
    detail:
      `${request.pieces.length} pieces` +
      (skippedNoMelody > 0 ? ` (${skippedNoMelody} without a melody skipped by the melody model)` : ''),
  });
  try {
    await startJob(
      request,
      options.inProcess ?? false,
      (m) => {
        switch (m.type) {
          case 'engine':
            engine = m.info;
            library.models.updateModel(model.id, { engine: m.info.name });
            break;
          case 'progress':
            progress?.(m.progress);
            break;
          case 'checkpoint': {
            if ('checkpointId' in m) {
              // Stored and pruned by the worker already.
              checkpointId = m.checkpointId as CheckpointId;
            } else {
              checkpointId = library.checkpoints.saveCheckpoint({
                modelId: model.id,
                epoch: m.epoch,
                step: m.step,
                data: m.data,
                metrics: m.metrics,
              }).id;
              pruneKeepingComposing(library, model.id, CHECKPOINTS_KEPT);
            }
            lastMetrics = { ...m.metrics, epoch: m.epoch, step: m.step };
            library.models.updateModel(model.id, { metrics: lastMetrics });
            break;
          }
          case 'done':
            summary = m.summary;
            break;
          case 'cancelled':
            cancelled = true;
            break;
          case 'error':
            failure = m.error;
            break;
        }
      },
      job.signal,
    );
  } catch (err) {
    finish('failed');
    lease.release();
    throw err;
  } finally {
    progress?.flush();
  }
  try {
    if (cancelled || (!summary && !failure && job.signal?.aborted)) {
      finish('cancelled');
      throw new CancelledError('Training cancelled; the model keeps its last completed epoch.');
    }
    if (failure || !summary) {
      finish('failed');
      const f = failure ?? {
        name: 'TrainingError',
        code: 'TRAINING_FAILED',
        message: 'Training ended without a result.',
      };
      throw Object.assign(new TrainingError(f.code, f.message), { name: f.name });
    }
    library.models.updateModel(model.id, {
      status: 'ready',
      metrics: { ...lastMetrics, stopReason: summary.stopReason, engine: engine?.description },
    });
  } finally {
    lease.release();
  }
  const composesWith = modelComposingEpoch(library, model.id);
  return {
    modelId: model.id,
    modelName: model.name,
    epochs: summary.epochs,
    steps: summary.steps,
    ...(summary.loss !== undefined ? { loss: summary.loss } : {}),
    ...(summary.valLoss !== undefined ? { valLoss: summary.valLoss } : {}),
    stopReason: summary.stopReason,
    engine: engine ?? { name: 'wasm', threads: 1, description: 'unknown engine' },
    ...(checkpointId !== undefined ? { checkpointId } : {}),
    elapsedMs: summary.elapsedMs,
    sequencesPerSec: summary.sequencesPerSec,
    trainWindows: summary.trainWindows,
    validWindows: summary.validWindows,
    skippedNoMelody,
    training: request.training,
    ...(composesWith ? { composesWith } : {}),
  };
}

/** The app/studio door's trainer (AppServicesOptions.trainer): the 'train:start' request -> trainModel. */
export async function trainFromRequest(
  library: Library,
  request: ParsedRequest<'train:start'>,
  job: { signal: AbortSignal; onProgress: ProgressSink },
): Promise<TrainResultDto> {
  let modelName = request.modelName;
  let resume = false;
  if (request.resumeFromModel !== undefined) {
    const row = library.models.getModel(Number(request.resumeFromModel) as ModelId);
    if (!row) throw new NotFoundError('model', Number(request.resumeFromModel));
    modelName = row.name;
    resume = true;
  }
  const result = await trainModel(
    library,
    {
      corpusName: request.corpusName,
      modelName,
      ...(request.kind !== undefined && !resume ? { kind: request.kind } : {}),
      spec: request.spec,
      training: request.training,
      engine: request.engine,
      ...(request.threads !== undefined ? { threads: request.threads } : {}),
      resume,
      ownerLabel: 'Etude (app or studio)',
    },
    job,
  );
  return {
    modelId: String(result.modelId),
    modelName: result.modelName,
    epochs: result.epochs,
    ...(result.loss !== undefined ? { loss: result.loss } : {}),
    ...(result.valLoss !== undefined ? { valLoss: result.valLoss } : {}),
    engine: result.engine.description,
    ...(result.composesWith ? { composesWith: result.composesWith } : {}),
  };
}
