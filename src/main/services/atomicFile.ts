// SPDX-License-Identifier: MIT
/**
 * Saving a file the user named (a MIDI or WAV export, a model file, an eval checkpoint) all at once as far as readers
 * see: into a hidden sibling first, then renamed over the name. A crash, a full disk or a kill mid-write never leaves
 * a truncated file under that name, and an older file the user chose to replace stays whole until the new one is
 * complete. The sibling is removed when the write or the rename fails. Every door's saves go through here (Electron's
 * save dialogs, the CLI's --out, the eval scripts' --state), so the rule lives in one place.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

let partialSeq = 0;

/** The hidden sibling of `file` one write goes through: unique per write, so two saves under one name never share it. */
function partialSibling(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${++partialSeq}.partial`);
}

/** Writes `bytes` to `file` whole or not at all (see the module comment). */
export async function writeFileAtomically(file: string, bytes: Uint8Array | string): Promise<void> {
  const partial = partialSibling(file);
  try {
    await writeFile(partial, bytes);
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

/** writeFileAtomically for the CLI's synchronous commands. */
export function writeFileAtomicallySync(file: string, bytes: Uint8Array | string): void {
  const partial = partialSibling(file);
  try {
    writeFileSync(partial, bytes);
    renameSync(partial, file);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}
