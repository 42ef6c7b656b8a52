// SPDX-License-Identifier: MIT
/**
 * Gathering files from file inputs, folder inputs and drops into import batches. Bytes are sent
 * over the contract (the renderer never names paths), chunked to the contract's per-call limits.
 */
import { MAX_IMPORT_FILE_BYTES, MAX_IMPORT_FILES, MAX_IMPORT_TOTAL_BYTES } from '../../../../shared/dto';

export interface PickedFile {
  name: string;
  relativePath?: string;
  file: File;
}

export interface LocalSkip {
  name: string;
  reason: string;
}

const IMPORTABLE = /\.(mid|midi|kar|smf|json)$/i;

export function isImportable(name: string): boolean {
  return IMPORTABLE.test(name);
}

/** Split picked files into what to send and what to skip here, with the reason shown by name. */
export function triageFiles(files: readonly PickedFile[]): { send: PickedFile[]; skipped: LocalSkip[] } {
  const send: PickedFile[] = [];
  const skipped: LocalSkip[] = [];
  for (const f of files) {
    const shown = f.relativePath ?? f.name;
    if (f.name.startsWith('.')) continue; // .DS_Store and friends: not the user's music
    if (!isImportable(f.name)) skipped.push({ name: shown, reason: 'not a MIDI (.mid/.midi) or JSON corpus file' });
    else if (f.file.size > MAX_IMPORT_FILE_BYTES)
      skipped.push({ name: shown, reason: `larger than ${MAX_IMPORT_FILE_BYTES / 1024 / 1024} MiB` });
    else send.push(f);
  }
  return { send, skipped };
}

/** Batches within the contract's file-count and byte limits, in order. */
export function batchFiles(files: readonly PickedFile[]): PickedFile[][] {
  const batches: PickedFile[][] = [];
  let current: PickedFile[] = [];
  let bytes = 0;
  for (const f of files) {
    if (current.length && (current.length >= MAX_IMPORT_FILES || bytes + f.file.size > MAX_IMPORT_TOTAL_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.file.size;
  }
  if (current.length) batches.push(current);
  return batches;
}

export function fromFileList(list: FileList | null): PickedFile[] {
  if (!list) return [];
  return Array.from(list, (file) => ({
    name: file.name,
    relativePath: file.webkitRelativePath || undefined,
    file,
  }));
}

/** Walk dropped items, descending into dropped folders (webkitGetAsEntry). */
export async function fromDataTransfer(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(dt.items)
    .map((item) => item.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return fromFileList(dt.files);
  const out: PickedFile[] = [];
  for (const entry of entries) await walkEntry(entry, '', out);
  return out;
}

async function walkEntry(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ name: file.name, relativePath: prefix ? path : undefined, file });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries answers in pages (about 100 in Chromium) until it answers an empty one.
  for (;;) {
    const page = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (page.length === 0) break;
    for (const child of page) await walkEntry(child, path, out);
  }
}
