// SPDX-License-Identifier: MIT
// Trust: a child process importing or training is killed (SIGKILL) at 20 random moments, 10 during an import of
// nottingham/MIDI (3,089 files) and 10 during training (tiny spec E8/H16/window 8 on 30 seed melodies). Each time the
// library reopened afterwards passes PRAGMA integrity_check, shows no partial import as a complete corpus, stores
// only checkpoints that decode, shows no dead trainer's model as training, and resumes: the same import run again
// ends with exactly the pieces of an import that was never killed; every model trains on from its last checkpoint
// (or, killed before its first, trains afresh under its name).
//
// The moments are drawn from a seeded RNG over the span the work lasts here (measured by one run that is not
// killed). The seed is in the test names; replay a failure with ETUDE_CRASH_SEED=<seed>.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import { createRng } from '../../src/core/util/random';
import { openLibrary, type Library } from '../../src/main/db/open';
import type { CorpusId } from '../../src/main/db/types';
import { importPaths } from '../../src/main/services/importService';
import { importStateOf } from '../../src/main/services/importState';
import { libraryModelDto } from '../../src/main/services/models';
import { trainModel } from '../../src/main/services/training';
import { seedMelodyPieces } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const child = path.join(repoRoot, 'test/main/helpers/crashChild.ts');
const midiFolder = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED = Number(process.env.ETUDE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const IMPORT_POINTS = 10;
const TRAINING_POINTS = 10;
const replay = `replay with ETUDE_CRASH_SEED=${SEED}`;
/** Opens a library without the slow-query lines (this test measures no query). */
const open = (file: string) => openLibrary(file, { onSlowQuery: () => undefined });

interface Run {
  /** Resolves with the child's output when it exits by itself. */
  done: Promise<string>;
  ready: Promise<void>;
  /** SIGKILLs the child and resolves once it is gone. */
  kill(): Promise<NodeJS.Signals | null>;
}

/** Starts crashChild.ts in its own Node process. */
function start(args: string[], env: Record<string, string> = {}): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('READY\n')) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`child exited before READY (code ${code}): ${err}`)));
  });
  return {
    ready,
    done: exited.then(({ code }) => {
      if (code !== 0) throw new Error(`child failed (code ${code}): ${err}`);
      return out;
    }),
    async kill() {
      proc.kill('SIGKILL');
      // 'exit' fires once the child's exit status is collected: it is gone (the trainer's worker is a thread of it).
      return (await exited).signal;
    },
  };
}

/** Kills the child `delayMs` after it said READY; the kill may land after it finished (then nothing is killed). */
async function killAfter(run: Run, delayMs: number): Promise<void> {
  await run.ready;
  await new Promise((r) => setTimeout(r, delayMs));
  await run.kill();
  await run.done.catch(() => undefined);
}

/** The error, its message prefixed with the kill point (and the seed) unless an assertion already says it. */
function located(err: unknown, where: string): unknown {
  if (err instanceof Error && !err.message.includes('ETUDE_CRASH_SEED')) err.message = `${where}: ${err.message}`;
  return err;
}

function integrityOk(library: Library): void {
  expect(library.db.pragma('integrity_check', { simple: true }), replay).toBe('ok');
  expect(library.db.pragma('foreign_key_check'), replay).toEqual([]);
}

/** A corpus' pieces as "name hash" lines, sorted: what two imports of the same files must agree on. */
function piecesOf(library: Library, corpusId: CorpusId): string[] {
  return (
    library.db.prepare('SELECT name, content_hash AS hash FROM pieces WHERE corpus_id = ?').all(corpusId) as {
      name: string;
      hash: string;
    }[]
  )
    .map((p) => `${p.name} ${p.hash}`)
    .sort();
}

describe(`crash points (seed ${SEED})`, () => {
  it(`import: ${IMPORT_POINTS} kills at random moments; reopened, only whole imports show as complete, and the same import completes (seed ${SEED})`, async () => {
    // The import that is never killed: its pieces are what every interrupted import must end with.
    const refPath = path.join(dir, 'import-ref.db');
    open(refPath).close();
    const refOut = await start(['import', refPath, midiFolder, 'notts']).done;
    const [, workMs] = /DONE (\d+) (\d+)/.exec(refOut)!.map(Number);
    const ref = open(refPath);
    const refPieces = piecesOf(ref, ref.corpora.requireCorpusByName('notts').id);
    ref.close();
    expect(refPieces.length).toBeGreaterThan(3000);
    const refSet = new Set(refPieces);
    expect(refSet.size).toBe(refPieces.length);

    const rng = createRng(SEED);
    const outcomes: string[] = [];
    for (let point = 0; point < IMPORT_POINTS; point++) {
      const delayMs = Math.round(rng.next() * workMs);
      const where = `import point ${point}: killed ${delayMs} ms into a ${workMs} ms import (${replay})`;
      // Each point has its own library, which already holds a complete corpus that the import must leave alone.
      const dbPath = path.join(dir, `import-${point}.db`);
      const setup = open(dbPath);
      setup.pieces.insertPieces(setup.corpora.createCorpus('seeds').id, seedMelodyPieces(30, 400));
      setup.close();

      await killAfter(start(['import', dbPath, midiFolder, 'notts']), delayMs);

      const library = open(dbPath);
      try {
        integrityOk(library);
        const corpora = library.corpora.listCorpora();
        const seeds = corpora.find((c) => c.name === 'seeds')!;
        expect(importStateOf(seeds), where).toBe('complete');
        expect(seeds.pieceCount, where).toBe(30);
        const notts = corpora.find((c) => c.name === 'notts');
        let before = 0;
        if (!notts) {
          outcomes.push('nothing committed');
        } else {
          const state = importStateOf(notts);
          const pieces = piecesOf(library, notts.id);
          before = pieces.length;
          // Whole batches only, each piece one of the reference's, none twice.
          expect(new Set(pieces).size, where).toBe(pieces.length);
          expect(
            pieces.filter((p) => !refSet.has(p)),
            where,
          ).toEqual([]);
          if (state === 'complete') {
            // Only an import that ran to its end may show as complete: then it holds every piece.
            expect(pieces.length, `${where}: a complete corpus`).toBe(refPieces.length);
            expect(pieces, where).toEqual(refPieces);
            outcomes.push('finished before the kill');
          } else {
            // The importer is dead: never 'importing'.
            expect(state, where).toBe('interrupted');
            // Whole batches only: what was committed is the start of the reference import, in its order, with no hole
            // (batches close by count or by bytes, so their size is not fixed).
            expect(pieces, where).toEqual(refPieces.slice(0, pieces.length));
            expect(pieces.length, where).toBeLessThan(refPieces.length);
            outcomes.push(`interrupted at ${pieces.length}`);
          }
        }
        // Running the same import again completes it: same pieces as the import that was never killed.
        const report = await importPaths(library, [midiFolder], { corpusName: 'notts' });
        const after = library.corpora.requireCorpusByName('notts');
        expect(importStateOf(after), where).toBe('complete');
        expect(piecesOf(library, after.id), where).toEqual(refPieces);
        expect(report.imported, where).toBe(refPieces.length - before);
        expect(library.corpora.listCorpora().map((c) => [c.name, c.pieceCount, importStateOf(c)])).toEqual([
          ['notts', refPieces.length, 'complete'],
          ['seeds', 30, 'complete'],
        ]);
        integrityOk(library);
      } catch (err) {
        throw located(err, where);
      } finally {
        library.close();
      }
    }
    console.log(`crash points, import (seed ${SEED}, ${workMs} ms import): ${outcomes.join('; ')}`);
  }, 120_000);

  it(`training: ${TRAINING_POINTS} kills at random moments; reopened, checkpoints decode, no model shows as training, and every model resumes (seed ${SEED})`, async () => {
    const dbPath = path.join(dir, 'training.db');
    const setup = open(dbPath);
    setup.pieces.insertPieces(setup.corpora.createCorpus('seeds').id, seedMelodyPieces(30, 400));
    setup.close();
    // A run that is not killed: 10 epochs give the span the kills are drawn from (worker start, first checkpoint, and
    // a few more epochs' checkpoints and prunes).
    const refOut = await start(['train', dbPath, 'seeds', 'ref'], { CRASH_EPOCHS: '10' }).done;
    const workMs = Number(/DONE (\d+)/.exec(refOut)![1]);

    const rng = createRng(SEED + 1);
    const outcomes: string[] = [];
    for (let point = 0; point < TRAINING_POINTS; point++) {
      const delayMs = Math.round(rng.next() * workMs);
      const name = `k${point}`;
      const where = `training point ${point}: killed ${delayMs} ms into training, span ${workMs} ms (${replay})`;
      await killAfter(start(['train', dbPath, 'seeds', name]), delayMs);

      const library = open(dbPath);
      try {
        integrityOk(library);
        // Every model of the library (this point's and the earlier ones'): none shows as training, since no trainer
        // lives; every stored checkpoint decodes.
        for (const row of library.models.listModels()) {
          expect(libraryModelDto(library, row).status, `${where}: model ${row.name}`).not.toBe('training');
          for (const summary of library.checkpoints.listCheckpoints(row.id)) {
            const decoded = decodeCheckpoint(library.checkpoints.getCheckpoint(summary.id)!.data);
            expect(decoded.epoch, where).toBe(summary.epoch);
          }
        }
        const model = library.models.getModelByName(name);
        const latest = model && library.checkpoints.latestCheckpoint(model.id);
        if (model && latest) {
          // Resume: one more epoch from the last checkpoint, with its weights and Adam state.
          const checkpoint = decodeCheckpoint(latest.data);
          expect(checkpoint.optimizer, where).toBeDefined();
          const resumed = await trainModel(library, {
            corpusName: 'seeds',
            modelName: name,
            training: { epochs: checkpoint.epoch + 1 },
            engine: 'wasm',
            threads: 1,
            resume: true,
          });
          expect(resumed.epochs, where).toBe(checkpoint.epoch + 1);
          const after = decodeCheckpoint(library.checkpoints.latestCheckpoint(model.id)!.data);
          expect(after.metrics.lossHistory, where).toHaveLength(checkpoint.epoch + 1);
          outcomes.push(`resumed from epoch ${checkpoint.epoch}`);
        } else {
          // Killed before its first checkpoint: nothing to resume, and the name is free to train afresh.
          const fresh = await trainModel(library, {
            corpusName: 'seeds',
            modelName: name,
            spec: { embeddingDim: 8, hiddenSize: 16, window: 8 },
            training: { epochs: 1, earlyStoppingPatience: 0 },
            engine: 'wasm',
            threads: 1,
          });
          expect(fresh.epochs, where).toBe(1);
          outcomes.push(model ? 'no checkpoint yet (row left)' : 'no checkpoint yet');
        }
        expect(library.models.getModelByName(name)!.status, where).toBe('ready');
        integrityOk(library);
      } catch (err) {
        throw located(err, where);
      } finally {
        library.close();
      }
    }
    console.log(`crash points, training (seed ${SEED}, ${workMs} ms span): ${outcomes.join('; ')}`);
  }, 120_000);
});
