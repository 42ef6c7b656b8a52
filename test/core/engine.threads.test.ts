// SPDX-License-Identifier: MIT
// The worker-thread pool: 2 threads compute bitwise what 1 thread computes, really run in parallel, and never
// outlive dispose() or keep the process alive.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import type { Batch } from '../../src/core/engine/types';
import type { Engine } from '../../src/core/engine/engine';
import { instantiateKernels } from '../../src/core/engine/wasm/kernels';
import { loadEngineModule } from '../../src/core/engine/wasm/nodeLoader';
import { createNodeKernelPool, liveKernelWorkers } from '../../src/core/engine/pool/nodePool';
import { allocLstmCache, lstmBackward, lstmForward } from '../../src/core/engine/layers';
import { DEFAULT_MELODY_SPEC, type MelodyLstmSpec } from '../../src/core/model/spec';
import { createRng } from '../../src/core/util/random';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Big enough that every product and LSTM step is split (the pool skips products under 2^18 multiply-adds).
const midSpec: MelodyLstmSpec = { ...DEFAULT_MELODY_SPEC, vocabSize: 40, embeddingDim: 32, hiddenSize: 64, window: 10 };

function randomBatch(spec: MelodyLstmSpec, batchSize: number, randomSeed: number): Batch {
  const rng = createRng(randomSeed);
  return {
    inputs: new Int32Array(batchSize * spec.window).map(() => rng.int(spec.vocabSize)),
    targets: new Int32Array(batchSize).map(() => rng.int(spec.vocabSize)),
    batchSize,
  };
}

const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.dispose();
});

describe('wasm engine threads', () => {
  it('an LSTM layer on 2 threads gives bitwise the 1-thread outputs and gradients, and really splits the work', async () => {
    const module = loadEngineModule(true);
    const single = await instantiateKernels(module, true);
    const pooled = await instantiateKernels(module, true, (memory) => createNodeKernelPool(module, memory, 1));
    try {
      // 22 rows: chunks of 8, 8 and 6 (a short last chunk).
      const shape = { batch: 22, time: 7, inDim: 48, hidden: 64, reverse: false };
      const results = [single, pooled].map((k) => {
        const fill = (n: number, scale: number) => {
          const buf = k.allocF32(n);
          const r = createRng(n);
          k.f32(buf).forEach((_, i, a) => (a[i] = r.normal() * scale));
          return buf.ptr;
        };
        const I = shape.inDim,
          H = shape.hidden,
          N = shape.batch * shape.time;
        const inp = fill(N * I, 1);
        const params = { kernel: fill(I * 4 * H, 0.2), recurrent: fill(H * 4 * H, 0.2), bias: fill(4 * H, 0.1) };
        const dhs = fill(N * H, 1);
        const cache = allocLstmCache(k, shape);
        lstmForward(k, cache, inp, params, shape);
        const dinp = k.allocF32(N * I);
        const dparams = {
          kernel: k.allocF32(I * 4 * H).ptr,
          recurrent: k.allocF32(H * 4 * H).ptr,
          bias: k.allocF32(4 * H).ptr,
        };
        lstmBackward(k, dinp.ptr, dparams, dhs, 0, cache, inp, params, shape);
        return [
          k.f32(cache.hs).slice(),
          k.f32(dinp).slice(),
          k.f32(dparams.recurrent, H * 4 * H).slice(),
          k.f32(dparams.kernel, I * 4 * H).slice(),
        ];
      });
      expect(pooled.threads).toBe(2);
      // The recurrence forward and backward (one job each), the input projection and its three gradient products.
      expect(pooled.parallelCalls).toBeGreaterThanOrEqual(5);
      expect(single.parallelCalls).toBe(0);
      for (let i = 0; i < results[0].length; i++) expect(results[1][i]).toEqual(results[0][i]);
    } finally {
      single.dispose();
      pooled.dispose();
    }
  });

  it('training the melody model on 2 threads gives bitwise the weights of 1 thread', async () => {
    const one = await createWasmEngine({ threads: 1 });
    const two = await createWasmEngine({ threads: 2, adaptiveThreads: false });
    engines.push(one, two);
    expect(one.info).toMatchObject({
      name: 'wasm',
      threads: 1,
      description: 'wasm engine (WebAssembly SIMD), 1 thread',
    });
    expect(two.info).toMatchObject({
      name: 'wasm',
      threads: 2,
      description: 'wasm engine (WebAssembly SIMD), 2 threads',
    });
    const training = { learningRate: 0.01, clipNorm: 1, randomSeed: 3 };
    const [m1, m2] = [await one.createModel(midSpec, training), await two.createModel(midSpec, training)];
    const batch = randomBatch(midSpec, 24, 8);
    const [g1, g2] = [await m1.computeGradients(batch), await m2.computeGradients(batch)];
    expect(g2.loss).toBe(g1.loss);
    expect(g2.grads).toEqual(g1.grads);
    for (let s = 0; s < 3; s++) expect(await m2.trainStep(batch)).toBe(await m1.trainStep(batch));
    expect(await m2.getWeights()).toEqual(await m1.getWeights());
  });

  it('with adaptive threads the engine reports what it chose, and results do not depend on the choice', async () => {
    const engine = await createWasmEngine({ threads: 2 });
    engines.push(engine);
    const model = await engine.createModel(midSpec, { learningRate: 0.01, clipNorm: 1, randomSeed: 3 });
    const batch = randomBatch(midSpec, 24, 8);
    for (let s = 0; s < 4; s++) await model.trainStep(batch);
    expect([1, 2]).toContain(engine.info.threads);
    if (engine.info.threads === 1) expect(engine.info.fallbackReason).toMatch(/threads took/);
    else expect(engine.info.fallbackReason).toBeUndefined();
  });

  it('falls back to 1 thread, and says why, when the worker threads cannot start', async () => {
    const engine = await createWasmEngine({ threads: 2, workerUrl: new URL('file:///nonexistent/kernelWorker.mjs') });
    engines.push(engine);
    expect(engine.info.threads).toBe(1);
    expect(engine.info.fallbackReason).toMatch(/worker threads did not start.*Running on 1 thread/);
    const model = await engine.createModel(midSpec, { learningRate: 0.01, clipNorm: 1, randomSeed: 3 });
    expect(await model.trainStep(randomBatch(midSpec, 4, 1))).toBeGreaterThan(0);
  });

  it('dispose ends every worker thread', async () => {
    const before = liveKernelWorkers();
    const engine = await createWasmEngine({ threads: 2 });
    expect(liveKernelWorkers()).toBe(before + 1);
    await engine.dispose();
    const deadline = Date.now() + 10_000;
    while (liveKernelWorkers() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(liveKernelWorkers()).toBe(before);
  });

  it('a process that trains on 2 threads exits on its own, even without dispose', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etude-engine-'));
    const script = join(dir, 'noDispose.mts');
    const engineUrl = new URL(`file://${join(repoRoot, 'src/core/engine/wasmEngine.ts')}`).href;
    writeFileSync(
      script,
      `import { createWasmEngine } from ${JSON.stringify(engineUrl)};
const engine = await createWasmEngine({ threads: 2, adaptiveThreads: false });
const spec = { kind: 'melody-lstm', encoding: 'melody-130', vocabSize: 20, embeddingDim: 16, hiddenSize: 32, layers: 2, dropout: 0, window: 8 };
const model = await engine.createModel(spec, { learningRate: 0.01, clipNorm: 1, randomSeed: 1 });
const batch = { inputs: new Int32Array(16 * 8).fill(3), targets: new Int32Array(16).fill(4), batchSize: 16 };
console.log('loss', await model.trainStep(batch), engine.info.threads);
`,
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^loss \d+\.\d+ 2$/m);
  });
});
