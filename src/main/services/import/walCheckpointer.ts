// SPDX-License-Identifier: MIT
/**
 * WAL checkpoints of a big import, run off the importing thread. SQLite checkpoints on the committing connection
 * whenever the -wal file passes 1,000 pages (wal_autocheckpoint): it copies ~4 MB into the library file and fsyncs
 * both, 10-30 ms on a quiet disk and hundreds of ms on a busy one (bench:scale), on the thread that serves the page.
 * While an import runs, its connection's automatic checkpoints are off and a worker thread
 * (src/main/workers/walCheckpointWorker.ts, reached by URL, never imported) runs them through its own connection after
 * every ~4 MB committed. If the worker cannot start or fails, SQLite's own checkpoints come back at once: slower for the
 * page, never a growing -wal file.
 *
 * The -wal file starts over from its beginning (instead of growing) only once a checkpoint has copied all of it; a
 * checkpoint that the importer keeps committing behind never catches up (measured: a 60 MB -wal file for a 50 MB
 * import). So the importer does not commit while a checkpoint is under way (`busy`, `idle()`): it goes on parsing, and
 * waits for the checkpoint only if its batch fills up first.
 */
import type { Worker } from 'node:worker_threads';
import type { Library } from '../../db/open';
import { canStoreInWorker } from '../trainingCheckpoints';

/** Bytes committed between two checkpoints: about SQLite's default of 1,000 pages of 4 KB. */
export const WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024;

export class WalCheckpointer {
  private worker: Worker | undefined;
  private readonly restoreAutocheckpoint: number;
  private pendingBytes = 0;
  private running = false;
  private closed = false;
  private waiters: (() => void)[] = [];

  /** Starts the worker for `library`; undefined for a library in memory, or when no worker can be made. */
  static start(library: Library, WorkerClass: typeof Worker): WalCheckpointer | undefined {
    if (!canStoreInWorker(library.path)) return undefined;
    try {
      return new WalCheckpointer(library, WorkerClass);
    } catch {
      return undefined;
    }
  }

  private constructor(
    private readonly library: Library,
    WorkerClass: typeof Worker,
  ) {
    this.restoreAutocheckpoint = library.db.pragma('wal_autocheckpoint', { simple: true }) as number;
    const worker = new WorkerClass(new URL('../../workers/walCheckpointWorker.mjs', import.meta.url), {
      workerData: { libraryPath: library.path },
    });
    worker.unref();
    worker.on('message', (m: { type: 'done' | 'failed' }) => {
      if (m.type === 'failed') return this.fail();
      this.running = false;
      this.wake();
    });
    worker.on('error', () => this.fail());
    worker.on('exit', () => this.fail());
    this.worker = worker;
    library.db.pragma('wal_autocheckpoint = 0');
  }

  /** True while a checkpoint runs: a commit now would keep the -wal file from starting over. */
  get busy(): boolean {
    return this.running;
  }

  /** Resolves when no checkpoint runs (at once when none does; also when the worker fails). */
  idle(): Promise<void> {
    return this.running ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  }

  /** A transaction of about `bytes` was committed: checkpoint once enough has gathered. */
  committed(bytes: number): void {
    this.pendingBytes += bytes;
    if (this.running || !this.worker || this.pendingBytes < WAL_CHECKPOINT_BYTES) return;
    this.running = true;
    this.pendingBytes = 0;
    this.worker.postMessage('checkpoint');
  }

  /** Back to SQLite's own checkpoints; the worker finishes a checkpoint under way, then exits. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.library.db.open) this.library.db.pragma(`wal_autocheckpoint = ${this.restoreAutocheckpoint}`);
    const worker = this.worker;
    this.worker = undefined;
    worker?.postMessage('close');
    this.running = false;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private fail(): void {
    const worker = this.worker;
    this.close();
    if (worker) void worker.terminate();
  }
}
