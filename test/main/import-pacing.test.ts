// SPDX-License-Identifier: MIT
/** The import on the page's thread: commits bounded in size, WAL checkpoints in a worker thread (issue 14, Load). */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibrary, type Library } from '../../src/main/db';
import { importPaths } from '../../src/main/services/importService';
import { WalCheckpointer } from '../../src/main/services/import/walCheckpointer';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nottingham = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');

let dir: string;
let library: Library;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'etude-import-pacing-'));
  library = openLibrary(path.join(dir, 'library.db'), { onSlowQuery: () => {} });
});
afterAll(() => {
  library.close();
  rmSync(dir, { recursive: true, force: true });
});

const autocheckpoint = (lib: Library) => lib.db.pragma('wal_autocheckpoint', { simple: true }) as number;

/** A Worker stand-in that starts, then fails as a worker can (its file missing in a bundle, a crash). */
class FailingWorker extends EventEmitter {
  static last: FailingWorker | undefined;
  posted: unknown[] = [];
  constructor() {
    super();
    FailingWorker.last = this;
  }
  postMessage(message: unknown) {
    this.posted.push(message);
  }
  unref() {}
  terminate() {
    return Promise.resolve(0);
  }
}

describe('import pacing', () => {
  it('a big import checkpoints the WAL from a worker: its -wal file stays small, SQLite checkpoints come back after', async () => {
    expect(autocheckpoint(library)).toBe(1000);
    const seen = new Set<number>();
    const report = await importPaths(library, [nottingham], {
      corpusName: 'Folk',
      onProgress: () => seen.add(autocheckpoint(library)),
    });
    expect(report.imported).toBeGreaterThan(3000);
    expect(seen.has(0)).toBe(true); // off on this connection while the worker checkpoints
    expect(autocheckpoint(library)).toBe(1000);
    // ~50 MB of pieces went through a -wal file that the worker kept copying into the library.
    expect(statSync(path.join(dir, 'library.db')).size).toBeGreaterThan(30 * 1024 * 1024);
    expect(statSync(path.join(dir, 'library.db-wal')).size).toBeLessThan(20 * 1024 * 1024);
    expect(library.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('a worker that fails hands the checkpoints back to SQLite at once', () => {
    const checkpointer = WalCheckpointer.start(library, FailingWorker as unknown as typeof Worker)!;
    expect(autocheckpoint(library)).toBe(0);
    checkpointer.committed(8 * 1024 * 1024);
    expect(FailingWorker.last!.posted).toEqual(['checkpoint']);
    FailingWorker.last!.emit('error', new Error('Cannot find module walCheckpointWorker.mjs'));
    expect(autocheckpoint(library)).toBe(1000);
    checkpointer.committed(8 * 1024 * 1024);
    expect(FailingWorker.last!.posted).toEqual(['checkpoint', 'close']);
  });

  it('no worker for a library in memory, or when none can be made', () => {
    const memory = openLibrary(':memory:');
    try {
      expect(WalCheckpointer.start(memory, FailingWorker as unknown as typeof Worker)).toBeUndefined();
    } finally {
      memory.close();
    }
    const Refused = function () {
      throw new Error('no worker threads here');
    } as unknown as typeof Worker;
    expect(WalCheckpointer.start(library, Refused)).toBeUndefined();
    expect(autocheckpoint(library)).toBe(1000);
  });
});
