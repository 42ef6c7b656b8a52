// SPDX-License-Identifier: MIT
import { isEngineChoice, ENGINE_CHOICES } from '../../core/engine/select';
import { CancelledError } from '../../core/jobs/progress';
import { MODEL_KINDS, isModelKind } from '../../core/model/registry';
import { MAX_VELOCITY_BINS } from '../../core/model/melodyLstmSpec';
import { DEFAULT_VELOCITY_BINS } from '../../core/model/velocity';
import { isScheduleName, SCHEDULE_NAMES, scheduledRate } from '../../core/training/schedule';
import { isAverageDecay } from '../../core/training/weightAverage';
import { trainModel, type TrainResult } from '../../main/services/training';
import { parseCommandArgs } from '../args';
import { createProgressBar } from '../progressBar';
import { UsageError, type CliCommand, type CliContext } from '../types';

/** Parses a numeric flag; undefined when absent. @throws UsageError naming the flag */
export function numberFlag(
  command: string,
  name: string,
  value: string | undefined,
  { integer = false, min = -Infinity, max = Infinity } = {},
): number | undefined {
  if (value === undefined) return undefined;
  // Number('') and Number(' ') are 0: an empty value must not pass as zero.
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(
      `${command}: --${name} must be ${integer ? 'an integer' : 'a number'} within [${min}, ${max}], got "${value}"`,
      command,
    );
  }
  return n;
}

/** The engine line every training and generation summary prints. */
export function engineLine(engine: TrainResult['engine']): string {
  return `Engine: ${engine.description}; threads ${engine.threads}; GPU: ${engine.gpu ?? 'none'}${engine.fallbackReason ? `\n  note: ${engine.fallbackReason}` : ''}`;
}

export function printTrainSummary(result: TrainResult, ctx: CliContext, verb = 'Trained'): void {
  ctx.out(
    `${verb} "${result.modelName}": ${result.epochs} epochs, ${result.steps} steps, loss ${result.loss?.toFixed(4) ?? '-'}, ` +
      `validation loss ${result.valLoss?.toFixed(4) ?? '- (no validation pieces)'}${result.stopReason === 'early-stopping' ? ' (stopped early: validation loss stopped improving)' : ''}`,
  );
  ctx.out(
    `  ${result.trainWindows} training / ${result.validWindows} validation windows; ${(result.elapsedMs / 1000).toFixed(1)} s, ${result.sequencesPerSec.toFixed(0)} sequences/s`,
  );
  const { learningRate, learningRateSchedule, batchSize } = result.training;
  ctx.out(
    `  batch ${batchSize}, Adam at ${learningRate}` +
      (learningRateSchedule === 'anneal'
        ? `, annealed over the ${result.training.epochs} planned epochs to ${+scheduledRate('anneal', learningRate, 1).toPrecision(3)}`
        : ', constant'),
  );
  const best = result.composesWith;
  if (best && (best.epoch !== result.epochs || best.average))
    ctx.out(
      `  composes with epoch ${best.epoch}${best.average ? "'s weight average" : ''}, its best on validation` +
        (best.valLoss !== undefined ? ` (${best.valLoss.toFixed(4)})` : ''),
    );
  if (result.skippedNoMelody > 0)
    ctx.out(
      `  ${result.skippedNoMelody} piece${result.skippedNoMelody === 1 ? '' : 's'} without a melody (piano roll only) skipped by the melody model`,
    );
  ctx.out(`  ${engineLine(result.engine)}`);
}

const MODEL_KIND_NAMES = MODEL_KINDS.map((k) => k.kind);

/** --average-decay D: the weight average's decay per epoch, above 0 and below 1; undefined when absent. */
function averageDecayFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const decay = value.trim() === '' ? Number.NaN : Number(value);
  if (!isAverageDecay(decay))
    throw new UsageError(
      `train: --average-decay must be a number above 0 and below 1 (how much of the average each epoch keeps; 0.5 is a good start), got "${value}"`,
      'train',
    );
  return decay;
}

/**
 * The velocity bins asked for: --velocity-bins N, or --velocity (the default count); undefined for neither.
 * @throws UsageError with a sentence for a count outside [2, MAX_VELOCITY_BINS] or one that is not a whole number
 */
function velocityBinsFlag(velocity: boolean | undefined, bins: string | undefined): number | undefined {
  if (bins === undefined) return velocity ? DEFAULT_VELOCITY_BINS : undefined;
  const n = Number(bins.trim());
  if (bins.trim() === '' || !Number.isInteger(n) || n < 2 || n > MAX_VELOCITY_BINS)
    throw new UsageError(
      `train: --velocity-bins must be a whole number within [2, ${MAX_VELOCITY_BINS}] (the loudness levels a model learns; --velocity alone uses ${DEFAULT_VELOCITY_BINS}), got "${bins}"`,
      'train',
    );
  return n;
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'Train a melody or polyphonic model on a corpus (or --resume one)',
  usage: `etude train CORPUS --model NAME [options]

  --model NAME        the model to create (or, with --resume, to continue)
  --kind K            ${MODEL_KIND_NAMES.join('|')} (default melody-lstm; the polyphonic
                      kinds learn every note of the pieces, at sixteenths, in the corpus' pitch range)
  --epochs N          epochs in total (default 10; with --resume, the new total)
  --hidden N          LSTM units (default 256)      --embedding N   embedding size (default 256)
  --layers N          LSTM layers (default 2)       --dropout X     dropout 0..0.9 (default 0)
  --window N          input tokens per window (default 30); bi-lstm: past frames its backward pass reads (8)
  --time-sizes A,B    polyphonic: time-axis LSTM widths (default 128,128; Johnson 2017: 300,300)
  --pitch-sizes A,B   polyphonic: pitch-axis LSTM widths (default 64,32; Johnson 2017: 100,50)
  --segment N         polyphonic: frames per training segment (default 32)
  --repeat-context N  polyphonic: the repeat input after N frames of context (16: a bar of sixteenths, as
                      "Learn repeats" in the app): where the piece played the same N frames before,
                      what followed them then is an input, so sections come back (default 0: none)
  --loss L            polyphonic: bce (plain frame cross-entropy, default) or weighted (each sounding
                      pitch's loss counts --on-weight times, default 2: fewer empty frames drawn)
  --chords            learn with chords: the chord of every step is an input (inferred per beat from each
                      piece's notes); generate then follows --chords "C G Am F"
  --velocity          melody: learn dynamics, each note's velocity as one of ${DEFAULT_VELOCITY_BINS} loudness levels
                      of the corpus (its MIDI velocities); takes are then written at the learnt velocities
  --velocity-bins N   the same with N levels, 2..${MAX_VELOCITY_BINS}
  --batch N           batch size (default 64; polyphonic 4)
  --lr X              Adam's learning rate (default 0.001; polyphonic 0.0025)
  --lr-schedule S     constant, or anneal: the rate held for the first 40% of the epochs, then lowered by a
                      half cosine to 5% of it at the last (default constant; polyphonic anneal)
  --average-decay D   also keep a moving average of the weights (D per epoch, e.g. 0.5), validate it beside
                      them and compose with whichever is better on valid (default: no average; with
                      --resume it turns the average on, or changes its decay, from the next epoch)
  --weight-decay X    AdamW's decoupled weight decay, 0..1 (default 0: plain Adam; 0.01-0.1 against a
                      model that learns its pieces by heart: valid loss rising while training loss falls)
  --seed N            random seed for init, split and shuffles (default 1)
  --engine E          ${ENGINE_CHOICES.join('|')} (default auto: webgpu on a GPU, else tfjs-node-gpu, else wasm)
  --threads N         wasm engine threads (default: min(2, cores))
  --resume            continue the model's latest checkpoint
  A checkpoint is stored after every epoch; Ctrl-C stops within a step and keeps the last epoch.
  The model composes with its best epoch on valid (or that epoch's average), not the last.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('train', args, {
      model: { type: 'string', short: 'm' },
      kind: { type: 'string' },
      'time-sizes': { type: 'string' },
      'pitch-sizes': { type: 'string' },
      segment: { type: 'string' },
      'repeat-context': { type: 'string' },
      loss: { type: 'string' },
      'on-weight': { type: 'string' },
      epochs: { type: 'string' },
      hidden: { type: 'string' },
      embedding: { type: 'string' },
      layers: { type: 'string' },
      dropout: { type: 'string' },
      window: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      'lr-schedule': { type: 'string' },
      'average-decay': { type: 'string' },
      'weight-decay': { type: 'string' },
      seed: { type: 'string' },
      engine: { type: 'string' },
      threads: { type: 'string' },
      resume: { type: 'boolean' },
      chords: { type: 'boolean' },
      velocity: { type: 'boolean' },
      'velocity-bins': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('train: name exactly one corpus to train on', 'train');
    if (!values.model) throw new UsageError('train: --model NAME is required', 'train');
    const engine = values.engine ?? 'auto';
    if (!isEngineChoice(engine))
      throw new UsageError(`train: --engine must be one of ${ENGINE_CHOICES.join(', ')}, got "${engine}"`, 'train');
    const kind = values.kind ?? 'melody-lstm';
    if (!isModelKind(kind))
      throw new UsageError(`train: --kind must be one of ${MODEL_KIND_NAMES.join(', ')}, got "${kind}"`, 'train');
    const f = (name: string, value: string | undefined, o: { integer?: boolean; min?: number; max?: number }) =>
      numberFlag('train', name, value, o);
    const sizes = (name: string, value: string | undefined) =>
      value === undefined
        ? undefined
        : value.split(',').map((part) => f(name, part.trim(), { integer: true, min: 1, max: 1024 })!);
    const spec = Object.fromEntries(
      Object.entries({
        hiddenSize: f('hidden', values.hidden, { integer: true, min: 1, max: 2048 }),
        embeddingDim: f('embedding', values.embedding, { integer: true, min: 1, max: 2048 }),
        layers: f('layers', values.layers, { integer: true, min: 1, max: 4 }),
        dropout: f('dropout', values.dropout, { min: 0, max: 0.9 }),
        window: f('window', values.window, { integer: true, min: 1, max: 512 }),
        timeSizes: sizes('time-sizes', values['time-sizes']),
        pitchSizes: sizes('pitch-sizes', values['pitch-sizes']),
        segment: f('segment', values.segment, { integer: true, min: 4, max: 1024 }),
        repeatContext: f('repeat-context', values['repeat-context'], { integer: true, min: 0, max: 64 }),
        loss: values.loss,
        onWeight: f('on-weight', values['on-weight'], { min: 1e-6, max: 100 }),
        chords: values.chords ? ('chroma' as const) : undefined,
        velocityBins: velocityBinsFlag(values.velocity, values['velocity-bins']),
      }).filter(([, v]) => v !== undefined),
    );
    if (values.loss !== undefined && values.loss !== 'bce' && values.loss !== 'weighted')
      throw new UsageError(`train: --loss must be bce or weighted, got "${values.loss}"`, 'train');
    if (values['on-weight'] !== undefined && values.loss !== 'weighted')
      throw new UsageError('train: --on-weight weighs the weighted loss; add --loss weighted', 'train');
    if (values.resume && values.kind !== undefined)
      throw new UsageError("train: --resume keeps the model's kind; drop --kind", 'train');
    const schedule = values['lr-schedule'];
    if (schedule !== undefined && !isScheduleName(schedule))
      throw new UsageError(`train: --lr-schedule must be ${SCHEDULE_NAMES.join(' or ')}, got "${schedule}"`, 'train');
    const training = Object.fromEntries(
      Object.entries({
        epochs: f('epochs', values.epochs, { integer: true, min: 1, max: 1000 }),
        batchSize: f('batch', values.batch, { integer: true, min: 1, max: 4096 }),
        learningRate: f('lr', values.lr, { min: 1e-6, max: 1 }),
        randomSeed: f('seed', values.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }),
        learningRateSchedule: schedule,
        weightAverageDecay: averageDecayFlag(values['average-decay']),
        weightDecay: f('weight-decay', values['weight-decay'], { min: 0, max: 1 }),
      }).filter(([, v]) => v !== undefined),
    );
    if (values.resume && Object.keys(spec).length)
      throw new UsageError(
        "train: --resume keeps the model's shape; drop --hidden/--embedding/--layers/--dropout/--window/--time-sizes/--pitch-sizes/--segment/--repeat-context/--loss/--chords/--velocity",
        'train',
      );
    const threads = f('threads', values.threads, { integer: true, min: 1, max: 64 });
    const bar = createProgressBar({ stream: ctx.stderr, interactive: ctx.interactive });
    try {
      const result = await trainModel(
        ctx.library(),
        {
          corpusName: positionals[0],
          modelName: values.model,
          kind,
          spec,
          training,
          engine,
          threads: threads ?? 'auto',
          resume: values.resume ?? false,
          ownerLabel: 'etude train',
        },
        { signal: ctx.signal, onProgress: (p) => bar.update(p) },
      );
      bar.done();
      printTrainSummary(result, ctx, values.resume ? 'Resumed and trained' : 'Trained');
      return 0;
    } catch (err) {
      bar.done();
      if (err instanceof CancelledError) {
        ctx.err(`Cancelled: "${values.model}" keeps its last completed epoch (resume with --resume).`);
        return 130;
      }
      throw err;
    }
  },
};
