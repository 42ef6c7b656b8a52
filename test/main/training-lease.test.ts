// SPDX-License-Identifier: MIT
/**
 * Migrations 0040 (training leases) and 0050 (a piece may have no melody), and the lease rules of
 * src/main/services/trainingLease.ts as every door meets them through the models service.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, openLibrary, type Library, type NewPiece } from '../../src/main/db';
import { deleteModel, listLibraryModels, renameModel } from '../../src/main/services/models';
import { trainModel } from '../../src/main/services/training';
import { seedMelodyPieces } from './helpers/seedPieces';
import {
  acquireTrainingLease,
  isLeaseLive,
  LEASE_STALE_MS,
  ModelTrainingError,
} from '../../src/main/services/trainingLease';

function melodyPiece(name: string, hash: string, tokens: number[] | null, frames: number[][] | null = null): NewPiece {
  return {
    name,
    sourcePath: null,
    contentHash: hash,
    format: frames ? 'pianoroll-json' : 'token-melody',
    split: null,
    metadata: {},
    sequence: null,
    melodyTokens: tokens ? Uint8Array.from(tokens) : null,
    pianoRollFrames: frames,
    noteCount: 1,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'etude-lease-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('migration 0050: pieces.melody_tokens nullable', () => {
  it('keeps the rows written at 0040 and then accepts a piano-roll piece without a melody', () => {
    const dbPath = path.join(dir, 'library.db');
    const old = openLibrary(dbPath, { targetVersion: 40 });
    const corpus = old.corpora.createCorpus('Folk');
    old.pieces.insertPieces(corpus.id, [melodyPiece('a', 'h1', [60, 129, 128])]);
    expect(() =>
      old.db
        .prepare(
          "INSERT INTO pieces (corpus_id, name, content_hash, format, metadata_json, melody_tokens, note_count, sixteenths, created_at) VALUES (?, 'x', 'hx', 'midi', '{}', NULL, 0, 0, 0)",
        )
        .run(corpus.id),
    ).toThrow(/NOT NULL/);
    old.close();

    const lib = openLibrary(dbPath);
    try {
      expect(lib.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      const [kept] = lib.pieces.listPieces(corpus.id);
      expect(kept).toMatchObject({ name: 'a', sixteenths: 3 });
      expect(Array.from(lib.pieces.getPiece(kept.id)!.melodyTokens!)).toEqual([60, 129, 128]);
      const { inserted } = lib.pieces.insertPieces(corpus.id, [melodyPiece('roll', 'h2', null, [[60, 64], [], [62]])]);
      const roll = lib.pieces.getPiece(inserted[0].id)!;
      expect(roll.melodyTokens).toBeNull();
      expect(roll.sixteenths).toBe(3);
      // The melody model reads only pieces with a melody, and can say how many it skipped.
      expect(lib.pieces.getMelodyTokens(corpus.id).map((r) => r.name)).toEqual(['a']);
      expect(lib.pieces.countPiecesWithoutMelody(corpus.id)).toBe(1);
      expect(() => lib.pieces.insertPieces(corpus.id, [melodyPiece('empty', 'h3', null, null)])).toThrow(
        /needs a melody or a piano roll/,
      );
      expect(lib.db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      lib.close();
    }
  });
});

describe('training leases', () => {
  let a: Library;
  let b: Library;
  beforeEach(() => {
    // Two connections to one file: what two processes see.
    a = openLibrary(path.join(dir, 'library.db'));
    b = openLibrary(path.join(dir, 'library.db'));
  });
  afterEach(() => {
    a.close();
    b.close();
  });

  const newModel = (lib: Library, name: string) =>
    lib.models.createModel({ name, spec: {}, training: {}, corpusId: null, engine: 'wasm', status: 'ready' });

  it('a second trainer is refused with a sentence naming the running one; released, the model can be deleted', () => {
    const model = newModel(a, 'Reels');
    const held = acquireTrainingLease(a, model, 'etude train');
    try {
      expect(() => acquireTrainingLease(b, b.models.getModel(model.id)!, 'the studio')).toThrow(ModelTrainingError);
      expect(() => acquireTrainingLease(b, model, 'the studio')).toThrow(
        `The model "Reels" is already training (etude train, process ${process.pid} on ${os.hostname()})`,
      );
      expect(listLibraryModels(b).find((m) => m.name === 'Reels')?.status).toBe('training');
      let message = '';
      try {
        deleteModel(b, { name: 'reels' });
      } catch (err) {
        expect((err as { code?: string }).code).toBe('BUSY');
        message = (err as Error).message;
      }
      expect(message).toBe(
        `The model "Reels" is still training (etude train, process ${process.pid} on ${os.hostname()}); cancel that training first, then delete it.`,
      );
      expect(() => deleteModel(b, { id: String(model.id) })).toThrow(message);
      expect(() => renameModel(b, { id: String(model.id) }, 'Jigs')).toThrow(/still training/);
    } finally {
      held.release();
    }
    expect(listLibraryModels(b).find((m) => m.name === 'Reels')?.status).toBe('ready');
    expect(deleteModel(b, { name: 'Reels' }).name).toBe('Reels');
    expect(b.models.getModel(model.id)).toBeUndefined();
  });

  it('the heartbeat never waits for the write lock: busy while another connection writes, renewed after', () => {
    const model = newModel(a, 'Polkas');
    const held = acquireTrainingLease(b, model, 'the studio');
    try {
      a.db.prepare('BEGIN IMMEDIATE').run();
      const startMs = performance.now();
      expect(b.trainingLeases.renew(model.id, held.lease.token)).toBe('busy');
      // busy_timeout is 5 s on this connection: answering at once proves the beat did not wait for the lock.
      expect(performance.now() - startMs).toBeLessThan(1000);
      expect(b.db.pragma('busy_timeout', { simple: true })).toBe(5000);
      a.db.prepare('COMMIT').run();
      expect(b.trainingLeases.renew(model.id, held.lease.token)).toBe('renewed');
      expect(b.trainingLeases.renew(model.id, 'another run')).toBe('lost');
    } finally {
      if (a.db.inTransaction) a.db.prepare('ROLLBACK').run();
      held.release();
    }
  });

  it('a lease whose heartbeat is stale, or whose process is gone, no longer holds the model', () => {
    const model = a.models.createModel({ name: 'Jigs', spec: {}, training: {}, corpusId: null, engine: 'wasm' });
    const base = {
      modelId: model.id,
      token: 't',
      ownerPid: process.pid,
      ownerHost: os.hostname(),
      ownerLabel: 'etude train',
      startedAt: 0,
    };
    const now = Date.now();
    expect(isLeaseLive({ ...base, heartbeatAt: now }, now)).toBe(true);
    expect(isLeaseLive({ ...base, heartbeatAt: now - LEASE_STALE_MS - 1 }, now)).toBe(false);
    // A pid that cannot exist on this host (above Linux' pid_max): a trainer that died.
    expect(isLeaseLive({ ...base, ownerPid: 2 ** 30, heartbeatAt: now }, now)).toBe(false);
    // On another host the pid cannot be checked: the heartbeat decides.
    expect(isLeaseLive({ ...base, ownerPid: 2 ** 30, ownerHost: 'elsewhere', heartbeatAt: now }, now)).toBe(true);

    // A dead trainer's row: the model (left at status 'training') shows as interrupted and can be taken over.
    a.trainingLeases.acquire({ ...base, ownerPid: 2 ** 30 }, () => true);
    expect(listLibraryModels(b).find((m) => m.name === 'Jigs')?.status).toBe('cancelled');
    const taken = acquireTrainingLease(b, model, 'the studio');
    try {
      expect(a.trainingLeases.get(model.id)).toMatchObject({ ownerLabel: 'the studio', ownerPid: process.pid });
      expect(listLibraryModels(a).find((m) => m.name === 'Jigs')?.status).toBe('training');
    } finally {
      taken.release();
    }
    expect(a.trainingLeases.get(model.id)).toBeUndefined();
  });

  it('a run killed before its first checkpoint leaves a row that a new run of that name replaces, unless it lives', async () => {
    a.pieces.insertPieces(a.corpora.createCorpus('Seeds').id, seedMelodyPieces(10, 64));
    const husk = a.models.createModel({ name: 'Reels', spec: {}, training: {}, corpusId: null, engine: 'wasm' });
    const options = {
      corpusName: 'Seeds',
      modelName: 'Reels',
      spec: { embeddingDim: 8, hiddenSize: 16, window: 8 },
      training: { epochs: 1 },
      engine: 'wasm' as const,
      threads: 1,
    };
    // Its trainer still runs (a live lease): the name stays taken.
    const held = acquireTrainingLease(b, husk, 'etude train');
    await expect(trainModel(a, options)).rejects.toThrow(/already exists/);
    held.release();
    // Its trainer died (a lease of a gone process, as SIGKILL leaves it): a new run takes the name.
    a.trainingLeases.acquire(
      { modelId: husk.id, token: 't', ownerPid: 2 ** 30, ownerHost: os.hostname(), ownerLabel: 'etude train' },
      () => true,
    );
    expect(listLibraryModels(a).find((m) => m.name === 'Reels')?.status).toBe('cancelled');
    const result = await trainModel(a, options);
    expect(result.epochs).toBe(1);
    // A new row (the husk had no corpus), with its checkpoint.
    expect(a.models.getModelByName('Reels')).toMatchObject({
      status: 'ready',
      corpusId: a.corpora.getCorpusByName('Seeds')!.id,
    });
    expect(a.checkpoints.listCheckpoints(result.modelId)).toHaveLength(1);
  });
});

describe('training a corpus with piano-roll-only pieces', () => {
  it('skips them for the melody model, says how many, and leaves no lease behind', async () => {
    const library = openLibrary(path.join(dir, 'library.db'));
    try {
      const rolls = library.corpora.createCorpus('Rolls');
      library.pieces.insertPieces(rolls.id, [
        melodyPiece('r1', 'r1', null, [[60], [64]]),
        melodyPiece('r2', 'r2', null, [[62]]),
      ]);
      await expect(
        trainModel(library, { corpusName: 'Rolls', modelName: 'x', engine: 'wasm', threads: 1 }),
      ).rejects.toThrow('The corpus "Rolls" has no piece with a melody (2 piano-roll-only pieces skipped)');
      expect(library.models.listModels()).toEqual([]);

      const mixed = library.corpora.createCorpus('Mixed');
      library.pieces.insertPieces(mixed.id, [
        ...seedMelodyPieces(6, 200),
        melodyPiece('roll', 'roll', null, [[60, 64], [67]]),
      ]);
      const details: string[] = [];
      const result = await trainModel(
        library,
        {
          corpusName: 'Mixed',
          modelName: 'Tiny',
          spec: { embeddingDim: 4, hiddenSize: 8, layers: 1, window: 8 },
          training: { epochs: 1 },
          engine: 'wasm',
          threads: 1,
          ownerLabel: 'a test',
        },
        { onProgress: (p) => p.detail && details.push(p.detail) },
      );
      expect(result.skippedNoMelody).toBe(1);
      expect(details[0]).toBe('6 pieces (1 without a melody skipped by the melody model)');
      expect(library.trainingLeases.list()).toEqual([]);
      expect(listLibraryModels(library).find((m) => m.name === 'Tiny')?.status).toBe('ready');
    } finally {
      library.close();
    }
  }, 60_000);
});
