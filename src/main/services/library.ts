// SPDX-License-Identifier: MIT
/**
 * The library service: how each door (Electron main, CLI, studio) opens the user's library, and the corpus and piece
 * operations every door offers the same way.
 */
import type { CorpusDto, CorpusStatsDto, PieceListDto } from '../../shared/dto';
import { openLibrary, type Library, type OpenLibraryOptions } from '../db/open';
import type { CorpusSummary, PieceId, PieceSummary } from '../db/types';
import { corpusDto, corpusStatsDto, pieceDto } from './dto';
import { ensureDataDir, libraryPath, resolveDataDir } from './paths';
import { corpusStats } from './stats';

/**
 * An open library as the doors hold it: opaque to them (only services look inside), closed by the door that opened
 * it. The CLI and the studio pass it back to the services; nothing outside src/main imports the database layer.
 */
export type LibraryHandle = Library;

/** A slow-query sink (see src/main/db/timing.ts), re-exported for the doors. */
export type { SlowQueryLogger } from '../db/timing';

export interface OpenUserLibraryOptions extends OpenLibraryOptions {
  /** Data folder from --data-dir; else ETUDE_DATA_DIR; else the OS default (see resolveDataDir). */
  dataDir?: string;
}

/**
 * Resolves the data folder, creates it on first run, and opens <dataDir>/library.db.
 * @throws DataDirError, LibraryNotOursError, LibraryFromFutureError, LibraryUnreadableError
 */
export function openUserLibrary(options: OpenUserLibraryOptions = {}): { library: LibraryHandle; dataDir: string } {
  const dataDir = ensureDataDir(resolveDataDir({ flag: options.dataDir }));
  return { library: openLibrary(libraryPath(dataDir), options), dataDir };
}

/** Where the library file of an open handle lives (for messages). */
export function libraryLocation(library: LibraryHandle): string {
  return library.path;
}

/** Corpora with piece counts, by name. */
export function listCorpora(library: LibraryHandle): CorpusSummary[] {
  return library.corpora.listCorpora();
}

export function listCorporaDto(library: LibraryHandle): CorpusDto[] {
  return library.corpora.listCorpora().map(corpusDto);
}

/** @throws NotFoundError, NameTakenError, InvalidLibraryInputError */
export function renameCorpus(library: LibraryHandle, corpusName: string, newName: string): CorpusDto {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  const renamed = library.corpora.renameCorpus(corpus.id, newName);
  return corpusDto({ ...renamed, pieceCount: library.pieces.countPieces(renamed.id) });
}

/** Deletes a corpus and its pieces; answers how many pieces went. @throws NotFoundError */
export function deleteCorpus(library: LibraryHandle, corpusName: string): { name: string; pieces: number } {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  const pieces = library.pieces.countPieces(corpus.id);
  library.corpora.deleteCorpus(corpus.id);
  return { name: corpus.name, pieces };
}

/** Pieces of a named corpus (summaries, no heavy columns). @throws NotFoundError */
export function listPiecesOfCorpus(
  library: LibraryHandle,
  corpusName: string,
  options?: { limit?: number; offset?: number },
): PieceSummary[] {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  return library.pieces.listPieces(corpus.id, options);
}

/** How many pieces a named corpus holds. @throws NotFoundError */
export function countPiecesOfCorpus(library: LibraryHandle, corpusName: string): number {
  return library.pieces.countPieces(library.corpora.requireCorpusByName(corpusName).id);
}

/** The first piece of a named corpus that has a melody (name and tokens), if any. @throws NotFoundError */
export function firstMelodyOfCorpus(
  library: LibraryHandle,
  corpusName: string,
): { name: string; tokens: Uint8Array; pieceId: PieceId } | undefined {
  const [first] = library.pieces.getMelodyTokens(library.corpora.requireCorpusByName(corpusName).id);
  return first ? { name: first.name, tokens: first.tokens, pieceId: first.pieceId } : undefined;
}

/** One page of a corpus' pieces in contract shape. @throws NotFoundError */
export function listPiecesPage(
  library: LibraryHandle,
  corpusName: string,
  offset: number,
  limit: number,
): PieceListDto {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  return {
    total: library.pieces.countPieces(corpus.id),
    pieces: library.pieces.listPieces(corpus.id, { offset, limit }).map(pieceDto),
  };
}

/** @throws NotFoundError */
export function corpusStatsDtoOf(library: LibraryHandle, corpusName: string): CorpusStatsDto {
  return corpusStatsDto(corpusStats(library, corpusName));
}
