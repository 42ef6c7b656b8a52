// SPDX-License-Identifier: MIT
import type { MelodySource } from '../../core/encoding/melody';
import { ImportCancelledError, importPaths, type ImportReport } from '../../main/services/importService';
import { MAX_STEPS_PER_QUARTER } from '../../main/services/import/jsonCorpus';
import { numberFlag } from './train';
import { parseCommandArgs } from '../args';
import { createProgressBar } from '../progressBar';
import { UsageError, type CliCommand, type CliContext } from '../types';

const MELODY_SOURCES: MelodySource[] = ['first-part', 'most-notes', 'merged'];

function printReport(report: ImportReport, ctx: CliContext, verb: string): void {
  ctx.out(
    `${verb} "${report.corpus.name}": ${report.imported} imported, ${report.duplicates} duplicates, ` +
      `${report.failed.length} failed (${report.files} files in ${(report.elapsedMs / 1000).toFixed(1)} s` +
      `${report.ignoredFiles ? `, ${report.ignoredFiles} other files ignored` : ''})`,
  );
  for (const failure of report.failed) ctx.out(`  failed ${failure.code}: ${failure.path}: ${failure.reason}`);
  for (const warning of report.warnings) ctx.out(`  warning ${warning.code}: ${warning.message}`);
}

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'Import MIDI files, folders and JSON corpora into a corpus',
  usage: `etude import <paths...> --corpus NAME [--melody first-part|most-notes|merged] [--steps-per-quarter N]

  Folders are searched recursively for .mid/.midi/.json files; other files are skipped.
  Files already in the corpus (same bytes) are counted as duplicates and skipped.
  --corpus NAME   the corpus to add to (created if it does not exist)
  --melody WHICH  which part of a MIDI file becomes the training melody (default first-part)
  --steps-per-quarter N
                  frames per quarter note of piano-roll JSON files that do not say it themselves
                  (1 for the Boulanger-Lewandowski benchmark files, 4 for sixteenths); never guessed
  Ctrl-C cancels; pieces imported so far are kept.
  Exit code 0 when anything was imported or all were duplicates, 1 when every file failed.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('import', args, {
      corpus: { type: 'string', short: 'c' },
      melody: { type: 'string' },
      'steps-per-quarter': { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError('import: name at least one file or folder to import', 'import');
    if (!values.corpus) throw new UsageError('import: --corpus NAME is required (the corpus to import into)', 'import');
    const melody = (values.melody ?? 'first-part') as MelodySource;
    if (!MELODY_SOURCES.includes(melody)) {
      throw new UsageError(
        `import: --melody must be one of ${MELODY_SOURCES.join(', ')}, got "${values.melody}"`,
        'import',
      );
    }
    const stepsPerQuarter = numberFlag('import', 'steps-per-quarter', values['steps-per-quarter'], {
      integer: true,
      min: 1,
      max: MAX_STEPS_PER_QUARTER,
    });
    const library = ctx.library();
    const bar = createProgressBar({ stream: ctx.stderr, interactive: ctx.interactive });
    try {
      const report = await importPaths(library, positionals, {
        corpusName: values.corpus,
        melodySource: melody,
        ...(stepsPerQuarter !== undefined ? { stepsPerQuarter } : {}),
        signal: ctx.signal,
        onProgress: (p) => bar.update(p),
      });
      bar.done();
      printReport(report, ctx, 'Imported into');
      return report.imported === 0 && report.duplicates === 0 && report.failed.length > 0 ? 1 : 0;
    } catch (err) {
      bar.done();
      if (err instanceof ImportCancelledError) {
        printReport(err.report, ctx, 'Cancelled; kept in');
        return 130;
      }
      throw err;
    }
  },
};
