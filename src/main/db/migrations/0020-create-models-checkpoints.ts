// SPDX-License-Identifier: MIT
import type { Migration } from './types';

/** Trained models and their checkpoints (weights as blobs: one transaction makes row and bytes appear together). */
export const migration0020: Migration = {
  version: 20,
  name: 'create-models-checkpoints',
  up(db) {
    db.exec(`
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        spec_json TEXT NOT NULL,     -- ModelSpec (src/core/model/spec.ts)
        training_json TEXT NOT NULL, -- TrainingConfig incl. randomSeed, engine threads
        corpus_id INTEGER REFERENCES corpora(id) ON DELETE SET NULL,
        engine TEXT NOT NULL,        -- engine name that trained it, e.g. 'wasm', 'tfjs-cpu'
        status TEXT NOT NULL CHECK (status IN ('training', 'ready', 'failed', 'cancelled')),
        metrics_json TEXT,           -- last/best losses, free-form
        created_at INTEGER NOT NULL, -- ms since epoch
        updated_at INTEGER NOT NULL  -- ms since epoch
      ) STRICT;

      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        step INTEGER NOT NULL,
        data BLOB NOT NULL,          -- opaque bytes of the checkpoint codec (src/core/model/checkpoint.ts)
        sha256 TEXT NOT NULL,        -- hex of data; verified on every read
        size_bytes INTEGER NOT NULL,
        metrics_json TEXT,
        created_at INTEGER NOT NULL  -- ms since epoch
      ) STRICT;

      CREATE INDEX checkpoints_model ON checkpoints (model_id, id);
    `);
  },
};
