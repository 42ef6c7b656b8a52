// SPDX-License-Identifier: MIT
import type { Migration } from './types';

/**
 * A piece may have a piano roll and no melody: pieces.melody_tokens becomes nullable. SQLite cannot drop a NOT NULL
 * constraint in place, so the table is rebuilt (create the new shape, copy, drop, rename, recreate the index), the
 * procedure of https://www.sqlite.org/lang_altertable.html#otheralter. Foreign keys point INTO pieces from nowhere,
 * so the rename breaks no reference; the runner's transaction makes the rebuild all-or-nothing.
 */
export const migration0050: Migration = {
  version: 50,
  name: 'pieces-melody-optional',
  up(db) {
    db.exec(`
      CREATE TABLE pieces_new (
        id INTEGER PRIMARY KEY,
        corpus_id INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        source_path TEXT,            -- absolute path or upload name; NULL when unknown
        content_hash TEXT NOT NULL,  -- sha256 hex of the source bytes (MIDI) or of the piece's content (JSON corpora)
        format TEXT NOT NULL CHECK (format IN ('midi', 'token-melody', 'pianoroll-json')),
        split TEXT CHECK (split IS NULL OR split IN ('train', 'valid', 'test')), -- NULL: the source had no split
        metadata_json TEXT NOT NULL, -- PieceMetadata: tracks, tempos, time and key signatures, ppq
        sequence_json TEXT,          -- NoteSequence; NULL for token melodies
        melody_tokens BLOB,          -- one byte per sixteenth, tokens 0..129; NULL: the piece has no melody
        pianoroll_json TEXT,         -- frames (lists of sounding pitches) for 'pianoroll-json' pieces, else NULL
        note_count INTEGER NOT NULL,
        sixteenths INTEGER NOT NULL, -- length(melody_tokens), or the piano roll's frame count when there is no melody
        created_at INTEGER NOT NULL, -- ms since epoch
        UNIQUE (corpus_id, content_hash)
      ) STRICT;

      INSERT INTO pieces_new (id, corpus_id, name, source_path, content_hash, format, split, metadata_json,
                              sequence_json, melody_tokens, pianoroll_json, note_count, sixteenths, created_at)
        SELECT id, corpus_id, name, source_path, content_hash, format, split, metadata_json,
               sequence_json, melody_tokens, pianoroll_json, note_count, sixteenths, created_at
        FROM pieces;

      DROP TABLE pieces;
      ALTER TABLE pieces_new RENAME TO pieces;
      CREATE INDEX pieces_corpus_name ON pieces (corpus_id, name);
    `);
  },
};
