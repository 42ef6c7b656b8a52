// SPDX-License-Identifier: MIT
// A digest of every row of every table of a library: equal before and after = nothing was touched.
import { createHash } from 'node:crypto';
import BetterSqlite3, { type Database } from 'better-sqlite3';

/** sha256 over every table's rows in rowid order (blobs included). */
export function libraryFingerprint(db: Database): string {
  const hash = createHash('sha256');
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all();
  for (const { name } of tables) {
    hash.update(`\n#${name}\n`);
    for (const row of db.prepare(`SELECT * FROM "${name}"`).raw().iterate()) {
      for (const cell of row as unknown[]) {
        hash.update(
          cell instanceof Uint8Array ? Buffer.from(cell).toString('base64') : (JSON.stringify(cell) ?? 'null'),
        );
        hash.update('\u0001');
      }
      hash.update('\n');
    }
  }
  return hash.digest('hex');
}

/** The fingerprint of a library file, read without writing to it. */
export function libraryFileFingerprint(dbPath: string): string {
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  try {
    return libraryFingerprint(db);
  } finally {
    db.close();
  }
}
