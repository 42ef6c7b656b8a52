// SPDX-License-Identifier: MIT
import { NameTakenError, NotFoundError } from '../errors';
import type { Corpus, CorpusId, CorpusSummary, ImportOwner } from '../types';
import { isUniqueViolation, validateName, type RepositoryContext } from './shared';

interface CorpusDbRow {
  id: number;
  name: string;
  created_at: number;
  updated_at: number;
  /** Migration 0070: absent on a library opened at an older schema version (migration tests). */
  import_pid?: number | null;
  import_host?: string | null;
}

function toCorpus(row: CorpusDbRow): Corpus {
  const corpus: Corpus = {
    id: row.id as CorpusId,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.import_pid != null) corpus.importOwner = { pid: row.import_pid, host: row.import_host ?? '' };
  return corpus;
}

/** Corpora: named collections of pieces. Names are unique, case-insensitively. */
export interface CorporaRepository {
  /** @throws NameTakenError, InvalidLibraryInputError */
  createCorpus(name: string): Corpus;
  getCorpus(id: CorpusId): Corpus | undefined;
  /** Case-insensitive lookup. */
  getCorpusByName(name: string): Corpus | undefined;
  /** Like getCorpusByName but throws NotFoundError (code NOT_FOUND) naming the corpus. */
  requireCorpusByName(name: string): Corpus;
  /** Returns the existing corpus of that name or creates it. */
  getOrCreateCorpus(name: string): Corpus;
  /** All corpora, by name, with piece counts and total sixteenths. */
  listCorpora(): CorpusSummary[];
  /** @throws NotFoundError, NameTakenError */
  renameCorpus(id: CorpusId, newName: string): Corpus;
  /** Deletes the corpus and (cascade) its pieces; models keep existing with corpus_id NULL. Returns false if absent. */
  deleteCorpus(id: CorpusId): boolean;
  /** Bumps updated_at (called when pieces change). */
  touchCorpus(id: CorpusId): void;
  /** Records who imports into the corpus (the importer calls it in the transaction of its first batch). */
  setImportOwner(id: CorpusId, owner: ImportOwner): void;
  /** Clears the import owner: the import ended (the importer calls it in the transaction of its last batch). */
  clearImportOwner(id: CorpusId): void;
}

export function createCorporaRepository({ db, now, timed }: RepositoryContext): CorporaRepository {
  const insert = db.prepare<[string, number, number], CorpusDbRow>(
    'INSERT INTO corpora (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING *',
  );
  const byId = db.prepare<[number], CorpusDbRow>('SELECT * FROM corpora WHERE id = ?');
  const byName = db.prepare<[string], CorpusDbRow>('SELECT * FROM corpora WHERE name = ?');
  const list = db.prepare<[], CorpusDbRow & { piece_count: number; total_sixteenths: number }>(`
    SELECT c.*, COUNT(p.id) AS piece_count, COALESCE(SUM(p.sixteenths), 0) AS total_sixteenths
    FROM corpora c LEFT JOIN pieces p ON p.corpus_id = c.id
    GROUP BY c.id ORDER BY c.name COLLATE NOCASE`);
  const rename = db.prepare<[string, number, number], CorpusDbRow>(
    'UPDATE corpora SET name = ?, updated_at = ? WHERE id = ? RETURNING *',
  );
  const remove = db.prepare<[number]>('DELETE FROM corpora WHERE id = ?');
  const touch = db.prepare<[number, number]>('UPDATE corpora SET updated_at = ? WHERE id = ?');
  // Prepared on first use: a library opened below schema 0070 (migration tests) has no such columns.
  let setOwner: ReturnType<typeof db.prepare<[number | null, string | null, number]>> | undefined;
  const writeOwner = (id: CorpusId, owner: ImportOwner | null) => {
    setOwner ??= db.prepare<[number | null, string | null, number]>(
      'UPDATE corpora SET import_pid = ?, import_host = ? WHERE id = ?',
    );
    setOwner.run(owner?.pid ?? null, owner?.host ?? null, id);
  };

  const repo: CorporaRepository = {
    createCorpus(name) {
      const clean = validateName('corpus', name);
      try {
        const t = now();
        return toCorpus(insert.get(clean, t, t)!);
      } catch (err) {
        if (isUniqueViolation(err)) throw new NameTakenError('corpus', clean);
        throw err;
      }
    },
    getCorpus(id) {
      const row = byId.get(id);
      return row ? toCorpus(row) : undefined;
    },
    getCorpusByName(name) {
      const row = byName.get(typeof name === 'string' ? name.trim() : name);
      return row ? toCorpus(row) : undefined;
    },
    requireCorpusByName(name) {
      const corpus = repo.getCorpusByName(name);
      if (!corpus) throw new NotFoundError('corpus', name, 'List corpora with `etude corpora`.');
      return corpus;
    },
    getOrCreateCorpus(name) {
      return repo.getCorpusByName(name) ?? repo.createCorpus(name);
    },
    listCorpora() {
      return timed('corpora.listCorpora', () =>
        list
          .all()
          .map((row) => ({ ...toCorpus(row), pieceCount: row.piece_count, totalSixteenths: row.total_sixteenths })),
      );
    },
    renameCorpus(id, newName) {
      const clean = validateName('corpus', newName);
      try {
        const row = rename.get(clean, now(), id);
        if (!row) throw new NotFoundError('corpus', id);
        return toCorpus(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw new NameTakenError('corpus', clean);
        throw err;
      }
    },
    deleteCorpus(id) {
      return timed('corpora.deleteCorpus', () => remove.run(id).changes > 0);
    },
    touchCorpus(id) {
      touch.run(now(), id);
    },
    setImportOwner(id, owner) {
      writeOwner(id, owner);
    },
    clearImportOwner(id) {
      writeOwner(id, null);
    },
  };
  return repo;
}
