// SPDX-License-Identifier: MIT
import type { NoteSequence } from '../../../core/music/NoteSequence';
import { AmbiguousNameError, InvalidLibraryInputError, NotFoundError } from '../errors';
import type {
  CorpusId,
  MelodyTokensRow,
  NewPiece,
  PieceNotesRow,
  Piece,
  PieceFormat,
  PieceId,
  PieceMetadata,
  PieceSplit,
  PieceSummary,
} from '../types';
import { blobToBytes, parseJsonColumn, type RepositoryContext } from './shared';

/** Highest valid melody token (129 = no event); tokens are stored one byte each. */
const MAX_MELODY_TOKEN = 129;

interface PieceSummaryDbRow {
  id: number;
  corpus_id: number;
  name: string;
  source_path: string | null;
  content_hash: string;
  format: PieceFormat;
  split: PieceSplit | null;
  note_count: number;
  sixteenths: number;
  created_at: number;
}

interface PieceDbRow extends PieceSummaryDbRow {
  metadata_json: string;
  sequence_json: string | null;
  melody_tokens: Uint8Array | null;
  pianoroll_json: string | null;
}

const SUMMARY_COLUMNS =
  'id, corpus_id, name, source_path, content_hash, format, split, note_count, sixteenths, created_at';

function toSummary(row: PieceSummaryDbRow): PieceSummary {
  return {
    id: row.id as PieceId,
    corpusId: row.corpus_id as CorpusId,
    name: row.name,
    sourcePath: row.source_path,
    contentHash: row.content_hash,
    format: row.format,
    split: row.split,
    noteCount: row.note_count,
    sixteenths: row.sixteenths,
    createdAt: row.created_at,
  };
}

/** Result of insertPieces: indexes refer to the input array. */
export interface InsertPiecesResult {
  inserted: { index: number; id: PieceId }[];
  /** Pieces whose content hash was already in the corpus (or earlier in the same batch): skipped. */
  duplicates: { index: number; name: string; contentHash: string }[];
}

export interface ListPiecesOptions {
  /** Default 1000. */
  limit?: number;
  offset?: number;
  split?: PieceSplit;
}

/** Pieces of a corpus. Heavy columns (sequence, tokens, frames) are only read by getPiece and getMelodyTokens. */
export interface PiecesRepository {
  /**
   * Inserts a batch in ONE transaction; rows whose (corpus, contentHash) already exists are skipped
   * and reported as duplicates, never an error. Bumps the corpus' updated_at when anything was inserted.
   * @throws InvalidLibraryInputError when a token is outside 0..129 or tokens and sixteenths disagree.
   */
  insertPieces(corpusId: CorpusId, pieces: readonly NewPiece[]): InsertPiecesResult;
  /** Content hashes already stored in a corpus: lets an importer skip parsing files it already has. */
  existingHashes(corpusId: CorpusId): Set<string>;
  listPieces(corpusId: CorpusId, options?: ListPiecesOptions): PieceSummary[];
  countPieces(corpusId: CorpusId): number;
  getPiece(id: PieceId): Piece | undefined;
  /** Pieces of a corpus with exactly this name. */
  findPiecesByName(corpusId: CorpusId, name: string): PieceSummary[];
  /**
   * Resolves a user's piece reference: a numeric id (belonging to the corpus) or an exact name.
   * @throws NotFoundError, AmbiguousNameError
   */
  resolvePiece(corpusId: CorpusId, idOrName: string): Piece;
  /** Everything the melody model's training needs, one row per piece that has a melody, in id order. */
  getMelodyTokens(corpusId: CorpusId): MelodyTokensRow[];
  /** Every piece's notes (or melody tokens), in id order: what a polyphonic model trains on. */
  getPieceNotes(corpusId: CorpusId): PieceNotesRow[];
  /** Pieces of a corpus with no melody (a piano roll only): what the melody model skips. */
  countPiecesWithoutMelody(corpusId: CorpusId): number;
  /** Pieces of a corpus per source format. */
  countByFormat(corpusId: CorpusId): Partial<Record<PieceFormat, number>>;
  deletePiece(id: PieceId): boolean;
}

export function createPiecesRepository({ db, now, timed }: RepositoryContext): PiecesRepository {
  const insert = db.prepare(`
    INSERT INTO pieces (corpus_id, name, source_path, content_hash, format, split, metadata_json, sequence_json,
                        melody_tokens, pianoroll_json, note_count, sixteenths, created_at)
    VALUES (@corpusId, @name, @sourcePath, @contentHash, @format, @split, @metadataJson, @sequenceJson,
            @melodyTokens, @pianoRollJson, @noteCount, @sixteenths, @createdAt)
    ON CONFLICT (corpus_id, content_hash) DO NOTHING`);
  const touchCorpus = db.prepare<[number, number]>('UPDATE corpora SET updated_at = ? WHERE id = ?');
  const hashes = db
    .prepare<[number], { content_hash: string }>('SELECT content_hash FROM pieces WHERE corpus_id = ?')
    .pluck();
  const list = db.prepare<[number, number, number], PieceSummaryDbRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM pieces WHERE corpus_id = ? ORDER BY id LIMIT ? OFFSET ?`,
  );
  const listSplit = db.prepare<[number, string, number, number], PieceSummaryDbRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM pieces WHERE corpus_id = ? AND split = ? ORDER BY id LIMIT ? OFFSET ?`,
  );
  const count = db.prepare<[number], number>('SELECT COUNT(*) FROM pieces WHERE corpus_id = ?').pluck();
  const byId = db.prepare<[number], PieceDbRow>('SELECT * FROM pieces WHERE id = ?');
  const byName = db.prepare<[number, string], PieceSummaryDbRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM pieces WHERE corpus_id = ? AND name = ? ORDER BY id`,
  );
  const tokens = db.prepare<
    [number],
    { id: number; name: string; split: PieceSplit | null; melody_tokens: Uint8Array }
  >('SELECT id, name, split, melody_tokens FROM pieces WHERE corpus_id = ? AND melody_tokens IS NOT NULL ORDER BY id');
  const notes = db.prepare<
    [number],
    {
      id: number;
      name: string;
      split: PieceSplit | null;
      format: PieceFormat;
      sequence_json: string | null;
      melody_tokens: Uint8Array | null;
      melody_source: string | null;
    }
  >(
    `SELECT id, name, split, format, sequence_json, melody_tokens, json_extract(metadata_json, '$.melodySource') AS melody_source
     FROM pieces WHERE corpus_id = ? ORDER BY id`,
  );
  const countNoMelody = db
    .prepare<[number], number>('SELECT COUNT(*) FROM pieces WHERE corpus_id = ? AND melody_tokens IS NULL')
    .pluck();
  const byFormat = db.prepare<[number], { format: PieceFormat; n: number }>(
    'SELECT format, COUNT(*) AS n FROM pieces WHERE corpus_id = ? GROUP BY format',
  );
  const remove = db.prepare<[number]>('DELETE FROM pieces WHERE id = ?');

  const insertBatch = db.transaction((corpusId: CorpusId, pieces: readonly NewPiece[]): InsertPiecesResult => {
    const result: InsertPiecesResult = { inserted: [], duplicates: [] };
    const createdAt = now();
    pieces.forEach((piece, index) => {
      const info = insert.run({
        corpusId,
        name: piece.name,
        sourcePath: piece.sourcePath,
        contentHash: piece.contentHash,
        format: piece.format,
        split: piece.split,
        metadataJson: JSON.stringify(piece.metadata),
        sequenceJson: piece.sequenceJson ?? (piece.sequence ? JSON.stringify(piece.sequence) : null),
        melodyTokens: piece.melodyTokens,
        pianoRollJson: piece.pianoRollFrames ? JSON.stringify(piece.pianoRollFrames) : null,
        noteCount: piece.noteCount,
        sixteenths: piece.melodyTokens?.length ?? piece.pianoRollFrames?.length ?? 0,
        createdAt,
      });
      if (info.changes > 0) result.inserted.push({ index, id: Number(info.lastInsertRowid) as PieceId });
      else result.duplicates.push({ index, name: piece.name, contentHash: piece.contentHash });
    });
    if (result.inserted.length > 0) touchCorpus.run(createdAt, corpusId);
    return result;
  });

  const repo: PiecesRepository = {
    insertPieces(corpusId, pieces) {
      pieces.forEach(validateNewPiece);
      return timed(
        'pieces.insertPieces',
        () => insertBatch.immediate(corpusId, pieces),
        () => pieces.length,
      );
    },
    existingHashes(corpusId) {
      return new Set(hashes.all(corpusId) as unknown as string[]);
    },
    listPieces(corpusId, options = {}) {
      const limit = options.limit ?? 1000;
      const offset = options.offset ?? 0;
      return timed('pieces.listPieces', () =>
        (options.split ? listSplit.all(corpusId, options.split, limit, offset) : list.all(corpusId, limit, offset)).map(
          toSummary,
        ),
      );
    },
    countPieces(corpusId) {
      return count.get(corpusId) as unknown as number;
    },
    getPiece(id) {
      const row = byId.get(id);
      if (!row) return undefined;
      return {
        ...toSummary(row),
        metadata: parseJsonColumn<PieceMetadata>(row.metadata_json) ?? {},
        sequence: parseJsonColumn<NoteSequence>(row.sequence_json),
        melodyTokens: row.melody_tokens === null ? null : blobToBytes(row.melody_tokens),
        pianoRollFrames: parseJsonColumn<number[][]>(row.pianoroll_json),
      };
    },
    findPiecesByName(corpusId, name) {
      return byName.all(corpusId, name).map(toSummary);
    },
    resolvePiece(corpusId, idOrName) {
      const ref = idOrName.trim();
      if (/^\d+$/.test(ref)) {
        const piece = repo.getPiece(Number(ref) as PieceId);
        if (piece && piece.corpusId === corpusId) return piece;
      }
      const matches = repo.findPiecesByName(corpusId, ref);
      if (matches.length === 0)
        throw new NotFoundError('piece', ref, 'List pieces with `etude pieces CORPUS` or the Library screen.');
      if (matches.length > 1)
        throw new AmbiguousNameError(
          'piece',
          ref,
          matches.map((m) => m.id),
        );
      return repo.getPiece(matches[0].id)!;
    },
    getMelodyTokens(corpusId) {
      return timed(
        'pieces.getMelodyTokens',
        () =>
          tokens.all(corpusId).map((row) => ({
            pieceId: row.id as PieceId,
            name: row.name,
            split: row.split,
            tokens: blobToBytes(row.melody_tokens),
          })),
        (rows) => rows.length,
      );
    },
    getPieceNotes(corpusId) {
      return timed(
        'pieces.getPieceNotes',
        () =>
          notes.all(corpusId).map((row) => ({
            pieceId: row.id as PieceId,
            name: row.name,
            split: row.split,
            format: row.format,
            sequence: parseJsonColumn<NoteSequence>(row.sequence_json),
            melodyTokens: row.melody_tokens === null ? null : blobToBytes(row.melody_tokens),
            melodySource: row.melody_source,
          })),
        (rows) => rows.length,
      );
    },
    countPiecesWithoutMelody(corpusId) {
      return countNoMelody.get(corpusId) as unknown as number;
    },
    countByFormat(corpusId) {
      return Object.fromEntries(byFormat.all(corpusId).map((r) => [r.format, r.n]));
    },
    deletePiece(id) {
      return remove.run(id).changes > 0;
    },
  };
  return repo;
}

function validateNewPiece(piece: NewPiece, index: number): void {
  const tokens = piece.melodyTokens;
  if (tokens === null) {
    if (!piece.pianoRollFrames)
      throw new InvalidLibraryInputError(
        `Piece ${index} (${piece.name}): a piece needs a melody or a piano roll; it has neither.`,
      );
  } else if (!(tokens instanceof Uint8Array)) {
    throw new InvalidLibraryInputError(`Piece ${index} (${piece.name}): melodyTokens must be a Uint8Array or null.`);
  }
  for (let i = 0; tokens && i < tokens.length; i++) {
    if (tokens[i] > MAX_MELODY_TOKEN) {
      throw new InvalidLibraryInputError(
        `Piece ${index} (${piece.name}): melody token ${tokens[i]} at step ${i} is outside 0..${MAX_MELODY_TOKEN}.`,
      );
    }
  }
  if (!piece.contentHash) throw new InvalidLibraryInputError(`Piece ${index} (${piece.name}): contentHash is empty.`);
}
