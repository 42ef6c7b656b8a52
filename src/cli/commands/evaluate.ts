// SPDX-License-Identifier: MIT
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ENGINE_CHOICES, isEngineChoice } from '../../core/engine/select';
import { CancelledError } from '../../core/jobs/progress';
import { parsePitchName } from '../../core/music/keys';
import { runGenerationInWorker } from '../../main/jobs/generationWorkerRunner';
import { writeFileAtomicallySync } from '../../main/services/atomicFile';
import { evaluateModel, evaluationLines, evaluationPlots, type Evaluation } from '../../main/services/evaluation';
import { parseCommandArgs, parseFlag } from '../args';
import { createProgressBar } from '../progressBar';
import { UsageError, type CliCommand } from '../types';
import { numberFlag } from './train';

export const evaluateCommand: CliCommand = {
  name: 'evaluate',
  summary: 'Measure a model: N generated takes side by side with its corpus (quality report + SVG plots)',
  usage: `etude evaluate MODEL [--against CORPUS] [--takes N] [--bars B] [--out DIR] [options]

  MODEL               a model name from \`etude models\`, or "default" (the bundled JSB-soprano model)
  --against CORPUS    the corpus to compare with (default: the model's own corpus; for "default",
                      the soprano lines of the JSB chorales it learnt)
  --takes N           takes to generate, 1..256 (default 16); none is stored in the library
  --bars B            bars per take, seed included, 2..256 (default 16)
  --temperature T     0.05..5 (default 1)
  --random-seed N     (default 1)
  --seed-notes S      seed pitches, a quarter note each (default C4,D4,E4,F4)
  --out DIR           where to write pitch-classes.svg and note-lengths.svg (default: the current folder)
  --json              print the report as JSON instead of the table
  --engine E          ${ENGINE_CHOICES.join('|')} (default auto)

  Each measure is given as mean ± std [min..max] over the takes and over the corpus pieces: in-key share
  (the best-fitting of the 24 diatonic keys), pitch range, notes per bar, empty-bar share, longest stretch
  without a new note (a held note is none), repeated 1- and 2-bar patterns, the pitch-class histogram's
  Jensen-Shannon distance to the corpus', and copying (the longest run of notes a take shares with a corpus
  piece, transposition-invariant). The validation NLL is the checkpoint's last recorded one.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('evaluate', args, {
      against: { type: 'string' },
      takes: { type: 'string' },
      bars: { type: 'string' },
      temperature: { type: 'string' },
      'random-seed': { type: 'string' },
      'seed-notes': { type: 'string' },
      out: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
      engine: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('evaluate: name exactly one model (or "default")', 'evaluate');
    const engine = values.engine ?? 'auto';
    if (!isEngineChoice(engine))
      throw new UsageError(
        `evaluate: --engine must be one of ${ENGINE_CHOICES.join(', ')}, got "${engine}"`,
        'evaluate',
      );
    const takes = numberFlag('evaluate', 'takes', values.takes, { integer: true, min: 1, max: 256 }) ?? 16;
    const bars = numberFlag('evaluate', 'bars', values.bars, { integer: true, min: 2, max: 256 }) ?? 16;
    const temperature = numberFlag('evaluate', 'temperature', values.temperature, { min: 0.05, max: 5 }) ?? 1;
    const randomSeed =
      numberFlag('evaluate', 'random-seed', values['random-seed'], { integer: true, min: 0, max: 2 ** 32 - 1 }) ?? 1;
    const seedNotes = values['seed-notes'];
    const seedPitches =
      seedNotes === undefined
        ? undefined
        : parseFlag('evaluate', '--seed-notes', () => seedNotes.split(',').map((p) => parsePitchName(p)));
    const bar = createProgressBar({ stream: ctx.stderr, interactive: ctx.interactive });
    let evaluation: Evaluation;
    try {
      evaluation = await evaluateModel(
        ctx.library(),
        {
          model: positionals[0],
          ...(values.against !== undefined ? { against: values.against } : {}),
          takes,
          bars,
          temperature,
          randomSeed,
          ...(seedPitches ? { seedPitches } : {}),
          engine,
        },
        { signal: ctx.signal, onProgress: (p) => bar.update(p), runner: runGenerationInWorker },
      );
    } catch (err) {
      bar.done();
      if (err instanceof CancelledError) {
        ctx.err('Cancelled.');
        return 130;
      }
      throw err;
    }
    bar.done();
    if (values.json) ctx.out(JSON.stringify(evaluation));
    else for (const line of evaluationLines(evaluation)) ctx.out(line);
    const outDir = path.resolve(ctx.cwd, values.out ?? '.');
    mkdirSync(outDir, { recursive: true });
    for (const [name, svg] of Object.entries(evaluationPlots(evaluation))) {
      const file = path.join(outDir, name);
      writeFileAtomicallySync(file, svg);
      ctx.err(`wrote ${file}`);
    }
    return 0;
  },
};
