// SPDX-License-Identifier: MIT
/** Corpora as main reports them, refreshed after imports, renames and deletes. */
import type { CorpusDto, CorpusStatsDto, ImportReportDto } from '../../../../shared/dto';
import { app } from './app.svelte';
import { jobs } from './jobs.svelte';
import { batchFiles, triageFiles, type LocalSkip, type PickedFile } from '../util/fileCollect';

export interface ImportRun {
  corpusName: string;
  jobIds: string[];
  /** Files sent to main. */
  sent: number;
  imported: number;
  duplicates: number;
  failed: { name: string; reason: string }[];
  /** Files imported but not whole (cut short): the sentence says what was lost. */
  warnings: { name: string; message: string }[];
  finishedJobs: number;
  running: boolean;
}

class LibraryStore {
  corpora = $state.raw<CorpusDto[]>([]);
  loading = $state(false);
  stats = $state.raw<CorpusStatsDto | null>(null);
  importRun = $state<ImportRun | null>(null);

  constructor() {
    jobs.onFinishedJob((job) => {
      const run = this.importRun;
      if (job.kind !== 'import' || !run || !run.jobIds.includes(job.id)) return;
      run.finishedJobs += 1;
      if (job.status === 'done' && job.result) {
        const report = job.result as ImportReportDto;
        run.imported += report.imported;
        run.duplicates += report.duplicates;
        // Reasons often start with the file's name again; the list already shows it.
        run.failed.push(
          ...report.failed.map((f) => ({
            name: f.name,
            reason: f.reason.startsWith(`${f.name}: `) ? f.reason.slice(f.name.length + 2) : f.reason,
          })),
        );
        run.warnings.push(...report.warnings.map((w) => ({ name: w.name, message: w.message })));
      } else if (job.status === 'failed') {
        run.failed.push({ name: `batch ${run.finishedJobs}`, reason: job.error?.message ?? 'the import failed' });
      }
      if (run.finishedJobs >= run.jobIds.length) {
        run.running = false;
        void this.refresh();
        if (this.stats?.corpusName === run.corpusName) void this.loadStats(run.corpusName);
      }
    });
  }

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      this.corpora = await app.requireApi().call('library:listCorpora', {});
    } catch (error) {
      app.fail('Could not list corpora', error, { label: 'Retry', run: () => void this.refresh() });
    } finally {
      this.loading = false;
    }
  }

  async loadStats(corpusName: string): Promise<void> {
    try {
      this.stats = await app.requireApi().call('library:corpusStats', { corpusName });
    } catch (error) {
      app.fail(`Could not read the statistics of “${corpusName}”`, error, {
        label: 'Retry',
        run: () => void this.loadStats(corpusName),
      });
    }
  }

  /** Send picked files as bytes, in contract-sized batches; per-file failures gather in importRun. */
  /**
   * `stepsPerQuarter`: frames per quarter note of piano-roll JSON files that do not state it themselves (main refuses
   * such a file without it rather than guess).
   */
  async importFiles(corpusName: string, picked: readonly PickedFile[], stepsPerQuarter?: number): Promise<void> {
    const { send, skipped } = triageFiles(picked);
    const run: ImportRun = {
      corpusName,
      jobIds: [],
      sent: send.length,
      imported: 0,
      duplicates: 0,
      failed: skipped.map((s: LocalSkip) => ({ name: s.name, reason: s.reason })),
      warnings: [],
      finishedJobs: 0,
      running: send.length > 0,
    };
    this.importRun = run;
    const live = this.importRun;
    if (send.length === 0) {
      app.toast('error', `Nothing to import: none of the ${picked.length} file(s) is a MIDI or JSON corpus file.`);
      return;
    }
    for (const batch of batchFiles(send)) {
      try {
        const files = await Promise.all(
          batch.map(async (f) => ({
            name: f.name,
            relativePath: f.relativePath,
            bytes: new Uint8Array(await f.file.arrayBuffer()),
          })),
        );
        const { jobId } = await app.requireApi().call('library:importFiles', {
          corpusName,
          files,
          ...(stepsPerQuarter !== undefined ? { stepsPerQuarter } : {}),
        });
        jobs.track(jobId, 'import');
        live.jobIds.push(jobId);
      } catch (error) {
        const failure = app.fail(`Could not import into “${corpusName}”`, error, {
          label: 'Retry',
          run: () => void this.importFiles(corpusName, picked, stepsPerQuarter),
        });
        live.failed.push(...batch.map((f) => ({ name: f.relativePath ?? f.name, reason: failure.message })));
        live.running = false;
        return;
      }
    }
  }

  /** Electron only: main shows its own dialog. Returns false when this door cannot (UNSUPPORTED). */
  async importWithDialog(corpusName: string, mode: 'files' | 'folder'): Promise<boolean> {
    try {
      const { jobId } = await app.requireApi().call('library:importDialog', { corpusName, mode });
      if (jobId) {
        jobs.track(jobId, 'import');
        this.importRun = {
          corpusName,
          jobIds: [jobId],
          sent: 0,
          imported: 0,
          duplicates: 0,
          failed: [],
          warnings: [],
          finishedJobs: 0,
          running: true,
        };
      }
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'UNSUPPORTED') return false;
      app.fail('Could not open the import dialog', error);
      return true;
    }
  }

  async rename(corpusName: string, newName: string): Promise<void> {
    try {
      await app.requireApi().call('library:renameCorpus', { corpusName, newName });
      if (this.stats?.corpusName === corpusName) await this.loadStats(newName);
      app.toast('info', `Renamed “${corpusName}” to “${newName}”.`);
    } catch (error) {
      app.fail(`Could not rename “${corpusName}”`, error);
    }
    await this.refresh();
  }

  async remove(corpusName: string): Promise<void> {
    try {
      await app.requireApi().call('library:deleteCorpus', { corpusName });
      if (this.stats?.corpusName === corpusName) this.stats = null;
      app.toast('info', `Deleted “${corpusName}”.`);
    } catch (error) {
      app.fail(`Could not delete “${corpusName}”`, error);
    }
    await this.refresh();
  }
}

export const library = new LibraryStore();
