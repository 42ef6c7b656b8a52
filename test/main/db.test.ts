// SPDX-License-Identifier: MIT
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointIntegrityError,
  ETUDE_APPLICATION_ID,
  LATEST_SCHEMA_VERSION,
  LibraryFromFutureError,
  LibraryNotOursError,
  LibraryUnreadableError,
  MIGRATIONS,
  NameTakenError,
  NotFoundError,
  AmbiguousNameError,
  InvalidLibraryInputError,
  openLibrary,
  type CorpusId,
  type Library,
  type NewPiece,
} from '../../src/main/db';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'etude-db-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fileHash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function piece(name: string, hash: string, tokens: number[], extra: Partial<NewPiece> = {}): NewPiece {
  return {
    name,
    sourcePath: `/x/${name}.mid`,
    contentHash: hash,
    format: 'midi',
    split: null,
    metadata: { ppq: 480 },
    sequence: null,
    melodyTokens: Uint8Array.from(tokens),
    pianoRollFrames: null,
    noteCount: tokens.filter((t) => t < 128).length,
    ...extra,
  };
}

describe('openLibrary: migrations', () => {
  it('creates a new library at the latest version with our application_id, WAL and foreign keys', () => {
    const dbPath = path.join(dir, 'library.db');
    const library = openLibrary(dbPath);
    try {
      expect(library.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(library.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      expect(library.db.pragma('application_id', { simple: true })).toBe(ETUDE_APPLICATION_ID);
      expect(library.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(library.db.pragma('foreign_keys', { simple: true })).toBe(1);
      const tables = library.db
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .all() as { name: string; sql: string }[];
      expect(tables.map((t) => t.name)).toEqual([
        'checkpoints',
        'corpora',
        'generations',
        'models',
        'pieces',
        'training_leases',
      ]);
      for (const t of tables) expect(t.sql).toMatch(/STRICT$/);
    } finally {
      library.close();
    }
    // Reopening applies nothing and keeps data.
    const again = openLibrary(dbPath);
    expect(again.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    again.close();
  });

  it('migration versions strictly increase', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('migrating N-1 -> N keeps the rows written at N-1', () => {
    const dbPath = path.join(dir, 'library.db');
    const previous = MIGRATIONS[MIGRATIONS.length - 2].version;
    const old = openLibrary(dbPath, { targetVersion: previous });
    expect(old.schemaVersion).toBe(previous);
    const corpus = old.corpora.createCorpus('Folk');
    old.pieces.insertPieces(corpus.id, [piece('a', 'h1', [60, 129, 128])]);
    old.close();
    const current = openLibrary(dbPath);
    expect(current.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(current.corpora.listCorpora()).toMatchObject([{ name: 'Folk', pieceCount: 1, totalSixteenths: 3 }]);
    current.close();
  });

  it('refuses a file that is not SQLite and leaves it unchanged', () => {
    const dbPath = path.join(dir, 'library.db');
    writeFileSync(dbPath, 'these are my shopping notes, not a database\n'.repeat(10));
    const before = fileHash(dbPath);
    expect(() => openLibrary(dbPath)).toThrow(LibraryNotOursError);
    try {
      openLibrary(dbPath);
    } catch (err) {
      expect((err as LibraryNotOursError).code).toBe('LIBRARY_NOT_OURS');
      expect((err as Error).message).toContain(dbPath);
    }
    expect(fileHash(dbPath)).toBe(before);
  });

  it("refuses another program's SQLite database and leaves it unchanged", () => {
    const dbPath = path.join(dir, 'library.db');
    const foreign = new BetterSqlite3(dbPath);
    foreign.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada')");
    foreign.close();
    const before = fileHash(dbPath);
    expect(() => openLibrary(dbPath)).toThrow(LibraryNotOursError);
    expect(fileHash(dbPath)).toBe(before);
  });

  it('refuses a library from a newer Etude and leaves it unchanged', () => {
    const dbPath = path.join(dir, 'library.db');
    openLibrary(dbPath).close();
    const raw = new BetterSqlite3(dbPath);
    raw.pragma('journal_mode = DELETE'); // fold the WAL back so the hash covers everything
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 10}`);
    raw.close();
    const before = fileHash(dbPath);
    let caught: unknown;
    try {
      openLibrary(dbPath);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LibraryFromFutureError);
    expect((caught as LibraryFromFutureError).code).toBe('LIBRARY_FROM_FUTURE');
    expect((caught as LibraryFromFutureError).fileVersion).toBe(LATEST_SCHEMA_VERSION + 10);
    expect(fileHash(dbPath)).toBe(before);
  });

  it('reports a directory in place of the file as unreadable', () => {
    const dbPath = path.join(dir, 'library.db');
    mkdirSync(dbPath);
    expect(() => openLibrary(dbPath)).toThrow(LibraryUnreadableError);
  });

  it('reports a damaged library as unreadable (typed, with a hint) and leaves it unchanged', () => {
    const dbPath = path.join(dir, 'library.db');
    const library = openLibrary(dbPath);
    library.corpora.createCorpus('Folk');
    library.db.pragma('wal_checkpoint(TRUNCATE)');
    library.close();
    const bytes = readFileSync(dbPath);
    // Keep the 100-byte header (so it still looks like our SQLite file) and scribble over the schema page.
    for (let i = 100; i < 4096; i++) bytes[i] = (i * 37) & 0xff;
    writeFileSync(dbPath, bytes);
    const before = fileHash(dbPath);
    let caught: unknown;
    try {
      openLibrary(dbPath);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LibraryUnreadableError);
    expect((caught as LibraryUnreadableError).code).toBe('LIBRARY_UNREADABLE');
    expect((caught as Error).message).toMatch(/damaged|malformed/);
    expect(fileHash(dbPath)).toBe(before);
  });

  it('accepts an empty file as a new library', () => {
    const dbPath = path.join(dir, 'library.db');
    writeFileSync(dbPath, '');
    const library = openLibrary(dbPath);
    expect(library.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    library.close();
  });
});

describe('repositories', () => {
  let library: Library;
  let clock = 1_000;
  beforeEach(() => {
    clock = 1_000;
    library = openLibrary(path.join(dir, 'library.db'), { now: () => clock++ });
  });
  afterEach(() => library.close());

  it('corpora: create, case-insensitive unique names, rename, list with counts, cascade delete', () => {
    const folk = library.corpora.createCorpus('  Folk ');
    expect(folk.name).toBe('Folk');
    expect(() => library.corpora.createCorpus('folk')).toThrow(NameTakenError);
    expect(() => library.corpora.createCorpus('   ')).toThrow(InvalidLibraryInputError);
    expect(library.corpora.getCorpusByName('FOLK')?.id).toBe(folk.id);
    const bach = library.corpora.createCorpus('Bach');
    library.pieces.insertPieces(folk.id, [piece('a', 'h1', [60, 129]), piece('b', 'h2', [62, 128, 129, 129])]);
    expect(library.corpora.listCorpora().map((c) => [c.name, c.pieceCount, c.totalSixteenths])).toEqual([
      ['Bach', 0, 0],
      ['Folk', 2, 6],
    ]);
    expect(() => library.corpora.renameCorpus(bach.id, 'folk')).toThrow(NameTakenError);
    expect(library.corpora.renameCorpus(bach.id, 'Chorales').name).toBe('Chorales');
    expect(() => library.corpora.requireCorpusByName('nope')).toThrow(NotFoundError);
    expect(library.corpora.deleteCorpus(folk.id)).toBe(true);
    expect(library.db.prepare('SELECT COUNT(*) FROM pieces').pluck().get()).toBe(0);
  });

  it('pieces: batch insert skips hash duplicates (stored and within the batch) and reports them', () => {
    const c = library.corpora.createCorpus('c');
    const first = library.pieces.insertPieces(c.id, [
      piece('a', 'h1', [60]),
      piece('b', 'h2', [61]),
      piece('a-again', 'h1', [60]),
    ]);
    expect(first.inserted.map((i) => i.index)).toEqual([0, 1]);
    expect(first.duplicates).toEqual([{ index: 2, name: 'a-again', contentHash: 'h1' }]);
    const second = library.pieces.insertPieces(c.id, [piece('b', 'h2', [61]), piece('c', 'h3', [62, 129])]);
    expect(second.inserted.map((i) => i.index)).toEqual([1]);
    expect(second.duplicates.map((d) => d.index)).toEqual([0]);
    expect([...library.pieces.existingHashes(c.id)].sort()).toEqual(['h1', 'h2', 'h3']);
    // The same content in another corpus is not a duplicate.
    const other = library.corpora.createCorpus('other');
    expect(library.pieces.insertPieces(other.id, [piece('a', 'h1', [60])]).inserted).toHaveLength(1);
  });

  it('pieces: a bad token aborts the whole batch (one transaction)', () => {
    const c = library.corpora.createCorpus('c');
    expect(() => library.pieces.insertPieces(c.id, [piece('ok', 'h1', [60]), piece('bad', 'h2', [60, 200])])).toThrow(
      /token 200 at step 1/,
    );
    expect(library.pieces.countPieces(c.id)).toBe(0);
  });

  it('pieces: round trip of every column, resolve by id or name, melody tokens for training', () => {
    const c = library.corpora.createCorpus('c');
    const seq = {
      ppq: 96,
      name: 'tune',
      tempos: [{ tick: 0, bpm: 100 }],
      timeSignatures: [],
      keySignatures: [],
      tracks: [
        {
          name: 't',
          program: 0,
          channel: 0,
          isPercussion: false,
          notes: [{ pitch: 60, startTick: 0, durationTicks: 24, velocity: 90 }],
        },
      ],
    };
    const { inserted } = library.pieces.insertPieces(c.id, [
      piece('tune', 'h1', [60, 128], {
        sequence: seq,
        split: 'valid',
        format: 'pianoroll-json',
        pianoRollFrames: [[60, 64], []],
      }),
      piece('dup', 'h2', [61]),
      piece('dup', 'h3', [62]),
    ]);
    const got = library.pieces.getPiece(inserted[0].id)!;
    expect(got.sequence).toEqual(seq);
    expect(got.split).toBe('valid');
    expect(got.pianoRollFrames).toEqual([[60, 64], []]);
    expect(Array.from(got.melodyTokens!)).toEqual([60, 128]);
    expect(got.melodyTokens!.constructor).toBe(Uint8Array);
    expect(library.pieces.resolvePiece(c.id, 'tune').id).toBe(inserted[0].id);
    expect(library.pieces.resolvePiece(c.id, String(inserted[1].id)).name).toBe('dup');
    expect(() => library.pieces.resolvePiece(c.id, 'dup')).toThrow(AmbiguousNameError);
    expect(() => library.pieces.resolvePiece(c.id, 'missing')).toThrow(NotFoundError);
    const other = library.corpora.createCorpus('other');
    expect(() => library.pieces.resolvePiece(other.id, String(inserted[0].id))).toThrow(NotFoundError);
    const rows = library.pieces.getMelodyTokens(c.id);
    expect(rows.map((r) => [r.name, r.split, Array.from(r.tokens)])).toEqual([
      ['tune', 'valid', [60, 128]],
      ['dup', null, [61]],
      ['dup', null, [62]],
    ]);
    expect(library.pieces.listPieces(c.id, { split: 'valid' }).map((p) => p.name)).toEqual(['tune']);
    expect(library.pieces.listPieces(c.id, { limit: 1, offset: 1 }).map((p) => p.id)).toEqual([inserted[1].id]);
  });

  it('models + checkpoints: sha256 verified on read, latest by id, cascade, prune', () => {
    const c = library.corpora.createCorpus('c');
    const model = library.models.createModel({
      name: 'm1',
      spec: { kind: 'melody-lstm' },
      training: { epochs: 2 },
      corpusId: c.id,
      engine: 'wasm',
    });
    expect(model.status).toBe('training');
    expect(() =>
      library.models.createModel({ name: 'M1', spec: {}, training: {}, corpusId: null, engine: 'wasm' }),
    ).toThrow(NameTakenError);
    const data1 = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const data2 = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 251);
    const ck1 = library.checkpoints.saveCheckpoint({
      modelId: model.id,
      epoch: 1,
      step: 10,
      data: data1,
      metrics: { loss: 2 },
    });
    const ck2 = library.checkpoints.saveCheckpoint({ modelId: model.id, epoch: 2, step: 20, data: data2 });
    expect(ck1.sha256).toBe(createHash('sha256').update(data1).digest('hex'));
    const latest = library.checkpoints.latestCheckpoint(model.id)!;
    expect(latest.id).toBe(ck2.id);
    expect(Array.from(latest.data)).toEqual(Array.from(data2));
    expect(library.checkpoints.getCheckpoint(ck1.id)!.metrics).toEqual({ loss: 2 });
    expect(() =>
      library.checkpoints.saveCheckpoint({ modelId: 9999 as never, epoch: 1, step: 1, data: data1 }),
    ).toThrow(NotFoundError);

    // Corrupt one byte behind the repository's back: the read must refuse it.
    library.db
      .prepare('UPDATE checkpoints SET data = ? WHERE id = ?')
      .run(Uint8Array.from(data1).fill(255, 0, 1), ck1.id);
    expect(() => library.checkpoints.getCheckpoint(ck1.id)).toThrow(CheckpointIntegrityError);

    const updated = library.models.updateModel(model.id, { status: 'ready', metrics: { valLoss: 1.5 } });
    expect(updated).toMatchObject({ status: 'ready', metrics: { valLoss: 1.5 }, training: { epochs: 2 } });
    expect(library.models.getModelByName('M1')?.id).toBe(model.id);

    library.checkpoints.saveCheckpoint({ modelId: model.id, epoch: 3, step: 30, data: data2 });
    expect(library.checkpoints.pruneCheckpoints(model.id, 2)).toBe(1);
    expect(library.checkpoints.listCheckpoints(model.id).map((k) => k.epoch)).toEqual([2, 3]);

    // Deleting the corpus keeps the model (SET NULL); deleting the model drops its checkpoints.
    library.corpora.deleteCorpus(c.id);
    expect(library.models.getModel(model.id)!.corpusId).toBeNull();
    library.models.deleteModel(model.id);
    expect(library.db.prepare('SELECT COUNT(*) FROM checkpoints').pluck().get()).toBe(0);
  });

  it('generations: save with request, list newest first, favourites, model delete keeps history', () => {
    const model = library.models.createModel({ name: 'm', spec: {}, training: {}, corpusId: null, engine: 'tfjs-cpu' });
    const ck = library.checkpoints.saveCheckpoint({
      modelId: model.id,
      epoch: 1,
      step: 1,
      data: Uint8Array.of(1, 2, 3),
    });
    const request = { seedNotes: [60, 62], temperature: 0.9, randomSeed: 7, bars: 8 };
    const g1 = library.generations.saveGeneration({
      modelId: model.id,
      checkpointId: ck.id,
      request,
      tokens: Uint8Array.of(60, 129),
      sequence: null,
      name: 'one',
    });
    const g2 = library.generations.saveGeneration({
      modelId: model.id,
      checkpointId: ck.id,
      request,
      tokens: null,
      sequence: null,
      name: 'two',
    });
    expect(library.generations.listGenerations().map((g) => g.name)).toEqual(['two', 'one']);
    expect(library.generations.getGeneration(g1.id)).toMatchObject({ request, favourite: false });
    expect(library.generations.setFavourite(g1.id, true).favourite).toBe(true);
    expect(library.generations.listGenerations({ favouritesOnly: true }).map((g) => g.id)).toEqual([g1.id]);
    expect(() => library.generations.setFavourite(999 as never, true)).toThrow(NotFoundError);
    library.models.deleteModel(model.id);
    const kept = library.generations.getGeneration(g2.id)!;
    expect(kept.modelId).toBeNull();
    expect(kept.checkpointId).toBeNull();
  });

  it('logs slow queries through the injected logger', () => {
    const slow: string[] = [];
    const lib = openLibrary(':memory:', { onSlowQuery: (q) => slow.push(q.label), slowQueryMs: -1 });
    lib.corpora.listCorpora();
    lib.close();
    expect(slow).toContain('corpora.listCorpora');
  });

  it('two connections: a second process sees committed rows (WAL)', () => {
    const dbPath = library.path;
    const c = library.corpora.createCorpus('shared');
    library.pieces.insertPieces(c.id as CorpusId, [piece('a', 'h', [60])]);
    const second = openLibrary(dbPath);
    expect(second.corpora.listCorpora()[0].pieceCount).toBe(1);
    second.close();
  });
});
