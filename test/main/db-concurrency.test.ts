// SPDX-License-Identifier: MIT
// Two connections write one library at once, as the training worker (checkpoints) and its parent (model status and
// metrics) do. A write transaction that begins by reading must take the write lock first: a deferred one that reads,
// then writes after the other connection committed, fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT:
// SQLite cannot wait that out, https://www.sqlite.org/isolation.html). That killed small trainings mid-run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openLibrary } from '../../src/main/db/open';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-dbconc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('library under two writers', () => {
  it('checkpoints stored by another process while this one updates the model row: no "database is locked"', async () => {
    const dbPath = path.join(dir, 'library.db');
    const library = openLibrary(dbPath, { onSlowQuery: () => {} });
    const model = library.models.createModel({ name: 'm', spec: {}, training: {}, corpusId: null, engine: 'wasm' });
    const writer = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'helpers/checkpointWriter.ts'), dbPath, String(model.id), '1500'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    writer.stdout.on('data', (c: Buffer) => (output += c.toString()));
    writer.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    let updates = 0;
    let done = false;
    void exited.then(() => (done = true));
    // Start writing once the other process has its connection (opening is not what this test is about), then write
    // as often as a busy parent does: every couple of milliseconds.
    while (!done && !output.includes('opened')) await new Promise((r) => setTimeout(r, 5));
    while (!done) {
      library.models.updateModel(model.id, { metrics: { updates: ++updates } });
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await exited, output).toBe(0);
    expect(output).toContain('stored');
    expect(updates).toBeGreaterThan(10);
    expect(library.checkpoints.listCheckpoints(model.id).length).toBe(3);
    library.close();
  }, 60_000);
});
