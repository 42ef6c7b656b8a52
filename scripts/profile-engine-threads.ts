// SPDX-License-Identifier: MIT
/**
 * Where the wasm engine's 2-thread speed-up comes from: per training step, the time spent in the kernel calls the
 * worker pool splits over threads (the large matrix products and the whole-sequence LSTM recurrences, see
 * src/core/engine/wasm/kernels.ts) and the time in everything else, which runs on the calling thread only (Adam,
 * embedding gather/scatter, softmax/BCE, copies, weight packing, small products, JS between kernels). On 1 and 2
 * threads, alternating which goes first by round; prints Amdahl's bound from the 1-thread split.
 *
 *   node --import tsx scripts/profile-engine-threads.ts [--model melody|biaxial] [--rounds 3] [--steps 6]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPolyBenchmark } from '../src/core/data/polyBenchmark';
import { Kernels } from '../src/core/engine/wasm/kernels';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { DEFAULT_BIAXIAL_SPEC } from '../src/core/model/polyLstmSpec';
import { getModelDefinition } from '../src/core/model/registry';
import { DEFAULT_MELODY_SPEC, DEFAULT_TRAINING, type ModelSpec } from '../src/core/model/spec';
import { createRng } from '../src/core/util/random';
import { firstInRound, median, roundsFlag } from './lib/abRounds';

/** Same threshold as kernels.ts' PARALLEL_MIN_MACS: smaller products stay on the calling thread. */
const PARALLEL_MIN_MACS = 1 << 18;
/** Untimed steps first (as bench:engine): the wasm tier-up happens there. */
const WARMUP = 3;

let splitMs = 0;
function wrap(name: 'matmulAB' | 'matmulAtB' | 'matmulABt' | 'lstmSequenceForward' | 'lstmSequenceBackward'): void {
  const proto = Kernels.prototype as unknown as Record<string, (...a: unknown[]) => void>;
  const original = proto[name];
  const product = name.startsWith('matmul');
  proto[name] = function (this: unknown, ...args: unknown[]) {
    const [m, n, k] = (product ? args.slice(3, 6) : [args[5], 1, PARALLEL_MIN_MACS]) as number[];
    // Only calls the pool would split (kernels.ts: products need m >= 8 and enough work; sequences rows >= 8).
    if (m < 8 || m * n * k < PARALLEL_MIN_MACS) return original.apply(this, args);
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      splitMs += performance.now() - t0;
    }
  };
}
for (const name of ['matmulAB', 'matmulAtB', 'matmulABt', 'lstmSequenceForward', 'lstmSequenceBackward'] as const)
  wrap(name);

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const kind = flag('model', 'melody');
const steps = Number(flag('steps', '6'));
const rounds = roundsFlag(process.argv, 3, 1);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function makeBatch(): { spec: ModelSpec; batch: () => unknown } {
  if (kind === 'biaxial') {
    const spec = DEFAULT_BIAXIAL_SPEC as unknown as ModelSpec;
    const file = path.resolve(repoRoot, '../shared/data/boulanger2012/JSB_Chorales.json');
    const bench = readPolyBenchmark(JSON.parse(readFileSync(file, 'utf8')), file);
    const set = getModelDefinition(spec.kind).buildBatches(
      spec,
      bench.train.map((p) => ({ name: p.name, tokens: p.roll })),
      [0],
    );
    const rng = createRng(3);
    return {
      spec,
      batch: () =>
        set.batch(
          [0, 1, 2, 3].map(() => rng.int(set.size)),
          0,
          4,
        ),
    };
  }
  const spec = DEFAULT_MELODY_SPEC;
  const rng = createRng(1);
  const fixed = {
    inputs: new Int32Array(64 * spec.window).map(() => rng.int(spec.vocabSize)),
    targets: new Int32Array(64).map(() => rng.int(spec.vocabSize)),
    batchSize: 64,
  };
  return { spec, batch: () => fixed };
}

interface Measured {
  step: number;
  split: number;
  /** CPU time of the whole process (all threads) per step: about 2x the step on two cores that are really ours. */
  cpu: number;
}

async function measure(threads: number): Promise<Measured> {
  const { spec, batch } = makeBatch();
  const engine = await createWasmEngine({ threads, adaptiveThreads: false });
  const model = await engine.createModel(spec, { ...DEFAULT_TRAINING, randomSeed: 1 });
  const step: number[] = [];
  const split: number[] = [];
  let cpuStart = process.cpuUsage();
  for (let s = 0; s < steps + WARMUP; s++) {
    const b = batch();
    splitMs = 0;
    if (s === WARMUP) cpuStart = process.cpuUsage();
    const t0 = performance.now();
    await model.trainStep(b as Parameters<typeof model.trainStep>[0]);
    if (s >= WARMUP) {
      step.push(performance.now() - t0);
      split.push(splitMs);
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  model.dispose();
  await engine.dispose();
  return { step: median(step), split: median(split), cpu: (cpu.user + cpu.system) / 1000 / steps };
}

const byThreads: Record<number, Measured[]> = { 1: [], 2: [] };
for (let r = 1; r <= rounds; r++) {
  const order = firstInRound(r) === 'ours' ? [1, 2] : [2, 1];
  for (const t of order) {
    const m = await measure(t);
    byThreads[t].push(m);
    console.log(
      `  round ${r}, ${t} thread(s): ${m.step.toFixed(1)} ms/step, split kernels ${m.split.toFixed(1)} ms, rest ${(m.step - m.split).toFixed(1)} ms, CPU ${m.cpu.toFixed(1)} ms`,
    );
  }
}
const med = (t: number, f: (x: Measured) => number) => median(byThreads[t].map(f));
const s1 = med(1, (x) => x.step);
const p1 = med(1, (x) => x.split);
const s2 = med(2, (x) => x.step);
const p2 = med(2, (x) => x.split);
const c1 = med(1, (x) => x.cpu);
const c2 = med(2, (x) => x.cpu);
const share = p1 / s1;
console.log(
  `${kind}: 1 thread ${s1.toFixed(1)} ms/step (split kernels ${p1.toFixed(1)} ms = ${(100 * share).toFixed(0)}%, rest ${(s1 - p1).toFixed(1)} ms); ` +
    `2 threads ${s2.toFixed(1)} ms/step (split kernels ${p2.toFixed(1)} ms, rest ${(s2 - p2).toFixed(1)} ms); CPU per step ${c1.toFixed(1)} / ${c2.toFixed(1)} ms`,
);
console.log(
  `speed-up 2 vs 1 thread: whole step ${(s1 / s2).toFixed(2)}x, split kernels alone ${(p1 / p2).toFixed(2)}x; ` +
    `Amdahl's bound with a perfect 2x on the split kernels: ${(1 / (1 - share + share / 2)).toFixed(2)}x (medians of ${rounds} rounds)`,
);
