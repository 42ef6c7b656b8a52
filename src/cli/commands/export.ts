// SPDX-License-Identifier: MIT
import path from 'node:path';
import { writeFileAtomicallySync } from '../../main/services/atomicFile';
import { EXPORT_FORMATS, exportGeneration, exportPiece, type ExportFormat } from '../../main/services/exportService';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand } from '../types';

const STAVES = ['auto', 'one', 'grand'] as const;

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Write a piece of a corpus or a generation as a MIDI or MusicXML file',
  usage: `etude export CORPUS PIECE [--format midi|musicxml] [--out FILE]
etude export --generation ID [--format midi|musicxml] [--out FILE]

  PIECE is a piece id or its exact name (as listed by \`etude pieces CORPUS\` or the Library screen).
  --generation ID  a stored generation instead of a piece (the number \`etude generate\` prints as "generation #ID")
  --format F       midi (default) or musicxml: MusicXML 4.0 for MuseScore, Sibelius, Dorico (key, meter, tempo)
  --staves S       MusicXML only: auto (default: a grand staff for one polyphonic part spanning middle C), one, grand
  --chords C       MusicXML only: detect (default: chord symbols named from the accompaniment, e.g. a chord track) or none
  --out FILE       where to write (default <name>.mid or <name>.musicxml in the current folder)`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('export', args, {
      out: { type: 'string', short: 'o' },
      format: { type: 'string', short: 'f' },
      generation: { type: 'string', short: 'g' },
      staves: { type: 'string' },
      chords: { type: 'string' },
    });
    const format = (values.format ?? 'midi') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) {
      throw new UsageError(`export: --format must be ${EXPORT_FORMATS.join(' or ')}, got: ${values.format}`, 'export');
    }
    const staves = (values.staves ?? 'auto') as (typeof STAVES)[number];
    if (!STAVES.includes(staves)) {
      throw new UsageError(`export: --staves must be ${STAVES.join(', ')}, got: ${values.staves}`, 'export');
    }
    const chords = values.chords ?? 'detect';
    if (chords !== 'detect' && chords !== 'none') {
      throw new UsageError(`export: --chords must be detect or none, got: ${values.chords}`, 'export');
    }
    if ((values.staves !== undefined || values.chords !== undefined) && format !== 'musicxml') {
      throw new UsageError('export: --staves and --chords apply to --format musicxml only', 'export');
    }
    const musicXml = { staves, detectChords: chords === 'detect' };
    let result;
    if (values.generation !== undefined) {
      if (positionals.length !== 0)
        throw new UsageError('export: give either --generation ID or a corpus and a piece, not both', 'export');
      const id = Number(values.generation.replace(/^#/, ''));
      if (!Number.isInteger(id) || id <= 0)
        throw new UsageError(`export: --generation takes a generation number, got: ${values.generation}`, 'export');
      result = exportGeneration(ctx.library(), id as Parameters<typeof exportGeneration>[1], format, musicXml);
    } else {
      if (positionals.length !== 2)
        throw new UsageError(
          'export: give a corpus and a piece, e.g. etude export Folk ashover1 --out tune.mid (or --generation ID)',
          'export',
        );
      result = exportPiece(ctx.library(), positionals[0], positionals[1], format, musicXml);
    }
    const file = path.resolve(ctx.cwd, values.out ?? result.fileName);
    writeFileAtomicallySync(file, result.bytes);
    const notes = result.sequence.tracks.reduce((n, t) => n + t.notes.length, 0);
    ctx.out(`wrote ${file} (${notes} notes, ${result.bytes.length} bytes)`);
    return 0;
  },
};
