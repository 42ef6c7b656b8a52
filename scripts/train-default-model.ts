// SPDX-License-Identifier: MIT
/**
 * Trains the bundled default model: the thesis' melody LSTM (DEFAULT_MELODY_SPEC) on the SOPRANO line of the JSB
 * chorales (public domain), train split for training, valid split for validation.
 *
 *   node --import tsx scripts/train-default-model.ts [--epochs 30] [--minutes 35] [--engine auto] [--threads auto]
 *
 * Writes resources/default-model/default.etude-ckpt (weights only, no optimizer state: ~4.5 MB) each time validation
 * loss improves, so the file always holds the best epoch so far and an interrupted run still leaves a usable model,
 * and resources/default-model/README.md with the command, corpus, epochs, losses, engine and time.
 * --minutes stops starting new epochs once the budget would be exceeded.
 * --continue starts from the weights, epoch count and loss history of the existing default.etude-ckpt (with a fresh
 * Adam, since the shipped file has no optimizer state) and only overwrites it when validation loss improves on it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/core/model/checkpoint';
import { DEFAULT_MELODY_SPEC, DEFAULT_TRAINING, type TrainingConfig } from '../src/core/model/spec';
import { parameterCount, getModelDefinition } from '../src/core/model/registry';
import type { TokenPiece } from '../src/core/model/windows';
import { trainLoop } from '../src/core/training/trainLoop';
import { isEngineChoice, selectEngine } from '../src/core/engine/select';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpusPath = path.resolve(repoRoot, '../shared/data/jsb-chorales/Jsb16thSeparated.json');
const outDir = path.join(repoRoot, 'resources/default-model');

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/**
 * Soprano (voice 0) of 16th-note frames -> melody-130 tokens: a pitch that differs from the previous frame's (or follows
 * silence) is a note-on, the same pitch again is a hold (129), silence after a note is a note-off (128), silence after
 * silence is 129. Repeated same-pitch notes merge: this corpus does not mark re-articulations.
 */
export function sopranoTokens(frames: number[][]): number[] {
  const tokens: number[] = [];
  let previous = -1;
  for (const frame of frames) {
    const pitch = frame.length > 0 && frame[0] >= 0 ? Math.round(frame[0]) : -1;
    if (pitch >= 0) tokens.push(pitch === previous ? 129 : pitch);
    else tokens.push(previous >= 0 ? 128 : 129);
    previous = pitch;
  }
  return tokens;
}

async function main() {
  const epochs = Number(flag('epochs', '30'));
  const minutes = Number(flag('minutes', '0'));
  const engineChoice = flag('engine', 'auto');
  const threadsFlag = flag('threads', 'auto');
  if (!isEngineChoice(engineChoice))
    throw new Error(`--engine must be auto, wasm, tfjs-cpu, tfjs-node or tfjs-node-gpu, got: ${engineChoice}`);
  const corpus = JSON.parse(readFileSync(corpusPath, 'utf8')) as Record<'train' | 'valid' | 'test', number[][][]>;
  const toPieces = (split: 'train' | 'valid'): TokenPiece[] =>
    corpus[split].map((frames, i) => ({ name: `${split}-${i}`, tokens: sopranoTokens(frames) }));
  const spec = DEFAULT_MELODY_SPEC;
  const training: TrainingConfig = { ...DEFAULT_TRAINING, epochs, earlyStoppingPatience: 4 };
  const { buildBatches } = getModelDefinition(spec.kind);
  const train = buildBatches(spec, toPieces('train'));
  const valid = buildBatches(spec, toPieces('valid'));
  const engine = await selectEngine({
    engine: engineChoice,
    threads: threadsFlag === 'auto' ? 'auto' : Number(threadsFlag),
  });
  console.log(`${engine.info.description}${engine.info.fallbackReason ? ` (${engine.info.fallbackReason})` : ''}`);
  console.log(
    `JSB soprano: ${corpus.train.length} train / ${corpus.valid.length} valid chorales, ${train.size} / ${valid.size} windows, ${parameterCount(spec)} parameters`,
  );
  const previous: Checkpoint | undefined = process.argv.includes('--continue')
    ? decodeCheckpoint(new Uint8Array(readFileSync(path.join(outDir, 'default.etude-ckpt'))))
    : undefined;
  if (previous) console.log(`continuing from epoch ${previous.epoch} (valLoss ${previous.metrics.valLoss})`);
  const model = await engine.createModel(spec, training, previous?.weights);
  const started = Date.now();
  const budgetMs = minutes > 0 ? minutes * 60_000 : Infinity;
  let best = typeof previous?.metrics.valLoss === 'number' ? previous.metrics.valLoss : Infinity;
  let lastEpochMs = 0;
  let epochStart = Date.now();
  const controller = new AbortController();
  mkdirSync(outDir, { recursive: true });
  const thisCommand = `node --import tsx scripts/train-default-model.ts ${process.argv.slice(2).join(' ')}`.trim();
  // A continued run keeps the earlier commands (from the README it is about to replace), so the file says how it was made.
  let earlier = '';
  if (previous) {
    try {
      earlier = /- Commands?: (.*)/.exec(readFileSync(path.join(outDir, 'README.md'), 'utf8'))?.[1] ?? '';
    } catch {
      earlier = '';
    }
  }
  const command = earlier ? `${earlier}, then \`${thisCommand}\`` : `\`${thisCommand}\``;
  try {
    const result = await trainLoop({
      model,
      train,
      valid,
      training,
      signal: controller.signal,
      ...(previous
        ? {
            resume: {
              epoch: previous.epoch,
              step: previous.step,
              metrics: { ...previous.metrics, epochsWithoutImprovement: 0 },
            },
          }
        : {}),
      onProgress: (p) => {
        if (p.phase === 'epoch' && p.step && p.step % 50 === 0)
          console.log(
            `epoch ${p.epoch} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss?.toFixed(4)} ${p.sequencesPerSec?.toFixed(0)} seq/s`,
          );
      },
      onCheckpoint: (c) => {
        lastEpochMs = Date.now() - epochStart;
        epochStart = Date.now();
        const valLoss = c.metrics.valLoss ?? Infinity;
        console.log(
          `epoch ${c.epoch}: loss ${c.metrics.loss?.toFixed(4)} valLoss ${valLoss.toFixed(4)} (${(lastEpochMs / 1000).toFixed(0)} s)`,
        );
        if (valLoss < best) {
          best = valLoss;
          const bytes = encodeCheckpoint({
            formatVersion: 1,
            spec,
            training,
            corpus: { id: 0, name: 'JSB chorales (soprano), Jsb16thSeparated.json train split' },
            epoch: c.epoch,
            step: c.step,
            metrics: c.metrics,
            weights: c.weights,
            engine: engine.info.name,
            createdAt: Date.now(),
          });
          const file = path.join(outDir, 'default.etude-ckpt');
          writeFileSync(`${file}.tmp`, bytes);
          renameSync(`${file}.tmp`, file);
          const minutesSoFar = ((Date.now() - started) / 60_000).toFixed(1);
          writeFileSync(
            path.join(outDir, 'README.md'),
            [
              '# The bundled default model',
              '',
              "The thesis' melody LSTM (Embedding 130->256, LSTM 256 x2, Dense 130; window 30; 1,117,314 parameters) trained on the",
              'soprano line of the JSB chorales (J. S. Bach, public domain; `Jsb16thSeparated.json`, voice 0 of each 16th-note frame,',
              'encoded to the 130-token melody format). Train split for training, valid split for validation.',
              '',
              `- Command${earlier ? 's' : ''}: ${command}`,
              `- Corpus: ${corpus.train.length} train chorales (${train.size} windows), ${corpus.valid.length} valid chorales (${valid.size} windows)`,
              `- Epochs in this checkpoint: ${c.epoch}${previous ? ` (continued from epoch ${previous.epoch} with a fresh Adam)` : ''} (the best validation loss so far; batch ${training.batchSize}, lr ${training.learningRate}, Adam, clip ${training.clipNorm}, seed ${training.randomSeed})`,
              `- Training loss: ${c.metrics.loss?.toFixed(4)} nats; validation loss: ${valLoss.toFixed(4)} nats`,
              `- Loss per epoch: ${(c.metrics.lossHistory ?? []).map((v) => v.toFixed(3)).join(', ')}`,
              `- Validation loss per epoch: ${(c.metrics.valLossHistory ?? []).map((v) => v.toFixed(3)).join(', ')}`,
              `- Engine: ${engine.info.description}; ${previous && typeof previous.metrics.elapsedMs === 'number' ? `${(previous.metrics.elapsedMs / 60_000).toFixed(1)} min in earlier runs + ` : ''}${minutesSoFar} min of training in this run up to this epoch (last epoch ${(lastEpochMs / 1000).toFixed(0)} s) on a shared 2-core machine`,
              '- Stored without optimizer state (weights only); fine-tuning starts a fresh Adam.',
              '',
            ].join('\n'),
          );
          console.log(`  saved ${file} (${(bytes.length / 1e6).toFixed(1)} MB)`);
        }
        if (Date.now() - started + lastEpochMs > budgetMs) {
          console.log('time budget reached: stopping after this epoch');
          controller.abort();
        }
      },
    });
    console.log(`done: ${result.epochs} epochs (${result.stopReason}), best valLoss ${best.toFixed(4)}`);
  } catch (err) {
    if ((err as Error).name !== 'CancelledError') throw err;
    console.log(`stopped by the time budget; best valLoss ${best.toFixed(4)}`);
  } finally {
    model.dispose();
    await engine.dispose();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
