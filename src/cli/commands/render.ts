// SPDX-License-Identifier: MIT
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSoundBank } from '../../core/audio/renderMidi';
import { RELEASE_TAIL_SEC } from '../../core/audio/renderLength';
import { CancelledError } from '../../core/jobs/progress';
import { parseMidi } from '../../core/midi/readMidi';
import { bundledSoundFontPath } from '../../main/services/audioExport';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand } from '../types';
import { renderWavFile } from '../wavRender';

export const renderCommand: CliCommand = {
  name: 'render',
  summary: 'Render a MIDI take to a WAV file through the bundled SoundFont (sampled piano and more)',
  usage: `etude render TAKE.mid OUT.wav [--loop] [--bars N] [--soundfont FILE]

  Each track plays the General MIDI program its file names (etude generate writes piano, program 0).
  The WAV is the take's bars (the end of its last note, up to a whole bar) plus ${RELEASE_TAIL_SEC} s of release,
  44.1 kHz 16-bit stereo, its loudest sample at -1 dBFS.
  --loop            a loop take (etude generate --loop): exactly its bars, the release folded onto the start
  --bars N          the take's length in bars of its first meter, instead of reading it from its notes
  --soundfont FILE  another .sf2/.sf3 instead of resources/soundfont/etude-gm.sf3
  A render that runs past a second shows its progress on stderr; Ctrl-C stops it and writes nothing.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('render', args, {
      loop: { type: 'boolean' },
      bars: { type: 'string' },
      soundfont: { type: 'string' },
    });
    if (positionals.length !== 2)
      throw new UsageError('render: give a MIDI file and a WAV file, e.g. etude render take.mid take.wav', 'render');
    const [input, output] = positionals.map((p) => path.resolve(ctx.cwd, p)) as [string, string];
    const bars = values.bars === undefined ? undefined : Number(values.bars);
    if (bars !== undefined && (!Number.isInteger(bars) || bars < 1 || bars > 10_000))
      throw new UsageError(
        `render: --bars takes a whole number of bars from 1 to 10000, got: ${values.bars}`,
        'render',
      );
    if (!existsSync(input)) throw new UsageError(`render: there is no file ${input}`, 'render');
    const midi = readFileSync(input);
    // Read here, before any worker starts: a file that is not MIDI is said at once, naming the file.
    const sequence = parseMidi(midi, path.basename(input));
    const fontPath = values.soundfont ? path.resolve(ctx.cwd, values.soundfont) : bundledSoundFontPath();
    if (values.soundfont) {
      // The user's own file is checked here to say what is wrong with it; the worker reads it again (~30 ms).
      try {
        await loadSoundBank(readFileSync(fontPath));
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new UsageError(
          `render: ${fontPath} is not a SoundFont (.sf2/.sf3) that can be read: ${reason}`,
          'render',
        );
      }
    }
    let endTick: number | undefined;
    if (bars !== undefined) {
      const meter = sequence.timeSignatures[0] ?? { numerator: 4, denominator: 4 };
      endTick = (bars * sequence.ppq * 4 * meter.numerator) / meter.denominator;
    }
    let seconds: number;
    try {
      seconds = await renderWavFile(
        {
          midi,
          loop: values.loop === true,
          sourceName: path.basename(input),
          ...(endTick !== undefined ? { endTick } : {}),
        },
        fontPath,
        output,
        ctx,
      );
    } catch (err) {
      if (err instanceof CancelledError) {
        ctx.err(`Cancelled; ${output} was not written.`);
        return 130;
      }
      throw err;
    }
    ctx.out(`wrote ${output} (${seconds.toFixed(3)} s, ${path.basename(fontPath)})`);
    return 0;
  },
};
