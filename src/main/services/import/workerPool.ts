// SPDX-License-Identifier: MIT
/**
 * Parallel MIDI parsing: worker threads (src/main/workers/importWorker.ts, reached by URL, never imported) read, hash,
 * parse and encode; the database stays in the calling thread.
 */
import type { Worker } from 'node:worker_threads';
import type { MelodySource } from '../../../core/encoding/melody';
import { toImportFailure } from './failures';
import { sha256Hex } from './hashing';
import { pieceFromMidi } from './midiPiece';
import type { ImportSource, ImportWorkerRequest, ImportWorkerResult } from './types';

/** Files per message to a worker: large enough to amortise messaging, small enough to balance load. */
const WORKER_CHUNK = 24;
/** Parallel parsing pays off only above this many files (a worker costs ~50-100 ms to start). */
export const MIN_FILES_FOR_WORKERS = 64;

/** Computes one MIDI source in this thread (fallback and small imports). */
export async function processMidiHere(
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
    return { index, kind: 'piece', ...pieceFromMidi(bytes, source, contentHash, melodySource) };
  } catch (err) {
    return { index, kind: 'failure', failure: toImportFailure(source.path, err) };
  }
}

/**
 * Hands MIDI sources to worker threads ahead of the consumer, at most a few chunks per worker in
 * flight (bounded memory), and returns results in whatever order the consumer asks. A worker that
 * fails makes its chunks (and all later ones) run in this thread instead: slower, never lost.
 */
export class MidiParsePool {
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
      const worker = new WorkerClass(new URL('../../workers/importWorker.mjs', import.meta.url));
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
