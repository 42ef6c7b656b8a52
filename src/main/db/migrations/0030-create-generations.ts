// SPDX-License-Identifier: MIT
import type { Migration } from './types';

/** Generation history: every output with the full request that reproduces it. */
export const migration0030: Migration = {
  version: 30,
  name: 'create-generations',
  up(db) {
    db.exec(`
      CREATE TABLE generations (
        id INTEGER PRIMARY KEY,
        model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
        checkpoint_id INTEGER REFERENCES checkpoints(id) ON DELETE SET NULL,
        request_json TEXT NOT NULL,  -- seedNotes, temperature, randomSeed, bars, ... as requested
        tokens BLOB,                 -- melody tokens, one byte each; NULL when the output is not a melody
        sequence_json TEXT,          -- NoteSequence of the output
        name TEXT NOT NULL,
        favourite INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)), -- boolean
        created_at INTEGER NOT NULL  -- ms since epoch
      ) STRICT;

      CREATE INDEX generations_model ON generations (model_id, created_at);
      CREATE INDEX generations_checkpoint ON generations (checkpoint_id);
    `);
  },
};
