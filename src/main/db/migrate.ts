// SPDX-License-Identifier: MIT
import type { Database } from 'better-sqlite3';
import type { Migration } from './migrations/types';

/** PRAGMA application_id of an Etude library: 'ETUD' in ASCII. Set by the first migration run. */
export const ETUDE_APPLICATION_ID = 0x45545544;

/** Throws when versions are not strictly increasing (a programming error caught at startup and in tests). */
export function assertMigrationsOrdered(migrations: readonly Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version <= migrations[i - 1].version) {
      throw new Error(
        `Migration list out of order: ${migrations[i].version}-${migrations[i].name} follows ` +
          `${migrations[i - 1].version}-${migrations[i - 1].name}`,
      );
    }
  }
}

/** Current schema version stored in the file (0 for a new database). */
export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every step above the stored version, up to `targetVersion` (default: all), in ONE
 * immediate transaction, then stamps user_version and application_id in the same transaction,
 * so a crash leaves either the old schema or the new one. Returns the versions applied.
 * The caller has already refused a database from the future (see open.ts).
 */
export function migrate(db: Database, migrations: readonly Migration[], targetVersion = Infinity): number[] {
  assertMigrationsOrdered(migrations);
  const applied: number[] = [];
  const run = db.transaction(() => {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const from = schemaVersion(db);
    for (const step of migrations) {
      if (step.version <= from || step.version > targetVersion) continue;
      step.up(db);
      applied.push(step.version);
    }
    if (applied.length > 0) {
      db.pragma(`user_version = ${applied[applied.length - 1]}`);
      db.pragma(`application_id = ${ETUDE_APPLICATION_ID}`);
    }
  });
  run.immediate();
  return applied;
}
