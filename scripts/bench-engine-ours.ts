// SPDX-License-Identifier: MIT
/**
 * Speed of our wasm engine on the thesis model (DEFAULT_MELODY_SPEC, batch 64, window 30): ms per training step on
 * 1 and 2 threads and ms per 128 generated tokens (batch-1 decoder plus sampling), printed as one JSON object.
 * With --torch, the PyTorch peer (/work/shared/bench/torch_lstm_baseline.py, or --torch-script PATH) runs in the same
 * process tree, interleaved round by round, because this machine is shared and only side-by-side ratios mean much.
 *
 *   node --import tsx scripts/bench-engine-ours.ts [--steps 10] [--rounds 2] [--threads 1,2] [--torch]
 *
 * `benchEngineOurs` is exported for scripts/bench-engine.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { TokenBatch } from '../src/core/engine/types';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { isFmaModule, loadEngineModule } from '../src/core/engine/wasm/nodeLoader';
import { DEFAULT_MELODY_SPEC, DEFAULT_TRAINING } from '../src/core/model/spec';
import { createRng, type Rng } from '../src/core/util/random';

export interface OursBenchResult {
  engine: 'wasm';
  threads: number;
  /** Median over the timed steps. */
  trainMsPerStep: number;
  /** Every timed step, ms. */
  stepMs: number[];
  /**
   * CPU time per step (all threads of this process), ms. On a shared machine the 1-thread figure hardly depends on
   * the load, unlike the wall-clock one: compare it with the peer's torchCpuMsPerStep.
   */
  cpuMsPerStep: number;
  generateMs128: number;
  description: string;
  /** Which kernel build ran: fused multiply-add (relaxed SIMD) or plain SIMD (ETUDE_WASM_FMA=0). */
  kernels: 'fma' | 'plain';
}

export interface TorchBenchResult {
  threads: number;
  trainMsPerStep: number;
  generateMs128: number;
  raw: unknown;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

/** The benchmark's batch: 64 random windows of DEFAULT_MELODY_SPEC's 30 tokens, each with its next token. */
export function melodyBenchBatch(rng: Rng = createRng(1), batchSize = 64): TokenBatch {
  const spec = DEFAULT_MELODY_SPEC;
  return {
    inputs: new Int32Array(batchSize * spec.window).map(() => rng.int(spec.vocabSize)),
    targets: new Int32Array(batchSize).map(() => rng.int(spec.vocabSize)),
    batchSize,
  };
}

/**
 * Times our engine: `warmup` untimed steps, then `steps` timed ones, then 128 decoded tokens (best of 3 runs).
 * `adaptiveThreads` false pins the thread count; true is the product's default (it times threads against one thread
 * during the warm-up and keeps the faster, so a busy machine falls back to one thread).
 */
export async function benchEngineOurs(
  threads: number,
  steps = 10,
  warmup = 3,
  adaptiveThreads = false,
): Promise<OursBenchResult> {
  const engine = await createWasmEngine({ threads, adaptiveThreads });
  try {
    const spec = DEFAULT_MELODY_SPEC;
    const model = await engine.createModel(spec, DEFAULT_TRAINING);
    const rng = createRng(1);
    const batch = melodyBenchBatch(rng);
    for (let s = 0; s < warmup; s++) await model.trainStep(batch);
    const stepMs: number[] = [];
    const cpuStart = process.cpuUsage();
    for (let s = 0; s < steps; s++) {
      const start = performance.now();
      await model.trainStep(batch);
      stepMs.push(performance.now() - start);
    }
    const cpu = process.cpuUsage(cpuStart);
    const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
    const decoder = model.createDecoder();
    const genRuns: number[] = [];
    for (let run = 0; run < 3; run++) {
      decoder.reset();
      let token = 60;
      const start = performance.now();
      for (let i = 0; i < 128; i++) {
        const logits = await decoder.step(token);
        token = sample(logits, rng.next());
      }
      genRuns.push(performance.now() - start);
    }
    decoder.dispose();
    model.dispose();
    return {
      engine: 'wasm',
      threads,
      trainMsPerStep: round1(median(stepMs)),
      stepMs: stepMs.map(round1),
      cpuMsPerStep: round1(cpuMsPerStep),
      generateMs128: round1(Math.min(...genRuns)),
      description: engine.info.description,
      kernels: isFmaModule(loadEngineModule(threads > 1)) ? 'fma' : 'plain',
    };
  } finally {
    await engine.dispose();
  }
}

/** Softmax sampling (what a generation loop does per token; PyTorch's peer samples too). */
function sample(logits: Float32Array, uniform: number): number {
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  let acc = 0;
  for (let i = 0; i < logits.length; i++) {
    acc += Math.exp(logits[i] - max) / sum;
    if (uniform < acc) return i;
  }
  return logits.length - 1;
}

/**
 * The peer's CPU time per training step (user + system, all its threads): two runs of different lengths under
 * /usr/bin/time, so start-up, warm-up and generation cancel out. Undefined when anything is missing.
 */
export function torchCpuMsPerStep(
  threads: number,
  steps = 10,
  script = '/work/shared/bench/torch_lstm_baseline.py',
): number | undefined {
  if (!existsSync(script) || !existsSync('/usr/bin/time')) return undefined;
  const cpuSeconds = (n: number) => {
    const run = spawnSync(
      '/usr/bin/time',
      ['-f', 'CPU %U %S', '/usr/bin/python3', script, '--threads', String(threads), '--steps', String(n)],
      { encoding: 'utf8', timeout: 600_000 },
    );
    const match = /CPU ([\d.]+) ([\d.]+)/.exec(run.stderr ?? '');
    return run.status === 0 && match ? Number(match[1]) + Number(match[2]) : undefined;
  };
  const short = cpuSeconds(2);
  const long = cpuSeconds(2 + steps);
  return short === undefined || long === undefined ? undefined : round1(((long - short) * 1000) / steps);
}

/** Runs the PyTorch peer once; undefined when python3/torch or the script is missing. */
export function benchTorchPeer(
  threads: number,
  steps = 10,
  script = '/work/shared/bench/torch_lstm_baseline.py',
): TorchBenchResult | undefined {
  if (!existsSync(script)) return undefined;
  const run = spawnSync('/usr/bin/python3', [script, '--threads', String(threads), '--steps', String(steps)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const line = run.stdout?.trim().split('\n').pop();
  if (run.status !== 0 || !line) return undefined;
  const raw = JSON.parse(line) as { train_ms_per_step: number; generate_ms_128: number };
  return { threads, trainMsPerStep: raw.train_ms_per_step, generateMs128: raw.generate_ms_128, raw };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const steps = Number(value('--steps') ?? 10);
  const rounds = Number(value('--rounds') ?? 1);
  const threadsList = (value('--threads') ?? '1,2').split(',').map(Number);
  const withTorch = args.includes('--torch');
  const torchScript = value('--torch-script');
  const ours: OursBenchResult[] = [];
  const torch: TorchBenchResult[] = [];
  const torchCpu: { threads: number; cpuMsPerStep: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const threads of threadsList) {
      ours.push(await benchEngineOurs(threads, steps));
      if (withTorch) {
        const peer = benchTorchPeer(threads, steps, torchScript);
        if (peer) torch.push(peer);
        const cpu = torchCpuMsPerStep(threads, steps, torchScript);
        if (cpu !== undefined) torchCpu.push({ threads, cpuMsPerStep: cpu });
      }
    }
  }
  const summary = threadsList.map((threads) => {
    const o = ours.filter((x) => x.threads === threads);
    const t = torch.filter((x) => x.threads === threads);
    return {
      threads,
      oursMsPerStep: round1(median(o.map((x) => x.trainMsPerStep))),
      oursGenerateMs128: round1(median(o.map((x) => x.generateMs128))),
      oursCpuMsPerStep: round1(median(o.map((x) => x.cpuMsPerStep))),
      torchMsPerStep: t.length ? round1(median(t.map((x) => x.trainMsPerStep))) : undefined,
      torchGenerateMs128: t.length ? round1(median(t.map((x) => x.generateMs128))) : undefined,
      torchCpuMsPerStep: torchCpu.some((x) => x.threads === threads)
        ? round1(median(torchCpu.filter((x) => x.threads === threads).map((x) => x.cpuMsPerStep)))
        : undefined,
    };
  });
  console.log(
    JSON.stringify(
      {
        spec: 'melody-lstm default (1,117,314 params), batch 64, window 30',
        // Other processes compete for the cores: wall-clock figures are only comparable within one run.
        loadAverage: loadavg().map(round1),
        summary,
        runs: { ours, torch, torchCpu },
      },
      null,
      1,
    ),
  );
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
