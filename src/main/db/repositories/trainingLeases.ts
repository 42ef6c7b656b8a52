// SPDX-License-Identifier: MIT
import type { ModelId } from '../types';
import type { RepositoryContext } from './shared';

/** One training run's claim on a model (table training_leases, migration 0040). */
export interface TrainingLease {
  modelId: ModelId;
  /** Random id of the run; only its holder renews or clears the lease. */
  token: string;
  ownerPid: number;
  ownerHost: string;
  /** Who trains, for messages: 'etude train', 'the studio', 'the app'. */
  ownerLabel: string;
  startedAt: number;
  heartbeatAt: number;
}

export type NewTrainingLease = Omit<TrainingLease, 'startedAt' | 'heartbeatAt'>;

/** The outcome of acquire: the new lease, or the live one that holds the model. */
export type AcquireLeaseResult = { acquired: true; lease: TrainingLease } | { acquired: false; holder: TrainingLease };

/**
 * Training leases: which model is training, for every process that opens the library. Whether a lease is alive
 * (pid, heartbeat age) is the caller's rule (src/main/services/trainingLease.ts); this repository only stores rows
 * and takes them atomically.
 */
export interface TrainingLeasesRepository {
  /**
   * In one IMMEDIATE transaction (the write lock, so two processes cannot both win): when the model has no lease, or
   * `isLive(existing)` is false, writes `lease` and answers acquired; else answers the live holder.
   */
  acquire(lease: NewTrainingLease, isLive: (existing: TrainingLease) => boolean): AcquireLeaseResult;
  /**
   * Deletes the model (and, by cascade, its checkpoints and lease) unless a live lease holds it, in one IMMEDIATE
   * transaction: a trainer cannot take the lease between the check and the delete.
   */
  deleteModelUnlessHeld(
    modelId: ModelId,
    isLive: (existing: TrainingLease) => boolean,
  ): { deleted: boolean; holder?: TrainingLease };
  /**
   * Moves heartbeat_at to now without waiting for the write lock: 'busy' when another connection holds it (the
   * training worker committing a checkpoint; the caller tries again at the next beat), 'lost' when the lease is no
   * longer this token's (taken over or cleared). Never waiting is the point: the heartbeat runs on the thread that
   * serves IPC, which must not stall behind a 13 MB commit.
   */
  renew(modelId: ModelId, token: string): 'renewed' | 'busy' | 'lost';
  /** Deletes the lease if it is still this token's. */
  release(modelId: ModelId, token: string): boolean;
  get(modelId: ModelId): TrainingLease | undefined;
  list(): TrainingLease[];
}

interface LeaseDbRow {
  model_id: number;
  token: string;
  owner_pid: number;
  owner_host: string;
  owner_label: string;
  started_at: number;
  heartbeat_at: number;
}

function toLease(row: LeaseDbRow): TrainingLease {
  return {
    modelId: row.model_id as ModelId,
    token: row.token,
    ownerPid: row.owner_pid,
    ownerHost: row.owner_host,
    ownerLabel: row.owner_label,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
  };
}

export function createTrainingLeasesRepository({ db, now }: RepositoryContext): TrainingLeasesRepository {
  const byModel = db.prepare<[number], LeaseDbRow>('SELECT * FROM training_leases WHERE model_id = ?');
  const all = db.prepare<[], LeaseDbRow>('SELECT * FROM training_leases ORDER BY model_id');
  const upsert = db.prepare(`
    INSERT INTO training_leases (model_id, token, owner_pid, owner_host, owner_label, started_at, heartbeat_at)
    VALUES (@modelId, @token, @ownerPid, @ownerHost, @ownerLabel, @now, @now)
    ON CONFLICT (model_id) DO UPDATE SET token = excluded.token, owner_pid = excluded.owner_pid,
      owner_host = excluded.owner_host, owner_label = excluded.owner_label, started_at = excluded.started_at,
      heartbeat_at = excluded.heartbeat_at
    RETURNING *`);
  const heartbeat = db.prepare<[number, number, string]>(
    'UPDATE training_leases SET heartbeat_at = ? WHERE model_id = ? AND token = ?',
  );
  const remove = db.prepare<[number, string]>('DELETE FROM training_leases WHERE model_id = ? AND token = ?');

  const acquireTx = db.transaction(
    (lease: NewTrainingLease, isLive: (existing: TrainingLease) => boolean): AcquireLeaseResult => {
      const current = byModel.get(lease.modelId);
      if (current) {
        const existing = toLease(current);
        if (isLive(existing)) return { acquired: false, holder: existing };
      }
      const row = upsert.get({ ...lease, now: now() }) as LeaseDbRow;
      return { acquired: true, lease: toLease(row) };
    },
  );

  const deleteModel = db.prepare<[number]>('DELETE FROM models WHERE id = ?');
  const deleteTx = db.transaction((modelId: ModelId, isLive: (existing: TrainingLease) => boolean) => {
    const current = byModel.get(modelId);
    if (current) {
      const holder = toLease(current);
      if (isLive(holder)) return { deleted: false, holder };
    }
    return { deleted: deleteModel.run(modelId).changes > 0 };
  });

  return {
    acquire: (lease, isLive) => acquireTx.immediate(lease, isLive),
    deleteModelUnlessHeld: (modelId, isLive) => deleteTx.immediate(modelId, isLive),
    renew(modelId, token) {
      const previous = db.pragma('busy_timeout', { simple: true }) as number;
      db.pragma('busy_timeout = 0');
      try {
        return heartbeat.run(now(), modelId, token).changes > 0 ? 'renewed' : 'lost';
      } catch (err) {
        if (String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY')) return 'busy';
        throw err;
      } finally {
        db.pragma(`busy_timeout = ${previous}`);
      }
    },
    release: (modelId, token) => remove.run(modelId, token).changes > 0,
    get(modelId) {
      const row = byModel.get(modelId);
      return row ? toLease(row) : undefined;
    },
    list: () => all.all().map(toLease),
  };
}
