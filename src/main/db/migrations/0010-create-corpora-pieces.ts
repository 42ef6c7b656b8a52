// SPDX-License-Identifier: MIT
import type { Migration } from './types';

/** Corpora and their pieces: what the composer imported, already encoded for training. */
export const migration0010: Migration = {
  version: 10,
  name: 'create-corpora-pieces',
  up(db) {
    db.exec(`
      CREATE TABLE corpora (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at INTEGER NOT NULL, -- ms since epoch
        updated_at INTEGER NOT NULL  -- ms since epoch
      ) STRICT;

      CREATE TABLE pieces (
        id INTEGER PRIMARY KEY,
        corpus_id INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        source_path TEXT,            -- absolute path or upload name; NULL when unknown
        content_hash TEXT NOT NULL,  -- sha256 hex of the source bytes (MIDI) or of the piece's content (JSON corpora)
        format TEXT NOT NULL CHECK (format IN ('midi', 'token-melody', 'pianoroll-json')),
        split TEXT CHECK (split IS NULL OR split IN ('train', 'valid', 'test')), -- NULL: the source had no split
        metadata_json TEXT NOT NULL, -- PieceMetadata: tracks, tempos, time and key signatures, ppq
        sequence_json TEXT,          -- NoteSequence; NULL for token melodies
        melody_tokens BLOB NOT NULL, -- one byte per sixteenth, tokens 0..129 (0-127 note-on, 128 note-off, 129 no event)
        pianoroll_json TEXT,         -- frames (lists of sounding pitches) for 'pianoroll-json' pieces, else NULL
        note_count INTEGER NOT NULL,
        sixteenths INTEGER NOT NULL, -- = length(melody_tokens)
        created_at INTEGER NOT NULL, -- ms since epoch
        UNIQUE (corpus_id, content_hash)
      ) STRICT;

      CREATE INDEX pieces_corpus_name ON pieces (corpus_id, name);
    `);
  },
};
