// SPDX-License-Identifier: MIT
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ENGINE_CHOICES, isEngineChoice } from '../../core/engine/select';
import { CancelledError } from '../../core/jobs/progress';
import { importPaths } from '../../main/services/importService';
import { firstMelodyOfCorpus } from '../../main/services/library';
import { trainModel } from '../../main/services/training';
import { bundledDefaultModelPath, generateFromLibrary, meterOf, suggestKey } from '../../main/services/generation';
import type { SeedInput } from '../../main/services/generationRequest';
import { COMMON_TIME, sixteenthsPerBar } from '../../core/music/meter';
import { parseCommandArgs } from '../args';
import { createProgressBar } from '../progressBar';
import { runGenerationInWorker } from '../../main/jobs/generationWorkerRunner';
import { UsageError, type CliCommand } from '../types';
import { controlFields, GENERATION_FLAG_OPTIONS, keyLine, readGenerationFlags, writeVariations } from './generate';
import { numberFlag, printTrainSummary } from './train';

export const composeCommand: CliCommand = {
  name: 'compose',
  summary: 'Import MIDI, fine-tune the default model on it, and write new melodies (the main job)',
  usage: `etude compose <midi files or folders> [options]

  Imports the files into a corpus, fine-tunes the bundled default model on them (a short run already gives music),
  then writes new melodies that start like your first piece.
  --out DIR             where to write the .mid files (default: the current folder)
  --epochs N            fine-tuning epochs (default 5)
  --corpus NAME         corpus to import into (default: compose-<first file name>)
  --model NAME          name of the new model (default: <corpus>-<time>)
  --from-scratch        train a new default-size model instead of fine-tuning the bundled one
  --threads N           wasm engine threads
  plus every \`etude generate\` option: --seed-notes --temperature --bars --meter --variations --random-seed --bpm
  --key --strictness --range --humanise --loop --loop-tries --form --engine. The takes keep the first piece's tempo and meter.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('compose', args, {
      ...GENERATION_FLAG_OPTIONS,
      epochs: { type: 'string' },
      corpus: { type: 'string' },
      model: { type: 'string' },
      'from-scratch': { type: 'boolean' },
      threads: { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError('compose: name at least one MIDI file or folder', 'compose');
    const engine = values.engine ?? 'auto';
    if (!isEngineChoice(engine))
      throw new UsageError(`compose: --engine must be one of ${ENGINE_CHOICES.join(', ')}, got "${engine}"`, 'compose');
    const epochs = numberFlag('compose', 'epochs', values.epochs, { integer: true, min: 1, max: 1000 }) ?? 5;
    const threads = numberFlag('compose', 'threads', values.threads, { integer: true, min: 1, max: 64 });
    const flags = readGenerationFlags('compose', values, ctx);
    if (values.continue !== undefined || values.append)
      throw new UsageError('compose: to continue a clip, use `etude generate MODEL --continue CLIP.mid`', 'compose');
    const first = path.basename(positionals[0]).replace(/\.(midi?|json)$/i, '');
    const corpusName = values.corpus ?? `compose-${first}`;
    const modelName =
      values.model ?? `${corpusName}-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;
    const library = ctx.library();
    const bar = createProgressBar({ stream: ctx.stderr, interactive: ctx.interactive });
    try {
      const report = await importPaths(
        library,
        positionals.map((p) => path.resolve(ctx.cwd, p)),
        { corpusName, signal: ctx.signal, onProgress: (p) => bar.update(p) },
      );
      bar.done();
      ctx.out(
        `Imported into "${corpusName}": ${report.imported} new, ${report.duplicates} already there, ${report.failed.length} failed`,
      );
      for (const f of report.failed) ctx.out(`  failed ${f.code}: ${f.path}: ${f.reason}`);
      const firstMelody = firstMelodyOfCorpus(library, report.corpus.name);
      if (!firstMelody)
        throw new UsageError(`compose: nothing could be imported from ${positionals.join(', ')}`, 'compose');

      const defaultPath = bundledDefaultModelPath();
      const fineTune = !values['from-scratch'] && existsSync(defaultPath);
      if (!values['from-scratch'] && !fineTune)
        ctx.err(`note: the bundled default model (${defaultPath}) is missing; training from scratch.`);
      const result = await trainModel(
        library,
        {
          corpusName,
          modelName,
          training: { epochs, earlyStoppingPatience: 0 },
          engine,
          threads: threads ?? 'auto',
          ...(fineTune ? { fineTuneFrom: new Uint8Array(readFileSync(defaultPath)) } : {}),
        },
        { signal: ctx.signal, onProgress: (p) => bar.update(p) },
      );
      bar.done();
      printTrainSummary(result, ctx, fineTune ? 'Fine-tuned the default model as' : 'Trained');

      // Start like the first piece: its first bar, with its tempo and meter, unless --seed-notes says otherwise.
      let seed: SeedInput | undefined = flags.seed;
      if (!seed) {
        const piece = library.pieces.getPiece(firstMelody.pieceId);
        const bpm = piece?.sequence?.tempos[0]?.bpm;
        const timeSignature = piece?.sequence ? meterOf(piece.sequence) : undefined;
        const tokens = Array.from(firstMelody.tokens);
        const barSteps = sixteenthsPerBar(timeSignature ?? COMMON_TIME);
        let start = 0;
        while (start < tokens.length && tokens[start] === 129) start++;
        start -= start % barSteps; // skip whole bars of silence only: the opening stays on the bar grid
        const opening = tokens.slice(start, start + barSteps);
        seed = opening.some((t) => t < 128)
          ? {
              tokens: opening,
              ...(bpm ? { bpm } : {}),
              ...(timeSignature ? { timeSignature } : {}),
              description: `the first bar of ${firstMelody.name}`,
            }
          : { pitches: [60] };
      }
      // The key suggestion: the corpus' most likely key (all its melodies together).
      const corpusKey = suggestKey(
        library.pieces.getMelodyTokens(report.corpus.id).flatMap((row) => Array.from(row.tokens)),
      );
      const generated = await generateFromLibrary(
        library,
        {
          model: modelName,
          seed,
          temperature: flags.temperature,
          bars: flags.bars,
          variations: flags.variations,
          randomSeed: flags.randomSeed,
          engine,
          ...controlFields(flags),
        },
        { signal: ctx.signal, onProgress: (p) => bar.update(p), runner: runGenerationInWorker },
      );
      bar.done();
      ctx.out(
        `Composed ${generated.variations.length} melody(ies) with "${modelName}" from ${generated.seedDescription}:`,
      );
      ctx.out(`  ${keyLine(generated, corpusKey)} [suggestion: the corpus' most likely key]`);
      writeVariations(generated, path.resolve(ctx.cwd, values.out ?? '.'), ctx, flags.randomSeed, {
        temperature: flags.temperature,
        bars: flags.bars,
        ...(flags.humanise !== undefined ? { humanise: flags.humanise } : {}),
        index: values.out !== undefined,
      });
      return 0;
    } catch (err) {
      bar.done();
      if (err instanceof CancelledError) {
        ctx.err('Cancelled.');
        return 130;
      }
      throw err;
    }
  },
};
