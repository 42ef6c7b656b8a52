// SPDX-License-Identifier: MIT
// A corpus names its importer from an import's first batch to its last (migration 0070): one whose importer is gone
// shows as interrupted (in the contract's corpus list and `etude corpora`), and the same import run again completes it.
// crash-points.test.ts kills real importers; these cases set the owner directly.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openLibrary } from '../../src/main/db';
import { corpusDto } from '../../src/main/services/dto';
import { importPaths } from '../../src/main/services/importService';
import { importStateOf } from '../../src/main/services/importState';
import { seedMelodyPieces } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seedFolder = path.resolve(repoRoot, '../shared/data/seed-melodies');
const nottingham = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-import-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that cannot exist on this host (above Linux' pid_max): an importer that died. */
const DEAD_PID = 2 ** 30;

describe('import state of a corpus', () => {
  it('a dead importer leaves the corpus interrupted, listed as such; the same import completes it', async () => {
    const library = openLibrary(':memory:');
    const corpus = library.corpora.createCorpus('Seeds');
    library.pieces.insertPieces(corpus.id, seedMelodyPieces(3, 64));
    expect(importStateOf(library.corpora.listCorpora()[0])).toBe('complete');
    expect(corpusDto(library.corpora.listCorpora()[0]).importState).toBeUndefined();

    library.corpora.setImportOwner(corpus.id, { pid: DEAD_PID, host: os.hostname() });
    const listed = library.corpora.listCorpora()[0];
    expect(importStateOf(listed)).toBe('interrupted');
    expect(corpusDto(listed).importState).toBe('interrupted');

    const report = await importPaths(library, [seedFolder], { corpusName: 'Seeds' });
    expect(report.imported).toBeGreaterThan(0);
    expect(importStateOf(library.corpora.getCorpus(corpus.id)!)).toBe('complete');
    library.close();
  });

  it('a live importer elsewhere keeps its claim: the corpus shows as importing, another import leaves it so', async () => {
    const library = openLibrary(':memory:');
    const corpus = library.corpora.createCorpus('Seeds');
    // The parent of this process lives; on another host a pid cannot be checked, so it counts as live too.
    for (const owner of [
      { pid: process.ppid, host: os.hostname() },
      { pid: DEAD_PID, host: `not-${os.hostname()}` },
    ]) {
      library.corpora.setImportOwner(corpus.id, owner);
      expect(importStateOf(library.corpora.getCorpus(corpus.id)!)).toBe('importing');
      await importPaths(library, [seedFolder], { corpusName: 'Seeds' });
      expect(library.corpora.getCorpus(corpus.id)!.importOwner).toEqual(owner);
    }
    library.close();
  });

  it('an import of several batches names its process until the last batch, then clears it', async () => {
    const library = openLibrary(':memory:');
    const owners: unknown[] = [];
    // Progress is throttled: a folder of 3,000 files reports it often enough to be seen between batches.
    await importPaths(library, [nottingham], {
      corpusName: 'Notts',
      batchSize: 50,
      onProgress: () => owners.push(library.corpora.getCorpusByName('Notts')?.importOwner),
    });
    expect(owners).toContainEqual({ pid: process.pid, host: os.hostname() });
    expect(library.corpora.getCorpusByName('Notts')!.importOwner).toBeUndefined();
    library.close();
  });

  it('`etude corpora` says which corpus holds an interrupted import', () => {
    const d = path.join(dir, 'cli');
    mkdirSync(d);
    const seeded = openLibrary(path.join(d, 'library.db'));
    const corpus = seeded.corpora.createCorpus('Half');
    seeded.pieces.insertPieces(corpus.id, seedMelodyPieces(2, 32));
    seeded.corpora.setImportOwner(corpus.id, { pid: DEAD_PID, host: os.hostname() });
    seeded.close();
    const run = (args: string[]) =>
      spawnSync(process.execPath, [path.join(repoRoot, 'bin/etude.mjs'), '--data-dir', d, 'corpora', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ETUDE_DEBUG: '' },
      }).stdout;
    expect(run([])).toMatch(/Half .* import interrupted: run the same import again/);
    expect(JSON.parse(run(['--json']))).toMatchObject([{ name: 'Half', pieces: 2, importState: 'interrupted' }]);
  }, 30_000);
});
