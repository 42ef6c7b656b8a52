// SPDX-License-Identifier: MIT
import path from 'node:path';
import { pitchName } from '../../core/music/keys';
import { writeFileAtomicallySync } from '../../main/services/atomicFile';
import { safeFileName } from '../../main/services/paths';
import { corpusStats, histogramSvg, histogramText } from '../../main/services/stats';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand } from '../types';

export const statsCommand: CliCommand = {
  name: 'stats',
  summary: 'Show a corpus\u2019 token statistics and write its histogram as SVG',
  usage: `etude stats CORPUS [--svg FILE] [--no-svg] [--json]

  Prints pieces, length, pitch range, unused pitches and the melody token histogram (log-scale bars).
  --svg FILE  where to write the chart (default <corpus>-histogram.svg in the current folder)
  --no-svg    print only
  --json      print the statistics as JSON instead of the table`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('stats', args, {
      svg: { type: 'string' },
      'no-svg': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('stats: name exactly one corpus (see `etude corpora`)', 'stats');
    const stats = corpusStats(ctx.library(), positionals[0]);
    if (values.json) ctx.out(JSON.stringify(stats));
    else {
      const range = stats.pitchRange
        ? `${pitchName(stats.pitchRange.lowest)} (${stats.pitchRange.lowest}) to ${pitchName(stats.pitchRange.highest)} (${stats.pitchRange.highest})`
        : 'no notes';
      const len = stats.lengthSixteenths;
      ctx.out(`corpus            ${stats.corpusName}`);
      ctx.out(
        `pieces            ${stats.pieces}  (${
          Object.entries(stats.formats)
            .map(([f, n]) => `${n} ${f}`)
            .join(', ') || 'none'
        })`,
      );
      if (stats.piecesWithoutMelody > 0)
        ctx.out(
          `                  ${stats.piecesWithoutMelody} without a melody (piano roll only) left out of the melody statistics`,
        );
      const splitText = Object.entries(stats.splits)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ');
      if (Object.keys(stats.splits).some((s) => s !== 'none')) ctx.out(`splits            ${splitText}`);
      ctx.out(
        `total sixteenths  ${stats.totalSixteenths}  (per piece min ${len.min}, mean ${len.mean.toFixed(1)}, max ${len.max})`,
      );
      ctx.out(`melody notes      ${stats.melodyNotes}`);
      ctx.out(`pitch range       ${range}`);
      ctx.out(
        `unused pitches    ${stats.unusedPitches.length} of 128${
          stats.unusedPitches.length < 128
            ? ` (outside the range: ${stats.unusedPitches.filter((p) => stats.pitchRange && (p < stats.pitchRange.lowest || p > stats.pitchRange.highest)).length}; inside: ${
                stats.unusedPitches
                  .filter((p) => stats.pitchRange && p > stats.pitchRange.lowest && p < stats.pitchRange.highest)
                  .map(pitchName)
                  .join(' ') || 'none'
              })`
            : ''
        }`,
      );
      ctx.out('');
      ctx.out('token histogram (count, log-scale bar)');
      for (const line of histogramText(stats)) ctx.out(line);
    }
    if (!values['no-svg']) {
      const file = path.resolve(ctx.cwd, values.svg ?? safeFileName(`${stats.corpusName}-histogram`, '.svg'));
      writeFileAtomicallySync(file, histogramSvg(stats));
      ctx.err(`wrote ${file}`);
    }
    return 0;
  },
};
