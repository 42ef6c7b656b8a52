// SPDX-License-Identifier: MIT
import type { Migration } from './types';

/**
 * Which model is training, visible to every process that opens the library (the app, the studio, `etude train`).
 * A trainer holds one lease row per model while it runs and renews heartbeat_at every few seconds; a row whose
 * heartbeat is stale, or whose pid is gone on this host, is a trainer that died: the model counts as interrupted.
 */
export const migration0040: Migration = {
  version: 40,
  name: 'create-training-leases',
  up(db) {
    db.exec(`
      CREATE TABLE training_leases (
        model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
        token TEXT NOT NULL,          -- random id of one training run; only its holder renews or clears the row
        owner_pid INTEGER NOT NULL,   -- process id of the trainer
        owner_host TEXT NOT NULL,     -- os.hostname() of the trainer (a pid means nothing on another host)
        owner_label TEXT NOT NULL,    -- who trains, for messages: 'etude train', 'the studio', 'the app'
        started_at INTEGER NOT NULL,  -- ms since epoch
        heartbeat_at INTEGER NOT NULL -- ms since epoch; renewed every few seconds while the run lives
      ) STRICT;
    `);
  },
};
