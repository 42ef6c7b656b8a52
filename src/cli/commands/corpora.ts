// SPDX-License-Identifier: MIT
import { listCorpora } from '../../main/services/library';
import { parseCommandArgs } from '../args';
import type { CliCommand } from '../types';

export const corporaCommand: CliCommand = {
  name: 'corpora',
  summary: 'List the corpora in the library with their piece counts',
  usage: `etude corpora [--json]

  --json  print the list as JSON (for scripts)`,
  async run(args, ctx) {
    const { values } = parseCommandArgs('corpora', args, { json: { type: 'boolean' } });
    const corpora = listCorpora(ctx.library());
    if (values.json) {
      ctx.out(JSON.stringify(corpora.map((c) => ({ id: c.id, name: c.name, pieces: c.pieceCount, sixteenths: c.totalSixteenths }))));
      return 0;
    }
    if (corpora.length === 0) {
      ctx.out(`No corpora yet in ${ctx.library().path}. Import some with: etude import <folder> --corpus NAME`);
      return 0;
    }
    const nameWidth = Math.max(6, ...corpora.map((c) => c.name.length));
    ctx.out(`${'corpus'.padEnd(nameWidth)}  ${'pieces'.padStart(7)}  ${'sixteenths'.padStart(11)}  updated`);
    for (const c of corpora) {
      ctx.out(
        `${c.name.padEnd(nameWidth)}  ${String(c.pieceCount).padStart(7)}  ${String(c.totalSixteenths).padStart(11)}  ${new Date(c.updatedAt).toISOString().slice(0, 16).replace('T', ' ')}`,
      );
    }
    return 0;
  },
};
