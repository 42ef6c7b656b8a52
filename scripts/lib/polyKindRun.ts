// SPDX-License-Identifier: MIT
/**
 * One model kind and seed of `npm run eval:poly` (scripts/eval-poly.ts): trained on the benchmark's train split through
 * the training loop for the run's budget, selected on valid (the weights or, with --average-decay, their average,
 * whichever is better), saved after every validation with --state and resumed from there, and scored exactly on test.
 */
import { loadavg } from 'node:os';
import { frameCount, type PolyBenchmark, type RollPiece } from '../../src/core/data/polyBenchmark';
import type { PitchSpan } from '../../src/core/data/rollRange';
import type { Engine } from '../../src/core/engine/engine';
import { selectEngine } from '../../src/core/engine/select';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import type { NamedWeights } from '../../src/core/engine/types';
import { CancelledError } from '../../src/core/jobs/progress';
import {
  DEFAULT_BIAXIAL_SPEC,
  DEFAULT_BI_LSTM_SPEC,
  POLY_DEFAULT_RATE,
  type PolyKind,
  polyLstmSpecProblem,
  type PolyLstmSpec,
} from '../../src/core/model/polyLstmSpec';
import { pooledFrameNll, rangedScorer } from '../../src/core/model/polyMetrics';
import { getModelDefinition, parameterCount } from '../../src/core/model/registry';
import { DEFAULT_TRAINING, type ModelSpec, type TrainingConfig } from '../../src/core/model/spec';
import { evaluateWindows, trainLoop, validateAverage } from '../../src/core/training/trainLoop';
import type { ScheduleName } from '../../src/core/training/schedule';
import { averagedWeights } from '../../src/core/training/weightAverage';
import { createRng } from '../../src/core/util/random';
import {
  activeClock,
  type EvalRunProgress,
  type EvalRunSettings,
  loadEvalRun,
  runFolder,
  saveEvalRun,
} from './evalRunState';
import { epochView } from './epochView';
import { flag, has, modelScorer, num, tokensInSpan } from './polyEval';
import { type EvalEngineName, specFlags, type TrainingShifts } from './polyEvalFlags';

export interface KindResult {
  kind: string;
  /** The engine that trained and scored it, in words (its threads, or the WebGPU adapter). */
  engine: string;
  seed: number;
  params: number;
  testNll: number;
  bestValid: number;
  epochs: number;
  bestEpoch: number;
  /** The best valid was the weight average's (--average-decay). */
  bestFromAverage: boolean;
  minutes: number;
  msPerTrainFrame: number;
  stop: string;
  /** The 1-minute load average at every validation of the run: how shared the 2 cores were while it trained. */
  load: { mean: number; max: number };
}

/** The better on valid of the weights and their average (the weights when there is no average). */
function betterOf(
  valid: number,
  weights: NamedWeights,
  averageValid: number | undefined,
  average: NamedWeights | undefined,
): { valid: number; weights: NamedWeights; fromAverage: boolean } {
  return averageValid !== undefined && average && averageValid < valid
    ? { valid: averageValid, weights: average, fromAverage: true }
    : { valid, weights, fromAverage: false };
}

/** What every kind and seed of one eval:poly invocation shares, read once from the data and the flags. */
export interface EvalContext {
  bench: PolyBenchmark;
  /** SHA-256 of the benchmark file: part of a saved run's settings. */
  sha256: string;
  span: PitchSpan;
  /** The Note 1-Gram fitted on train: the scorer of the keys outside `span`. */
  unigram: Float64Array;
  minutes: number;
  schedule: ScheduleName;
  shifts: TrainingShifts;
  /** --average-decay: the weight average's decay per validation (absent: no average). */
  averageDecay?: number;
  /** --weight-decay: AdamW's decoupled weight decay (absent: plain Adam). */
  weightDecay?: number;
  engine: EvalEngineName;
}

/** The run's engine: wasm on a fixed number of threads (no adaptive switching, so runs repeat), or webgpu. */
async function createEvalEngine(name: EvalEngineName, threads: number): Promise<Engine> {
  return name === 'webgpu' ? selectEngine({ engine: 'webgpu' }) : createWasmEngine({ threads, adaptiveThreads: false });
}

export async function runKind(kind: PolyKind, seed: number, run: EvalContext): Promise<KindResult> {
  const { bench, span, unigram, minutes, schedule, shifts, averageDecay, weightDecay } = run;
  const threads = num('threads', 2);
  const tinyRun = has('tiny');
  const base: PolyLstmSpec = kind === 'bi-lstm' ? DEFAULT_BI_LSTM_SPEC : DEFAULT_BIAXIAL_SPEC;
  const spec: PolyLstmSpec = {
    ...base,
    lowPitch: bench.low + span.from,
    pitches: span.count,
    ...(tinyRun
      ? {
          timeSizes: [32],
          pitchSizes: [16],
          downSizes: kind === 'bi-lstm' ? [16] : [],
          windowHidden: kind === 'bi-lstm' ? 16 : 0,
          window: kind === 'bi-lstm' ? 4 : 0,
        }
      : {}),
    ...specFlags(),
  };
  const problem = polyLstmSpecProblem(spec as unknown as Record<string, unknown>);
  if (problem) throw new Error(`The ${kind} spec from the flags is not valid: ${problem}`);
  const training: TrainingConfig = {
    ...DEFAULT_TRAINING,
    batchSize: num('batch', 4),
    learningRate: num('lr', POLY_DEFAULT_RATE),
    epochs: 100000,
    earlyStoppingPatience: num('patience', 5),
    transpositions: shifts.list,
    clipNorm: 5,
    randomSeed: seed,
    learningRateSchedule: schedule,
    ...(averageDecay !== undefined ? { weightAverageDecay: averageDecay } : {}),
    ...(weightDecay !== undefined ? { weightDecay } : {}),
  };
  const definition = getModelDefinition(kind);
  const modelSpec = spec as unknown as ModelSpec;
  const trainSet = definition.buildBatches(modelSpec, tokensInSpan(bench.train, span), training.transpositions);
  let validPieces = bench.valid;
  const validMax = num('valid-max-frames', 0);
  if (validMax > 0) {
    const kept: RollPiece[] = [];
    let n = 0;
    for (const p of validPieces) {
      if (n >= validMax) break;
      kept.push(p);
      n += p.frames;
    }
    validPieces = kept;
  }
  // Valid notes outside the range (if any) cost every model the same, so selection on the cropped pieces is unchanged.
  const validSet = definition.buildBatches(modelSpec, tokensInSpan(validPieces, span), [0]);
  const epochFrames = num('epoch-frames', frameCount(bench.train));
  const settings: EvalRunSettings = {
    data: `${bench.name}, sha256 ${run.sha256}`,
    kind,
    seed,
    minutes,
    schedule,
    peakRate: training.learningRate,
    batch: training.batchSize,
    epochFrames,
    validMaxFrames: validMax,
    spec: modelSpec,
    ...(shifts.max ? { transpose: shifts.max } : {}),
    ...(averageDecay !== undefined ? { averageDecay } : {}),
    ...(weightDecay !== undefined ? { weightDecay } : {}),
  };
  const stateDir = flag('state');
  const folder = stateDir ? runFolder(stateDir, kind, seed) : undefined;
  const saved = folder ? loadEvalRun(folder, settings) : undefined;
  const train = epochView(
    trainSet,
    Math.max(1, Math.round(epochFrames / spec.segment)),
    createRng(training.randomSeed),
    saved?.progress.epochs ?? 0,
  );
  const engine = await createEvalEngine(run.engine, threads);
  const model = await engine.createModel(modelSpec, training);
  if (saved) {
    model.setWeights(saved.weights);
    if (saved.optimizer) model.setOptimizerState(saved.optimizer);
  }
  const params = parameterCount(modelSpec);
  console.log(
    `\n${kind}: ${params.toLocaleString('en')} parameters (time ${spec.timeSizes}; pitch ${spec.pitchSizes}` +
      `${spec.downSizes.length ? `; down ${spec.downSizes}; back-in-time ${spec.windowHidden} over ${spec.window} frames` : ''}` +
      `${spec.repeatContext ? `; repeat input after ${spec.repeatContext} frames of context` : ''}), ${engine.info.description}; batch ${training.batchSize} x ${spec.segment} frames, ` +
      `${weightDecay !== undefined ? 'AdamW' : 'Adam'} lr ${training.learningRate}${schedule === 'constant' ? '' : ` (${schedule} over the budget)`}${weightDecay !== undefined ? `, weight decay ${weightDecay}` : ''}, clip 5, dropout ${spec.dropout}; epoch = ${train.size * spec.segment} training frames, ` +
      `valid on ${validSet.size} segments (${frameCount(validPieces)} frames); budget ${minutes} min; seed ${training.randomSeed}` +
      (averageDecay !== undefined
        ? `; weight average (decay ${averageDecay} per validation) validated beside the weights, the better kept`
        : '') +
      (shifts.max
        ? `; training pieces also transposed by every shift in -${shifts.max}..${shifts.max} semitones that keeps them in range (${trainSet.size} segments in all)`
        : ''),
  );
  const p = saved?.progress;
  let best: { valid: number; epoch: number; fromAverage?: boolean; weights: NamedWeights } | undefined = saved
    ? { ...saved.progress.best, weights: saved.bestWeights }
    : undefined;
  let average = saved?.average;
  let epochs = p?.epochs ?? 0;
  let steps = p?.steps ?? 0;
  let trainMs = p?.trainMs ?? 0;
  let trainFrames = p?.trainFrames ?? 0;
  let loop = p?.loop ?? {};
  let stop = p?.stop ?? 'budget';
  const loads: number[] = [...(p?.loads ?? [])];
  const budgetMs = minutes * 60_000;
  // The budget spent, in active time: a run resumed with --state goes on from what its earlier sittings spent.
  const spent = activeClock(p?.spentMs ?? 0, 5 * 60_000);
  if (saved)
    console.log(
      `  resumed from ${folder}: ${epochs} validations done, ${(spent() / 60000).toFixed(2)} of ${minutes} min spent, ` +
        `best valid ${best!.valid.toFixed(3)} after ${best!.epoch}` +
        (saved.budgetFromMinutes !== undefined
          ? `; budget ${saved.budgetFromMinutes < minutes ? 'grown' : 'cut'} from ${saved.budgetFromMinutes} to ${minutes} min (the rate had not left its peak, so the run goes on as a ${minutes}-minute one)`
          : '') +
        (averageDecay !== undefined && !average && !p!.done
          ? '; the saved weight average is not of the last validation, so the average starts again'
          : ''),
    );
  // The budget as a signal the training loop polls before every step (a timer would not fire: a wasm step never
  // yields to the event loop).
  const budget = {
    get aborted() {
      return spent() >= budgetMs;
    },
  } as AbortSignal;
  const progressNow = (done: boolean): EvalRunProgress => ({
    spentMs: Math.min(spent(), budgetMs),
    epochs,
    steps,
    trainMs,
    trainFrames,
    best: { valid: best!.valid, epoch: best!.epoch, ...(best!.fromAverage ? { fromAverage: true } : {}) },
    loads,
    loop,
    done,
    ...(done ? { stop } : {}),
  });
  // With --state: the run saved after every validation, and when it ends.
  const save = async (state: Parameters<typeof saveEvalRun>[3]) => {
    if (folder) await saveEvalRun(folder, settings, training, state, engine.info.description);
  };
  let lastStep = Date.now();
  // Training frames at the last validation: a budget that ends before the next step has nothing new to validate.
  let framesValidated = p ? p.trainFrames : -1;
  if (p?.done) console.log(`  ${folder} spent its budget: scoring its best weights (its training stopped: ${stop})`);
  else {
    try {
      const r = await trainLoop({
        model,
        train,
        valid: validSet,
        training,
        ...(p ? { resume: { epoch: p.epochs, step: p.steps, metrics: p.loop, ...(average ? { average } : {}) } } : {}),
        signal: budget,
        // The schedule runs over the time budget, not over the loop's nominal epochs.
        scheduleProgress: () => spent() / budgetMs,
        onProgress: (e) => {
          if (e.phase === 'epoch') {
            const now = Date.now();
            trainMs += now - lastStep;
            // The epoch's last batch holds only what is left of its segments.
            const last = e.step !== undefined && e.step === e.stepsPerEpoch;
            trainFrames += (last ? train.size - (e.step! - 1) * training.batchSize : training.batchSize) * spec.segment;
            lastStep = now;
          } else lastStep = Date.now();
        },
        onCheckpoint: async (c) => {
          loads.push(loadavg()[0]);
          framesValidated = trainFrames;
          epochs = c.epoch;
          steps = c.step;
          loop = c.metrics;
          average = c.average;
          const v = c.metrics.valLoss as number;
          const va = c.metrics.averageValLoss;
          console.log(
            `  epoch ${c.epoch}: train ${(c.metrics.loss as number).toFixed(3)}  valid ${v.toFixed(3)}` +
              `${va !== undefined ? ` (average ${va.toFixed(3)})` : ''} nats/frame  ` +
              `(${(spent() / 60000).toFixed(1)} min, ${(trainMs / Math.max(1, trainFrames)).toFixed(2)} ms per training frame)`,
          );
          const better = betterOf(v, c.weights, va, c.average);
          const improved = !best || better.valid < best.valid;
          if (improved) best = { ...better, epoch: c.epoch };
          await save({
            progress: progressNow(false),
            weights: c.weights,
            optimizer: c.optimizer,
            ...(improved ? { bestWeights: better.weights } : {}),
            ...(average ? { average } : {}),
          });
          lastStep = Date.now();
        },
      });
      stop = r.stopReason;
      // Stopped early: mark the saved run done, so that resuming it scores it rather than training on.
      await save({ progress: progressNow(true), weights: await model.getWeights() });
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
      if (trainFrames === framesValidated) {
        // The budget ended right after a validation, before another step: the weights (and the average, which already
        // holds them) were weighed and saved there. Averaging them in again would count that epoch twice.
        console.log(`  budget reached right after the validation of epoch ${epochs}`);
        await save({ progress: progressNow(true), weights: await model.getWeights(), ...(average ? { average } : {}) });
      } else {
        // The budget ended inside an epoch: validate the weights it reached, and keep them if they beat the best so far.
        // With an average, the reached weights join it as a last (partial) epoch's would.
        const v = await evaluateWindows(model, validSet, training.batchSize);
        const reached = await model.getWeights();
        let va: number | undefined;
        if (averageDecay !== undefined) {
          average = averagedWeights(average, reached, averageDecay);
          va = await validateAverage(model, average, reached, validSet, training.batchSize);
        }
        const at = trainFrames / (train.size * spec.segment);
        console.log(
          `  budget reached at epoch ${at.toFixed(2)}: valid ${v.toFixed(3)}${va !== undefined ? ` (average ${va.toFixed(3)})` : ''} nats/frame`,
        );
        const better = betterOf(v, reached, va, average);
        const improved = !best || better.valid < best.valid;
        if (improved) best = { ...better, epoch: at };
        await save({
          progress: progressNow(true),
          weights: reached,
          ...(improved ? { bestWeights: better.weights } : {}),
          ...(average ? { average } : {}),
        });
      }
    }
  }
  const trainMinutes = spent() / 60000;
  loads.push(loadavg()[0]);
  model.setWeights(best!.weights);
  epochs = trainFrames / (train.size * spec.segment);
  const t0 = Date.now();
  const test = await pooledFrameNll(bench.test, rangedScorer(modelScorer(model), span, unigram));
  console.log(
    `  test: ${test.nll.toFixed(3)} nats per frame over ${test.frames} frames (scored in ${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  );
  model.dispose();
  await engine.dispose();
  return {
    kind,
    engine: engine.info.description,
    seed,
    params,
    testNll: test.nll,
    bestValid: best?.valid ?? NaN,
    epochs,
    bestEpoch: best?.epoch ?? 0,
    bestFromAverage: best?.fromAverage ?? false,
    minutes: trainMinutes,
    msPerTrainFrame: trainMs / Math.max(1, trainFrames),
    stop,
    load: { mean: loads.reduce((a, b) => a + b, 0) / loads.length, max: Math.max(...loads) },
  };
}
