// SPDX-License-Identifier: MIT
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportPieceMidi } from '../../main/services/exportService';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand } from '../types';

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Write a piece of a corpus as a MIDI file',
  usage: `etude export CORPUS PIECE [--out FILE.mid]

  PIECE is a piece id or its exact name (as listed by \`etude pieces CORPUS\` or the Library screen).
  --out FILE  where to write (default <piece>.mid in the current folder)`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('export', args, { out: { type: 'string', short: 'o' } });
    if (positionals.length !== 2)
      throw new UsageError(
        'export: give a corpus and a piece, e.g. etude export Folk ashover1 --out tune.mid',
        'export',
      );
    const result = exportPieceMidi(ctx.library(), positionals[0], positionals[1]);
    const file = path.resolve(ctx.cwd, values.out ?? result.fileName);
    writeFileSync(file, result.bytes);
    const notes = result.sequence.tracks.reduce((n, t) => n + t.notes.length, 0);
    ctx.out(`wrote ${file} (${notes} notes, ${result.bytes.length} bytes)`);
    return 0;
  },
};
