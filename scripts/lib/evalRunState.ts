// SPDX-License-Identifier: MIT
/**
 * The saved state of one eval:poly training run (`--state DIR`), so that a budget of hours (Nottingham needs many
 * passes over 176,000 training frames on 2 cores) can be spent over several sittings: a run that is killed resumes
 * from its last validation, and one whose budget is spent is scored again without training.
 *
 * One folder per kind and seed under DIR, holding two checkpoints in the app's own format (../../src/core/model/
 * checkpoint.ts, CRC-checked): `latest` (the weights and Adam state after the last validation, with the run's
 * settings and progress in its metrics) and `best` (the best-valid weights so far); with --average-decay a third,
 * `average`, the moving average of the weights. Each is written through a hidden sibling and a rename, `best` first and
 * `latest` last, so a crash mid-write leaves the previous `latest` whole, never one whose best is missing. An average
 * written for a later validation than `latest` (a crash between the two) is not used: the average starts again.
 *
 * A resumed run sees the same batches as an uninterrupted one (the shuffles derive from the seed and the epoch); its
 * dropout masks differ, as the dropout generator's position is not stored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../../src/main/services/atomicFile';
import type { NamedWeights, OptimizerState } from '../../src/core/engine/types';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointMetrics } from '../../src/core/model/checkpoint';
import type { ModelSpec, TrainingConfig } from '../../src/core/model/spec';
import { ANNEAL } from '../../src/core/training/schedule';

/** What makes two sittings one run: if any of it differs, the saved state belongs to another run. */
export interface EvalRunSettings {
  /** The benchmark's name and the SHA-256 of its file (two files of one name are two runs). */
  data: string;
  kind: string;
  seed: number;
  minutes: number;
  schedule: string;
  peakRate: number;
  batch: number;
  epochFrames: number;
  validMaxFrames: number;
  spec: ModelSpec;
  /** Training pieces also shifted by every semitone in -transpose..transpose (absent: none; older states lack it). */
  transpose?: number;
  /** The weight average's decay per validation (absent: no average). */
  averageDecay?: number;
  /** AdamW's weight decay (absent: plain Adam, as every state saved before it). */
  weightDecay?: number;
}

/** How far the run has gone, as of its last validation. */
export interface EvalRunProgress {
  /** Budget spent, ms of active time (see activeClock). */
  spentMs: number;
  /** Validations done (the training loop's epochs). */
  epochs: number;
  steps: number;
  trainMs: number;
  trainFrames: number;
  /** The best valid so far, and whether it was the weight average's. */
  best: { valid: number; epoch: number; fromAverage?: boolean };
  /** The 1-minute load average at each validation. */
  loads: number[];
  /** The training loop's own metrics (loss histories, early stopping), for its resume. */
  loop: CheckpointMetrics;
  /** The budget was spent: nothing is left to train. */
  done: boolean;
  /** Once done, why training ended: 'budget', or the training loop's stop reason ('early-stopping'). */
  stop?: string;
}

export interface EvalRunState {
  progress: EvalRunProgress;
  weights: NamedWeights;
  optimizer?: OptimizerState;
  bestWeights: NamedWeights;
  /** The moving average of the weights as of the last validation (absent: none, or not of that validation). */
  average?: NamedWeights;
  /** The budget the run was saved with, where this sitting gives it another one (mayChangeBudget). */
  budgetFromMinutes?: number;
}

/** The folder of one kind and seed under --state DIR. */
export const runFolder = (dir: string, kind: string, seed: number): string => path.join(dir, `${kind}-seed${seed}`);

const LATEST = 'latest.etude-ckpt';
const BEST = 'best.etude-ckpt';
const AVERAGE = 'average.etude-ckpt';

/** The settings that differ between a saved run and this one, by name; empty when they are the same run. */
export function settingsDiffer(saved: EvalRunSettings, now: EvalRunSettings): string[] {
  // Both sides' keys: a setting only one side has (an optional one, given this time or the last) also differs.
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])] as (keyof EvalRunSettings)[];
  return keys.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(now[k]));
}

/**
 * Whether a saved run may go on under another --minutes than it was saved with: only while its training is not done
 * and its rate is still at the peak under both budgets (the anneal schedule holds the peak for the first ANNEAL.hold of
 * the budget; a constant rate never leaves it), with some of the new budget left. Then every step so far had the rate
 * the new budget would have given it, so the run goes on as the one that budget would have made from the start: a run
 * that looks promising can be given more time, and one that must end sooner (the machine is wanted) less.
 */
export function mayChangeBudget(saved: EvalRunSettings, progress: EvalRunProgress, now: EvalRunSettings): boolean {
  return (
    now.minutes !== saved.minutes &&
    !progress.done &&
    progress.spentMs < now.minutes * 60_000 &&
    (saved.schedule === 'constant' || progress.spentMs <= ANNEAL.hold * Math.min(saved.minutes, now.minutes) * 60_000)
  );
}

/**
 * The saved state in `folder`, or undefined when there is none. Another --minutes is taken where mayChangeBudget allows.
 * @throws Error naming the settings that differ, when the folder holds another run's state (nothing is overwritten).
 */
export function loadEvalRun(folder: string, settings: EvalRunSettings): EvalRunState | undefined {
  const latestFile = path.join(folder, LATEST);
  if (!existsSync(latestFile)) return undefined;
  const latest = decodeCheckpoint(readFileSync(latestFile));
  const saved = latest.metrics.evalRun as { settings: EvalRunSettings; progress: EvalRunProgress } | undefined;
  if (!saved) throw new Error(`${latestFile} is a checkpoint, but not the state of an eval:poly run.`);
  const changes = mayChangeBudget(saved.settings, saved.progress, settings);
  const differ = settingsDiffer(saved.settings, settings).filter((k) => !(k === 'minutes' && changes));
  if (differ.length)
    throw new Error(
      `${folder} holds the state of another run (${differ.join(', ')} differ). Give the same flags to resume it, or ` +
        `another --state folder to start afresh.`,
    );
  const best = decodeCheckpoint(readFileSync(path.join(folder, BEST)));
  const averageFile = path.join(folder, AVERAGE);
  const average = existsSync(averageFile) ? decodeCheckpoint(readFileSync(averageFile)) : undefined;
  return {
    progress: saved.progress,
    weights: latest.weights,
    optimizer: latest.optimizer,
    bestWeights: best.weights,
    ...(average?.epoch === latest.epoch ? { average: average.weights } : {}),
    ...(changes ? { budgetFromMinutes: saved.settings.minutes } : {}),
  };
}

/**
 * Saves the run's state after a validation: `bestWeights` only when given (the best changed), then the weight average
 * when given, then `latest`.
 */
export async function saveEvalRun(
  folder: string,
  settings: EvalRunSettings,
  training: TrainingConfig,
  state: {
    progress: EvalRunProgress;
    weights: NamedWeights;
    optimizer?: OptimizerState;
    bestWeights?: NamedWeights;
    average?: NamedWeights;
  },
  engine: string,
): Promise<void> {
  await mkdir(folder, { recursive: true });
  const base = { formatVersion: 1, spec: settings.spec, training, engine, createdAt: Date.now() };
  const { progress } = state;
  if (state.bestWeights)
    await writeFileAtomically(
      path.join(folder, BEST),
      encodeCheckpoint({
        ...base,
        epoch: progress.best.epoch,
        step: progress.steps,
        metrics: { valLoss: progress.best.valid },
        weights: state.bestWeights,
      }),
    );
  if (state.average)
    await writeFileAtomically(
      path.join(folder, AVERAGE),
      encodeCheckpoint({ ...base, epoch: progress.epochs, step: progress.steps, metrics: {}, weights: state.average }),
    );
  await writeFileAtomically(
    path.join(folder, LATEST),
    encodeCheckpoint({
      ...base,
      epoch: progress.epochs,
      step: progress.steps,
      metrics: { ...progress.loop, evalRun: { settings, progress } },
      weights: state.weights,
      ...(state.optimizer ? { optimizer: state.optimizer } : {}),
    }),
  );
}

/**
 * A clock of active time: each reading adds the time since the last one, but never more than `maxGapMs`, so a machine
 * that sleeps or is suspended mid-run (a laptop lid, a paused VM) does not spend the budget while nothing trains. It
 * must be read more often than `maxGapMs` while the run works (the budget is read before every step).
 */
export function activeClock(startMs: number, maxGapMs: number, now: () => number = Date.now): () => number {
  let spent = startMs;
  let last = now();
  return () => {
    const t = now();
    spent += Math.min(maxGapMs, Math.max(0, t - last));
    last = t;
    return spent;
  };
}
