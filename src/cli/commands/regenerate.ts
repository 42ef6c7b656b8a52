// SPDX-License-Identifier: MIT
/**
 * `etude regenerate`: regenerate bars of a melody in a MIDI file (infill, src/core/model/infill.ts), or bars x a
 * pitch range of every note of a polyphonic piece (src/core/model/polyInfill.ts), the rest kept as it is; the same
 * service as the Compose card's Regenerate bars (src/main/services/infillGeneration.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { extractMelody } from '../../core/encoding/melody';
import { parseMidi } from '../../core/midi/readMidi';
import { writeMidi } from '../../core/midi/writeMidi';
import { COMMON_TIME } from '../../core/music/meter';
import { barAt, meterMapOf } from '../../core/music/meterMap';
import type { Note } from '../../core/music/NoteSequence';
import { parsePitchRange } from '../../core/music/scales';
import { GRAND_STAFF_SPLIT } from '../../core/model/takes';
import { regenerateSelection, regeneratesPolyphonic } from '../../main/services/infillGeneration';
import { meterOf } from '../../main/services/generation';
import { writeFileAtomicallySync } from '../../main/services/atomicFile';
import { describeIssues } from '../../main/ipc/handlers';
import { regenerateRequestSchema } from '../../shared/regenerate';
import { parseCommandArgs, parseFlag } from '../args';
import { UsageError, type CliCommand } from '../types';

export const regenerateCommand: CliCommand = {
  name: 'regenerate',
  summary: 'Regenerate bars (and, polyphonic, a pitch range) of a MIDI file, leading into the bars after them',
  usage: `etude regenerate FILE.mid --bars FROM-TO [--pitches LOW-HIGH] [--model NAME] [--take ID] [--temperature T]
  [--seed N] [--candidates K] [--out FILE]

  Draws bars FROM..TO (counted from 1, both included; bar 1 cannot be: the model starts from the music before) of
  the file's melody again, K candidates (default 12) weighted by how likely the model finds the bar after them; every
  note outside those bars is kept. Prints the seam score (mean log-probability per sixteenth of the following bar)
  after regeneration and after a plain left-to-right draw of the same bars.
  With a polyphonic model (biaxial-lstm, bi-lstm) every note of the file is the take, and only the notes inside the
  bars AND the pitch range are drawn again (the others stay note for note); the output has two staves.
  --bars FROM-TO   e.g. 4-5, or 4 for one bar
  --pitches LOW-HIGH  a polyphonic model's pitches to draw again, e.g. C4-B5 or 60-83 (default: all)
  --model NAME     a library model (default: the bundled one)
  --take ID        the stored take (generation id) the file came from: its key/range lock and chords steer the bars
  --temperature T  sampling temperature (default 1)
  --seed N         random seed (default 1): the same seed, file and model give the same notes
  --out FILE       where to write (default <file>-regenerated.mid)`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('regenerate', args, {
      bars: { type: 'string', short: 'b' },
      model: { type: 'string', short: 'm' },
      temperature: { type: 'string', short: 't' },
      seed: { type: 'string', short: 's' },
      candidates: { type: 'string' },
      pitches: { type: 'string' },
      take: { type: 'string' },
      out: { type: 'string', short: 'o' },
    });
    if (positionals.length !== 1)
      throw new UsageError('regenerate: give one MIDI file, e.g. etude regenerate take.mid --bars 4-5', 'regenerate');
    const range = /^(\d+)(?:-(\d+))?$/.exec(values.bars ?? '');
    if (!range)
      throw new UsageError(`regenerate: --bars takes FROM-TO, e.g. 4-5, got: ${values.bars ?? '(none)'}`, 'regenerate');
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    const pitches =
      values.pitches === undefined
        ? undefined
        : parseFlag('regenerate', '--pitches', () => parsePitchRange(values.pitches!));
    const file = path.resolve(ctx.cwd, positionals[0]);
    const sequence = parseMidi(new Uint8Array(readFileSync(file)), path.basename(file));
    const polyphonic = regeneratesPolyphonic(ctx.library(), values.model ?? 'default');
    if (pitches && !polyphonic)
      throw new UsageError(
        'regenerate: --pitches selects notes of a polyphonic take; a melody model regenerates whole bars, so leave it out',
        'regenerate',
      );
    const notes: Note[] = polyphonic
      ? sequence.tracks
          .filter((t) => !t.isPercussion)
          .flatMap((t) => t.notes)
          .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch)
      : extractMelody(sequence);
    if (notes.length === 0)
      throw new UsageError(`regenerate: ${file} has no ${polyphonic ? '' : 'melody '}notes`, 'regenerate');
    // The infill counts bars of one meter (core/model/infill.ts): a file whose meter changes would be cut wrongly.
    const map = sequence.timeSignatures.length > 1 ? meterMapOf(sequence.timeSignatures) : [];
    if (map.length > 1) {
      const change = map[1];
      throw new UsageError(
        `regenerate: ${file} changes meter (${map[0].numerator}/${map[0].denominator} -> ${change.numerator}/${change.denominator} at bar ${barAt(map, sequence.ppq, change.tick).index + 1}); regenerating bars works on files in one meter for now`,
        'regenerate',
      );
    }
    const meter = meterOf(sequence) ?? COMMON_TIME;
    const barTicks = (sequence.ppq * 4 * meter.numerator) / meter.denominator;
    const end = Math.max(...notes.map((n) => n.startTick + n.durationTicks));
    const bars = Math.max(1, Math.ceil(end / barTicks - 1e-9));
    if (from < 2)
      throw new UsageError(
        'regenerate: bar 1 cannot be regenerated (the model starts from the music before the selection); use --bars 2 or later',
        'regenerate',
      );
    if (to < from)
      throw new UsageError(`regenerate: --bars ${values.bars}: the selection ends before it starts`, 'regenerate');
    if (to > bars)
      throw new UsageError(
        `regenerate: --bars ${values.bars}: ${file} has ${bars} bar${bars === 1 ? '' : 's'}`,
        'regenerate',
      );
    const parsed = regenerateRequestSchema.safeParse({
      model: values.model ?? 'default',
      notes,
      ppq: sequence.ppq,
      bars,
      fromBar: from - 1,
      toBar: to,
      temperature: values.temperature === undefined ? 1 : Number(values.temperature),
      randomSeed: values.seed === undefined ? 1 : Number(values.seed),
      timeSignature: meter,
      ...(values.candidates !== undefined ? { candidates: Number(values.candidates) } : {}),
      ...(pitches ? { pitches } : {}),
      ...(values.take !== undefined ? { generationId: values.take } : {}),
    });
    if (!parsed.success) throw new UsageError(`regenerate: ${describeIssues(parsed.error)}`, 'regenerate');
    const result = await regenerateSelection(ctx.library(), parsed.data, { signal: ctx.signal });
    const out = path.resolve(ctx.cwd, values.out ?? `${path.basename(file).replace(/\.midi?$/i, '')}-regenerated.mid`);
    const track = (name: string, channel: number, list: Note[]) => ({
      name,
      program: 0,
      channel,
      isPercussion: false,
      notes: list,
    });
    // A polyphonic take is written on two staves split at middle C, as generated takes are.
    const tracks = polyphonic
      ? [
          track(
            'Right hand',
            0,
            result.notes.filter((n) => n.pitch >= GRAND_STAFF_SPLIT),
          ),
          track(
            'Left hand',
            1,
            result.notes.filter((n) => n.pitch < GRAND_STAFF_SPLIT),
          ),
        ]
      : [track('Melody', 0, result.notes)];
    writeFileAtomicallySync(out, writeMidi({ ...sequence, tracks }));
    const seam = result.seam
      ? `seam ${result.seam.infill.toFixed(3)} (left-to-right ${result.seam.leftToRight.toFixed(3)})`
      : 'nothing follows the selection: no seam to score';
    const what = pitches ? `bars ${from}-${to} x pitches ${values.pitches}` : `bars ${from}-${to}`;
    ctx.out(`regenerated ${what} of ${bars}: ${result.candidates} candidates, kept #${result.kept}; ${seam}`);
    ctx.out(`wrote ${out} (${result.notes.length} notes)`);
    return 0;
  },
};
