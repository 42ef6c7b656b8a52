// SPDX-License-Identifier: MIT
/**
 * Import from bytes: what the renderer uploads (file input, folder input, drag and drop) arrives as
 * { name, relativePath?, bytes } instead of paths. Same steps as the path importer: hash, parse,
 * encode the melody, insert in batches (one transaction per batch), skip duplicates by content hash,
 * collect per-file failures by the name the user knows, report progress, stop between files on abort.
 */
import { createHash } from 'node:crypto';
import { encodeMelody, type MelodySource } from '../../core/encoding/melody';
import { throttleProgress, throwIfAborted, type ProgressSink } from '../../core/jobs/progress';
import { parseMidi } from '../../core/midi/readMidi';
import type { NoteSequence } from '../../core/music/NoteSequence';
import type { Library } from '../db/open';
import type { NewPiece, PieceMetadata } from '../db/types';

export interface UploadedFile {
  name: string;
  /** Path inside a chosen/dropped folder; shown in failure lists when present. */
  relativePath?: string;
  bytes: Uint8Array;
}

export interface ImportFilesOptions {
  corpusName: string;
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  /** Which notes form the melody of a multi-part MIDI file (default 'first-part'). */
  melodySource?: MelodySource;
  /** Pieces per insert transaction (default 200). */
  batchSize?: number;
}

export interface ImportFilesReport {
  corpusName: string;
  /** Files looked at. */
  files: number;
  imported: number;
  duplicates: number;
  failed: { name: string; code: string; reason: string }[];
}

const MIDI_NAME = /\.(mid|midi|smf|kar)$/i;
// Give the event loop a turn at least this often, so IPC / WebSocket traffic is served during a big import.
const YIELD_EVERY_MS = 30;

/** The content hash the library de-duplicates by: SHA-256 of the file's bytes, hex. */
export function contentHashOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function metadataOf(seq: NoteSequence, melodySource: MelodySource): PieceMetadata {
  return {
    ppq: seq.ppq,
    trackCount: seq.tracks.length,
    tracks: seq.tracks.map((t) => ({ name: t.name, program: t.program, channel: t.channel, noteCount: t.notes.length })),
    tempos: seq.tempos.map((t) => ({ tick: t.tick, bpm: t.bpm })),
    timeSignatures: seq.timeSignatures.map((t) => ({ tick: t.tick, numerator: t.numerator, denominator: t.denominator })),
    keySignatures: seq.keySignatures.map((k) => ({ tick: k.tick, key: k.key, scale: k.scale })),
    melodySource,
  };
}

function stripExtension(name: string): string {
  return name.replace(/\.[^./\\]+$/, '');
}

/**
 * Imports uploaded MIDI files into a corpus (created when missing).
 * Files that are not MIDI by name are reported as UNSUPPORTED_FILE; unreadable ones with the
 * parser's code (MIDI_TRUNCATED, MIDI_NOT_MIDI, ...). Never throws for a bad file.
 * @throws CancelledError when `signal` fires (pieces inserted so far stay: each batch is committed).
 */
export async function importFiles(library: Library, files: readonly UploadedFile[], options: ImportFilesOptions): Promise<ImportFilesReport> {
  const melodySource = options.melodySource ?? 'first-part';
  const batchSize = options.batchSize ?? 200;
  const corpus = library.corpora.getOrCreateCorpus(options.corpusName);
  const known = library.pieces.existingHashes(corpus.id);
  const progress = options.onProgress ? throttleProgress(options.onProgress) : undefined;
  const report: ImportFilesReport = { corpusName: corpus.name, files: files.length, imported: 0, duplicates: 0, failed: [] };

  let batch: NewPiece[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const result = library.pieces.insertPieces(corpus.id, batch);
    report.imported += result.inserted.length;
    report.duplicates += result.duplicates.length;
    for (const piece of batch) known.add(piece.contentHash);
    batch = [];
  };

  let lastYield = Date.now();
  for (let i = 0; i < files.length; i++) {
    throwIfAborted(options.signal);
    const file = files[i];
    const shownName = file.relativePath || file.name;
    progress?.({ phase: 'importing', current: i, total: files.length, detail: shownName });
    if (!MIDI_NAME.test(file.name)) {
      report.failed.push({ name: shownName, code: 'UNSUPPORTED_FILE', reason: 'not a MIDI file (.mid or .midi); skipped' });
      continue;
    }
    const contentHash = contentHashOf(file.bytes);
    if (known.has(contentHash) || batch.some((p) => p.contentHash === contentHash)) {
      report.duplicates++;
      continue;
    }
    try {
      const seq = parseMidi(file.bytes, shownName);
      const tokens = encodeMelody(seq, { source: melodySource });
      batch.push({
        name: stripExtension(file.name),
        sourcePath: file.relativePath ?? file.name,
        contentHash,
        format: 'midi',
        split: null,
        metadata: metadataOf(seq, melodySource),
        sequence: seq,
        melodyTokens: Uint8Array.from(tokens),
        pianoRollFrames: null,
        noteCount: seq.tracks.reduce((n, t) => n + t.notes.length, 0),
      });
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown };
      report.failed.push({
        name: shownName,
        code: typeof e.code === 'string' ? e.code : 'IMPORT_FAILED',
        reason: typeof e.message === 'string' ? e.message : String(err),
      });
    }
    if (batch.length >= batchSize) flush();
    if (Date.now() - lastYield >= YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
  }
  flush();
  progress?.({ phase: 'importing', current: files.length, total: files.length });
  progress?.flush();
  return report;
}
