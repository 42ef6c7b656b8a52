// SPDX-License-Identifier: MIT
/**
 * Import: files and folders -> parsed, encoded pieces in the library.
 *
 * Pipeline per file: read (with read-ahead, so disk I/O overlaps parsing) -> sha256 of the bytes
 * -> skip if the corpus already has that hash (no parse at all) -> parse + encode -> queue;
 * every BATCH_SIZE pieces go in ONE transaction. Per-file failures are collected in the report,
 * never thrown. Cancel is checked between files; pieces committed before the cancel stay.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CorpusFormatError,
  detectJsonCorpus,
  readPianoRollSplits,
  readTokenMelodies,
} from '../../core/data/jsonCorpora';
import { EncodingError } from '../../core/encoding/errors';
import { encodeMelody, NO_EVENT, NOTE_OFF, type MelodySource } from '../../core/encoding/melody';
import { decodePianoRoll, pianoRollFromFrameLists, type PianoRoll } from '../../core/encoding/pianoRoll';
import { CancelledError, throttleProgress, type ProgressSink } from '../../core/jobs/progress';
import { MidiParseError } from '../../core/midi/errors';
import { parseMidi } from '../../core/midi/readMidi';
import type { NoteSequence } from '../../core/music/NoteSequence';
import type { Library } from '../db/open';
import type { Corpus, CorpusId, NewPiece, PieceMetadata, PieceSplit } from '../db/types';

/** Pieces per write transaction: big enough to amortise the commit, small enough to keep the lock short. */
export const IMPORT_BATCH_SIZE = 200;
/** Files larger than this are refused (a MIDI file of 64 MB is not music; it would only exhaust memory). */
export const MAX_IMPORT_FILE_BYTES = 64 * 1024 * 1024;
/** The import loop yields to the event loop at least this often, so signals and progress get through. */
const YIELD_EVERY_MS = 50;

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
  | 'MELODY_EMPTY'
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
  /** Pieces per transaction (default IMPORT_BATCH_SIZE). */
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
class ImportFileError extends Error {
  override name = 'ImportFileError';
  constructor(
    readonly code: ImportFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** Messages to the import worker (src/main/workers/importWorker.ts). */
export type ImportWorkerRequest =
  | { type: 'init'; knownHashes: string[]; melodySource: MelodySource }
  | { type: 'parse'; chunkId: number; items: { index: number; path: string; pieceName: string }[] };

/** What became of one MIDI source, computed in a worker or in this thread. */
export type ImportWorkerResult =
  | { index: number; kind: 'piece'; piece: NewPiece }
  | { index: number; kind: 'duplicate' }
  | { index: number; kind: 'failure'; failure: ImportFailure };

/** Files per message to a worker: large enough to amortise messaging, small enough to balance load. */
const WORKER_CHUNK = 24;
/** Parallel parsing pays off only above this many files (a worker costs ~50-100 ms to start). */
const MIN_FILES_FOR_WORKERS = 64;

/** Computes one MIDI source in this thread (fallback and small imports). */
async function processMidiHere(
  source: ImportSource,
  index: number,
  known: Set<string>,
  melodySource: MelodySource,
): Promise<ImportWorkerResult> {
  try {
    const pending = source.read();
    const bytes = pending instanceof Promise ? await pending : pending;
    const contentHash = sha256Hex(bytes);
    if (known.has(contentHash)) return { index, kind: 'duplicate' };
    return { index, kind: 'piece', piece: pieceFromMidi(bytes, source, contentHash, melodySource) };
  } catch (err) {
    return { index, kind: 'failure', failure: toImportFailure(source.path, err) };
  }
}

/**
 * Hands MIDI sources to worker threads ahead of the consumer, at most a few chunks per worker in
 * flight (bounded memory), and returns results in whatever order the consumer asks. A worker that
 * fails makes its chunks (and all later ones) run in this thread instead: slower, never lost.
 */
class MidiParsePool {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly chunks: { index: number; path: string; pieceName: string }[][] = [];
  private readonly chunkOfIndex = new Map<number, number>();
  private readonly results = new Map<number, ImportWorkerResult>();
  private readonly waiters = new Map<number, (r: ImportWorkerResult) => void>();
  private readonly inFlight = new Map<number, number>(); // chunkId -> worker slot
  private nextChunk = 0;
  private broken = false;

  constructor(
    private readonly sources: readonly ImportSource[],
    private readonly known: Set<string>,
    private readonly melodySource: MelodySource,
    workerCount: number,
    WorkerClass: typeof Worker,
  ) {
    let chunk: { index: number; path: string; pieceName: string }[] = [];
    sources.forEach((source, index) => {
      if (source.kind !== 'midi' || !source.filePath) return;
      chunk.push({ index, path: source.filePath, pieceName: source.pieceName });
      this.chunkOfIndex.set(index, this.chunks.length);
      if (chunk.length === WORKER_CHUNK) {
        this.chunks.push(chunk);
        chunk = [];
      }
    });
    if (chunk.length > 0) this.chunks.push(chunk);
    const init: ImportWorkerRequest = { type: 'init', knownHashes: [...known], melodySource };
    for (let slot = 0; slot < workerCount; slot++) {
      const worker = new WorkerClass(new URL('../workers/importWorker.mjs', import.meta.url));
      worker.on('message', (m: { type: 'chunk'; chunkId: number; results: ImportWorkerResult[] }) =>
        this.onChunk(m.chunkId, m.results),
      );
      worker.on('error', () => this.fail());
      worker.on('exit', (code) => {
        if (code !== 0) this.fail();
      });
      worker.postMessage(init);
      this.workers.push(worker);
      this.busy.push(0);
    }
    this.pump();
  }

  /** True when this source is handled by the pool. */
  handles(index: number): boolean {
    return this.chunkOfIndex.has(index);
  }

  get(index: number): Promise<ImportWorkerResult> {
    const ready = this.results.get(index);
    if (ready) {
      this.results.delete(index);
      return Promise.resolve(ready);
    }
    return new Promise((resolve) => this.waiters.set(index, resolve));
  }

  close(): void {
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
  }

  private pump(): void {
    while (!this.broken && this.nextChunk < this.chunks.length) {
      let slot = 0;
      for (let s = 1; s < this.busy.length; s++) if (this.busy[s] < this.busy[slot]) slot = s;
      if (this.busy[slot] >= 3) return;
      const chunkId = this.nextChunk++;
      this.busy[slot]++;
      this.inFlight.set(chunkId, slot);
      const request: ImportWorkerRequest = { type: 'parse', chunkId, items: this.chunks[chunkId] };
      this.workers[slot].postMessage(request);
    }
  }

  private deliver(result: ImportWorkerResult): void {
    const waiter = this.waiters.get(result.index);
    if (waiter) {
      this.waiters.delete(result.index);
      waiter(result);
    } else this.results.set(result.index, result);
  }

  private onChunk(chunkId: number, results: ImportWorkerResult[]): void {
    const slot = this.inFlight.get(chunkId);
    if (slot === undefined) return;
    this.inFlight.delete(chunkId);
    this.busy[slot]--;
    for (const r of results) this.deliver(r);
    this.pump();
  }

  /** A worker died: redo its unanswered chunks, and all chunks not yet sent, in this thread. */
  private fail(): void {
    if (this.broken) return;
    this.broken = true;
    this.close();
    const redo = [...this.inFlight.keys()];
    this.inFlight.clear();
    for (let c = this.nextChunk; c < this.chunks.length; c++) redo.push(c);
    this.nextChunk = this.chunks.length;
    void (async () => {
      for (const chunkId of redo.sort((a, b) => a - b)) {
        for (const item of this.chunks[chunkId]) {
          this.deliver(await processMidiHere(this.sources[item.index], item.index, this.known, this.melodySource));
        }
        // Let the consumer run between chunks.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })();
  }
}

const MIDI_EXTENSION = /\.midi?$/i;
const JSON_EXTENSION = /\.json$/i;

function kindOf(fileName: string): ImportSource['kind'] | null {
  if (MIDI_EXTENSION.test(fileName)) return 'midi';
  if (JSON_EXTENSION.test(fileName)) return 'json';
  return null;
}

function stripExtension(name: string): string {
  return name.replace(/\.(midi?|json)$/i, '');
}

/**
 * Reads a whole file synchronously. Deliberate: one openSync/fstatSync/readSync/closeSync costs
 * ~10 µs here, while fs.promises.readFile makes four thread-pool round trips per file and was the
 * biggest cost of a 3,000-file import. The import loop yields to the event loop between files
 * (see YIELD_EVERY_MS), so Ctrl-C and progress still get through.
 */
export function readFileBytes(filePath: string): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(filePath, 'r');
    const info = fstatSync(fd);
    if (!info.isFile()) throw new ImportFileError('NOT_A_FILE', 'this is a folder or a special file, not a file');
    if (info.size > MAX_IMPORT_FILE_BYTES) {
      throw new ImportFileError(
        'FILE_TOO_LARGE',
        `the file is ${(info.size / 1048576).toFixed(0)} MB; the limit is ${MAX_IMPORT_FILE_BYTES / 1048576} MB`,
      );
    }
    const bytes = new Uint8Array(info.size);
    let offset = 0;
    while (offset < bytes.length) {
      const n = readSync(fd, bytes, offset, bytes.length - offset, offset);
      if (n === 0) break; // the file shrank while we read it
      offset += n;
    }
    return offset === bytes.length ? bytes : bytes.subarray(0, offset);
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new ImportFileError('NOT_A_FILE', 'this is a folder, not a file');
    if (code === 'ENOENT') throw new ImportFileError('NOT_FOUND', 'the file disappeared before it could be read');
    throw new ImportFileError('READ_FAILED', `the file could not be read (${code ?? (err as Error).message})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Expands paths into importable sources. Folders are walked recursively (sorted, so imports are
 * reproducible); inside folders only .mid/.midi/.json count and other files are counted as
 * ignored; a path named directly that is neither is reported UNSUPPORTED_FILE. A folder whose
 * name looks like a MIDI file (x.mid) is reported NOT_A_FILE rather than walked.
 */
export async function collectSources(
  paths: readonly string[],
  signal?: AbortSignal,
  onFound?: (filesFound: number, folder: string) => void,
): Promise<{ sources: ImportSource[]; failed: ImportFailure[]; ignoredFiles: number }> {
  const sources: ImportSource[] = [];
  const failed: ImportFailure[] = [];
  let ignoredFiles = 0;

  const addFile = (filePath: string, relative: string, kind: ImportSource['kind']) => {
    sources.push({
      path: filePath,
      pieceName: stripExtension(relative).split(path.sep).join('/'),
      kind,
      filePath,
      read: () => readFileBytes(filePath),
    });
  };

  // Folders already walked, by device + inode: a symbolic link back up the tree must not loop forever,
  // and the same folder named twice (or reached twice through links) is walked once.
  const visited = new Set<string>();
  const walk = async (folder: string, root: string): Promise<void> => {
    if (signal?.aborted) return;
    try {
      const info = await stat(folder);
      const key = `${info.dev}:${info.ino}`;
      if (visited.has(key)) return;
      visited.add(key);
    } catch {
      // Reported by readdir below.
    }
    onFound?.(sources.length, folder);
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (err) {
      failed.push({
        path: folder,
        code: 'READ_FAILED',
        reason: `the folder could not be listed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      const kind = kindOf(entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = await stat(full);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch {
          failed.push({ path: full, code: 'NOT_FOUND', reason: 'a broken symbolic link' });
          continue;
        }
      }
      if (isDirectory) {
        if (kind === 'midi')
          failed.push({
            path: full,
            code: 'NOT_A_FILE',
            reason: 'this is a folder named like a MIDI file, not a file',
          });
        else await walk(full, root);
      } else if (kind && isFile) {
        addFile(full, path.relative(root, full), kind);
      } else if (kind) {
        failed.push({
          path: full,
          code: 'NOT_A_FILE',
          reason: 'this is a special file (socket, device or pipe), not a regular file',
        });
      } else {
        ignoredFiles++;
      }
    }
  };

  for (const given of paths) {
    const full = path.resolve(given);
    let info;
    try {
      info = await stat(full);
    } catch {
      failed.push({ path: full, code: 'NOT_FOUND', reason: 'no such file or folder' });
      continue;
    }
    const kind = kindOf(full);
    if (info.isDirectory()) {
      if (kind === 'midi')
        failed.push({ path: full, code: 'NOT_A_FILE', reason: 'this is a folder named like a MIDI file, not a file' });
      else await walk(full, full);
    } else if (!kind) {
      failed.push({
        path: full,
        code: 'UNSUPPORTED_FILE',
        reason: 'only .mid, .midi and .json (token melodies, piano-roll splits) can be imported',
      });
    } else {
      addFile(full, path.basename(full), kind);
    }
  }
  return { sources, failed, ignoredFiles };
}

/**
 * Imports files and folders into a corpus (created if needed).
 * @returns the report; per-file problems are in `failed`, never thrown
 * @throws ImportCancelledError when `signal` fires (pieces committed before stay)
 * @example
 *   const report = await importPaths(library, ['~/midi/folk'], { corpusName: 'Folk' });
 *   // { imported: 1034, duplicates: 0, failed: [], files: 1034, ... }
 */
export async function importPaths(
  library: Library,
  paths: readonly string[],
  options: ImportOptions,
): Promise<ImportReport> {
  const startMs = performance.now();
  const progress = options.onProgress ? throttleProgress(options.onProgress) : undefined;
  progress?.({ phase: 'scanning', current: 0, total: 0, detail: paths.join(', ') });
  const { sources, failed, ignoredFiles } = await collectSources(paths, options.signal, (found, folder) =>
    progress?.({ phase: 'scanning', current: found, total: 0, detail: folder }),
  );
  const report = await importSources(library, sources, { ...options, onProgress: undefined }, progress);
  report.failed.unshift(...failed);
  report.ignoredFiles = ignoredFiles;
  report.elapsedMs = performance.now() - startMs;
  return report;
}

/**
 * Imports already-collected sources (files from collectSources, or uploads whose `read` returns
 * bytes in memory). Same report and cancel rules as importPaths.
 */
export async function importSources(
  library: Library,
  sources: readonly ImportSource[],
  options: ImportOptions,
  throttled?: ReturnType<typeof throttleProgress>,
): Promise<ImportReport> {
  const startMs = performance.now();
  const progress = throttled ?? (options.onProgress ? throttleProgress(options.onProgress) : undefined);
  const corpus = library.corpora.getOrCreateCorpus(options.corpusName);
  const known = library.pieces.existingHashes(corpus.id);
  const batchSize = Math.max(1, options.batchSize ?? IMPORT_BATCH_SIZE);
  const report: ImportReport = {
    corpus,
    imported: 0,
    duplicates: 0,
    failed: [],
    files: sources.length,
    ignoredFiles: 0,
    elapsedMs: 0,
  };
  let batch: NewPiece[] = [];

  const flush = () => {
    if (batch.length === 0) return;
    const result = library.pieces.insertPieces(corpus.id as CorpusId, batch);
    report.imported += result.inserted.length;
    report.duplicates += result.duplicates.length;
    batch = [];
  };
  const queue = (piece: NewPiece) => {
    if (known.has(piece.contentHash)) {
      report.duplicates++;
      return;
    }
    known.add(piece.contentHash);
    batch.push(piece);
    if (batch.length >= batchSize) flush();
  };

  const melodySource = options.melodySource ?? 'first-part';
  const midiFileCount = sources.filter((source) => source.kind === 'midi' && source.filePath).length;
  // Measured on 2 cores (bench:import): the in-thread parser already reaches >1,000 files/s and
  // workers only added messaging, so they are used by default from 4 cores up, one core left to the writer.
  const cores = availableParallelism();
  const workerCount =
    options.workers ?? (midiFileCount >= MIN_FILES_FOR_WORKERS && cores >= 4 ? Math.min(4, cores - 1) : 0);
  let pool: MidiParsePool | undefined;
  if (workerCount > 0 && midiFileCount > 0) {
    try {
      pool = new MidiParsePool(sources, known, melodySource, workerCount, Worker);
    } catch {
      pool = undefined; // no worker support here: parse in this thread
    }
  }
  let lastYieldMs = performance.now();

  try {
    for (let i = 0; i < sources.length; i++) {
      if (performance.now() - lastYieldMs > YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYieldMs = performance.now();
      }
      if (options.signal?.aborted) {
        flush();
        report.elapsedMs = performance.now() - startMs;
        throw new ImportCancelledError(report);
      }
      const source = sources[i];
      progress?.({ phase: 'importing', current: i, total: sources.length, detail: source.path });
      if (source.kind === 'midi') {
        const result = pool?.handles(i) ? await pool.get(i) : await processMidiHere(source, i, known, melodySource);
        if (result.kind === 'duplicate') report.duplicates++;
        else if (result.kind === 'failure') report.failed.push(result.failure);
        else queue(result.piece);
        continue;
      }
      try {
        const pending = source.read();
        const bytes = pending instanceof Promise ? await pending : pending;
        const { pieces, failed } = piecesFromJson(bytes, source);
        pieces.forEach(queue);
        report.failed.push(...failed);
      } catch (err) {
        report.failed.push(toImportFailure(source.path, err));
      }
    }
    flush();
  } finally {
    pool?.close();
    progress?.({ phase: 'importing', current: sources.length, total: sources.length });
    progress?.flush();
  }
  report.corpus = library.corpora.getCorpus(corpus.id) ?? corpus;
  report.elapsedMs = performance.now() - startMs;
  return report;
}

export function toImportFailure(filePath: string, err: unknown): ImportFailure {
  if (err instanceof MidiParseError) {
    // The parser prefixes its message with the source; keep only the explanation.
    const prefix = `${err.source}: `;
    return {
      path: filePath,
      code: err.code,
      reason: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message,
    };
  }
  if (err instanceof ImportFileError) return { path: filePath, code: err.code, reason: err.message };
  if (err instanceof CorpusFormatError || err instanceof EncodingError)
    return { path: filePath, code: err.code, reason: err.message };
  // Anything else is a bug in a parser or encoder; report it on the file rather than abort the batch.
  return { path: filePath, code: 'MIDI_UNREADABLE', reason: err instanceof Error ? err.message : String(err) };
}

/** Hex SHA-256 (the content hash of pieces). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function countNotes(seq: NoteSequence): number {
  let n = 0;
  for (const track of seq.tracks) n += track.notes.length;
  return n;
}

/** Display/stat summary of a parsed file (no notes). */
export function summariseSequence(seq: NoteSequence): PieceMetadata {
  return {
    ppq: seq.ppq,
    trackCount: seq.tracks.length,
    tracks: seq.tracks.map((t) => ({
      name: t.name,
      program: t.program,
      channel: t.channel,
      noteCount: t.notes.length,
    })),
    tempos: seq.tempos.slice(0, 64),
    timeSignatures: seq.timeSignatures.slice(0, 64),
    keySignatures: seq.keySignatures.slice(0, 64),
  };
}

/**
 * One MIDI file -> a piece: parse, encode its melody, keep the NoteSequence.
 * @throws MidiParseError (parse), ImportFileError MELODY_EMPTY (only percussion), EncodingError
 */
export function pieceFromMidi(
  bytes: Uint8Array,
  source: Pick<ImportSource, 'path' | 'pieceName'>,
  contentHash: string,
  melodySource: MelodySource,
): NewPiece {
  const sequence = parseMidi(bytes, source.path);
  const tokens = encodeMelody(sequence, { source: melodySource });
  if (tokens.length === 0)
    throw new ImportFileError(
      'MELODY_EMPTY',
      'the file has notes but no pitched part to take a melody from (percussion only)',
    );
  return {
    name: source.pieceName,
    sourcePath: source.path,
    contentHash,
    format: 'midi',
    split: null,
    metadata: { ...summariseSequence(sequence), melodySource },
    sequence: null,
    sequenceJson: JSON.stringify(sequence),
    melodyTokens: Uint8Array.from(tokens),
    pianoRollFrames: null,
    noteCount: countNotes(sequence),
  };
}

/**
 * Steps per quarter of a piano-roll JSON corpus. The layout has no resolution field, so the file
 * name decides: names saying "16th" or "sixteenth" are at sixteenths (4), all others at quarter
 * notes (1), the resolution of the Boulanger-Lewandowski 2012 files.
 */
export function pianoRollResolutionOf(fileName: string): number {
  return /16th|sixteenth/i.test(fileName) ? 4 : 1;
}

/**
 * Melody tokens of a roll's top voice at sixteenths: in each frame the highest sounding pitch is
 * the melody; it starts a note where it has an onset or differs from the previous frame's top,
 * a silent frame after sound is a note-off (128), everything else is "no event" (129).
 * Coarser rolls are expanded (a quarter frame = 4 sixteenths, onset on the first).
 */
export function topVoiceTokens(roll: PianoRoll): number[] {
  const repeat = 4 / roll.stepsPerQuarter;
  if (!Number.isInteger(repeat) || repeat < 1) {
    throw new ImportFileError(
      'ENCODING_FAILED',
      `a piano roll at ${roll.stepsPerQuarter} steps per quarter cannot be put on a sixteenth grid`,
    );
  }
  const tokens: number[] = [];
  let previousTop = -1;
  for (const frame of roll.frames) {
    const top = frame.sounding.length > 0 ? frame.sounding[frame.sounding.length - 1] : -1;
    for (let r = 0; r < repeat; r++) {
      const onset = r === 0 && frame.onsets.includes(top);
      if (top >= 0 && (onset || top !== previousTop)) tokens.push(top);
      else if (top < 0 && previousTop >= 0) tokens.push(NOTE_OFF);
      else tokens.push(NO_EVENT);
      previousTop = top;
    }
  }
  if (previousTop >= 0) tokens.push(NOTE_OFF);
  return tokens;
}

/** One JSON file -> pieces (token melodies or piano-roll splits); bad items are failures, not exceptions. */
export function piecesFromJson(
  bytes: Uint8Array,
  source: Pick<ImportSource, 'path' | 'pieceName'>,
): { pieces: NewPiece[]; failed: ImportFailure[] } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
  } catch (err) {
    throw new ImportFileError('JSON_INVALID', `the file is not valid JSON (${(err as Error).message})`);
  }
  const layout = detectJsonCorpus(json);
  const pieces: NewPiece[] = [];
  const failed: ImportFailure[] = [];
  if (layout === 'token-melodies') {
    readTokenMelodies(json, source.path).forEach((melody, index) => {
      const itemPath = `${source.path}#${index + 1}`;
      const bad = melody.tokens.findIndex((t) => !Number.isInteger(t) || t < 0 || t > NO_EVENT);
      if (bad >= 0) {
        failed.push({
          path: itemPath,
          code: 'ENCODING_FAILED',
          reason: `token ${melody.tokens[bad]} at step ${bad} is outside 0..129`,
        });
        return;
      }
      if (melody.tokens.length === 0) {
        failed.push({ path: itemPath, code: 'MELODY_EMPTY', reason: 'the melody has no tokens' });
        return;
      }
      pieces.push({
        name: melody.name || `${source.pieceName} #${index + 1}`,
        sourcePath: itemPath,
        contentHash: sha256Hex(`token-melody\n${melody.tokens.join(',')}`),
        format: 'token-melody',
        split: null,
        metadata: {},
        sequence: null,
        melodyTokens: Uint8Array.from(melody.tokens),
        pianoRollFrames: null,
        noteCount: melody.tokens.filter((t) => t < NOTE_OFF).length,
      });
    });
  } else if (layout === 'pianoroll-splits') {
    const stepsPerQuarter = pianoRollResolutionOf(path.basename(source.path));
    readPianoRollSplits(json, source.path).forEach((split, index) => {
      const itemPath = `${source.path}#${split.split}/${split.name}`;
      try {
        const roll = pianoRollFromFrameLists(split.frames, stepsPerQuarter);
        const sequence = decodePianoRoll(roll, { ppq: 480 });
        sequence.name = split.name;
        pieces.push({
          name: split.name || `${source.pieceName} ${split.split} #${index + 1}`,
          sourcePath: itemPath,
          contentHash: sha256Hex(`pianoroll-json\n${stepsPerQuarter}\n${split.split}\n${JSON.stringify(split.frames)}`),
          format: 'pianoroll-json',
          split: split.split as PieceSplit,
          metadata: { ...summariseSequence(sequence), stepsPerQuarter, frameCount: split.frames.length },
          sequence,
          melodyTokens: Uint8Array.from(topVoiceTokens(roll)),
          pianoRollFrames: split.frames,
          noteCount: countNotes(sequence),
        });
      } catch (err) {
        failed.push(toImportFailure(itemPath, err));
      }
    });
  } else {
    throw new ImportFileError(
      'JSON_UNKNOWN_LAYOUT',
      'this JSON is neither a token-melody list nor a train/valid/test piano-roll split; see the data README for the two layouts',
    );
  }
  return { pieces, failed };
}
