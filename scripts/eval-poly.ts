// SPDX-License-Identifier: MIT
/**
 * `npm run eval:poly`: the polyphonic models on the benchmark splits of Boulanger-Lewandowski, Bengio and Vincent
 * (ICML 2012), measured as in the paper: frame-level test NLL, nats per frame, pooled over all test frames, the first
 * frame of each piece predicted from an all-zero previous frame; pieces NOT transposed (Johnson 2017 transposed every
 * piece to C major / C minor, and reports the best and the median of 5 runs).
 *
 *   npm run eval:poly -- --dataset jsb|nottingham | --data FILE.json
 *        [--kind biaxial-lstm|bi-lstm] [--minutes 60] [--threads 2] [--seed 1 | --seeds 1,2,3] [--lr 0.0025] [--batch 4]
 *        [--epoch-frames N] [--valid-max-frames N] [--peer] [--tiny]
 *        [--state DIR] [--pitch-range train|full] [--lr-schedule anneal|constant] [--dropout D] [--time-sizes A,B] [--pitch-sizes A,B] [--down-sizes A] [--window N --window-hidden N] [--transpose K]
 *        [--average-decay D]
 *
 * First the calibration (a per-pitch Bernoulli fitted on train, the paper's Note 1-Gram, scored by the same evaluator
 * as the models: 11.06 JSB, 10.25 Nottingham), then per kind: training on train through the training loop
 * (../src/core/training/trainLoop.ts) with the model's own segment batches for --minutes, validation after every
 * "epoch" of --epoch-frames training frames (default: the training set's frame count) on the valid split's segments,
 * the best-valid weights kept (when the budget ends inside an epoch, the weights reached are validated as well, after
 * the budget), and the exact test NLL of those weights (decoder scoring, time state carried over the
 * whole piece). --peer then runs ../shared/bench/torch_biaxial_baseline.py on the same data for the same minutes.
 * --seeds trains each kind once per seed, one after another, each for --minutes, and prints every seed's figure and
 * their median (the issue's "median over 3 random seeds"; Johnson 2017 reports the best and the median of 5).
 * --state DIR saves each kind's run (per seed) after every validation and resumes it from there when run again with
 * the same flags, so a budget of hours can be spent over several sittings (scripts/lib/evalRunState.ts); the budget
 * then counts active time, summed over the sittings.
 * --transpose K augments training only: each training piece also shifted by every semitone in -K..K (transposeShifts).
 * --average-decay D also validates a moving average of the weights (decay D per validation) and keeps the better.
 * Our models cover the keys the training split sounds (--pitch-range train, the default; full = all 88); the test NLL
 * stays that of the whole 88-key frame, the keys outside scored by the Note 1-Gram (see pitchSpanFromFlags).
 */
import { loadavg } from 'node:os';
import { frameCount, type PolyBenchmark, type RollPiece } from '../src/core/data/polyBenchmark';
import { soundingSpan, type PitchSpan } from '../src/core/data/rollRange';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import type { NamedWeights } from '../src/core/engine/types';
import { CancelledError } from '../src/core/jobs/progress';
import {
  DEFAULT_BIAXIAL_SPEC,
  DEFAULT_BI_LSTM_SPEC,
  POLY_DEFAULT_RATE,
  type PolyKind,
  polyLstmSpecProblem,
  type PolyLstmSpec,
} from '../src/core/model/polyLstmSpec';
import { bernoulliScorer, fitNoteUnigram, pooledFrameNll, rangedScorer } from '../src/core/model/polyMetrics';
import { getModelDefinition, parameterCount } from '../src/core/model/registry';
import { DEFAULT_TRAINING, type ModelSpec, type TrainingConfig } from '../src/core/model/spec';
import { evaluateWindows, trainLoop, validateAverage } from '../src/core/training/trainLoop';
import { isScheduleName, SCHEDULE_NAMES, type ScheduleName } from '../src/core/training/schedule';
import { averagedWeights, isAverageDecay } from '../src/core/training/weightAverage';
import { createRng } from '../src/core/util/random';
import { median } from './lib/abRounds';
import {
  activeClock,
  type EvalRunProgress,
  type EvalRunSettings,
  loadEvalRun,
  runFolder,
  saveEvalRun,
} from './lib/evalRunState';
import { epochView } from './lib/epochView';
import { benchmarkFromFlags, flag, has, modelScorer, num, tokensInSpan } from './lib/polyEval';
import { runPeer } from './lib/polyPeer';
import { publishedFigures, transposedToC } from './lib/publishedFigures';

/** The calibration figures the metric must reproduce (Boulanger-Lewandowski 2012, Table 1, Note 1-Gram). */
const CALIBRATION: Record<string, number> = { JSB_Chorales: 11.06, Nottingham: 10.25 };

interface KindResult {
  kind: string;
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

/** Sizes and dropout a run sets on top of the kind's default spec (the spec's own check then judges them). */
function specFlags(): Partial<PolyLstmSpec> {
  const widths = (name: string) => {
    const v = flag(name);
    return v === undefined ? undefined : v === '' || v === 'none' ? [] : v.split(',').map(Number);
  };
  const out: Partial<PolyLstmSpec> = {};
  if (flag('dropout') !== undefined) out.dropout = num('dropout', 0.5);
  const time = widths('time-sizes');
  if (time) out.timeSizes = time;
  const pitch = widths('pitch-sizes');
  if (pitch) out.pitchSizes = pitch;
  const down = widths('down-sizes');
  if (down) out.downSizes = down;
  if (flag('window') !== undefined) out.window = num('window', 0);
  if (flag('window-hidden') !== undefined) out.windowHidden = num('window-hidden', 0);
  return out;
}

/** What every kind and seed of one eval:poly invocation shares, read once from the data and the flags. */
interface EvalContext {
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
}

async function runKind(kind: PolyKind, seed: number, run: EvalContext): Promise<KindResult> {
  const { bench, span, unigram, minutes, schedule, shifts, averageDecay } = run;
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
  const engine = await createWasmEngine({ threads, adaptiveThreads: false });
  const model = await engine.createModel(modelSpec, training);
  if (saved) {
    model.setWeights(saved.weights);
    if (saved.optimizer) model.setOptimizerState(saved.optimizer);
  }
  const params = parameterCount(modelSpec);
  console.log(
    `\n${kind}: ${params.toLocaleString('en')} parameters (time ${spec.timeSizes}; pitch ${spec.pitchSizes}` +
      `${spec.downSizes.length ? `; down ${spec.downSizes}; back-in-time ${spec.windowHidden} over ${spec.window} frames` : ''}), ${engine.info.description}; batch ${training.batchSize} x ${spec.segment} frames, ` +
      `Adam lr ${training.learningRate}${schedule === 'constant' ? '' : ` (${schedule} over the budget)`}, clip 5, dropout ${spec.dropout}; epoch = ${train.size * spec.segment} training frames, ` +
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

/** The seeds each kind trains with: --seeds 1,2,3, else --seed N, else 1; whole numbers, none twice. */
function seedsFromFlags(): number[] {
  const list = flag('seeds');
  const seeds = list === undefined ? [num('seed', 1)] : list.split(',').map((s) => Number(s.trim()));
  for (const s of seeds)
    if (!Number.isSafeInteger(s) || s < 0)
      throw new Error(`--seeds must be whole numbers 0 or more, separated by commas, got: ${list ?? flag('seed')}`);
  if (new Set(seeds).size !== seeds.length) throw new Error(`--seeds names a seed twice: ${list}`);
  return seeds;
}

interface TrainingShifts {
  /** K, the largest shift in semitones (0: none). */
  max: number;
  /** -K..K, as the training config's transpositions. */
  list: number[];
}

/**
 * The training transpositions (--transpose K): every piece of the training split also shifted by each whole number of
 * semitones in -K..K, a piece left out of a shift that would push a note out of the modelled range. Only training is
 * augmented; valid and test are scored as written, so the figures stay those of pieces not transposed.
 */
function transposeShifts(): TrainingShifts {
  const max = num('transpose', 0);
  if (!Number.isInteger(max) || max < 0 || max > 12)
    throw new Error(`--transpose must be a whole number of semitones from 0 to 12, got: ${flag('transpose')}`);
  return { max, list: Array.from({ length: 2 * max + 1 }, (_, i) => i - max) };
}

/**
 * --average-decay D: keep a moving average of the weights, decay D per validation (src/core/training/weightAverage.ts),
 * validate it beside the weights and keep the better. Absent: no average.
 */
function averageDecayFromFlags(): number | undefined {
  const given = flag('average-decay');
  if (given === undefined) return undefined;
  const decay = Number(given);
  if (!isAverageDecay(decay)) throw new Error(`--average-decay must be a number above 0 and below 1, got: ${given}`);
  return decay;
}

const PITCH_RANGE_MODES = ['train', 'full'] as const;
type PitchRangeMode = (typeof PITCH_RANGE_MODES)[number];
const isPitchRangeMode = (mode: string): mode is PitchRangeMode =>
  (PITCH_RANGE_MODES as readonly string[]).includes(mode);

/**
 * The pitches our models cover (--pitch-range): 'train' (the default), the keys the training split sounds, lowest to
 * highest; 'full', all 88. Our models run their LSTMs once per pitch, so JSB's 54 of 88 keys cost 61% of the work
 * per frame. Either way the test NLL is that of the whole 88-key frame: the keys outside the range are scored by the
 * Note 1-Gram fitted on train (polyMetrics.ts, rangedScorer). The peer always models all 88.
 */
function pitchSpanFromFlags(bench: PolyBenchmark, mode: PitchRangeMode): PitchSpan {
  const full = { from: 0, count: bench.pitches };
  const span = mode === 'train' ? (soundingSpan(bench.train) ?? full) : full;
  const midi = (i: number) => bench.low + i;
  console.log(
    `pitch range of our models: MIDI ${midi(span.from)}..${midi(span.from + span.count - 1)}, ${span.count} of ${bench.pitches} keys` +
      (mode === 'train'
        ? ` (the keys the training split sounds; --pitch-range full for all ${bench.pitches}); the keys outside are scored by the Note 1-Gram fitted on train, so the test NLL is that of the whole ${bench.pitches}-key frame`
        : ''),
  );
  return span;
}

async function main(): Promise<void> {
  const schedule = flag('lr-schedule') ?? 'anneal';
  if (!isScheduleName(schedule))
    throw new Error(`--lr-schedule must be ${SCHEDULE_NAMES.join(' or ')}, got: ${schedule}`);
  const rangeMode = flag('pitch-range') ?? 'train';
  if (!isPitchRangeMode(rangeMode))
    throw new Error(`--pitch-range must be ${PITCH_RANGE_MODES.join(' or ')}, got: ${rangeMode}`);
  const seeds = seedsFromFlags();
  const shifts = transposeShifts();
  const averageDecay = averageDecayFromFlags();
  const { bench, file, sha256 } = benchmarkFromFlags();
  const minutes = num('minutes', 60);
  console.log(
    `${bench.name}: train ${bench.train.length} pieces / ${frameCount(bench.train)} frames, valid ${bench.valid.length} / ${frameCount(bench.valid)}, ` +
      `test ${bench.test.length} / ${frameCount(bench.test)}; 88 pitches 21..108; pieces not transposed`,
  );
  // Fitted once: the calibration, and the scorer of the keys outside our models' range.
  const unigram = fitNoteUnigram(bench.train);
  const cal = await pooledFrameNll(bench.test, bernoulliScorer(unigram));
  const paper = CALIBRATION[bench.name];
  console.log(
    `calibration: per-pitch Bernoulli (Note 1-Gram, p = (count + 0.5) / (frames + 1) on train), test NLL ${cal.nll.toFixed(2)} nats per frame` +
      (paper
        ? ` (paper: ${paper.toFixed(2)}; ${Math.abs(cal.nll - paper) < 0.006 ? 'reproduced' : 'NOT REPRODUCED'})`
        : ''),
  );
  if (paper && Math.abs(cal.nll - paper) >= 0.006) process.exit(1);

  const kindFlag = flag('kind');
  const kinds: PolyKind[] = kindFlag ? [kindFlag as PolyKind] : ['biaxial-lstm', 'bi-lstm'];
  for (const k of kinds)
    if (k !== 'biaxial-lstm' && k !== 'bi-lstm') throw new Error(`--kind must be biaxial-lstm or bi-lstm, got: ${k}`);
  const span = pitchSpanFromFlags(bench, rangeMode);
  const run: EvalContext = {
    bench,
    sha256,
    span,
    unigram,
    minutes,
    schedule,
    shifts,
    ...(averageDecay !== undefined ? { averageDecay } : {}),
  };
  const results: KindResult[] = [];
  for (const k of kinds) for (const seed of seeds) results.push(await runKind(k, seed, run));
  const peer = has('peer')
    ? runPeer(file, minutes, {
        threads: num('threads', 2),
        validMaxFrames: num('valid-max-frames', 0),
        ...(flag('epoch-frames') ? { epochFrames: flag('epoch-frames') } : {}),
      })
    : undefined;

  console.log(`\n${bench.name}, frame-level test NLL (nats per frame, lower is better):`);
  console.log(`  ${'Note 1-Gram (calibration, ours)'.padEnd(58)} ${cal.nll.toFixed(2)}`);
  for (const r of results)
    console.log(
      `  ${`${r.kind} (ours, ${(r.params / 1e6).toFixed(2)} M params${seeds.length > 1 ? `, seed ${r.seed}` : ''})`.padEnd(58)} ${r.testNll.toFixed(2)}   ` +
        `${r.minutes.toFixed(1)} min, ${r.epochs.toFixed(2)} epochs (best ${r.bestEpoch.toFixed(2)}, valid ${r.bestValid.toFixed(3)}${r.bestFromAverage ? ' of the weight average' : ''}), ` +
        `${r.msPerTrainFrame.toFixed(2)} ms per training frame, stopped: ${r.stop}; load average ${r.load.mean.toFixed(1)} ` +
        `(max ${r.load.max.toFixed(1)}); ${span.count} keys modelled; test pieces not transposed` +
        (shifts.max ? ` (training augmented by shifts of -${shifts.max}..${shifts.max})` : ''),
    );
  if (seeds.length > 1)
    for (const k of kinds) {
      const figures = results.filter((r) => r.kind === k).map((r) => r.testNll);
      console.log(
        `  ${`${k} (ours), median of ${figures.length} seeds`.padEnd(58)} ${median(figures).toFixed(2)}   ` +
          `best ${Math.min(...figures).toFixed(2)}, worst ${Math.max(...figures).toFixed(2)}; ${minutes} min each`,
      );
    }
  if (typeof peer === 'string') console.log(`  peer: ${peer}`);
  else if (peer)
    console.log(
      `  ${`peer biaxial (PyTorch, ${((peer.params ?? 0) / 1e6).toFixed(2)} M params)`.padEnd(58)} ${peer.test_nll?.toFixed(2)}   ` +
        `${peer.minutes} min, ${peer.epochs} epochs, ${peer.ms_per_train_frame} ms per training frame; not transposed`,
    );
  for (const p of publishedFigures(bench.name))
    console.log(
      `  ${`${p.model}`.slice(0, 58).padEnd(58)} ${p.figure}   ${p.source}${transposedToC(p) ? ' (pieces transposed to C)' : ''}`,
    );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
