// SPDX-License-Identifier: MIT
/**
 * `npm run bench:poly`: ms per training frame of biaxial-lstm at the peer's sizes (time 300,300; pitch 100,50; batch
 * 4 segments of 32 frames; JSB) on our wasm engine with 1 and 2 threads, beside the PyTorch peer
 * (../shared/bench/torch_biaxial_baseline.py) on the same cores, alternating ours and the peer over a few rounds
 * (this machine is shared: only side-by-side ratios mean much), then the median ratio ours / peer with its spread.
 * Rounds (scripts/lib/abRounds.ts): per round, 1 then 2 threads, ours and the peer back to back, ours first in odd
 * rounds and the peer first in even ones; per-round ratios, their median, min-max and IQR, and each side's 2-thread
 * speed-up.
 *
 *   npm run bench:poly -- [--rounds 3] [--steps 6] [--quick]
 *
 * --quick (a smoke run, rougher figures): 2 rounds, ours 3 steps, the peer 384 training frames.
 * Ours: median of --steps timed Adam steps after 2 warm-up steps. The peer: one short "epoch" of 1280 training frames
 * (its own ms_per_train_frame, which times training steps only); it then also scores the test split, untimed.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPolyBenchmark } from '../src/core/data/polyBenchmark';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { getModelDefinition, parameterCount } from '../src/core/model/registry';
import { DEFAULT_BIAXIAL_SPEC } from '../src/core/model/polyLstmSpec';
import { DEFAULT_TRAINING, type ModelSpec } from '../src/core/model/spec';
import { createRng } from '../src/core/util/random';
import { formatRatio, roundsFlag, runAbRounds, spread, summarizePairs } from './lib/abRounds';
import { rooflineLine, simdPeakGflops, trainStepMacs } from './lib/roofline';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(repoRoot, '../shared');
const dataFile = path.join(shared, 'data/boulanger2012/JSB_Chorales.json');
const BATCH = 4;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const median = (xs: number[]) => spread(xs).median;

const spec = DEFAULT_BIAXIAL_SPEC as unknown as ModelSpec;

/** JSB's training segments as the model batches them. */
function trainingSet() {
  const bench = readPolyBenchmark(JSON.parse(readFileSync(dataFile, 'utf8')), dataFile);
  return getModelDefinition(spec.kind).buildBatches(
    spec,
    bench.train.map((p) => ({ name: p.name, tokens: p.roll })),
    [0],
  );
}

async function ours(threads: number, steps: number): Promise<number> {
  const set = trainingSet();
  const engine = await createWasmEngine({ threads, adaptiveThreads: false });
  const model = await engine.createModel(spec, { ...DEFAULT_TRAINING, randomSeed: 1 });
  const rng = createRng(3);
  const times: number[] = [];
  for (let s = 0; s < steps + 2; s++) {
    const order = Array.from({ length: BATCH }, () => rng.int(set.size));
    const batch = set.batch(order, 0, BATCH);
    const t0 = performance.now();
    await model.trainStep(batch);
    if (s >= 2) times.push(performance.now() - t0);
  }
  model.dispose();
  await engine.dispose();
  return median(times) / (BATCH * DEFAULT_BIAXIAL_SPEC.segment);
}

function peer(threads: number, epochFrames: number): number {
  const args = [
    path.join(shared, 'bench/torch_biaxial_baseline.py'),
    '--data',
    dataFile,
    '--model',
    'biaxial',
    '--threads',
    String(threads),
    '--epochs',
    '1',
    '--epoch-frames',
    String(epochFrames),
    '--valid-max-frames',
    '32',
  ];
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', timeout: 900_000 });
  const line = run.stdout?.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(line) as { ms_per_train_frame: number }).ms_per_train_frame;
  } catch {
    throw new Error(
      `the peer gave no result (exit ${run.status}): ${(run.stderr ?? '').trim().split('\n').slice(-2).join(' / ')}`,
    );
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const rounds = roundsFlag(argv, 3, 2);
  const steps = flag('steps', quick ? 3 : 6);
  const epochFrames = quick ? 384 : 1280;
  console.log(
    `biaxial-lstm at the peer's sizes (time 300,300; pitch 100,50; ${parameterCount(spec).toLocaleString('en')} parameters), ` +
      `batch ${BATCH} x 32 frames of JSB; ms per training frame (ours: median of ${steps} steps; peer: ${epochFrames} frames), ` +
      `${rounds} rounds, ours and the peer back to back (ours first in odd rounds, the peer first in even ones); ` +
      `load average (1 min) ${loadavg()[0].toFixed(1)}`,
  );
  const results = await runAbRounds<number, number>({
    rounds,
    settings: [1, 2],
    ours: (threads) => ours(threads, steps),
    peer: (threads) => peer(threads, epochFrames),
    onPair: ({ round, setting, first, ours: o, peer: p }) =>
      console.log(
        `  round ${round} (${first} first), ${setting} thread(s): ours ${o.toFixed(2)} ms, peer ${p!.toFixed(2)} ms, ratio ${(o / p!).toFixed(2)}`,
      ),
  });
  console.log(
    `load average (1 min) at the end: ${loadavg()[0].toFixed(1)} (this machine is shared; above ~2 the figures are contended)`,
  );
  for (const threads of [1, 2]) {
    const s = summarizePairs(
      results.filter((r) => r.setting === threads),
      (x) => x,
    );
    console.log(
      `${threads} thread(s): ours ${s.ours.median.toFixed(2)} ms per training frame, peer ${s.peer.median.toFixed(2)} ms (medians); ` +
        `ratio ours/peer ${formatRatio(s)}`,
    );
  }
  const speedup = (side: 'ours' | 'peer') =>
    results
      .filter((r) => r.setting === 1)
      .map((one) => one[side]! / results.find((r) => r.setting === 2 && r.round === one.round)![side]!);
  const fmt = (xs: number[]) =>
    `${median(xs).toFixed(2)}x (min-max ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
  console.log(
    `2 threads vs 1 (1-thread / 2-thread ms per frame, same round), median: ours ${fmt(speedup('ours'))}, peer ${fmt(speedup('peer'))}`,
  );
  const frames = BATCH * DEFAULT_BIAXIAL_SPEC.segment;
  const set = trainingSet();
  const macs = await trainStepMacs(
    spec,
    set.batch(
      Array.from({ length: BATCH }, (_, i) => i),
      0,
      BATCH,
    ),
  );
  const peakGflops = await simdPeakGflops();
  for (const threads of [1, 2]) {
    const mine = results.filter((r) => r.setting === threads);
    console.log(
      rooflineLine({
        macs: macs / frames,
        peakGflops,
        oursMs: median(mine.map((r) => r.ours)),
        peerMs: median(mine.map((r) => r.peer!)),
        unit: 'training frame',
        threads,
      }),
    );
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
