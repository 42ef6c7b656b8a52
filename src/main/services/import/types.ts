// SPDX-License-Identifier: MIT
/** The import's shared vocabulary: limits, the report, failures, sources and the worker protocol. */
import type { CorpusFormatError } from '../../../core/data/jsonCorpora';
import type { EncodingError } from '../../../core/encoding/errors';
import type { MelodySource } from '../../../core/encoding/melody';
import { CancelledError, type ProgressSink } from '../../../core/jobs/progress';
import type { MidiParseError } from '../../../core/midi/errors';
import type { Corpus, NewPiece } from '../../db/types';

/** Pieces per write transaction: big enough to amortise the commit, small enough to keep the lock short. */
export const IMPORT_BATCH_SIZE = 200;
/**
 * A batch is also committed once its pieces hold about this many bytes (mostly their NoteSequence JSON), so that one
 * commit stays a few milliseconds on the importing thread: 200 pieces of the Nottingham tunes are ~3.5 MB, and their
 * commit took 20-40 ms (bench:scale). While a WAL checkpoint runs (import/walCheckpointer.ts) a batch waits for it, and
 * may grow to twice this.
 */
export const IMPORT_BATCH_BYTES = 1024 * 1024;
/** Files larger than this are refused (a MIDI file of 64 MB is not music; it would only exhaust memory). */
export const MAX_IMPORT_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Why a file (or one melody / piece inside a JSON corpus) was not imported. MIDI_* codes come from
 * parseMidi (see src/core/midi/errors.ts); the others are the importer's.
 */
export type ImportFailureCode =
  | MidiParseError['code']
  | 'NOT_FOUND'
  | 'NOT_A_FILE'
  | 'READ_FAILED'
  | 'FILE_TOO_LARGE'
  | 'UNSUPPORTED_FILE'
  | 'JSON_INVALID'
  | 'JSON_UNKNOWN_LAYOUT'
  | 'JSON_EMPTY'
  | 'JSON_RESOLUTION_MISSING'
  | 'JSON_RESOLUTION_CONFLICT'
  | 'JSON_RESOLUTION_INVALID'
  | 'MELODY_EMPTY'
  | 'PIECE_EMPTY'
  | 'ENCODING_FAILED'
  | CorpusFormatError['code']
  | EncodingError['code'];

export interface ImportFailure {
  /** The file path; for an item inside a JSON corpus, `file#item`. */
  path: string;
  code: ImportFailureCode;
  /** One sentence for the user. */
  reason: string;
}

export interface ImportReport {
  corpus: Corpus;
  /** Pieces newly stored. */
  imported: number;
  /** Pieces skipped because the corpus already had the same content (by hash). */
  duplicates: number;
  failed: ImportFailure[];
  /** Files imported with a loss the user should know of (a file cut short: the notes before the cut were kept). */
  warnings: ImportWarning[];
  /** Importable files seen (MIDI + JSON), whatever became of them. */
  files: number;
  /** Other files met while walking folders (skipped silently, counted here). */
  ignoredFiles: number;
  elapsedMs: number;
}

export interface ImportOptions {
  /** Target corpus; created if it does not exist. */
  corpusName: string;
  signal?: AbortSignal;
  /** Receives at most ~10 events/s: phase 'scanning' then 'importing' (current/total files). */
  onProgress?: ProgressSink;
  /** Which part of a MIDI file becomes the melody tokens. Default 'first-part'. */
  melodySource?: MelodySource;
  /**
   * Frames per quarter note of piano-roll JSON files that do not state it themselves (./jsonCorpus.ts
   * pianoRollResolution); a file that states another value is refused.
   */
  stepsPerQuarter?: number;
  /** Pieces per transaction at most (default IMPORT_BATCH_SIZE; fewer when they pass IMPORT_BATCH_BYTES). */
  batchSize?: number;
  /**
   * Worker threads that parse MIDI files in parallel (the database stays in this thread).
   * Default: cores - 1 (at most 4) on machines with 4+ cores and 64+ MIDI files, else 0 (parse here).
   * If the workers cannot start (e.g. in a bundle without the worker entry) parsing falls back to this thread.
   */
  workers?: number;
}

/** Thrown when the signal fires; `report` says what was committed before it did. */
export class ImportCancelledError extends CancelledError {
  override name = 'ImportCancelledError';
  readonly code = 'CANCELLED';
  constructor(readonly report: ImportReport) {
    super(
      `Import cancelled after ${report.imported} new pieces; they stay in "${report.corpus.name}", importing again skips them.`,
    );
  }
}

/** One importable file or upload. `read` is called once. */
export interface ImportSource {
  /** Shown in failures and stored as source_path (absolute path, or the upload's relative path). */
  path: string;
  /** Piece name: path relative to the folder that was named, without extension. */
  pieceName: string;
  kind: 'midi' | 'json';
  /** Set when the bytes are a file a worker thread can read itself (enables parallel parsing). */
  filePath?: string;
  /** The bytes; may throw (the error becomes this source's failure). */
  read(): Uint8Array | Promise<Uint8Array>;
}

/** A per-file failure raised inside the pipeline, turned into an ImportFailure. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
  constructor(
    readonly code: ImportFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** A file that was imported, but not whole; `message` names the file and says what was lost. */
export interface ImportWarning {
  path: string;
  code: 'MIDI_TRUNCATED';
  message: string;
}

/** Messages to the import worker (src/main/workers/importWorker.ts). */
export type ImportWorkerRequest =
  | { type: 'init'; knownHashes: string[]; melodySource: MelodySource }
  | { type: 'parse'; chunkId: number; items: { index: number; path: string; pieceName: string }[] };

/** What became of one MIDI source, computed in a worker or in this thread. */
export type ImportWorkerResult =
  | { index: number; kind: 'piece'; piece: NewPiece; warning?: ImportWarning }
  | { index: number; kind: 'duplicate' }
  | { index: number; kind: 'failure'; failure: ImportFailure };
