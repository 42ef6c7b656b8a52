// SPDX-License-Identifier: MIT
import type { Migration } from './types';

/**
 * An import writes its pieces in batches of IMPORT_BATCH_SIZE, one transaction each, so a process killed mid-import
 * leaves the batches it committed. The corpus records who is importing into it (process id and host), set with the
 * first batch and cleared in the transaction of the last: a corpus whose importer is gone shows as interrupted (re-run
 * the import to complete it; it skips the pieces already there), never as a complete corpus.
 */
export const migration0070: Migration = {
  version: 70,
  name: 'corpora-import-owner',
  up(db) {
    db.exec(`
      ALTER TABLE corpora ADD COLUMN import_pid INTEGER; -- NULL: no import unfinished; else the importer's process id
      ALTER TABLE corpora ADD COLUMN import_host TEXT;   -- os.hostname() of that importer
    `);
  },
};
