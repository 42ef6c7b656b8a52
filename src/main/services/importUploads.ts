// SPDX-License-Identifier: MIT
/**
 * Import from bytes: what the renderer uploads (file input, folder input, drag and drop) arrives as
 * { name, relativePath?, bytes } instead of paths. It goes through the same pipeline as files on
 * disk (importSources in ./importService: hash, parse, encode, batched inserts, duplicates by
 * content hash, per-file failures, throttled progress, cancel between files); this module only
 * turns uploads into sources and the report into the contract's shape.
 */
import type { MelodySource } from '../../core/encoding/melody';
import type { ProgressSink } from '../../core/jobs/progress';
import type { Library } from '../db/open';
import type { ImportReportDto } from '../../shared/dto';
import { importReportDto } from './dto';
import { importSources, type ImportSource } from './importService';

export interface UploadedFile {
  name: string;
  /** Path inside a chosen/dropped folder ("folk/reels/a.mid"); shown in failure lists when present. */
  relativePath?: string;
  bytes: Uint8Array;
}

export interface ImportFilesOptions {
  corpusName: string;
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  /** Which notes form the melody of a multi-part MIDI file (default 'first-part'). */
  melodySource?: MelodySource;
  /** Frames per quarter note of piano-roll JSON files that do not state it (see import/jsonCorpus.ts). */
  stepsPerQuarter?: number;
}

/** The contract's import report (src/shared/dto.ts importReportSchema). */
export type ImportFilesReport = ImportReportDto;

const MIDI_NAME = /\.(mid|midi)$/i;
const JSON_NAME = /\.json$/i;

/**
 * Like the path importer: the name relative to the folder that was chosen, without extension.
 * A folder upload's relativePath starts with that folder's own name ("folk/reels/a.mid" -> "reels/a").
 */
function pieceNameOf(file: UploadedFile): string {
  const segments = (file.relativePath || file.name).split(/[\\/]/).filter(Boolean);
  const relative = segments.length > 1 ? segments.slice(1).join('/') : (segments[0] ?? file.name);
  return relative.replace(/\.[^./\\]+$/, '') || file.name;
}

/**
 * Imports uploaded MIDI files (and JSON corpora: token melodies, piano-roll splits) into a corpus,
 * created when missing. Other files are reported as UNSUPPORTED_FILE; unreadable ones with the
 * parser's code (MIDI_TRUNCATED, MIDI_NOT_MIDI, ...). Never throws for a bad file.
 * @throws ImportCancelledError (a CancelledError, code CANCELLED) when `signal` fires; batches
 *   committed before that stay, and importing again skips them.
 */
export async function importFiles(
  library: Library,
  files: readonly UploadedFile[],
  options: ImportFilesOptions,
): Promise<ImportFilesReport> {
  const sources: ImportSource[] = [];
  const unsupported: ImportFilesReport['failed'] = [];
  for (const file of files) {
    const shownName = file.relativePath || file.name;
    const kind = MIDI_NAME.test(file.name) ? 'midi' : JSON_NAME.test(file.name) ? 'json' : undefined;
    if (!kind) {
      unsupported.push({
        name: shownName,
        code: 'UNSUPPORTED_FILE',
        reason: 'not a MIDI file (.mid or .midi) or a JSON corpus; skipped',
      });
      continue;
    }
    sources.push({
      path: shownName,
      pieceName: pieceNameOf(file),
      kind,
      read: () => file.bytes,
    });
  }
  const report = await importSources(library, sources, {
    corpusName: options.corpusName,
    signal: options.signal,
    onProgress: options.onProgress,
    melodySource: options.melodySource,
    ...(options.stepsPerQuarter !== undefined ? { stepsPerQuarter: options.stepsPerQuarter } : {}),
    // Uploads have no file a worker could read; parsing stays in this thread (it yields between files).
    workers: 0,
  });
  const dto = importReportDto(report);
  // Files of a kind we do not read never reached the importer: they count as looked at, and as failed.
  return { ...dto, files: files.length, failed: [...dto.failed, ...unsupported] };
}
