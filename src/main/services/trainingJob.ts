// SPDX-License-Identifier: MIT
/**
 * One training job, runnable in any thread: builds windows, picks the engine, trains, and stores every epoch's
 * checkpoint. With `request.store` (the training worker, src/main/workers/trainingWorker.ts, on a file library) the job writes each
 * checkpoint itself through its own connection (./trainingCheckpoints.ts) and posts only its id, so the 13 MB commit
 * never runs on the UI/IPC thread; without it (an in-memory library, or inProcess diagnostics) it posts the bytes and
 * the parent (./training.ts) stores them.
 */
import { CancelledError, type JobProgress } from '../../core/jobs/progress';
import {
  CHECKPOINT_FORMAT_VERSION,
  composingWeights,
  decodeCheckpoint,
  encodeCheckpoint,
} from '../../core/model/checkpoint';
import { isPolySpec, type ModelSpec, type TrainingConfig } from '../../core/model/spec';
import type { SplitPiece } from '../../core/model/windows';
import { buildTrainingBatches } from '../../core/training/batches';
import { selectEngine, type EngineChoice } from '../../core/engine/select';
import type { EngineInfo } from '../../core/engine/types';
import { trainLoop, type StopReason } from '../../core/training/trainLoop';
import { createRng } from '../../core/util/random';
import { openCheckpointStore, type CheckpointStore, type CheckpointStoreTarget } from './trainingCheckpoints';

export interface TrainingJobRequest {
  pieces: SplitPiece[];
  spec: ModelSpec;
  training: TrainingConfig;
  engine: EngineChoice;
  threads: number | 'auto';
  corpus: { id: number; name: string };
  /**
   * Checkpoint to start from. mode 'resume': weights, Adam state, epoch and metrics continue; mode 'fine-tune':
   * weights only (e.g. the bundled default model), a fresh optimizer, epoch 0.
   */
  initial?: { bytes: Uint8Array; mode: 'resume' | 'fine-tune' };
  /** Store checkpoints here, from the job's own thread; absent: post their bytes for the parent to store. */
  store?: CheckpointStoreTarget;
}

export interface TrainingJobSummary {
  epochs: number;
  steps: number;
  stopReason: StopReason;
  loss?: number;
  valLoss?: number;
  sequencesPerSec: number;
  elapsedMs: number;
  trainWindows: number;
  validWindows: number;
}

export type TrainingJobMessage =
  | { type: 'engine'; info: EngineInfo }
  | { type: 'progress'; progress: JobProgress }
  /** A checkpoint the job stored itself (request.store): its row id only. */
  | { type: 'checkpoint'; epoch: number; step: number; metrics: Record<string, unknown>; checkpointId: number }
  /** A checkpoint for the parent to store (no request.store). */
  | { type: 'checkpoint'; epoch: number; step: number; metrics: Record<string, unknown>; data: Uint8Array }
  | { type: 'done'; summary: TrainingJobSummary }
  | { type: 'cancelled' }
  | { type: 'error'; error: { name: string; code: string; message: string } };

/** Seed of the by-piece validation split, derived from the run's randomSeed (stable across resumes). */
const splitSeed = (randomSeed: number) => (randomSeed ^ 0x5bd1e995) >>> 0;

/** A corpus that cannot feed the run: its code and sentence reach the user as they are. */
function trainingDataError(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'TrainingDataError', code });
}

/** Runs the job; every outcome (including failure and cancel) ends in exactly one terminal message. */
export async function runTrainingJob(
  request: TrainingJobRequest,
  post: (m: TrainingJobMessage, transfer?: ArrayBuffer[]) => void,
  signal: AbortSignal,
): Promise<void> {
  let engine: Awaited<ReturnType<typeof selectEngine>> | undefined;
  let store: CheckpointStore | undefined;
  try {
    const { spec, training } = request;
    // The registry's batch builder for spec.kind: windows of tokens (melody), segments of frames (polyphonic).
    const { train, valid } = buildTrainingBatches(
      spec,
      request.pieces,
      training,
      createRng(splitSeed(training.randomSeed)),
    );
    if (train.size === 0) {
      throw trainingDataError(
        'TRAINING_NO_WINDOWS',
        isPolySpec(spec)
          ? `The corpus "${request.corpus.name}" has no training segment: every piece is shorter than ${spec.segment} frames. Import longer pieces or lower --segment.`
          : `The corpus "${request.corpus.name}" has no training window: every piece is shorter than ${spec.window + 1} sixteenths. Import longer pieces or lower --window.`,
      );
    }
    // The average is weighed against the weights on the validation pieces; a split too small to give one window would
    // store an average in every checkpoint that could never compose.
    if (training.weightAverageDecay !== undefined && valid.size === 0) {
      throw trainingDataError(
        'TRAINING_NO_VALID_WINDOWS',
        `The corpus "${request.corpus.name}" gives no validation ${isPolySpec(spec) ? 'segment' : 'window'} at this validation fraction, and the weight average needs one to be weighed against the weights. Raise the validation fraction, import more pieces, or train without the average.`,
      );
    }
    // Opened before the engine so a library that cannot be opened fails the job before any training.
    if (request.store) store = openCheckpointStore(request.store);
    engine = await selectEngine({ engine: request.engine, threads: request.threads });
    post({ type: 'engine', info: { ...engine.info } });
    const initial = request.initial ? decodeCheckpoint(request.initial.bytes) : undefined;
    const resume = initial && request.initial?.mode === 'resume' ? initial : undefined;
    // A resume goes on from the weights as they were; a fine-tune starts from those the checkpoint composes with.
    const startWeights = initial && (resume ? initial.weights : composingWeights(initial).weights);
    const model = await engine.createModel(spec, training, startWeights);
    if (resume?.optimizer) model.setOptimizerState(resume.optimizer);
    try {
      const result = await trainLoop({
        model,
        train,
        valid,
        training,
        signal,
        ...(resume
          ? {
              resume: {
                epoch: resume.epoch,
                step: resume.step,
                metrics: resume.metrics,
                ...(resume.average ? { average: resume.average } : {}),
              },
            }
          : {}),
        onProgress: (progress) => post({ type: 'progress', progress }),
        onCheckpoint: (c) => {
          const data = encodeCheckpoint({
            formatVersion: CHECKPOINT_FORMAT_VERSION,
            spec,
            training,
            corpus: request.corpus,
            epoch: c.epoch,
            step: c.step,
            metrics: c.metrics,
            weights: c.weights,
            optimizer: c.optimizer,
            ...(c.average ? { average: c.average } : {}),
            engine: model.engine.name,
            createdAt: Date.now(),
          });
          if (store) {
            // Committed before the parent hears of it: a kill now still leaves this checkpoint.
            const checkpointId = store({ epoch: c.epoch, step: c.step, metrics: c.metrics, data });
            post({ type: 'checkpoint', epoch: c.epoch, step: c.step, metrics: c.metrics, checkpointId });
          } else
            post({ type: 'checkpoint', epoch: c.epoch, step: c.step, metrics: c.metrics, data }, [
              data.buffer as ArrayBuffer,
            ]);
        },
      });
      post({
        type: 'done',
        summary: {
          epochs: result.epochs,
          steps: result.steps,
          stopReason: result.stopReason,
          ...(result.metrics.loss !== undefined ? { loss: result.metrics.loss } : {}),
          ...(typeof result.metrics.valLoss === 'number' ? { valLoss: result.metrics.valLoss } : {}),
          sequencesPerSec: result.sequencesPerSec,
          elapsedMs: result.elapsedMs,
          trainWindows: train.size,
          validWindows: valid.size,
        },
      });
    } finally {
      model.dispose();
    }
  } catch (err) {
    if (err instanceof CancelledError) post({ type: 'cancelled' });
    else {
      const e = err as { name?: string; code?: unknown; message?: string };
      post({
        type: 'error',
        error: {
          name: e?.name ?? 'Error',
          code: typeof e?.code === 'string' ? e.code : 'TRAINING_FAILED',
          message: e?.message ?? String(err),
        },
      });
    }
  } finally {
    store?.close();
    await engine?.dispose();
  }
}
