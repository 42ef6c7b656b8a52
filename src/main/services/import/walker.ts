// SPDX-License-Identifier: MIT
/** Paths -> importable sources: folders walked (sorted, links followed once), files read in one go. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ImportFileError, MAX_IMPORT_FILE_BYTES, type ImportFailure, type ImportSource } from './types';

const MIDI_EXTENSION = /\.midi?$/i;
const JSON_EXTENSION = /\.json$/i;

function kindOf(fileName: string): ImportSource['kind'] | null {
  if (MIDI_EXTENSION.test(fileName)) return 'midi';
  if (JSON_EXTENSION.test(fileName)) return 'json';
  return null;
}

function folderNamedLikeAFile(kind: ImportSource['kind']): string {
  return `this is a folder named like a ${kind === 'midi' ? 'MIDI' : 'JSON'} file, not a file`;
}

function stripExtension(name: string): string {
  return name.replace(/\.(midi?|json)$/i, '');
}

/**
 * Reads a whole file synchronously. Deliberate: one openSync/fstatSync/readSync/closeSync costs
 * ~10 µs here, while fs.promises.readFile makes four thread-pool round trips per file and was the
 * biggest cost of a 3,000-file import. The import loop yields to the event loop between files
 * (see SLICE_MS in importService.ts), so Ctrl-C and progress still get through.
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
 * name looks like a MIDI or JSON file (x.mid, x.json) is reported NOT_A_FILE rather than walked.
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
        if (kind !== null) failed.push({ path: full, code: 'NOT_A_FILE', reason: folderNamedLikeAFile(kind) });
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
      if (kind !== null) failed.push({ path: full, code: 'NOT_A_FILE', reason: folderNamedLikeAFile(kind) });
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
