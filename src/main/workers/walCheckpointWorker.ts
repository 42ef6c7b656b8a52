// SPDX-License-Identifier: MIT
/**
 * WAL checkpoint worker (worker_threads), for the import service (src/main/services/import/walCheckpointer.ts): copies
 * the pages committed to the library's -wal file into the library file, PRAGMA wal_checkpoint(PASSIVE), through its
 * own connection, so that the copy and its fsyncs never block the thread that commits them (an import runs on the
 * thread that serves the page). It writes no rows: the importing thread stays the only writer of data (STYLE §4).
 * A PASSIVE checkpoint never waits for nor blocks the writer; SQLite restarts the -wal file at the writer's next commit
 * once everything in it has been copied.
 * Protocol: workerData { libraryPath }; parent -> 'checkpoint' | 'close'; worker -> { type: 'done' } after each
 * checkpoint, or { type: 'failed', message } (then it exits: the parent goes back to SQLite's own checkpoints).
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

if (!parentPort) throw new Error('walCheckpointWorker must run in a worker thread');
const port = parentPort;
const { libraryPath } = workerData as { libraryPath: string };

let db: Database.Database | undefined;
port.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'close') {
    db?.close();
    port.close();
    return;
  }
  try {
    db ??= new Database(libraryPath, { fileMustExist: true });
    db.pragma('wal_checkpoint(PASSIVE)');
    port.postMessage({ type: 'done' });
  } catch (err) {
    port.postMessage({ type: 'failed', message: (err as Error).message });
    db?.close();
    port.close();
  }
});
