// SPDX-License-Identifier: MIT
/**
 * The training worker's own checkpoint writer. A 13 MB checkpoint (weights + Adam state) takes a few hundred ms to
 * hash, insert and commit; done on the thread that serves UI/IPC it stalls that thread at every epoch end, so the
 * worker stores it through its own connection to the same library file. WAL lets the two connections share the file:
 * one writer at a time (busy_timeout waits for the other), readers never blocked. The parent writes only small rows
 * (the model's status and metrics) meanwhile.
 */
import { openLibrary, type Library } from '../db/open';
import type { ModelId } from '../db/types';
import { pruneKeepingComposing } from './composingCheckpoint';

/** Where and for which model the worker stores checkpoints (sent with the job request). */
export interface CheckpointStoreTarget {
  /** Path of the library's SQLite file (never ':memory:': a memory database cannot be shared with a worker). */
  libraryPath: string;
  modelId: number;
  /** Checkpoints kept per model; older ones are pruned after each save, except the one the model composes with. */
  keepLatest: number;
}

/** One epoch's checkpoint, as the training job hands it over. */
export interface CheckpointToStore {
  epoch: number;
  step: number;
  metrics: Record<string, unknown>;
  data: Uint8Array;
}

/** Stores a checkpoint and returns the id of its row. */
export type CheckpointStore = ((checkpoint: CheckpointToStore) => number) & { close(): void };

/** The worker's connection waits this long for the parent's small writes (it never runs on the UI thread). */
const WORKER_BUSY_TIMEOUT_MS = 30_000;

/** A library path the worker can open itself (a file; an in-memory library stays with its parent). */
export function canStoreInWorker(libraryPath: string): boolean {
  return libraryPath !== ':memory:' && libraryPath !== '' && !libraryPath.startsWith('file::memory:');
}

/**
 * Opens the library at `target.libraryPath` on this thread and returns a writer of checkpoints for `target.modelId`.
 * Each checkpoint is one transaction (saveCheckpoint), so a process killed at any moment leaves the last complete one.
 * @throws the library's open errors (LibraryUnreadableError, ...) when the file cannot be opened.
 */
export function openCheckpointStore(target: CheckpointStoreTarget): CheckpointStore {
  // Slow-query logging exists to flag stalls of the UI/IPC thread; a slow commit here stalls nobody.
  const library: Library = openLibrary(target.libraryPath, {
    busyTimeoutMs: WORKER_BUSY_TIMEOUT_MS,
    onSlowQuery: () => {},
  });
  const modelId = target.modelId as ModelId;
  const store = (c: CheckpointToStore): number => {
    const saved = library.checkpoints.saveCheckpoint({
      modelId,
      epoch: c.epoch,
      step: c.step,
      data: c.data,
      metrics: c.metrics,
    });
    pruneKeepingComposing(library, modelId, target.keepLatest);
    return saved.id;
  };
  return Object.assign(store, { close: () => library.close() });
}
