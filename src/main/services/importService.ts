// SPDX-License-Identifier: MIT
/**
 * Import: files and folders -> parsed, encoded pieces in the library.
 *
 * Pipeline per file: read (with read-ahead, so disk I/O overlaps parsing) -> sha256 of the bytes
 * -> skip if the corpus already has that hash (no parse at all) -> parse + encode -> queue;
 * every BATCH_SIZE pieces (fewer when they are large: IMPORT_BATCH_BYTES) go in ONE transaction. Per-file failures
 * are collected in the report, never thrown. Cancel is checked between files; pieces committed before the cancel stay.
 * From the first batch to the last the corpus names this process as its importer (importState.ts): if the process
 * dies in between, the corpus shows as interrupted, and running the same import again completes it.
 *
 * The loop runs on the thread that serves the page, so it works in slices of about SLICE_MS and yields to the event
 * loop between them, and a batch is written in a slice of its own (yield, commit, yield): a commit is never added on
 * top of a slice of parsing. From the first full batch on, the WAL checkpoints (a copy and two fsyncs every ~4 MB) run
 * in a worker thread (./import/walCheckpointer.ts), not after a commit on this thread.
 *
 * One file per job under ./import/: walker.ts (paths -> sources), hashing.ts, midiPiece.ts (MIDI -> piece),
 * jsonCorpus.ts (JSON corpus adapters), workerPool.ts (parallel parsing), failures.ts, types.ts; the melody encoder
 * is in the core (src/core/encoding/melodyFromPiece.ts). This module is the pipeline that ties them to the library.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { throttleProgress } from '../../core/jobs/progress';
import type { Library } from '../db/open';
import { storageErrorOf } from '../db/errors';
import { validateName } from '../db/repositories/shared';
import type { Corpus, CorpusId, NewPiece } from '../db/types';
import { isImporterLive, thisImporter } from './importState';
import { toImportFailure } from './import/failures';
import { piecesFromJson } from './import/jsonCorpus';
import { collectSources } from './import/walker';
import { WalCheckpointer } from './import/walCheckpointer';
import { MidiParsePool, MIN_FILES_FOR_WORKERS, processMidiHere } from './import/workerPool';
import {
  IMPORT_BATCH_BYTES,
  IMPORT_BATCH_SIZE,
  ImportCancelledError,
  type ImportOptions,
  type ImportReport,
  type ImportSource,
} from './import/types';

export * from './import/types';
export { toImportFailure } from './import/failures';
export { sha256Hex } from './import/hashing';
export { pieceFromMidi, summariseSequence } from './import/midiPiece';
export { piecesFromJson, pianoRollResolution } from './import/jsonCorpus';
export { collectSources, readFileBytes } from './import/walker';
export { topVoiceTokens } from '../../core/encoding/melodyFromPiece';

/**
 * The import loop yields to the event loop once a slice of work has run this long, so that the thread's other work
 * (the page's requests, signals, progress) waits at most a slice plus one file. bench:scale's target for the
 * thread's worst event-loop delay is 50 ms; a slice of 50 ms plus a 200-piece commit measured 100-120 ms.
 */
const SLICE_MS = 10;

/** Lets the event loop run (timers, I/O) before the import goes on. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a piece costs to write, roughly in bytes of the columns a commit copies (JSON text dominates). */
function writeCostOf(piece: NewPiece): number {
  const sequence = piece.sequenceJson?.length ?? (piece.sequence ? piece.noteCount * 64 : 0);
  const frames = piece.pianoRollFrames ? piece.pianoRollFrames.length * 8 : 0;
  return 256 + sequence + frames + (piece.melodyTokens?.length ?? 0);
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
  // A new corpus is created with the first batch of pieces, in the same transaction: an import the disk refuses from
  // its first write (full, read-only) leaves the library file as it was. The name is checked now, before any parsing.
  validateName('corpus', options.corpusName);
  let corpus = library.corpora.getCorpusByName(options.corpusName);
  const known = corpus ? library.pieces.existingHashes(corpus.id) : new Set<string>();
  const batchSize = Math.max(1, options.batchSize ?? IMPORT_BATCH_SIZE);
  const ensureCorpus = (): Corpus => (corpus ??= library.corpora.getOrCreateCorpus(options.corpusName));
  const report: ImportReport = {
    corpus: corpus ?? { id: 0 as CorpusId, name: options.corpusName, createdAt: 0, updatedAt: 0 },
    imported: 0,
    duplicates: 0,
    failed: [],
    warnings: [],
    files: sources.length,
    ignoredFiles: 0,
    elapsedMs: 0,
  };
  let batch: NewPiece[] = [];
  let batchBytes = 0;
  let checkpointer: WalCheckpointer | undefined;
  let checkpointerTried = false;
  let lastYieldMs = performance.now();
  const yieldNow = async () => {
    await yieldToEventLoop();
    lastYieldMs = performance.now();
  };
  /**
   * Between files: a slice that has run SLICE_MS yields; a full batch is committed in a slice of its own, once the WAL
   * checkpoint under way (if any) is done. Parsing goes on meanwhile, up to batchSize pieces or twice the batch bytes.
   */
  const pace = async () => {
    const full = batch.length >= batchSize || batchBytes >= 2 * IMPORT_BATCH_BYTES;
    if (checkpointer?.busy && full) await checkpointer.idle();
    if (full || (batchBytes >= IMPORT_BATCH_BYTES && !checkpointer?.busy)) {
      // A full batch: more are likely to follow, worth a worker for the checkpoints.
      if (!checkpointerTried) {
        checkpointerTried = true;
        checkpointer = WalCheckpointer.start(library, Worker);
      }
      if (performance.now() - lastYieldMs > 1) await yieldNow();
      flush();
      await yieldNow();
    } else if (performance.now() - lastYieldMs > SLICE_MS) {
      await yieldNow();
    }
  };

  // The corpus names this import as its importer from the first committed batch to the last (importState.ts): a
  // process killed in between leaves a corpus that shows as interrupted, never as a complete one.
  const owner = thisImporter();
  let owned = false;
  /** Drops the corpus' importer when it is this import, or one that is gone (this run completes what it left). */
  const releaseOwner = (id: CorpusId) => {
    const current = library.corpora.getCorpus(id)?.importOwner;
    if (!current) return;
    const ours = current.pid === owner.pid && current.host === owner.host;
    if (ours || !isImporterLive(current)) library.corpora.clearImportOwner(id);
  };
  /**
   * Writes the queued pieces in ONE transaction. The first batch of an import that needs more also names it as the
   * corpus' importer; the `last` one (the end of the import, or its cancel) clears that in the same transaction.
   */
  const commit = (last: boolean) => {
    if (batch.length === 0 && !last) return;
    let result: ReturnType<typeof library.pieces.insertPieces> | undefined;
    try {
      result = library.db.transaction(() => {
        const id = ensureCorpus().id;
        if (!last && !owned) library.corpora.setImportOwner(id, owner);
        const inserted = batch.length > 0 ? library.pieces.insertPieces(id, batch) : undefined;
        if (last) releaseOwner(id);
        return inserted;
      })();
    } catch (err) {
      const pieces =
        report.imported > 0 ? `the rest of this import (${report.imported} pieces are stored)` : 'this import';
      throw storageErrorOf(err, library.path, pieces) ?? err;
    }
    if (!last) owned = true;
    report.imported += result?.inserted.length ?? 0;
    report.duplicates += result?.duplicates.length ?? 0;
    checkpointer?.committed(batchBytes);
    batch = [];
    batchBytes = 0;
  };
  const flush = () => commit(false);
  /** Queues a piece for the next batch (committed by pace()); false when the corpus already has it. */
  const queue = (piece: NewPiece): boolean => {
    if (known.has(piece.contentHash)) {
      report.duplicates++;
      return false;
    }
    known.add(piece.contentHash);
    batch.push(piece);
    batchBytes += writeCostOf(piece);
    return true;
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

  try {
    for (let i = 0; i < sources.length; i++) {
      await pace();
      if (options.signal?.aborted) {
        commit(true);
        report.corpus = ensureCorpus();
        report.elapsedMs = performance.now() - startMs;
        throw new ImportCancelledError(report);
      }
      const source = sources[i];
      progress?.({ phase: 'importing', current: i, total: sources.length, detail: source.path });
      if (source.kind === 'midi') {
        const result = pool?.handles(i) ? await pool.get(i) : await processMidiHere(source, i, known, melodySource);
        if (result.kind === 'duplicate') report.duplicates++;
        else if (result.kind === 'failure') report.failed.push(result.failure);
        else if (queue(result.piece) && result.warning) report.warnings.push(result.warning);
        continue;
      }
      let parsed: ReturnType<typeof piecesFromJson>;
      try {
        const pending = source.read();
        const bytes = pending instanceof Promise ? await pending : pending;
        parsed = piecesFromJson(bytes, source, {
          ...(options.stepsPerQuarter !== undefined ? { stepsPerQuarter: options.stepsPerQuarter } : {}),
        });
      } catch (err) {
        report.failed.push(toImportFailure(source.path, err));
        continue;
      }
      report.failed.push(...parsed.failed);
      // A JSON corpus can hold thousands of pieces: they are committed in batches as files are (and a storage error
      // stops the import, as it does for files, rather than passing for this file's failure).
      for (const piece of parsed.pieces) {
        queue(piece);
        await pace();
      }
    }
    // The last batch, and the end of the import: one transaction. It also creates the corpus when no file could be
    // imported (the user asked for it by name).
    commit(true);
  } catch (err) {
    // An import that fails in this process (a full disk) was reported to its user: it leaves no importer behind.
    if (owned && corpus && !(err instanceof ImportCancelledError)) {
      const id = corpus.id;
      try {
        library.db.transaction(() => releaseOwner(id))();
      } catch {
        // The disk refuses even that: once this process ends, the corpus shows as interrupted.
      }
    }
    throw err;
  } finally {
    checkpointer?.close();
    pool?.close();
    progress?.({ phase: 'importing', current: sources.length, total: sources.length });
    progress?.flush();
  }
  const created = ensureCorpus();
  report.corpus = library.corpora.getCorpus(created.id) ?? created;
  report.elapsedMs = performance.now() - startMs;
  return report;
}
