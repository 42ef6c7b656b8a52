// SPDX-License-Identifier: MIT
import path from 'node:path';
/**
 * Typed errors of the SQLite library. Each has a stable string `code` that the three doors
 * (Electron, CLI, studio) map to a presentation; messages name the file or item and say what to do.
 */

/** Base class: every library error carries a machine-readable code. */
export abstract class LibraryError extends Error {
  abstract readonly code: string;
}

/** The file exists but is not an Etude library (not SQLite at all, or another program's SQLite database). */
export class LibraryNotOursError extends LibraryError {
  override name = 'LibraryNotOursError';
  readonly code = 'LIBRARY_NOT_OURS';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(
      `${path} is not an Etude library (${reason}). It was left untouched; ` +
        `choose another data folder (--data-dir or ETUDE_DATA_DIR) or move that file away.`,
    );
  }
}

/** The library was written by a newer Etude (its schema version is above the newest this build knows). */
export class LibraryFromFutureError extends LibraryError {
  override name = 'LibraryFromFutureError';
  readonly code = 'LIBRARY_FROM_FUTURE';
  constructor(
    readonly path: string,
    readonly fileVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `${path} was written by a newer Etude (schema version ${fileVersion}, this build knows up to ${knownVersion}). ` +
        `It was left untouched; update Etude, or use another data folder.`,
    );
  }
}

/** The library file could not be opened or read at all (a directory, no permission, a corrupt database). */
export class LibraryUnreadableError extends LibraryError {
  override name = 'LibraryUnreadableError';
  readonly code = 'LIBRARY_UNREADABLE';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot open the library ${path}: ${reason}. Check the path and its permissions.`);
  }
}

/** A named or numbered row does not exist. `entity` says which kind ('corpus', 'piece', 'model', ...). */
export class NotFoundError extends LibraryError {
  override name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  constructor(
    readonly entity: string,
    readonly key: string | number,
    hint = '',
  ) {
    super(
      `No ${entity} ${typeof key === 'string' ? `named "${key}"` : `with id ${key}`} in the library.${hint ? ' ' + hint : ''}`,
    );
  }
}

/** A name that must be unique (corpus, model) is already taken. */
export class NameTakenError extends LibraryError {
  override name = 'NameTakenError';
  readonly code = 'NAME_TAKEN';
  constructor(
    readonly entity: string,
    readonly takenName: string,
  ) {
    super(`A ${entity} named "${takenName}" already exists; pick another name or delete the existing ${entity} first.`);
  }
}

/** A piece name matched several pieces; the caller should use an id. */
export class AmbiguousNameError extends LibraryError {
  override name = 'AmbiguousNameError';
  readonly code = 'AMBIGUOUS_NAME';
  constructor(
    readonly entity: string,
    readonly ambiguousName: string,
    readonly ids: number[],
  ) {
    super(`Several ${entity}s are named "${ambiguousName}" (ids ${ids.join(', ')}); use the id instead.`);
  }
}

/** Stored checkpoint bytes do not match their recorded SHA-256: the row is reported, never used. */
export class CheckpointIntegrityError extends LibraryError {
  override name = 'CheckpointIntegrityError';
  readonly code = 'CHECKPOINT_CORRUPT';
  constructor(
    readonly checkpointId: number,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(
      `Checkpoint ${checkpointId} is corrupt (sha256 ${actualSha256.slice(0, 12)}… but ${expectedSha256.slice(0, 12)}… was recorded). ` +
        `It will not be loaded; resume from an earlier checkpoint or retrain.`,
    );
  }
}

/** An argument to a repository function is invalid (an empty name, a token outside 0..129, ...). */
export class InvalidLibraryInputError extends LibraryError {
  override name = 'InvalidLibraryInputError';
  readonly code = 'INVALID_INPUT';
  constructor(message: string) {
    super(message);
  }
}

/** Which way the disk refused a write (see {@link LibraryStorageError}). */
export type LibraryStorageCode = 'LIBRARY_DISK_FULL' | 'LIBRARY_READ_ONLY';

/**
 * The disk or folder that holds the library refused a write: it is full, or read-only. SQLite rolled the write back,
 * so the library is as it was before it (earlier, committed work stays).
 */
export class LibraryStorageError extends LibraryError {
  override name = 'LibraryStorageError';
  constructor(
    readonly code: LibraryStorageCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The storage failure behind a SQLite error (SQLITE_FULL, SQLITE_READONLY*), as one sentence for the user, or
 * undefined for any other error. `what` names what was being written ("this import's pieces").
 */
export function storageErrorOf(err: unknown, dbPath: string, what: string): LibraryStorageError | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  const folder = path.dirname(dbPath);
  if (code === 'SQLITE_FULL')
    return new LibraryStorageError(
      'LIBRARY_DISK_FULL',
      dbPath,
      `The disk that holds the library (${folder}) is full, so ${what} could not be stored and the library is as it was; free some space and try again.`,
    );
  if (code.startsWith('SQLITE_READONLY')) return readOnlyFolderError(dbPath);
  return undefined;
}

/** The library's folder cannot be written (a read-only disk or folder). */
export function readOnlyFolderError(dbPath: string): LibraryStorageError {
  const folder = path.dirname(dbPath);
  return new LibraryStorageError(
    'LIBRARY_READ_ONLY',
    dbPath,
    `The data folder ${folder} is read-only, so Etude cannot use its library there (nothing was changed); make it writable, or choose another folder with --data-dir or ETUDE_DATA_DIR.`,
  );
}
