// SPDX-License-Identifier: MIT
import { importStateOf } from '../../main/services/importState';
import { deleteCorpus, libraryLocation, listCorpora, renameCorpus } from '../../main/services/library';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand } from '../types';

export const corporaCommand: CliCommand = {
  name: 'corpora',
  summary: 'List the corpora in the library with their piece counts',
  usage: `etude corpora [--json]
       etude corpora rename OLD NEW
       etude corpora delete NAME --yes

  --json  print the list as JSON (for scripts)
  delete removes the corpus and its pieces; models trained on it are kept.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('corpora', args, {
      json: { type: 'boolean' },
      yes: { type: 'boolean' },
    });
    const [action, ...rest] = positionals;
    if (action === 'rename') {
      if (rest.length !== 2) throw new UsageError('corpora rename: give the old and the new name', 'corpora');
      const renamed = renameCorpus(ctx.library(), rest[0], rest[1]);
      ctx.out(`renamed "${rest[0]}" to "${renamed.name}"`);
      return 0;
    }
    if (action === 'delete') {
      if (rest.length !== 1) throw new UsageError('corpora delete: give one corpus name', 'corpora');
      if (!values.yes)
        throw new UsageError(
          `corpora delete: this removes "${rest[0]}" and all its pieces; add --yes to confirm`,
          'corpora',
        );
      const deleted = deleteCorpus(ctx.library(), rest[0]);
      ctx.out(`deleted "${deleted.name}" (${deleted.pieces} pieces)`);
      return 0;
    }
    if (action !== undefined)
      throw new UsageError(`corpora: unknown action "${action}" (rename, delete, or nothing to list)`, 'corpora');
    const corpora = listCorpora(ctx.library());
    if (values.json) {
      ctx.out(
        JSON.stringify(
          corpora.map((c) => ({
            id: c.id,
            name: c.name,
            pieces: c.pieceCount,
            sixteenths: c.totalSixteenths,
            importState: importStateOf(c),
          })),
        ),
      );
      return 0;
    }
    if (corpora.length === 0) {
      ctx.out(
        `No corpora yet in ${libraryLocation(ctx.library())}. Import some with: etude import <folder> --corpus NAME`,
      );
      return 0;
    }
    const nameWidth = Math.max(6, ...corpora.map((c) => c.name.length));
    ctx.out(`${'corpus'.padEnd(nameWidth)}  ${'pieces'.padStart(7)}  ${'sixteenths'.padStart(11)}  updated`);
    for (const c of corpora) {
      const state = importStateOf(c);
      const note =
        state === 'interrupted'
          ? '  import interrupted: run the same import again to complete it'
          : state === 'importing'
            ? '  importing'
            : '';
      ctx.out(
        `${c.name.padEnd(nameWidth)}  ${String(c.pieceCount).padStart(7)}  ${String(c.totalSixteenths).padStart(11)}  ${new Date(c.updatedAt).toISOString().slice(0, 16).replace('T', ' ')}${note}`,
      );
    }
    return 0;
  },
};
