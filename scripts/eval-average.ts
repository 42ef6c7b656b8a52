// SPDX-License-Identifier: MIT
/**
 * `npm run eval:average`: what weight averaging (src/core/training/weightAverage.ts, eval:poly --average-decay) would
 * have given a run that trained without it, replayed from that run's weights after each validation. Averaging does
 * not change training (the weights a run reaches are the same with or without it; test/core/training.test.ts), so
 * the average after validation k is computable afterwards from the weights of validations up to k, and so is the
 * run's best with averaging: the lower of the weights' valid loss (read from each checkpoint's metrics) and the
 * average's, at every validation.
 *
 *   npm run eval:average -- --dataset jsb|nottingham | --data FILE.json --checkpoints DIR
 *        [--decays 0.5,0.75] [--from-epoch 1] [--threads 2]
 *
 * DIR holds one eval:poly run's `latest` checkpoints, one per validation, copied aside as the run went (any file
 * names ending .etude-ckpt; ordered by the epoch each records). The average starts at the first of them, so an
 * average whose first checkpoints are missing starts later than the run's would have. Valid losses are eval:poly's
 * (the valid split's segments, evaluateWindows); for the best weights of each decay it prints the exact test NLL,
 * as eval:poly does (the keys outside the model's range scored by the Note 1-Gram fitted on train). --from-epoch
 * validates the averages from that epoch on only (each validation of JSB's valid split costs about 15 s here).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NamedWeights } from '../src/core/engine/types';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { decodeCheckpoint, type Checkpoint } from '../src/core/model/checkpoint';
import { fitNoteUnigram, pooledFrameNll, rangedScorer } from '../src/core/model/polyMetrics';
import { getModelDefinition } from '../src/core/model/registry';
import { evaluateWindows } from '../src/core/training/trainLoop';
import { averagedWeights, isAverageDecay } from '../src/core/training/weightAverage';
import { benchmarkFromFlags, flag, modelScorer, num, tokensInSpan } from './lib/polyEval';

/** The run's checkpoints in DIR, in the order of their epochs; all of one spec. */
function readRun(dir: string): Checkpoint[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.etude-ckpt'));
  if (files.length === 0) throw new Error(`${dir} holds no .etude-ckpt files.`);
  const run = files.map((f) => decodeCheckpoint(readFileSync(path.join(dir, f)))).sort((a, b) => a.epoch - b.epoch);
  const spec = JSON.stringify(run[0].spec);
  if (run.some((c) => JSON.stringify(c.spec) !== spec)) throw new Error(`${dir} holds checkpoints of several models.`);
  if (new Set(run.map((c) => c.epoch)).size !== run.length)
    throw new Error(`${dir} holds two checkpoints of one epoch: one run's, one per validation, are expected.`);
  return run;
}

function decaysFromFlags(): number[] {
  const given = (flag('decays') ?? '0.5,0.75').split(',').map(Number);
  const bad = given.find((d) => !isAverageDecay(d));
  if (bad !== undefined) throw new Error(`--decays must list numbers above 0 and below 1, got: ${flag('decays')}`);
  return given;
}

async function main(): Promise<void> {
  const dir = flag('checkpoints');
  if (!dir) throw new Error('Name the run: --checkpoints DIR (its latest checkpoints, one per validation).');
  const decays = decaysFromFlags();
  const fromEpoch = num('from-epoch', 1);
  const { bench } = benchmarkFromFlags();
  const run = readRun(dir);
  const { spec, training } = run[0];
  const poly = spec as unknown as { lowPitch: number; pitches: number };
  const span = { from: poly.lowPitch - bench.low, count: poly.pitches };
  const validSet = getModelDefinition(spec.kind).buildBatches(spec, tokensInSpan(bench.valid, span), [0]);
  const unigram = fitNoteUnigram(bench.train);
  const engine = await createWasmEngine({ threads: num('threads', 2), adaptiveThreads: false });
  const model = await engine.createModel(spec, training);
  const validOf = async (weights: NamedWeights) => {
    model.setWeights(weights);
    return evaluateWindows(model, validSet, training.batchSize);
  };
  const testOf = async (weights: NamedWeights) => {
    model.setWeights(weights);
    return (await pooledFrameNll(bench.test, rangedScorer(modelScorer(model), span, unigram))).nll;
  };
  const validOfEpoch = (c: Checkpoint) => c.metrics.valLoss ?? NaN;
  console.log(
    `${dir}: ${run.length} checkpoints of ${spec.kind}, epochs ${run[0].epoch}..${run.at(-1)!.epoch}; ${engine.info.description}`,
  );
  const raw = run.reduce((b, c) => (validOfEpoch(c) < validOfEpoch(b) ? c : b));
  console.log(
    `  the weights: best valid ${validOfEpoch(raw).toFixed(3)} after epoch ${raw.epoch}; test ${(await testOf(raw.weights)).toFixed(3)}`,
  );
  for (const decay of decays) {
    let average: NamedWeights | undefined;
    let best: { valid: number; epoch: number; weights: NamedWeights } | undefined;
    const line: string[] = [];
    for (const c of run) {
      average = averagedWeights(average, c.weights, decay);
      if (c.epoch < fromEpoch) continue;
      const valid = await validOf(average);
      line.push(`${c.epoch}: ${valid.toFixed(3)}`);
      if (!best || valid < best.valid) best = { valid, epoch: c.epoch, weights: average };
    }
    if (!best) throw new Error(`No checkpoint of ${dir} is of epoch ${fromEpoch} or later.`);
    console.log(`  average, decay ${decay}: valid ${line.join(', ')}`);
    const kept = best.valid < validOfEpoch(raw) ? 'the average' : 'the weights';
    console.log(
      `  average, decay ${decay}: best valid ${best.valid.toFixed(3)} after epoch ${best.epoch}; test ` +
        `${(await testOf(best.weights)).toFixed(3)}; the better on valid: ${kept}`,
    );
  }
  model.dispose();
  await engine.dispose();
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
