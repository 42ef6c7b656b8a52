// SPDX-License-Identifier: MIT
/**
 * `npm run eval:loss`: the effect of the polyphonic models' weighted training loss (spec.loss 'weighted', see
 * ../src/core/model/polyLstmSpec.ts) against plain frame cross-entropy, on a benchmark split of Boulanger-Lewandowski
 * et al. (ICML 2012). The same small model (same seed, same initial weights, same batches) is trained twice, once per
 * loss: plain BCE for --minutes (or --steps N), then the weighted loss for exactly as many steps; each is then
 * measured the same way:
 *   - test NLL: the exact frame likelihood of the test split (nats per frame, pooled; decoder scoring, the plain
 *     likelihood whatever loss trained the model, as scripts/eval-poly.ts measures it);
 *   - the share of empty frames (no pitch sounding) among the frames of --takes takes drawn with generatePolyphonic
 *     from silence at each of --temperatures (fixed seed, no re-sampling of degenerate takes), and their notes per
 *     frame;
 * beside the test split's own share of empty frames and notes per frame.
 *
 *   npm run eval:loss -- --dataset jsb|nottingham | --data FILE.json
 *        [--kind bi-lstm|biaxial-lstm] [--minutes 3 | --steps N] [--on-weight 2] [--takes 8] [--bars 16]
 *        [--temperatures 1,0.7] [--seed 1] [--threads 2] [--lr 0.003] [--batch 4]
 */
import { frameCount } from '../src/core/data/polyBenchmark';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { CancelledError } from '../src/core/jobs/progress';
import { generatePolyphonic } from '../src/core/model/generatePoly';
import { isPolyDecoder } from '../src/core/model/polyLstm';
import {
  DEFAULT_BIAXIAL_SPEC,
  DEFAULT_BI_LSTM_SPEC,
  DEFAULT_ON_WEIGHT,
  type PolyKind,
  type PolyLstmSpec,
} from '../src/core/model/polyLstmSpec';
import { pooledFrameNll } from '../src/core/model/polyMetrics';
import { getModelDefinition, parameterCount } from '../src/core/model/registry';
import { DEFAULT_TRAINING, type ModelSpec, type TrainingConfig } from '../src/core/model/spec';
import { trainLoop } from '../src/core/training/trainLoop';
import { benchmarkFromFlags, flag, modelScorer, num } from './lib/polyEval';

/** Share of frames with no note, and notes per frame, of a list of flattened rolls of `pitches`. */
function rollStats(rolls: readonly ArrayLike<number>[], pitches: number): { empty: number; notes: number } {
  let frames = 0;
  let empty = 0;
  let notes = 0;
  for (const roll of rolls)
    for (let t = 0; t < roll.length / pitches; t++) {
      let n = 0;
      for (let p = 0; p < pitches; p++) n += roll[t * pitches + p] > 0 ? 1 : 0;
      frames++;
      notes += n;
      if (n === 0) empty++;
    }
  return { empty: empty / frames, notes: notes / frames };
}

interface LossResult {
  label: string;
  steps: number;
  testNll: number;
  temperature: number;
  empty: number;
  notes: number;
  degenerate: number;
}

async function main(): Promise<void> {
  const { bench } = benchmarkFromFlags('jsb');
  const kind = (flag('kind') ?? 'bi-lstm') as PolyKind;
  if (kind !== 'bi-lstm' && kind !== 'biaxial-lstm') throw new Error(`--kind must be bi-lstm or biaxial-lstm`);
  const minutes = num('minutes', 3);
  const onWeight = num('on-weight', DEFAULT_ON_WEIGHT);
  const takes = num('takes', 8);
  const temperatures = (flag('temperatures') ?? '1,0.7').split(',').map((t) => {
    const v = Number(t);
    if (!(v > 0)) throw new RangeError(`--temperatures must list positive numbers, got: ${t}`);
    return v;
  });
  const fixedSteps = num('steps', 0);
  const bars = num('bars', 16);
  const seed = num('seed', 1);
  const base: PolyLstmSpec = {
    ...(kind === 'bi-lstm' ? DEFAULT_BI_LSTM_SPEC : DEFAULT_BIAXIAL_SPEC),
    lowPitch: bench.low,
    pitches: bench.pitches,
    // Small sizes: the point is the loss, in minutes on two cores.
    timeSizes: [64],
    pitchSizes: [32],
    downSizes: kind === 'bi-lstm' ? [32] : [],
    window: kind === 'bi-lstm' ? 4 : 0,
    windowHidden: kind === 'bi-lstm' ? 16 : 0,
    dropout: 0,
  };
  const training: TrainingConfig = {
    ...DEFAULT_TRAINING,
    batchSize: num('batch', 4),
    learningRate: num('lr', 0.003),
    epochs: 100000,
    earlyStoppingPatience: 0,
    clipNorm: 5,
    randomSeed: seed,
  };
  const corpus = rollStats(
    bench.test.map((p) => p.roll),
    bench.pitches,
  );
  console.log(
    `${bench.name}: train ${frameCount(bench.train)} frames, test ${frameCount(bench.test)} frames; ${kind}, ` +
      `${parameterCount(base as unknown as ModelSpec).toLocaleString('en')} parameters (time ${base.timeSizes}; pitch ${base.pitchSizes}` +
      `${base.downSizes.length ? `; down ${base.downSizes}; back-in-time ${base.windowHidden} over ${base.window}` : ''}); ` +
      `batch ${training.batchSize} x ${base.segment} frames, Adam lr ${training.learningRate}; ${fixedSteps > 0 ? `${fixedSteps} steps` : `${minutes} min`} per loss; seed ${seed}`,
  );
  const variants: { label: string; spec: PolyLstmSpec }[] = [
    { label: 'plain BCE (frame cross-entropy)', spec: base },
    { label: `weighted (onWeight ${onWeight})`, spec: { ...base, loss: 'weighted', onWeight } },
  ];
  const results: LossResult[] = [];
  // The first (plain) run trains for --minutes; the second for exactly as many steps, so that both saw the same batches.
  let stepBudget = fixedSteps > 0 ? fixedSteps : Infinity;
  for (const { label, spec } of variants) {
    const modelSpec = spec as unknown as ModelSpec;
    const train = getModelDefinition(kind).buildBatches(
      modelSpec,
      bench.train.map((p) => ({ name: p.name, tokens: p.roll })),
      [0],
    );
    const engine = await createWasmEngine({ threads: num('threads', 2), adaptiveThreads: false });
    const model = await engine.createModel(modelSpec, training);
    const deadline = Number.isFinite(stepBudget) ? Infinity : Date.now() + minutes * 60_000;
    let steps = 0;
    const budget = {
      get aborted() {
        return Date.now() >= deadline || steps >= stepBudget;
      },
    } as AbortSignal;
    let lastLoss = NaN;
    try {
      await trainLoop({
        model,
        train,
        training,
        signal: budget,
        onProgress: (e) => {
          if (e.phase === 'epoch') steps++;
        },
        onCheckpoint: (c) => {
          lastLoss = c.metrics.loss as number;
          console.log(`  ${label}: epoch ${c.epoch}, training loss ${lastLoss.toFixed(3)}`);
        },
      });
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
    }
    stepBudget = steps;
    const test = await pooledFrameNll(bench.test, modelScorer(model));
    for (const temperature of temperatures) {
      const d = model.createDecoder();
      if (!isPolyDecoder(d)) throw new Error('not a polyphonic model');
      const rolls = await generatePolyphonic(d, {
        seedFrames: [],
        bars,
        framesPerBar: spec.beatsPerBar || 4,
        temperature,
        variations: takes,
        randomSeed: seed,
        maxRetries: 0,
      });
      d.dispose();
      const drawn = rollStats(
        rolls.map((r) => r.frames),
        bench.pitches,
      );
      const degenerate = rolls.filter((r) => r.degenerate).length;
      console.log(
        `  ${label}: ${steps} steps; test NLL ${test.nll.toFixed(3)}; at temperature ${temperature}: ${(drawn.empty * 100).toFixed(1)}% empty frames, ` +
          `${drawn.notes.toFixed(2)} notes per frame, ${degenerate} of ${takes} takes degenerate`,
      );
      results.push({
        label,
        steps,
        testNll: test.nll,
        temperature,
        empty: drawn.empty,
        notes: drawn.notes,
        degenerate,
      });
    }
    model.dispose();
    await engine.dispose();
  }

  const frames = bars * (base.beatsPerBar || 4);
  console.log(
    `\n${bench.name}, ${kind}, ${results[0].steps} training steps per loss${fixedSteps > 0 ? '' : ` (${minutes} min of the plain one)`}; ` +
      `${takes} takes of ${frames} frames from silence per temperature, seed ${seed}, no re-sampling:`,
  );
  console.log(
    `  ${'training loss'.padEnd(34)} ${'steps'.padStart(6)}  ${'test NLL (plain)'.padStart(16)}  ${'temp.'.padStart(5)}  ${'empty frames'.padStart(12)}  ${'notes/frame'.padStart(11)}  degenerate takes`,
  );
  for (const r of results)
    console.log(
      `  ${r.label.padEnd(34)} ${String(r.steps).padStart(6)}  ${r.testNll.toFixed(3).padStart(16)}  ${String(r.temperature).padStart(5)}  ${`${(r.empty * 100).toFixed(1)}%`.padStart(12)}  ${r.notes.toFixed(2).padStart(11)}  ${r.degenerate} of ${takes}`,
    );
  console.log(
    `  ${'corpus (test split)'.padEnd(34)} ${''.padStart(6)}  ${''.padStart(16)}  ${''.padStart(5)}  ${`${(corpus.empty * 100).toFixed(1)}%`.padStart(12)}  ${corpus.notes.toFixed(2).padStart(11)}`,
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
