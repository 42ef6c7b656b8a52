// SPDX-License-Identifier: MIT
/**
 * A quick check, not the benchmark: median ms per training step (default spec, batch 64, 1 thread) and per decoder
 * step on the wasm engine, to see that a change to the model seam did not slow the step down. The real comparison
 * with PyTorch is `npm run bench:engine`.
 *   npx tsx scripts/bench-engine-step.ts [steps]
 */
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { DEFAULT_MELODY_SPEC } from '../src/core/model/spec';
import { createRng } from '../src/core/util/random';

const steps = Number(process.argv[2] ?? 12);
const spec = DEFAULT_MELODY_SPEC;
const engine = await createWasmEngine({ threads: 1, adaptiveThreads: false });
const model = await engine.createModel(spec, { learningRate: 0.001, clipNorm: 5, randomSeed: 1 });
const rng = createRng(3);
const batchSize = 64;
const batch = {
  inputs: new Int32Array(batchSize * spec.window).map(() => rng.int(spec.vocabSize)),
  targets: new Int32Array(batchSize).map(() => rng.int(spec.vocabSize)),
  batchSize,
};
const times: number[] = [];
let cpuStart = process.cpuUsage();
for (let i = 0; i < steps + 2; i++) {
  if (i === 2) cpuStart = process.cpuUsage();
  const t0 = performance.now();
  await model.trainStep(batch);
  if (i >= 2) times.push(performance.now() - t0);
}
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
times.sort((a, b) => a - b);
const decoder = model.createDecoder();
const dt: number[] = [];
for (let i = 0; i < 300; i++) {
  const t0 = performance.now();
  await decoder.step(60 + (i % 10));
  dt.push(performance.now() - t0);
}
dt.sort((a, b) => a - b);
console.log(
  `train step median ${times[times.length >> 1].toFixed(1)} ms (min ${times[0].toFixed(1)}, cpu ${cpuMs.toFixed(1)}) over ${steps}; decoder step median ${dt[150].toFixed(3)} ms`,
);
decoder.dispose();
model.dispose();
await engine.dispose();
