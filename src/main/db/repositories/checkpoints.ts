// SPDX-License-Identifier: MIT
import { createHash } from 'node:crypto';
import { CheckpointIntegrityError, InvalidLibraryInputError, NotFoundError } from '../errors';
import type { Checkpoint, CheckpointId, CheckpointSummary, ModelId } from '../types';
import { blobToBytes, parseJsonColumn, type RepositoryContext } from './shared';

interface CheckpointSummaryDbRow {
  id: number;
  model_id: number;
  epoch: number;
  step: number;
  sha256: string;
  size_bytes: number;
  metrics_json: string | null;
  created_at: number;
}

interface CheckpointDbRow extends CheckpointSummaryDbRow {
  data: Uint8Array;
}

const SUMMARY_COLUMNS = 'id, model_id, epoch, step, sha256, size_bytes, metrics_json, created_at';

function toSummary(row: CheckpointSummaryDbRow): CheckpointSummary {
  return {
    id: row.id as CheckpointId,
    modelId: row.model_id as ModelId,
    epoch: row.epoch,
    step: row.step,
    sha256: row.sha256,
    sizeBytes: row.size_bytes,
    metrics: parseJsonColumn<unknown>(row.metrics_json),
    createdAt: row.created_at,
  };
}

/** Hex SHA-256 of some bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface NewCheckpoint {
  modelId: ModelId;
  /** Completed epochs (1-based after the first epoch; 0 = initial weights). */
  epoch: number;
  /** Optimizer steps so far. */
  step: number;
  /** Encoded checkpoint bytes (src/core/model/checkpoint.ts). */
  data: Uint8Array;
  metrics?: unknown;
}

/**
 * Checkpoints as blobs. The row and its bytes appear in one transaction (WAL makes it atomic,
 * so a killed process leaves the last complete checkpoint); every read verifies the SHA-256.
 */
export interface CheckpointsRepository {
  /** Stores bytes + sha256 and bumps the model's updated_at, in one transaction. @throws NotFoundError (no such model) */
  saveCheckpoint(checkpoint: NewCheckpoint): CheckpointSummary;
  /** The newest checkpoint of a model (highest id), verified. @throws CheckpointIntegrityError */
  latestCheckpoint(modelId: ModelId): Checkpoint | undefined;
  /** @throws CheckpointIntegrityError when the stored bytes do not match their hash */
  getCheckpoint(id: CheckpointId): Checkpoint | undefined;
  /** Oldest first, without the bytes. */
  listCheckpoints(modelId: ModelId): CheckpointSummary[];
  /**
   * Deletes all but the newest `keepLatest` checkpoints of a model, and `alsoKeep` (the one it composes with, which may
   * be older); returns how many were deleted.
   */
  pruneCheckpoints(modelId: ModelId, keepLatest: number, alsoKeep?: CheckpointId): number;
}

export function createCheckpointsRepository({ db, now, timed }: RepositoryContext): CheckpointsRepository {
  const insert = db.prepare(`
    INSERT INTO checkpoints (model_id, epoch, step, data, sha256, size_bytes, metrics_json, created_at)
    VALUES (@modelId, @epoch, @step, @data, @sha256, @sizeBytes, @metricsJson, @createdAt)
    RETURNING ${SUMMARY_COLUMNS}`);
  const touchModel = db.prepare<[number, number]>('UPDATE models SET updated_at = ? WHERE id = ?');
  const modelExists = db.prepare<[number], number>('SELECT 1 FROM models WHERE id = ?').pluck();
  const byId = db.prepare<[number], CheckpointDbRow>('SELECT * FROM checkpoints WHERE id = ?');
  const latest = db.prepare<[number], CheckpointDbRow>(
    'SELECT * FROM checkpoints WHERE model_id = ? ORDER BY id DESC LIMIT 1',
  );
  const list = db.prepare<[number], CheckpointSummaryDbRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM checkpoints WHERE model_id = ? ORDER BY id`,
  );
  const prune = db.prepare<[number, number, number, number]>(`
    DELETE FROM checkpoints WHERE model_id = ? AND id NOT IN
      (SELECT id FROM checkpoints WHERE model_id = ? ORDER BY id DESC LIMIT ?) AND id != ?`);

  const save = db.transaction((c: NewCheckpoint, sha256: string, createdAt: number) => {
    if (!modelExists.get(c.modelId)) throw new NotFoundError('model', c.modelId);
    const row = insert.get({
      modelId: c.modelId,
      epoch: c.epoch,
      step: c.step,
      data: c.data,
      sha256,
      sizeBytes: c.data.byteLength,
      metricsJson: c.metrics === undefined ? null : JSON.stringify(c.metrics),
      createdAt,
    }) as CheckpointSummaryDbRow;
    touchModel.run(createdAt, c.modelId);
    return toSummary(row);
  });

  function verified(row: CheckpointDbRow | undefined): Checkpoint | undefined {
    if (!row) return undefined;
    const data = blobToBytes(row.data);
    const actual = sha256Hex(data);
    if (actual !== row.sha256) throw new CheckpointIntegrityError(row.id, row.sha256, actual);
    return { ...toSummary(row), data };
  }

  return {
    saveCheckpoint(c) {
      if (!(c.data instanceof Uint8Array) || c.data.byteLength === 0) {
        throw new InvalidLibraryInputError(`Checkpoint for model ${c.modelId} has no bytes.`);
      }
      // Hash outside the write transaction so the lock is held only for the insert.
      const sha256 = sha256Hex(c.data);
      // IMMEDIATE: the transaction reads (does the model exist?) before it writes, and in WAL a deferred read that
      // then writes fails at once with SQLITE_BUSY when another connection (the trainer's heartbeat in the parent)
      // committed in between; taking the write lock first makes it wait (busy_timeout) instead
      // (test/main/db-concurrency.test.ts).
      return timed('checkpoints.saveCheckpoint', () => save.immediate(c, sha256, now()));
    },
    latestCheckpoint(modelId) {
      return timed('checkpoints.latestCheckpoint', () => verified(latest.get(modelId)));
    },
    getCheckpoint(id) {
      return timed('checkpoints.getCheckpoint', () => verified(byId.get(id)));
    },
    listCheckpoints(modelId) {
      return list.all(modelId).map(toSummary);
    },
    pruneCheckpoints(modelId, keepLatest, alsoKeep) {
      return prune.run(modelId, modelId, Math.max(0, Math.floor(keepLatest)), alsoKeep ?? -1).changes;
    },
  };
}
