// SPDX-License-Identifier: MIT
/**
 * Whether a corpus holds a whole import. An import commits its pieces in batches; the corpus row names the importing
 * process from the first batch to the last (migration 0070). A corpus with no owner is complete; one whose owner still
 * runs is being imported; one whose owner is gone (killed, crashed, power cut) holds only part of that import: it is
 * shown as interrupted, and re-running the same import completes it (pieces already there are skipped by hash).
 */
import os from 'node:os';
import type { Corpus, ImportOwner } from '../db/types';
import { processExists } from './trainingLease';

export type CorpusImportState = 'complete' | 'importing' | 'interrupted';

/** The owner an import in this process writes. */
export function thisImporter(): ImportOwner {
  return { pid: process.pid, host: os.hostname() };
}

/** Whether the importer still runs. On another host its pid cannot be checked: it counts as running. */
export function isImporterLive(owner: ImportOwner, host = os.hostname()): boolean {
  return owner.host !== host || processExists(owner.pid);
}

/** complete, importing (its importer runs) or interrupted (its importer is gone: re-run the import). */
export function importStateOf(corpus: Pick<Corpus, 'importOwner'>, host = os.hostname()): CorpusImportState {
  if (!corpus.importOwner) return 'complete';
  return isImporterLive(corpus.importOwner, host) ? 'importing' : 'interrupted';
}
