// SPDX-License-Identifier: MIT
/**
 * Which model is training, as every process sees it. A trainer (the app, the studio, `etude train`) takes a lease on
 * the model's row in the library (table training_leases) before it writes anything, renews it every
 * LEASE_HEARTBEAT_MS and clears it at the end. A lease counts as live only while its heartbeat is younger than
 * LEASE_STALE_MS and, on this host, its process still exists: a trainer that was killed leaves a dead lease, and the
 * model shows as interrupted (resumable), never as training forever.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ERROR_CODES } from '../../shared/errors';
import type { Library } from '../db/open';
import type { TrainingLease } from '../db/repositories/trainingLeases';
import type { ModelId, ModelRow } from '../db/types';

/** How often a trainer renews its lease. */
export const LEASE_HEARTBEAT_MS = 2_000;
/** A lease not renewed for this long belongs to a trainer that stopped (or hangs): it no longer holds the model. */
export const LEASE_STALE_MS = 15_000;

/** Who holds a lease, for messages: "etude train, process 4242 on studio-mac". */
export function describeHolder(lease: TrainingLease): string {
  return `${lease.ownerLabel}, process ${lease.ownerPid} on ${lease.ownerHost}`;
}

/** A model is training elsewhere (or here): starting it again, or deleting it, is refused. Code BUSY. */
export class ModelTrainingError extends Error {
  override name = 'ModelTrainingError';
  readonly code = ERROR_CODES.BUSY;
  constructor(
    readonly modelName: string,
    readonly holder: TrainingLease,
    action: 'delete' | 'train' | 'rename',
  ) {
    super(
      action === 'train'
        ? `The model "${modelName}" is already training (${describeHolder(holder)}); wait for that run to finish or cancel it there.`
        : `The model "${modelName}" is still training (${describeHolder(holder)}); cancel that training first, then ${action} it.`,
    );
  }
}

/** Whether a process of this host exists (EPERM: it exists but is not ours). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The liveness rule: a fresh heartbeat, and (on this host, where a pid can be checked) a running process. */
export function isLeaseLive(lease: TrainingLease, now = Date.now(), host = os.hostname()): boolean {
  if (now - lease.heartbeatAt > LEASE_STALE_MS) return false;
  if (lease.ownerHost === host && !processExists(lease.ownerPid)) return false;
  return true;
}

/** The live lease on a model, if any. */
export function liveLease(library: Library, modelId: ModelId): TrainingLease | undefined {
  const lease = library.trainingLeases.get(modelId);
  return lease && isLeaseLive(lease) ? lease : undefined;
}

/** Live leases by model id (one query for a whole model list). */
export function liveLeases(library: Library): Map<ModelId, TrainingLease> {
  const now = Date.now();
  const host = os.hostname();
  return new Map(
    library.trainingLeases
      .list()
      .filter((l) => isLeaseLive(l, now, host))
      .map((l) => [l.modelId, l]),
  );
}

/** @throws ModelTrainingError when a live lease holds the model. */
export function assertNotTraining(library: Library, model: ModelRow, action: 'delete' | 'rename'): void {
  const holder = liveLease(library, model.id);
  if (holder) throw new ModelTrainingError(model.name, holder, action);
}

/** A held lease: renewed on a timer until released. */
export interface HeldLease {
  readonly lease: TrainingLease;
  /** Clears the lease (if still ours) and stops the heartbeat. Idempotent. */
  release(): void;
}

/**
 * Takes the model's lease atomically (one IMMEDIATE transaction, so two processes cannot both win) and renews it
 * every LEASE_HEARTBEAT_MS until released. The timer is unref'd: a lease never keeps a process alive.
 * @throws ModelTrainingError naming the live holder
 */
export function acquireTrainingLease(library: Library, model: ModelRow, ownerLabel: string): HeldLease {
  const host = os.hostname();
  const result = library.trainingLeases.acquire(
    { modelId: model.id, token: randomUUID(), ownerPid: process.pid, ownerHost: host, ownerLabel },
    (existing) => isLeaseLive(existing, Date.now(), host),
  );
  if (!result.acquired) throw new ModelTrainingError(model.name, result.holder, 'train');
  const { lease } = result;
  let released = false;
  const timer = setInterval(() => {
    try {
      // 'busy' (a checkpoint commit holds the lock) skips one beat; the lease goes stale only after several.
      if (library.trainingLeases.renew(lease.modelId, lease.token) === 'lost') clearInterval(timer);
    } catch {
      // A closed library: the lease goes stale on its own.
      clearInterval(timer);
    }
  }, LEASE_HEARTBEAT_MS);
  timer.unref();
  return {
    lease,
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        library.trainingLeases.release(lease.modelId, lease.token);
      } catch {
        // The library was closed first: the lease goes stale on its own.
      }
    },
  };
}
