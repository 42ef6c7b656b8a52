// SPDX-License-Identifier: MIT
import { accessSync, closeSync, constants as fsConstants, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import {
  LibraryError,
  LibraryFromFutureError,
  LibraryNotOursError,
  LibraryUnreadableError,
  readOnlyFolderError,
} from './errors';
import { ETUDE_APPLICATION_ID, migrate, schemaVersion } from './migrate';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
import type { Migration } from './migrations/types';
import { createCheckpointsRepository, type CheckpointsRepository } from './repositories/checkpoints';
import { createCorporaRepository, type CorporaRepository } from './repositories/corpora';
import { createGenerationsRepository, type GenerationsRepository } from './repositories/generations';
import { createModelsRepository, type ModelsRepository } from './repositories/models';
import { createPiecesRepository, type PiecesRepository } from './repositories/pieces';
import { createTrainingLeasesRepository, type TrainingLeasesRepository } from './repositories/trainingLeases';
import { createTimer, logSlowQueryToStderr, SLOW_QUERY_MS, type SlowQueryLogger } from './timing';

/** The open library: one connection, the repositories built on it, and where it lives. */
export interface Library {
  /** Absolute or as-given path of the SQLite file (':memory:' for tests). */
  readonly path: string;
  /** The one writer connection. Prefer the repositories; raw access is for tests and migrations. */
  readonly db: Database;
  readonly corpora: CorporaRepository;
  readonly pieces: PiecesRepository;
  readonly models: ModelsRepository;
  readonly checkpoints: CheckpointsRepository;
  readonly generations: GenerationsRepository;
  /** Which model is training, seen by every process (migration 0040). */
  readonly trainingLeases: TrainingLeasesRepository;
  /** Schema version after opening (= LATEST_SCHEMA_VERSION unless opened with a lower target). */
  readonly schemaVersion: number;
  /** Closes the connection (idempotent). */
  close(): void;
}

export interface OpenLibraryOptions {
  /** Clock for created_at/updated_at, ms since epoch. Default Date.now. */
  now?: () => number;
  /** Receives queries slower than slowQueryMs. Default: one line on stderr. */
  onSlowQuery?: SlowQueryLogger;
  slowQueryMs?: number;
  /** How long a writer waits for another process' lock before SQLITE_BUSY. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** For migration tests: the step list and the version to stop at. */
  migrations?: readonly Migration[];
  targetVersion?: number;
}

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/**
 * Opens (creating if absent) an Etude library and brings its schema up to date.
 *
 * Refuses, without writing a byte, a file that is not SQLite, an SQLite database of another
 * program (application_id is not 'ETUD' and it already has tables), or a library from a newer
 * Etude (user_version above LATEST_SCHEMA_VERSION). The checks run on a read-only connection
 * before WAL is switched on, because enabling WAL rewrites the file header.
 *
 * @throws LibraryNotOursError (code LIBRARY_NOT_OURS), LibraryFromFutureError (LIBRARY_FROM_FUTURE),
 *   LibraryUnreadableError (LIBRARY_UNREADABLE)
 * @example
 *   const library = openLibrary(path.join(dataDir, 'library.db'));
 *   try { library.corpora.listCorpora(); } finally { library.close(); }
 */
export function openLibrary(dbPath: string, options: OpenLibraryOptions = {}): Library {
  const migrations = options.migrations ?? MIGRATIONS;
  const knownVersion = options.migrations ? (migrations[migrations.length - 1]?.version ?? 0) : LATEST_SCHEMA_VERSION;
  if (dbPath !== ':memory:') checkExistingFile(dbPath, knownVersion);

  let db: Database;
  try {
    db = new BetterSqlite3(dbPath);
  } catch (err) {
    if (dbPath !== ':memory:' && !folderWritable(dbPath)) throw readOnlyFolderError(dbPath);
    throw new LibraryUnreadableError(dbPath, (err as Error).message);
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (dbPath !== ':memory:') db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Re-check under the real connection: another process may have created the file in between.
    const version = schemaVersion(db);
    if (version > knownVersion) throw new LibraryFromFutureError(dbPath, version, knownVersion);
    migrate(db, migrations, options.targetVersion ?? Infinity);
  } catch (err) {
    db.close();
    if (err instanceof LibraryError) throw err;
    // WAL mode needs its -wal and -shm files beside the library: a read-only folder fails here, whatever the file.
    if (dbPath !== ':memory:' && !folderWritable(dbPath)) throw readOnlyFolderError(dbPath);
    throw new LibraryUnreadableError(dbPath, describeSqliteFailure(err));
  }

  const ctx = {
    db,
    now: options.now ?? Date.now,
    timed: createTimer(options.onSlowQuery ?? logSlowQueryToStderr, options.slowQueryMs ?? SLOW_QUERY_MS),
  };
  // Repositories prepare their statements lazily on first use, so a library opened at an older
  // targetVersion (migration tests) can still use the repositories whose tables exist.
  const lazy = <T>(make: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  const corpora = lazy(() => createCorporaRepository(ctx));
  const pieces = lazy(() => createPiecesRepository(ctx));
  const models = lazy(() => createModelsRepository(ctx));
  const checkpoints = lazy(() => createCheckpointsRepository(ctx));
  const generations = lazy(() => createGenerationsRepository(ctx));
  const trainingLeases = lazy(() => createTrainingLeasesRepository(ctx));
  const version = schemaVersion(db);
  return {
    path: dbPath,
    db,
    get corpora() {
      return corpora();
    },
    get pieces() {
      return pieces();
    },
    get models() {
      return models();
    },
    get checkpoints() {
      return checkpoints();
    },
    get generations() {
      return generations();
    },
    get trainingLeases() {
      return trainingLeases();
    },
    schemaVersion: version,
    close() {
      if (db.open) db.close();
    },
  };
}

/** Whether the library's folder accepts new files (false on a read-only disk or folder). */
function folderWritable(dbPath: string): boolean {
  try {
    accessSync(path.dirname(dbPath), fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A sentence for the SQLite failures a user can meet at open time. */
function describeSqliteFailure(err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message ?? String(err);
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB')
    return `the database file is damaged (${message}); restore it from a backup or move it away`;
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY'))
    return `the file or its folder is read-only (${message})`;
  if (code === 'SQLITE_BUSY')
    return `another program keeps the library locked (${message}); close other Etude windows or commands and retry`;
  if (code === 'SQLITE_CANTOPEN') return `the file cannot be opened (${message})`;
  return message;
}

/** Read-only inspection of an existing file; throws the typed errors, writes nothing. */
function checkExistingFile(dbPath: string, knownVersion: number): void {
  let size: number;
  try {
    const stat = statSync(dbPath);
    if (!stat.isFile()) throw new LibraryUnreadableError(dbPath, 'it is a directory or a special file, not a file');
    size = stat.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // new library
    if (err instanceof LibraryUnreadableError) throw err;
    throw new LibraryUnreadableError(dbPath, (err as Error).message);
  }
  // An empty file holds nothing to lose: SQLite treats it as a new database.
  if (size === 0) return;

  const header = Buffer.alloc(16);
  let fd: number | undefined;
  try {
    fd = openSync(dbPath, 'r');
    readSync(fd, header, 0, 16, 0);
  } catch (err) {
    throw new LibraryUnreadableError(dbPath, (err as Error).message);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (size < 100 || header.toString('latin1') !== SQLITE_MAGIC) {
    throw new LibraryNotOursError(dbPath, 'the file is not an SQLite database');
  }

  let probe: Database | undefined;
  try {
    probe = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
    const applicationId = probe.pragma('application_id', { simple: true }) as number;
    const version = probe.pragma('user_version', { simple: true }) as number;
    const tableCount = probe.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table'").pluck().get() as number;
    if (applicationId !== ETUDE_APPLICATION_ID && (tableCount > 0 || version !== 0)) {
      throw new LibraryNotOursError(
        dbPath,
        `it is an SQLite database of another program (application_id 0x${(applicationId >>> 0).toString(16)})`,
      );
    }
    if (version > knownVersion) throw new LibraryFromFutureError(dbPath, version, knownVersion);
  } catch (err) {
    if (err instanceof LibraryNotOursError || err instanceof LibraryFromFutureError) throw err;
    // Even a read-only look at a WAL library needs its -shm file: in a read-only folder that fails here.
    if (!folderWritable(dbPath)) throw readOnlyFolderError(dbPath);
    throw new LibraryUnreadableError(dbPath, describeSqliteFailure(err));
  } finally {
    probe?.close();
  }
}
