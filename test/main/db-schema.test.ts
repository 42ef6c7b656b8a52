// SPDX-License-Identifier: MIT
/**
 * Schema guard: the schema a fresh library gets is pinned here, so a change to a shipped migration
 * (or an accidental one) fails the build. An intended change is a NEW migration plus an update of
 * this snapshot in the same commit.
 */
import { describe, expect, it } from 'vitest';
import { openLibrary } from '../../src/main/db';

const SCHEMA_SNAPSHOT = [
  'CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE, epoch INTEGER NOT NULL, step INTEGER NOT NULL, data BLOB NOT NULL, sha256 TEXT NOT NULL, size_bytes INTEGER NOT NULL, metrics_json TEXT, created_at INTEGER NOT NULL) STRICT',
  'CREATE INDEX checkpoints_model ON checkpoints (model_id, id)',
  // Migration 0070 added the import owner with ALTER TABLE, which SQLite appends after the last column's comment.
  'CREATE TABLE corpora (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL , import_pid INTEGER, import_host TEXT) STRICT',
  'CREATE TABLE generations (id INTEGER PRIMARY KEY, model_id INTEGER REFERENCES models(id) ON DELETE SET NULL, checkpoint_id INTEGER REFERENCES checkpoints(id) ON DELETE SET NULL, request_json TEXT NOT NULL, tokens BLOB, sequence_json TEXT, name TEXT NOT NULL, favourite INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)), created_at INTEGER NOT NULL) STRICT',
  'CREATE INDEX generations_checkpoint ON generations (checkpoint_id)',
  'CREATE INDEX generations_model ON generations (model_id, created_at)',
  'CREATE INDEX generations_newest ON generations (created_at, id)',
  "CREATE TABLE models (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, spec_json TEXT NOT NULL, training_json TEXT NOT NULL, corpus_id INTEGER REFERENCES corpora(id) ON DELETE SET NULL, engine TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('training', 'ready', 'failed', 'cancelled')), metrics_json TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT",
  "CREATE TABLE \"pieces\" (id INTEGER PRIMARY KEY, corpus_id INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE, name TEXT NOT NULL, source_path TEXT, content_hash TEXT NOT NULL, format TEXT NOT NULL CHECK (format IN ('midi', 'token-melody', 'pianoroll-json')), split TEXT CHECK (split IS NULL OR split IN ('train', 'valid', 'test')), metadata_json TEXT NOT NULL, sequence_json TEXT, melody_tokens BLOB, pianoroll_json TEXT, note_count INTEGER NOT NULL, sixteenths INTEGER NOT NULL, created_at INTEGER NOT NULL, UNIQUE (corpus_id, content_hash)) STRICT",
  'CREATE INDEX pieces_corpus_name ON pieces (corpus_id, name)',
  'CREATE TABLE training_leases (model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE, token TEXT NOT NULL, owner_pid INTEGER NOT NULL, owner_host TEXT NOT NULL, owner_label TEXT NOT NULL, started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL) STRICT',
];

describe('schema guard', () => {
  it('a fresh library has exactly the committed schema', () => {
    const library = openLibrary(':memory:');
    try {
      const rows = library.db
        .prepare('SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name')
        .pluck()
        .all() as string[];
      const normalised = rows.map((sql) =>
        sql
          .replace(/--[^\n]*/g, '')
          .replace(/\s+/g, ' ')
          .replace(/\( /g, '(')
          .replace(/ \)/g, ')')
          .trim(),
      );
      expect(normalised).toEqual(SCHEMA_SNAPSHOT);
    } finally {
      library.close();
    }
  });

  it('the hot queries use indexes, never a full scan of pieces, checkpoints or generations', () => {
    const library = openLibrary(':memory:');
    try {
      const plan = (sql: string, ...params: unknown[]) =>
        (library.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
          .map((r) => r.detail)
          .join(' | ');
      const queries: [string, unknown[]][] = [
        [
          'SELECT id, name, split, melody_tokens FROM pieces WHERE corpus_id = ? AND melody_tokens IS NOT NULL ORDER BY id',
          [1],
        ],
        ['SELECT content_hash FROM pieces WHERE corpus_id = ?', [1]],
        ['SELECT id FROM pieces WHERE corpus_id = ? AND name = ? ORDER BY id', [1, 'x']],
        ['SELECT * FROM checkpoints WHERE model_id = ? ORDER BY id DESC LIMIT 1', [1]],
        ['SELECT * FROM generations WHERE model_id = ? ORDER BY created_at DESC, id DESC LIMIT 5', [1]],
      ];
      for (const [sql, params] of queries) {
        const detail = plan(sql, ...params);
        expect(detail, sql).toMatch(/USING (COVERING )?INDEX/);
        expect(detail, sql).not.toMatch(/SCAN (pieces|checkpoints|generations)/);
      }
    } finally {
      library.close();
    }
  });
});
