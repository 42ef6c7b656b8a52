// SPDX-License-Identifier: MIT
/**
 * Which of a model's stored checkpoints it composes with: the best on valid, not the newest. A run that early-stops
 * has trained `earlyStoppingPatience` epochs past its best, each worse on music it did not learn from; composing with
 * the newest would hand the composer those overfitted weights. The newest checkpoint's metrics name the best epoch
 * (the training loop's metrics.bestEpoch); a run with no validation has none, and composes with its newest.
 * The rule lives here once: generation reads it, and the checkpoint writers keep that checkpoint when they prune.
 */
import { composingValLoss, type CheckpointMetrics } from '../../core/model/checkpoint';
import type { Library } from '../db/open';
import type { Checkpoint, CheckpointId, CheckpointSummary, ModelId } from '../db/types';

/** The id of the checkpoint that composes, among a model's checkpoints listed oldest first; undefined when none. */
export function composingCheckpointId(checkpoints: readonly CheckpointSummary[]): CheckpointId | undefined {
  const newest = checkpoints.at(-1);
  if (!newest) return undefined;
  const bestEpoch = (newest.metrics as CheckpointMetrics | null)?.bestEpoch;
  if (typeof bestEpoch === 'number')
    for (let i = checkpoints.length - 1; i >= 0; i--) if (checkpoints[i].epoch === bestEpoch) return checkpoints[i].id;
  // The best was pruned (a library written before this rule) or never validated: the newest.
  return newest.id;
}

/** The epoch a model composes with, whether it is that epoch's weight average, and its valid loss (if it validated). */
export interface ComposingEpoch {
  epoch: number;
  average: boolean;
  valLoss?: number;
}

/**
 * What composes, read from the checkpoints' metrics (no bytes): the epoch of the composing checkpoint, which is the
 * best only where that checkpoint is still kept (a library pruned before this rule composes with its newest).
 */
export function composingEpochOf(checkpoints: readonly CheckpointSummary[]): ComposingEpoch | undefined {
  const id = composingCheckpointId(checkpoints);
  const chosen = checkpoints.find((c) => c.id === id);
  if (!chosen) return undefined;
  const m = (chosen.metrics ?? {}) as CheckpointMetrics;
  const valLoss = composingValLoss(chosen.epoch, m);
  return {
    epoch: chosen.epoch,
    average: m.bestEpoch === chosen.epoch && m.bestIsAverage === true,
    ...(valLoss !== undefined ? { valLoss } : {}),
  };
}

/** The epoch a library model composes with (composingEpochOf its checkpoints); undefined before its first. */
export const modelComposingEpoch = (library: Library, modelId: ModelId): ComposingEpoch | undefined =>
  composingEpochOf(library.checkpoints.listCheckpoints(modelId));

/**
 * The checkpoint a model composes with, its bytes verified; undefined when it has none. Listed and read in one
 * transaction, so a trainer in another process pruning between the two reads cannot take the chosen one away.
 */
export function composingCheckpoint(library: Library, modelId: ModelId): Checkpoint | undefined {
  return library.db.transaction(() => {
    const id = composingCheckpointId(library.checkpoints.listCheckpoints(modelId));
    return id === undefined ? undefined : library.checkpoints.getCheckpoint(id);
  })();
}

/** Prunes a model's checkpoints to the newest `keepLatest`, keeping the one it composes with too. */
export function pruneKeepingComposing(library: Library, modelId: ModelId, keepLatest: number): void {
  library.checkpoints.pruneCheckpoints(
    modelId,
    keepLatest,
    composingCheckpointId(library.checkpoints.listCheckpoints(modelId)),
  );
}
