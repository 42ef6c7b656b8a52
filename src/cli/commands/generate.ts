// SPDX-License-Identifier: MIT
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENGINE_CHOICES, isEngineChoice } from '../../core/engine/select';
import {
  generateFromLibrary,
  parseSeedArgument,
  type GenerateResult,
  type SeedInput,
} from '../../main/services/generation';
import { safeFileName } from '../../main/services/exportService';
import { runGenerationInWorker } from '../../main/jobs/generationWorkerRunner';
import { CancelledError } from '../../core/jobs/progress';
import { createProgressBar } from '../progressBar';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand, type CliContext } from '../types';
import { engineLine, numberFlag } from './train';

/** Writes each variation as <out>/<model>-seed<randomSeed>-<k>.mid and prints one line per file. */
export function writeVariations(result: GenerateResult, outDir: string, ctx: CliContext, randomSeed: number): string[] {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const v of result.variations) {
    const file = path.join(outDir, safeFileName(`${result.modelName}-seed${randomSeed}-${v.index + 1}`));
    writeFileSync(file, v.midi);
    files.push(file);
    const notes = v.sequence.tracks[0].notes.length;
    const note = v.degenerate
      ? ` (still degenerate after ${v.retries} re-samples: ${v.degenerate})`
      : v.retries
        ? ` (re-sampled ${v.retries}x: ${v.rejected.join('; ')})`
        : '';
    ctx.out(
      `  ${file}: ${notes} notes, ${v.tokens.length / 16} bars at ${result.bpm} bpm, generation #${v.generationId}${note}`,
    );
  }
  return files;
}

export interface GenerationFlags {
  seed?: SeedInput;
  temperature: number;
  bars: number;
  variations: number;
  randomSeed: number;
  bpm?: number;
}

export const GENERATION_FLAG_OPTIONS = {
  'seed-notes': { type: 'string' },
  temperature: { type: 'string' },
  bars: { type: 'string' },
  variations: { type: 'string' },
  'random-seed': { type: 'string' },
  bpm: { type: 'string' },
  out: { type: 'string', short: 'o' },
  engine: { type: 'string' },
} as const;

/** Reads the flags shared by generate and compose. */
export function readGenerationFlags(
  command: string,
  values: Record<string, string | boolean | undefined>,
  ctx: CliContext,
): GenerationFlags {
  const s = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  return {
    ...(s('seed-notes') ? { seed: parseSeedArgument(s('seed-notes')!, ctx.cwd) } : {}),
    temperature: numberFlag(command, 'temperature', s('temperature'), { min: 0.05, max: 5 }) ?? 1,
    bars: numberFlag(command, 'bars', s('bars'), { integer: true, min: 1, max: 256 }) ?? 8,
    variations: numberFlag(command, 'variations', s('variations'), { integer: true, min: 1, max: 64 }) ?? 1,
    randomSeed: numberFlag(command, 'random-seed', s('random-seed'), { integer: true, min: 0, max: 2 ** 32 - 1 }) ?? 1,
    ...(s('bpm') ? { bpm: numberFlag(command, 'bpm', s('bpm'), { min: 4, max: 400 }) } : {}),
  };
}

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'Compose melodies with a trained model (or the bundled default)',
  usage: `etude generate MODEL [options]

  MODEL                 a model name from \`etude models\`, or "default" (the bundled JSB-soprano model)
  --seed-notes S        how the melody starts: a pitch (60 or C4), several (C4,E4,G4: a quarter note each),
                        or a MIDI file (its first two bars). Default C4.
  --temperature T       0.05..5: below 1 safer, above 1 wilder (default 1)
  --bars N              length in 4/4 bars, seed included (default 8)
  --variations N        how many melodies (default 1)
  --random-seed N       same seed + settings + model = same notes (default 1)
  --bpm N               tempo of the MIDI (default: the seed file's, else 100)
  --out DIR             where to write the .mid files (default: the current folder)
  --engine E            ${ENGINE_CHOICES.join('|')} (default auto)
  Each variation is also stored in the library with its request.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('generate', args, GENERATION_FLAG_OPTIONS);
    if (positionals.length !== 1) throw new UsageError('generate: name exactly one model (or "default")', 'generate');
    const engine = values.engine ?? 'auto';
    if (!isEngineChoice(engine))
      throw new UsageError(
        `generate: --engine must be one of ${ENGINE_CHOICES.join(', ')}, got "${engine}"`,
        'generate',
      );
    const flags = readGenerationFlags('generate', values, ctx);
    // The engine runs in a worker thread, so Ctrl-C (ctx.signal) is heard mid-variation and stops it within a token.
    const bar = createProgressBar({ stream: ctx.stderr, interactive: ctx.interactive });
    let result: GenerateResult;
    try {
      result = await generateFromLibrary(
        ctx.library(),
        {
          model: positionals[0],
          seed: flags.seed ?? { pitches: [60] },
          temperature: flags.temperature,
          bars: flags.bars,
          variations: flags.variations,
          randomSeed: flags.randomSeed,
          engine,
          ...(flags.bpm ? { bpm: flags.bpm } : {}),
        },
        { signal: ctx.signal, onProgress: (p) => bar.update(p), runner: runGenerationInWorker },
      );
    } catch (err) {
      bar.done();
      if (err instanceof CancelledError) {
        ctx.err('Cancelled; nothing was stored.');
        return 130;
      }
      throw err;
    }
    bar.done();
    ctx.out(
      `Generated ${result.variations.length} variation(s) with "${result.modelName}" from ${result.seedDescription}, temperature ${flags.temperature}, random seed ${flags.randomSeed}:`,
    );
    writeVariations(result, path.resolve(ctx.cwd, values.out ?? '.'), ctx, flags.randomSeed);
    ctx.out(`  ${engineLine(result.engine)}`);
    return 0;
  },
};
