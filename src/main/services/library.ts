// SPDX-License-Identifier: MIT
/**
 * The library service: how each door (Electron main, CLI, studio) opens the user's library,
 * plus the few read operations every door shows the same way.
 */
import { openLibrary, type Library, type OpenLibraryOptions } from '../db/open';
import type { CorpusSummary, PieceSummary } from '../db/types';
import { ensureDataDir, libraryPath, resolveDataDir } from './paths';

export interface OpenUserLibraryOptions extends OpenLibraryOptions {
  /** Data folder from --data-dir; else ETUDE_DATA_DIR; else the OS default (see resolveDataDir). */
  dataDir?: string;
}

/**
 * Resolves the data folder, creates it on first run, and opens <dataDir>/library.db.
 * @throws DataDirError, LibraryNotOursError, LibraryFromFutureError, LibraryUnreadableError
 */
export function openUserLibrary(options: OpenUserLibraryOptions = {}): { library: Library; dataDir: string } {
  const dataDir = ensureDataDir(resolveDataDir({ flag: options.dataDir }));
  return { library: openLibrary(libraryPath(dataDir), options), dataDir };
}

/** Corpora with piece counts, by name. */
export function listCorpora(library: Library): CorpusSummary[] {
  return library.corpora.listCorpora();
}

/** Pieces of a named corpus (summaries, no heavy columns). @throws NotFoundError */
export function listPiecesOfCorpus(
  library: Library,
  corpusName: string,
  options?: { limit?: number; offset?: number },
): PieceSummary[] {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  return library.pieces.listPieces(corpus.id, options);
}
