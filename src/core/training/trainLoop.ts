// SPDX-License-Identifier: MIT
/**
 * The training loop, independent of the engine and of the model kind (batches come from the model registry's batch
 * builder, e.g. ./batches.ts; steps from the TrainableModel): epochs of shuffled windows, validation by piece, early stopping,
 * progress events, cancellation between steps and a checkpoint after every epoch.
 *
 * Determinism: the order of epoch e is shuffled with createRng(epochSeed(randomSeed, e)), so a run resumed from the
 * checkpoint of epoch e sees exactly the batches an uninterrupted run would have seen (no RNG state to store).
 * Batches: the last partial batch of an epoch is KEPT (small corpora would otherwise lose up to batchSize-1 windows
 * each epoch); its loss weighs like a full batch's in the optimizer step, as in Keras.
 * Cancellation policy: the signal is checked before every step; a cancelled run throws CancelledError and saves
 * nothing more, so the last completed epoch's checkpoint is what remains.
 * Learning rate: with training.learningRateSchedule 'anneal' the rate is set before every step from the share of the
 * planned steps done (or of a caller's budget, `scheduleProgress`); a resumed run goes on from its stored step.
 * Weight averaging: with training.weightAverageDecay the moving average of the weights (./weightAverage.ts) is updated
 * and validated after the weights at every validation; the better of the two valid losses is what the best and early
 * stopping count, and metrics.bestIsAverage says which it was. The average is in every checkpoint, and a resumed run
 * goes on from it.
 */
import type { NamedWeights, OptimizerState } from '../engine/types';
import type { TrainableModel } from '../engine/engine';
import { CancelledError, type ProgressSink } from '../jobs/progress';
import type { CheckpointMetrics } from '../model/checkpoint';
import type { TrainingConfig } from '../model/spec';
import { shuffledOrder, type WindowSet } from '../model/windows';
import { createRng } from '../util/random';
import { scheduledRate } from './schedule';
import { averagedWeights } from './weightAverage';

/** Seed of epoch `epoch`'s shuffle (0-based), derived from the run's randomSeed only. */
export function epochSeed(randomSeed: number, epoch: number): number {
  return (Math.imul(randomSeed | 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}

export interface EpochCheckpoint {
  /** Completed epochs (1 after the first). */
  epoch: number;
  step: number;
  metrics: CheckpointMetrics;
  weights: NamedWeights;
  optimizer: OptimizerState;
  /** The moving average of the weights, with training.weightAverageDecay. */
  average?: NamedWeights;
}

export interface TrainLoopOptions {
  model: TrainableModel;
  train: WindowSet;
  /** Validation windows; empty or absent = no validation (and no early stopping). */
  valid?: WindowSet;
  training: TrainingConfig;
  /** Where a resumed run starts: completed epochs, steps and the metrics stored with that checkpoint. */
  resume?: { epoch: number; step: number; metrics: CheckpointMetrics; average?: NamedWeights };
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  /** Called after every epoch with everything a checkpoint needs; awaited before the next epoch starts. */
  onCheckpoint?: (state: EpochCheckpoint) => void | Promise<void>;
  /**
   * How far through its budget the run is (0 to 1), for the learning-rate schedule; absent: completed steps over the
   * planned epochs' steps. A run with a time budget (eval:poly) passes the share of its time spent.
   */
  scheduleProgress?: () => number;
  now?: () => number;
}

export type StopReason = 'completed' | 'early-stopping';

export interface TrainLoopResult {
  epochs: number;
  steps: number;
  stopReason: StopReason;
  metrics: CheckpointMetrics;
  /** Mean sequences per second over this run's training steps. */
  sequencesPerSec: number;
  elapsedMs: number;
}

/** Mean loss over all windows of `set`, in batches (weighted by batch size). */
export async function evaluateWindows(
  model: TrainableModel,
  set: WindowSet,
  batchSize: number,
  signal?: AbortSignal,
): Promise<number> {
  if (set.size === 0) return NaN;
  const order = new Uint32Array(set.size);
  for (let i = 0; i < set.size; i++) order[i] = i;
  let total = 0;
  for (let from = 0; from < set.size; from += batchSize) {
    if (signal?.aborted) throw new CancelledError('Training cancelled');
    const count = Math.min(batchSize, set.size - from);
    total += (await model.evaluate(set.batch(order, from, count))) * count;
  }
  return total / set.size;
}

/**
 * Trains `model` for training.epochs epochs (counting epochs already done when resuming).
 * @throws CancelledError when `signal` fires (checked before every step and every validation batch).
 */
export async function trainLoop(options: TrainLoopOptions): Promise<TrainLoopResult> {
  const { model, train, valid, training, signal, onProgress, onCheckpoint } = options;
  const now = options.now ?? (() => Date.now());
  if (train.size === 0)
    throw new RangeError('There are no training windows: every piece is shorter than the window plus one token.');
  const batchSize = training.batchSize;
  const stepsPerEpoch = Math.ceil(train.size / batchSize);
  const metrics: CheckpointMetrics = { lossHistory: [], valLossHistory: [], ...(options.resume?.metrics ?? {}) };
  metrics.lossHistory = [...(metrics.lossHistory ?? [])];
  metrics.valLossHistory = [...(metrics.valLossHistory ?? [])];
  const decay = training.weightAverageDecay;
  if (decay !== undefined) metrics.averageValLossHistory = [...(metrics.averageValLossHistory ?? [])];
  // A resumed run without averaging drops the stored average: kept, it would be saved on, never weighed again.
  let average = decay !== undefined ? options.resume?.average : undefined;
  let epoch = options.resume?.epoch ?? 0;
  let step = options.resume?.step ?? 0;
  const runStart = now();
  const previousElapsedMs = typeof metrics.elapsedMs === 'number' ? metrics.elapsedMs : 0;
  let sequencesThisRun = 0;
  let trainingMsThisRun = 0;
  const stepsLeftTotal = () => (training.epochs - epoch) * stepsPerEpoch;
  const schedule = training.learningRateSchedule ?? 'constant';
  const plannedSteps = training.epochs * stepsPerEpoch;
  const scheduleProgress = options.scheduleProgress ?? (() => step / plannedSteps);
  let stopReason: StopReason = 'completed';
  const engine = model.engine.name;

  while (epoch < training.epochs) {
    const order = shuffledOrder(train.size, createRng(epochSeed(training.randomSeed, epoch)));
    let lossSum = 0;
    let lossCount = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      if (signal?.aborted) throw new CancelledError('Training cancelled');
      if (schedule !== 'constant')
        model.setLearningRate(scheduledRate(schedule, training.learningRate, scheduleProgress()));
      const from = s * batchSize;
      const count = Math.min(batchSize, train.size - from);
      const t0 = now();
      const loss = await model.trainStep(train.batch(order, from, count));
      const dt = now() - t0;
      if (!Number.isFinite(loss)) throw new TrainingDivergedError(epoch + 1, step + 1, loss);
      trainingMsThisRun += dt;
      sequencesThisRun += count;
      lossSum += loss * count;
      lossCount += count;
      step++;
      const msPerStep = trainingMsThisRun / Math.max(1, sequencesThisRun / batchSize);
      onProgress?.({
        phase: 'epoch',
        current: s + 1,
        total: stepsPerEpoch,
        epoch: epoch + 1,
        epochs: training.epochs,
        step: s + 1,
        stepsPerEpoch,
        loss: lossSum / lossCount,
        ...(metrics.valLossHistory!.length
          ? { valLoss: metrics.valLossHistory![metrics.valLossHistory!.length - 1] }
          : {}),
        sequencesPerSec: sequencesThisRun / Math.max(1e-9, trainingMsThisRun / 1000),
        etaMs: Math.round((stepsLeftTotal() - (s + 1)) * msPerStep),
        engine,
        engineDetail: model.engine.description,
      });
    }
    const epochLoss = lossSum / lossCount;
    let valLoss: number | undefined;
    if (valid && valid.size > 0) {
      onProgress?.({
        phase: 'validating',
        current: 0,
        total: 0,
        epoch: epoch + 1,
        epochs: training.epochs,
        loss: epochLoss,
        engine,
        engineDetail: model.engine.description,
      });
      valLoss = await evaluateWindows(model, valid, batchSize, signal);
    }
    let weights: NamedWeights | undefined;
    let averageValLoss: number | undefined;
    if (decay !== undefined) {
      weights = await model.getWeights();
      // The first average is a copy of the weights: its valid loss is theirs, and a second pass would only cost time.
      const first = average === undefined;
      average = averagedWeights(average, weights, decay);
      if (valLoss !== undefined)
        averageValLoss = first ? valLoss : await validateAverage(model, average, weights, valid!, batchSize, signal);
    }
    epoch++;
    metrics.loss = epochLoss;
    metrics.lossHistory!.push(epochLoss);
    if (valLoss !== undefined) {
      metrics.valLoss = valLoss;
      metrics.valLossHistory!.push(valLoss);
      if (averageValLoss !== undefined) {
        metrics.averageValLoss = averageValLoss;
        metrics.averageValLossHistory!.push(averageValLoss);
      }
      const selected = Math.min(valLoss, averageValLoss ?? Infinity);
      const best = typeof metrics.bestValLoss === 'number' ? metrics.bestValLoss : Infinity;
      if (selected < best) {
        metrics.bestValLoss = selected;
        metrics.bestEpoch = epoch;
        // Set at every new best, so that a best of the weights alone never keeps an earlier epoch's "average" flag.
        if (averageValLoss !== undefined) metrics.bestIsAverage = averageValLoss < valLoss;
        else delete metrics.bestIsAverage;
        metrics.epochsWithoutImprovement = 0;
      } else {
        metrics.epochsWithoutImprovement = (metrics.epochsWithoutImprovement ?? 0) + 1;
      }
    }
    metrics.elapsedMs = previousElapsedMs + (now() - runStart);
    onProgress?.({
      phase: 'epoch done',
      current: epoch,
      total: training.epochs,
      epoch,
      epochs: training.epochs,
      loss: epochLoss,
      ...(valLoss !== undefined ? { valLoss } : {}),
      ...(averageValLoss !== undefined ? { averageValLoss } : {}),
      sequencesPerSec: sequencesThisRun / Math.max(1e-9, trainingMsThisRun / 1000),
      etaMs: Math.round(stepsLeftTotal() * (trainingMsThisRun / Math.max(1, sequencesThisRun / batchSize))),
      engine,
      engineDetail: model.engine.description,
    });
    if (onCheckpoint) {
      await onCheckpoint({
        epoch,
        step,
        metrics: structuredClone(metrics),
        weights: weights ?? (await model.getWeights()),
        optimizer: await model.getOptimizerState(),
        ...(average ? { average } : {}),
      });
    }
    if (
      training.earlyStoppingPatience > 0 &&
      (metrics.epochsWithoutImprovement ?? 0) >= training.earlyStoppingPatience
    ) {
      stopReason = 'early-stopping';
      break;
    }
  }
  return {
    epochs: epoch,
    steps: step,
    stopReason,
    metrics,
    sequencesPerSec: sequencesThisRun / Math.max(1e-9, trainingMsThisRun / 1000),
    elapsedMs: now() - runStart,
  };
}

/**
 * The valid loss of the averaged weights; the model has its own `weights` back afterwards, cancelled or not, so training
 * goes on from them and a cancelled run's caller finds the weights it trained.
 */
export async function validateAverage(
  model: TrainableModel,
  average: NamedWeights,
  weights: NamedWeights,
  valid: WindowSet,
  batchSize: number,
  signal?: AbortSignal,
): Promise<number> {
  model.setWeights(average);
  try {
    return await evaluateWindows(model, valid, batchSize, signal);
  } finally {
    model.setWeights(weights);
  }
}

/** The loss became NaN or infinite: the learning rate is too high for this data or the weights are damaged. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  readonly code = 'TRAINING_DIVERGED';
  constructor(epoch: number, step: number, loss: number) {
    super(
      `Training diverged at epoch ${epoch}, step ${step} (loss ${loss}); lower the learning rate (--lr) or resume from an earlier checkpoint.`,
    );
  }
}
