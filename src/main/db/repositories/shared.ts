// SPDX-License-Identifier: MIT
import type { Database } from 'better-sqlite3';
import { InvalidLibraryInputError } from '../errors';
import type { Timed } from '../timing';

/** What every repository receives from openLibrary: the one connection, a clock, the slow-query timer. */
export interface RepositoryContext {
  db: Database;
  /** Milliseconds since epoch; injectable so tests can pin timestamps. */
  now: () => number;
  timed: Timed;
}

/** Copies a BLOB column into a plain Uint8Array (a Buffer subclass would not survive structured clone as-is). */
export function blobToBytes(blob: unknown): Uint8Array {
  if (blob instanceof Uint8Array) return new Uint8Array(blob);
  throw new TypeError('expected a BLOB column');
}

export function parseJsonColumn<T>(text: unknown): T | null {
  return typeof text === 'string' ? (JSON.parse(text) as T) : null;
}

/** The user-facing names of corpora and models: trimmed, 1..200 characters, no control characters. */
export function validateName(entity: string, name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  // eslint-disable-next-line no-control-regex
  if (trimmed.length === 0 || trimmed.length > 200 || /[\u0000-\u001f]/.test(trimmed)) {
    throw new InvalidLibraryInputError(
      `A ${entity} name must be 1 to 200 printable characters, got ${JSON.stringify(name)}.`,
    );
  }
  return trimmed;
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}
