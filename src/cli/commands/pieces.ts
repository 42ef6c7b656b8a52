// SPDX-License-Identifier: MIT
import { countPiecesOfCorpus, listPiecesOfCorpus } from '../../main/services/library';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand } from '../types';
import { numberFlag } from './train';

export const piecesCommand: CliCommand = {
  name: 'pieces',
  summary: 'List the pieces of a corpus (ids and names for `etude export`)',
  usage: `etude pieces CORPUS [--limit N] [--offset N] [--json]

  --limit N   at most N pieces (default 100)
  --offset N  skip the first N
  --json      print JSON (for scripts)`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('pieces', args, {
      limit: { type: 'string' },
      offset: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1)
      throw new UsageError('pieces: name exactly one corpus (see `etude corpora`)', 'pieces');
    const limit = numberFlag('pieces', 'limit', values.limit, { integer: true, min: 1, max: 1_000_000 }) ?? 100;
    const offset = numberFlag('pieces', 'offset', values.offset, { integer: true, min: 0, max: 1_000_000_000 }) ?? 0;
    const library = ctx.library();
    const pieces = listPiecesOfCorpus(library, positionals[0], { limit, offset });
    if (values.json) {
      ctx.out(JSON.stringify(pieces));
      return 0;
    }
    const total = countPiecesOfCorpus(library, positionals[0]);
    ctx.out(
      `${'id'.padStart(7)}  ${'format'.padEnd(14)}  ${'split'.padEnd(5)}  ${'notes'.padStart(6)}  ${'16ths'.padStart(6)}  name`,
    );
    for (const p of pieces) {
      ctx.out(
        `${String(p.id).padStart(7)}  ${p.format.padEnd(14)}  ${(p.split ?? '-').padEnd(5)}  ${String(p.noteCount).padStart(6)}  ${String(p.sixteenths).padStart(6)}  ${p.name}`,
      );
    }
    if (offset + pieces.length < total)
      ctx.out(`… ${total - offset - pieces.length} more (use --offset ${offset + pieces.length})`);
    return 0;
  },
};
