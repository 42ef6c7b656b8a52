// SPDX-License-Identifier: MIT
/**
 * `npm run bench:poly`: ms per training frame of biaxial-lstm at the peer's sizes (time 300,300; pitch 100,50; batch
 * 4 segments of 32 frames; JSB) on our wasm engine with 1 and 2 threads, beside the PyTorch peer
 * (../shared/bench/torch_biaxial_baseline.py) on the same cores, alternating ours and the peer over a few rounds
 * (this machine is shared: only side-by-side ratios mean much), then the median ratio ours / peer with its spread.
 *
 *   npm run bench:poly -- [--rounds 3] [--steps 6]
 *
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
import { getModelDefinition } from '../src/core/model/registry';
import { DEFAULT_BIAXIAL_SPEC } from '../src/core/model/polyLstmSpec';
import { DEFAULT_TRAINING, parameterCount, type ModelSpec } from '../src/core/model/spec';
import { createRng } from '../src/core/util/random';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(repoRoot, '../shared');
const dataFile = path.join(shared, 'data/boulanger2012/JSB_Chorales.json');
const BATCH = 4;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const spec = DEFAULT_BIAXIAL_SPEC as unknown as ModelSpec;

async function ours(threads: number, steps: number): Promise<number> {
  const bench = readPolyBenchmark(JSON.parse(readFileSync(dataFile, 'utf8')), dataFile);
  const set = getModelDefinition(spec.kind).buildBatches(
    spec,
    bench.train.map((p) => ({ name: p.name, tokens: p.roll })),
    [0],
  );
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

function peer(threads: number): number {
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
    '1280',
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
  const rounds = flag('rounds', 3);
  const steps = flag('steps', 6);
  console.log(
    `biaxial-lstm at the peer's sizes (time 300,300; pitch 100,50; ${parameterCount(spec).toLocaleString('en')} parameters), ` +
      `batch ${BATCH} x 32 frames of JSB; ms per training frame, ${rounds} rounds alternating ours and the peer; ` +
      `load average (1 min) ${loadavg()[0].toFixed(1)}`,
  );
  const rows: Record<number, { ours: number[]; peer: number[] }> = {
    1: { ours: [], peer: [] },
    2: { ours: [], peer: [] },
  };
  for (let r = 1; r <= rounds; r++) {
    for (const threads of [1, 2]) {
      const o = await ours(threads, steps);
      const p = peer(threads);
      rows[threads].ours.push(o);
      rows[threads].peer.push(p);
      console.log(
        `  round ${r}, ${threads} thread(s): ours ${o.toFixed(2)} ms, peer ${p.toFixed(2)} ms, ratio ${(o / p).toFixed(2)}`,
      );
    }
  }
  console.log(
    `load average (1 min) at the end: ${loadavg()[0].toFixed(1)} (this machine is shared; above ~2 the figures are contended)`,
  );
  for (const threads of [1, 2]) {
    const ratios = rows[threads].ours.map((o, i) => o / rows[threads].peer[i]);
    console.log(
      `${threads} thread(s): ours ${median(rows[threads].ours).toFixed(2)} ms per training frame, peer ${median(rows[threads].peer).toFixed(2)} ms; ` +
        `ratio ours/peer median ${median(ratios).toFixed(2)} (range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
    );
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
