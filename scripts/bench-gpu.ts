// SPDX-License-Identifier: MIT
/**
 * `npm run bench:gpu`: our WebGPU engine and PyTorch (torch.nn.LSTM, cuDNN on CUDA; ./bench-gpu-torch.py) side by side
 * on the same machine: melody-lstm (DEFAULT_MELODY_SPEC: Embedding 130->256, LSTM 256 x2, window 30) in ms per training
 * step at batch 64 and 4,096, plus ms per 128 generated tokens (batch-1 decoder, sampling on the host).
 * Then the polyphonic models at their default sizes (biaxial-lstm: time 300,300, pitch 100,50; bi-lstm: time 200,200,
 * down 100, back-in-time 64 over 8, pitch 100,50; 88 keys) in ms per training frame on webgpu at batch 4 x 32 frames
 * (the peer's) and 64 x 32, beside our wasm engine on 2 CPU threads at 4 x 32 in the same run. The polyphonic peer
 * (../shared/bench/torch_biaxial_baseline.py) runs on the CPU only: `npm run bench:poly` sets ours beside it there.
 *
 *   node --import tsx scripts/bench-gpu.ts [--smoke] [--steps 20] [--python python3] [--tf32] [--json]
 *
 * --smoke: tiny sizes (hidden 16, window 8, batches 4 and 16, 2 timed steps) so the whole script runs end to end on a
 * software adapter (SwiftShader) in CI-like machines; its figures mean nothing. Without a real GPU adapter the script
 * says so and, unless --smoke, stops. The PyTorch column runs on CUDA when torch sees a GPU, else on the CPU (labelled).
 * Our step time is wall clock around `await trainStep` (which reads the loss back, so the GPU work is finished), median
 * of the timed steps after warm-up; PyTorch's is CUDA events after warm-up (TF32 off unless --tf32).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebgpuEngine, describeAdapter, requestWebgpuAdapter } from '../src/core/engine/webgpuEngine';
import { webgpuStats } from '../src/core/engine/webgpuBackend';
import { DEFAULT_MELODY_SPEC, DEFAULT_TRAINING, type MelodyLstmSpec } from '../src/core/model/spec';
import { generateMelodies } from '../src/core/model/generate';
import { createRng } from '../src/core/util/random';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { DEFAULT_BIAXIAL_SPEC, DEFAULT_BI_LSTM_SPEC, type PolyLstmSpec } from '../src/core/model/polyLstmSpec';
import { median } from './lib/abRounds';
import { timePolyTrainingStep } from './lib/polyStepTime';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const has = (name: string) => args.includes(`--${name}`);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const smoke = has('smoke');
const steps = Number(flag('steps') ?? (smoke ? 2 : 20));
const warmup = smoke ? 1 : 5;
const spec: MelodyLstmSpec = smoke
  ? { ...DEFAULT_MELODY_SPEC, embeddingDim: 16, hiddenSize: 16, window: 8 }
  : DEFAULT_MELODY_SPEC;
const batches = smoke ? [4, 16] : [64, 4096];
const tokens = smoke ? 32 : 128;

const fmt = (x: number | undefined) => (x === undefined ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));

interface Figures {
  trainMs: Record<number, number>;
  /** Compute dispatches per training step (ours). */
  dispatches?: number;
  generateMs?: number;
  label: string;
}

async function ours(): Promise<Figures | string> {
  const adapter = await requestWebgpuAdapter();
  if (!adapter) return 'no WebGPU adapter here';
  const described = describeAdapter(adapter);
  if (described.software && !smoke)
    return `only the software adapter ${described.label}: no GPU to measure (use --smoke to check the script runs)`;
  const engine = await createWebgpuEngine(adapter);
  const trainMs: Record<number, number> = {};
  let dispatches = 0;
  try {
    const rng = createRng(1);
    const model = await engine.createModel(spec, DEFAULT_TRAINING);
    for (const batchSize of batches) {
      const batch = {
        inputs: new Int32Array(batchSize * spec.window).map(() => rng.int(spec.vocabSize)),
        targets: new Int32Array(batchSize).map(() => rng.int(spec.vocabSize)),
        batchSize,
      };
      for (let s = 0; s < warmup; s++) await model.trainStep(batch);
      const times: number[] = [];
      const before = webgpuStats(engine.info)!.dispatches;
      for (let s = 0; s < steps; s++) {
        const start = performance.now();
        await model.trainStep(batch);
        times.push(performance.now() - start);
      }
      trainMs[batchSize] = median(times);
      dispatches = (webgpuStats(engine.info)!.dispatches - before) / steps;
    }
    const decoder = model.createDecoder();
    const request = {
      seedTokens: [60],
      bars: tokens / 16,
      temperature: 1,
      variations: 1,
      randomSeed: 1,
      maxRetries: 0,
    };
    await generateMelodies(decoder, { ...request, bars: 1 });
    const gen: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      await generateMelodies(decoder, request);
      gen.push(performance.now() - start);
    }
    decoder.dispose();
    model.dispose();
    return { trainMs, dispatches, generateMs: median(gen), label: `webgpu on ${described.label}` };
  } finally {
    await engine.dispose();
  }
}

function torch(): Figures | string {
  const script = path.join(repoRoot, 'scripts/bench-gpu-torch.py');
  const candidates = flag('python') ? [flag('python')!] : ['python3', '/usr/bin/python3'];
  const python = candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0);
  if (!python) return `no python with torch among ${candidates.join(', ')}`;
  const trainMs: Record<number, number> = {};
  let generateMs: number | undefined;
  let label = '';
  for (const batchSize of batches) {
    const run = spawnSync(
      python,
      [
        script,
        '--batch',
        String(batchSize),
        '--embedding',
        String(spec.embeddingDim),
        '--hidden',
        String(spec.hiddenSize),
        '--layers',
        String(spec.layers),
        '--window',
        String(spec.window),
        '--vocab',
        String(spec.vocabSize),
        '--steps',
        String(steps),
        '--warmup',
        String(warmup),
        '--tokens',
        String(tokens),
        ...(has('tf32') ? ['--tf32'] : []),
      ],
      { encoding: 'utf8', timeout: 600_000 },
    );
    const line = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !line.startsWith('{'))
      return `the PyTorch script failed: ${run.stderr.trim().split('\n').pop()}`;
    const r = JSON.parse(line) as {
      device: string;
      torch: string;
      tf32: boolean;
      train_ms_per_step: number;
      generate_ms_128: number;
      cudnn: number | null;
    };
    trainMs[batchSize] = r.train_ms_per_step;
    generateMs ??= r.generate_ms_128;
    label =
      r.device === 'cpu'
        ? `PyTorch ${r.torch} on the CPU (no CUDA here)`
        : `PyTorch ${r.torch} + cuDNN ${r.cudnn} on ${r.device}, TF32 ${r.tf32 ? 'on' : 'off'}`;
  }
  return { trainMs, generateMs, label };
}

const a = await ours();
const b = torch();
const rows: string[][] = [['melody-lstm', 'ours (webgpu)', 'PyTorch', 'ours/PyTorch']];
const row = (name: string, x: number | undefined, y: number | undefined) =>
  rows.push([name, fmt(x), fmt(y), x !== undefined && y !== undefined ? (x / y).toFixed(2) : '-']);
const A = typeof a === 'string' ? undefined : a;
const B = typeof b === 'string' ? undefined : b;
const dims = `E${spec.embeddingDim} H${spec.hiddenSize}x${spec.layers} T${spec.window}`;
for (const batchSize of batches)
  row(`train ms/step, batch ${batchSize} (${dims})`, A?.trainMs[batchSize], B?.trainMs[batchSize]);
row(`generate ms / ${tokens} tokens`, A?.generateMs, B?.generateMs);
if (has('json')) console.log(JSON.stringify({ smoke, ours: a, torch: b }));
console.log(`bench:gpu${smoke ? ' --smoke (tiny sizes: checks the script, the figures mean nothing)' : ''}`);
console.log(
  `  ours:    ${typeof a === 'string' ? `not measured: ${a}` : `${a.label}; ${a.dispatches} dispatches per training step`}`,
);
console.log(`  PyTorch: ${typeof b === 'string' ? `not measured: ${b}` : b.label}`);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log('  | ' + r.map((cell, c) => cell.padEnd(widths[c])).join(' | ') + ' |');

// ---- the polyphonic models: ms per training frame, webgpu beside our wasm engine on the CPU --------------------------
const polySpecs: PolyLstmSpec[] = [DEFAULT_BIAXIAL_SPEC, DEFAULT_BI_LSTM_SPEC].map((base) =>
  smoke
    ? {
        ...base,
        pitches: 6,
        lowPitch: 60,
        timeSizes: [8],
        pitchSizes: [4],
        ...(base.kind === 'bi-lstm' ? { downSizes: [4], windowHidden: 4, window: 2 } : {}),
        segment: 4,
      }
    : base,
);
const polyBatches = smoke ? [2] : [4, 64];
const polySteps = smoke ? 2 : Math.max(3, Math.round(steps / 4));
/** Compute dispatches per training step on webgpu, by kind (the recurrences take one per time step or pitch). */
const polyDispatches: Record<string, number> = {};
async function polyOnEngine(engine: import('../src/core/engine/engine').Engine, batches: number[]) {
  const out: Record<string, Record<number, number>> = {};
  for (const spec of polySpecs) {
    out[spec.kind] = {};
    for (const batch of batches) {
      const stats = webgpuStats(engine.info);
      const figures = await timePolyTrainingStep({
        engine,
        spec,
        batch,
        steps: polySteps,
        warmup: 1,
        ...(stats ? { dispatches: () => stats.dispatches } : {}),
      });
      out[spec.kind][batch] = figures.msPerTrainingFrame;
      if (figures.dispatchesPerStep !== undefined) polyDispatches[spec.kind] = figures.dispatchesPerStep;
    }
  }
  return out;
}
let polyGpu: Record<string, Record<number, number>> | undefined;
if (typeof a !== 'string') {
  const gpuEngine = await createWebgpuEngine();
  try {
    polyGpu = await polyOnEngine(gpuEngine, polyBatches);
  } finally {
    await gpuEngine.dispose();
  }
}
const cpuEngine = await createWasmEngine({ threads: 2, adaptiveThreads: false });
const polyCpu = await polyOnEngine(cpuEngine, [polyBatches[0]]);
await cpuEngine.dispose();
const polyRows: string[][] = [
  [
    'ms per training frame',
    ...polyBatches.map((b) => `ours (webgpu), ${b} x ${polySpecs[0].segment}`),
    `ours (wasm, 2 threads), ${polyBatches[0]} x ${polySpecs[0].segment}`,
    'wasm / webgpu',
    'webgpu dispatches per step',
  ],
];
for (const spec of polySpecs) {
  const gpuFigures = polyBatches.map((b) => polyGpu?.[spec.kind][b]);
  const best = Math.min(...gpuFigures.filter((x): x is number => x !== undefined));
  const cpu = polyCpu[spec.kind][polyBatches[0]];
  polyRows.push([
    `${spec.kind} (${spec.pitches} keys)`,
    ...gpuFigures.map(fmt),
    fmt(cpu),
    Number.isFinite(best) ? (cpu / best).toFixed(2) : '-',
    polyDispatches[spec.kind] !== undefined ? String(Math.round(polyDispatches[spec.kind])) : '-',
  ]);
}
console.log(
  `  polyphonic models${polyGpu ? '' : ' (webgpu not measured: see above)'}; the wasm column ran on this machine's CPU in the same run`,
);
const polyWidths = polyRows[0].map((_, c) => Math.max(...polyRows.map((r) => r[c].length)));
for (const r of polyRows) console.log('  | ' + r.map((cell, c) => cell.padEnd(polyWidths[c])).join(' | ') + ' |');
