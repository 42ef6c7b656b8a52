// SPDX-License-Identifier: MIT
/** A library in a fresh folder holding a few Nottingham tunes (melody and chord parts), for compose tests. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLibrary, type Library } from '../../../src/main/db';
import { importPaths } from '../../../src/main/services/importService';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const nottinghamMidiDir = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');

export interface FolkLibrary {
  dir: string;
  library: Library;
  close(): void;
}

/**
 * Opens a library in a new temporary folder (named from `prefix`) and imports the first `count` Nottingham MIDI files
 * by name as the corpus "Folk".
 * @throws Error when fewer than `count` pieces were imported (the data moved, or the importer changed)
 */
export async function openFolkLibrary(prefix: string, count = 10): Promise<FolkLibrary> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const library = openLibrary(path.join(dir, 'library.db'), { onSlowQuery: () => {} });
  const files = readdirSync(nottinghamMidiDir)
    .filter((f) => f.endsWith('.mid'))
    .sort()
    .slice(0, count)
    .map((f) => path.join(nottinghamMidiDir, f));
  const report = await importPaths(library, files, { corpusName: 'Folk' });
  if (report.imported !== count) throw new Error(`imported ${report.imported} of ${count} Nottingham tunes`);
  return {
    dir,
    library,
    close() {
      library.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
