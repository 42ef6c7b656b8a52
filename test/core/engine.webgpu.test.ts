// SPDX-License-Identifier: MIT
// The WebGPU engine (src/core/engine/webgpuBackend.ts, WGSL kernels in src/core/engine/webgpu/kernels.ts) held to the
// float64 reference layers op by op, and to our wasm engine on the melody model: loss and every gradient, a checkpoint
// that continues on the other engine, and generation from the same seed. Runs on any WebGPU adapter; on a machine
// without a GPU, on Chromium's SwiftShader Vulkan driver (slow, hence the tiny shapes).
// Tolerances: float32 against float64, relative to each tensor's largest entry, 1e-4 (1e-5 for losses); engine
// against engine, 1e-4 relative (the two sum in different orders).
// Where no adapter exists the suite FAILS with the instruction below, never skips.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../src/core/engine/backend';
import { createWebgpuBackend, webgpuStats, type WebgpuBackendOptions } from '../../src/core/engine/webgpuBackend';
import {
  createWebgpuEngine,
  describeAdapter,
  NO_ADAPTER_HELP,
  requestWebgpuAdapter,
  webgpuEngineInfo,
} from '../../src/core/engine/webgpuEngine';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { ADAM, type NamedWeights, type TokenBatch } from '../../src/core/engine/types';
import type { Engine } from '../../src/core/engine/engine';
import * as R from '../../src/core/engine/reference/layers';
import { refMelodyLossAndGradients, type Weights64 } from '../../src/core/engine/reference/melodyLstm';
import { initWeights } from '../../src/core/model/init';
import { melodyLstmTensors, type MelodyLstmSpec } from '../../src/core/model/spec';
import { generateMelodies, seedTokensFromPitches } from '../../src/core/model/generate';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import { createRng } from '../../src/core/util/random';
import { relErr, TINY_MELODY_SPEC, useSwiftShaderUnlessChosen } from './helpers/engineCompare';

useSwiftShaderUnlessChosen();

const rng = createRng(91);
const randn = (n: number, scale = 1) => Float64Array.from(Float32Array.from({ length: n }, () => rng.normal() * scale));
const ints = (n: number, below: number) => Array.from({ length: n }, () => rng.int(below));

async function adapterOrFail(): Promise<GPUAdapter> {
  const adapter = await requestWebgpuAdapter();
  if (!adapter)
    throw new Error(
      `No WebGPU adapter: the webgpu engine's correctness suite cannot run. To run it without a GPU, ${NO_ADAPTER_HELP}.`,
    );
  return adapter;
}

/**
 * The kernels switch strategy with the batch and K sizes (webgpuBackend.ts WebgpuBackendOptions); 'every path' sets
 * the thresholds so low that the tiny shapes here take the large-batch LSTM path, several chunks in the two-pass column
 * sums and embedding scatter-add, split-K products and the 128x128-tile product.
 */
const PATHS: [string, WebgpuBackendOptions][] = [
  ['default paths', {}],
  ['every large-size path', { largeBatch: 1, chunkRows: 4, splitKMin: 8, splitKChunk: 8, wideMinTiles: 1 }],
];

describe.each(PATHS)('webgpu backend against the float64 reference (%s)', (_label, options) => {
  let be: Backend;
  const put = (shape: number[], values: ArrayLike<number>): Tensor => {
    const t = be.tensor(shape);
    be.write(t, values);
    return t;
  };
  const get = async (t: Tensor) => Float64Array.from(await be.read(t));

  beforeAll(async () => {
    const adapter = await adapterOrFail();
    be = createWebgpuBackend(await adapter.requestDevice(), webgpuEngineInfo(describeAdapter(adapter)), options);
  });
  afterAll(async () => {
    await be?.dispose();
  });

  it('names the adapter in its EngineInfo', () => {
    expect(be.info.name).toBe('webgpu');
    expect(be.info.threads).toBe(1);
    expect(be.info.gpu).toMatch(/\(.+, (Vulkan|Metal|D3D12)\)/);
    expect(be.info.description).toContain(be.info.gpu);
  });

  it('embedding and dense, forward and backward (accumulating), with views into one flat buffer', async () => {
    const [N, V, C, O] = [67, 5, 4, 70]; // past one 64-wide matmul tile in rows and columns
    const tokens = be.intTensor([N]);
    const ids = ints(N, V);
    be.writeInt(tokens, ids);
    const table = randn(V * C);
    const out = be.tensor([N, C]);
    be.embeddingForward(out, tokens, put([V, C], table));
    expect(relErr(await get(out), R.refEmbeddingForward(ids, table, C))).toBeLessThan(1e-6);
    const dout = randn(N * C);
    const dtable = put([V, C], new Float64Array(V * C).fill(0.5));
    be.embeddingBackward(dtable, put([N, C], dout), tokens);
    const refD = new Float64Array(V * C).fill(0.5);
    R.refEmbeddingBackward(refD, dout, ids, C);
    expect(relErr(await get(dtable), refD)).toBeLessThan(1e-6);

    // Weight and bias are views into one parameter set (offsets into one GPU buffer), gradients into another.
    const { result: set, scope } = be.scope(() =>
      be.parameters([
        { name: 'pad', shape: [3] },
        { name: 'w', shape: [C, O] },
        { name: 'b', shape: [O] },
      ]),
    );
    const x = randn(N * C);
    const w = randn(C * O, 0.5);
    const b = randn(O);
    be.write(set.params.w, w);
    be.write(set.params.b, b);
    const xt = put([N, C], x);
    const y = be.tensor([N, O]);
    be.denseForward(y, xt, set.params.w, set.params.b);
    expect(relErr(await get(y), R.refDenseForward(x, w, b, N, C, O))).toBeLessThan(1e-5);
    const dy = randn(N * O);
    const dx = be.tensor([N, C]);
    const dyt = put([N, O], dy);
    be.denseBackward(dx, set.grads.w, set.grads.b, dyt, xt, set.params.w);
    be.denseBackward(null, set.grads.w, set.grads.b, dyt, xt, set.params.w); // accumulates a second time
    const ref = R.refDenseBackward(dy, x, w, N, C, O);
    expect(relErr(await get(dx), ref.dinp)).toBeLessThan(1e-5);
    expect(
      relErr(
        await get(set.grads.w),
        ref.dweight.map((v) => 2 * v),
      ),
    ).toBeLessThan(1e-5);
    expect(
      relErr(
        await get(set.grads.b),
        ref.dbias.map((v) => 2 * v),
      ),
    ).toBeLessThan(1e-5);
    expect(Array.from(await get(set.grads.pad))).toEqual([0, 0, 0]);
    scope.release();
  });

  it.each([
    [false, 3, 5, 4, 6],
    [true, 3, 5, 4, 6],
    [false, 5, 3, 4, 70], // B*H past one workgroup, 4H past one matmul tile
  ])(
    'LSTM (dense projection + recurrence), reverse %s, B=%i T=%i I=%i H=%i: outputs and gradients',
    async (reverse, B, T, I, H) => {
      const shape = { batch: B, time: T, hidden: H, reverse };
      const x = randn(B * T * I);
      const w = { kernel: randn(I * 4 * H, 0.4), recurrent: randn(H * 4 * H, 0.4), bias: randn(4 * H, 0.2) };
      const [xt, kt, ut, bt] = [
        put([B, T, I], x),
        put([I, 4 * H], w.kernel),
        put([H, 4 * H], w.recurrent),
        put([4 * H], w.bias),
      ];
      const cache = be.lstmCache(shape);
      be.denseForward(cache.gates, xt, kt, bt);
      be.lstmRecurrenceForward(cache, ut);
      const trace = R.refLstmForward(x, w, { ...shape, inDim: I });
      expect(relErr(await get(cache.hs), trace.hs)).toBeLessThan(1e-5);

      const dhs = randn(B * T * H);
      const dLast = randn(B * H);
      const [dx, dk, du, db] = [be.tensor([B, T, I]), be.tensor([I, 4 * H]), be.tensor([H, 4 * H]), be.tensor([4 * H])];
      be.lstmRecurrenceBackward(du, put([B, T, H], dhs), put([B, H], dLast), cache, ut);
      be.denseBackward(dx, dk, db, cache.dGates, xt, kt);
      const dAll = dhs.slice();
      const last = reverse ? 0 : T - 1;
      for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) dAll[(b * T + last) * H + j] += dLast[b * H + j];
      const ref = R.refLstmBackward(dAll, x, w, trace, { ...shape, inDim: I });
      expect(relErr(await get(dx), ref.dinp)).toBeLessThan(1e-4);
      expect(relErr(await get(dk), ref.dkernel)).toBeLessThan(1e-4);
      expect(relErr(await get(du), ref.drecurrent)).toBeLessThan(1e-4);
      expect(relErr(await get(db), ref.dbias)).toBeLessThan(1e-4);

      // Only the last step's gradient (dhs null), as the melody model's top layer has.
      const du2 = be.tensor([H, 4 * H]);
      be.lstmRecurrenceBackward(du2, null, put([B, H], dLast), cache, ut);
      const onlyLast = new Float64Array(B * T * H);
      for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) onlyLast[(b * T + last) * H + j] = dLast[b * H + j];
      const ref2 = R.refLstmBackward(onlyLast, x, w, trace, { ...shape, inDim: I });
      expect(relErr(await get(du2), ref2.drecurrent)).toBeLessThan(1e-4);

      if (!reverse) {
        const h = be.tensor([B, H]);
        const c = be.tensor([B, H]);
        const gates = be.tensor([B, 4 * H]);
        const xStep = be.tensor([B, I]);
        for (let t = 0; t < T; t++) {
          be.timeStep(xStep, xt, t);
          be.denseForward(gates, xStep, kt, bt);
          be.lstmStep(gates, h, c, ut);
        }
        const lastHs = new Float64Array(B * H);
        for (let b = 0; b < B; b++) lastHs.set(trace.hs.subarray((b * T + T - 1) * H, (b * T + T) * H), b * H);
        expect(relErr(await get(h), lastHs)).toBeLessThan(1e-5);
      }
    },
  );

  it('softmax cross-entropy and sigmoid BCE: loss and gradients (rows wider than one workgroup)', async () => {
    const [N, V] = [5, 300];
    const logits = randn(N * V, 2);
    const targets = ints(N, V);
    const tt = be.intTensor([N]);
    be.writeInt(tt, targets);
    const [loss, probs, dl] = [be.tensor([1]), be.tensor([N, V]), be.tensor([N, V])];
    be.softmaxCrossEntropyForward(loss, probs, put([N, V], logits), tt);
    be.softmaxCrossEntropyBackward(dl, probs, tt);
    const ref = R.refSoftmaxCrossEntropy(logits, targets, V);
    expect(Math.abs((await get(loss))[0] - ref.loss) / ref.loss).toBeLessThan(1e-5);
    expect(relErr(await get(probs), ref.probs)).toBeLessThan(1e-5);
    expect(relErr(await get(dl), R.refSoftmaxCrossEntropyBackward(ref.probs, targets, V))).toBeLessThan(1e-5);

    const n = 600;
    const x = randn(n, 3);
    const y = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 0.25));
    const [bl, bp, bd] = [be.tensor([1]), be.tensor([n]), be.tensor([n])];
    const yt = put([n], y);
    be.sigmoidBceForward(bl, bp, put([n], x), yt);
    be.sigmoidBceBackward(bd, bp, yt);
    const rb = R.refSigmoidBce(x, y);
    expect(Math.abs((await get(bl))[0] - rb.loss) / rb.loss).toBeLessThan(1e-5);
    expect(relErr(await get(bd), rb.dlogits)).toBeLessThan(1e-5);
  });

  it('weighted sigmoid BCE: loss and gradients against the reference; all-ones weights = plain BCE to the bit', async () => {
    const n = 600;
    const x = randn(n, 3);
    const y = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const w = Float64Array.from(y, (t, i) => (t > 0 ? 3 : i % 2 ? 1 : 0.5));
    const [bl, bp, bd] = [be.tensor([1]), be.tensor([n]), be.tensor([n])];
    const [xt, yt] = [put([n], x), put([n], y)];
    be.sigmoidBceForward(bl, bp, xt, yt, put([n], w));
    be.sigmoidBceBackward(bd, bp, yt, put([n], w));
    const rb = R.refSigmoidBce(x, y, w);
    expect(Math.abs((await get(bl))[0] - rb.loss) / rb.loss).toBeLessThan(1e-5);
    expect(relErr(await get(bd), rb.dlogits)).toBeLessThan(1e-5);
    const [pl, pd] = [be.tensor([1]), be.tensor([n])];
    be.sigmoidBceForward(pl, bp, xt, yt);
    be.sigmoidBceBackward(pd, bp, yt);
    const ones = put([n], new Float32Array(n).fill(1));
    be.sigmoidBceForward(bl, bp, xt, yt, ones);
    be.sigmoidBceBackward(bd, bp, yt, ones);
    expect(Array.from(await get(bl))).toEqual(Array.from(await get(pl)));
    expect(Array.from(await get(bd))).toEqual(Array.from(await get(pd)));
  });

  it('timeStep, concatLast with its backward, multiply (also in place) and zero', async () => {
    const [B, T, C] = [2, 3, 4];
    const seq = randn(B * T * C);
    const st = put([B, T, C], seq);
    const out = be.tensor([B, C]);
    be.timeStep(out, st, 1);
    expect(Array.from(await get(out))).toEqual([...seq.subarray(C, 2 * C), ...seq.subarray(4 * C, 5 * C)]);
    const a = randn(B * 2);
    const b = randn(B * 3);
    const cat = be.tensor([B, 5]);
    be.concatLast(cat, put([B, 2], a), put([B, 3], b));
    expect(Array.from(await get(cat))).toEqual([a[0], a[1], b[0], b[1], b[2], a[2], a[3], b[3], b[4], b[5]]);
    const [da, db] = [put([B, 2], [1, 1, 1, 1]), be.tensor([B, 3])];
    be.splitLastBackward(da, db, cat);
    expect(Array.from(await get(da))).toEqual(Array.from([a[0], a[1], a[2], a[3]], (v) => Math.fround(v + 1)));
    expect(Array.from(await get(db))).toEqual(Array.from(b));
    const mask = put([B, 5], [0, 2, 0, 2, 0, 2, 0, 2, 0, 2]);
    be.multiply(cat, cat, mask); // in place: one buffer in two bindings
    expect(Array.from(await get(cat), (x) => x + 0)).toEqual([
      0,
      2 * a[1],
      0,
      2 * b[1],
      0,
      2 * a[2],
      0,
      2 * b[3],
      0,
      2 * b[5],
    ]);
    be.zero(cat);
    expect(Array.from(await get(cat))).toEqual(new Array(10).fill(0));
  });

  it('clip by global norm and Adam over a parameter set match the reference (tfjs-core formula)', async () => {
    const tensors = [
      { name: 'a', shape: [2, 3] },
      { name: 'b', shape: [300] },
    ];
    const { result: set, scope } = be.scope(() => be.parameters(tensors));
    const w = tensors.map((t) => randn(t.shape.reduce((x, y) => x * y, 1)));
    const g = tensors.map((t) =>
      randn(
        t.shape.reduce((x, y) => x * y, 1),
        3,
      ),
    );
    const m = g.map((x) => new Float64Array(x.length));
    const v = g.map((x) => new Float64Array(x.length));
    tensors.forEach((t, i) => be.write(set.params[t.name], w[i]));
    // Steps 4 to 6 are AdamW's: each weight first shrinks by 1 - 0.01 * 0.5, a change the tolerances below see.
    for (let step = 1; step <= 6; step++) {
      const weightDecay = step > 3 ? 0.5 : 0;
      tensors.forEach((t, i) => be.write(set.grads[t.name], g[i]));
      be.clipByGlobalNorm(set, 1.5);
      be.adamStep(set, step, 0.01, ADAM, weightDecay);
      const gi = g.map((x) => x.slice());
      R.refClipByGlobalNorm(gi, 1.5);
      gi.forEach((x, i) =>
        R.refAdamStep(w[i], x, m[i], v[i], step, 0.01, ADAM.beta1, ADAM.beta2, ADAM.epsilon, weightDecay),
      );
    }
    for (const [i, t] of tensors.entries()) {
      expect(relErr(await get(set.params[t.name]), w[i])).toBeLessThan(1e-5);
      expect(relErr(await get(set.m[t.name]), m[i])).toBeLessThan(1e-5);
      // 1 - beta2 = 0.001 rounds to 0.00099998713 in float32 (1.3e-5 relative), on the CPU engine alike.
      expect(relErr(await get(set.v[t.name]), v[i])).toBeLessThan(1e-4);
    }
    // The clip itself leaves the scaled gradients behind: norm 1.5 exactly.
    tensors.forEach((t, i) => be.write(set.grads[t.name], g[i]));
    be.clipByGlobalNorm(set, 1.5);
    let ss = 0;
    for (const t of tensors) for (const x of await get(set.grads[t.name])) ss += x * x;
    expect(Math.sqrt(ss)).toBeCloseTo(1.5, 5);
    be.zeroGradients(set);
    expect(Array.from(await get(set.grads.a))).toEqual([0, 0, 0, 0, 0, 0]);
    scope.release();
  });

  it('refuses tensors whose shapes do not fit, naming the op', () => {
    const out = be.tensor([3, 4]);
    expect(() => be.denseForward(out, be.tensor([3, 5]), be.tensor([5, 2]), be.tensor([2]))).toThrow(
      expect.objectContaining({ code: 'BACKEND_SHAPE_MISMATCH', message: expect.stringMatching(/^denseForward/) }),
    );
    expect(() => be.write(out, [1, 2])).toThrow(/write: 2 values for a tensor of 12/);
  });
});

// ---- the melody model on webgpu and on wasm -----------------------------------------------------------------

const tinySpec = TINY_MELODY_SPEC;
const training = { learningRate: 0.01, clipNorm: 1, randomSeed: 7 };

function randomBatch(spec: MelodyLstmSpec, batchSize: number, randomSeed: number): TokenBatch {
  const r = createRng(randomSeed);
  const inputs = new Int32Array(batchSize * spec.window).map(() => r.int(spec.vocabSize));
  const targets = new Int32Array(batchSize).map(() => r.int(spec.vocabSize));
  return { inputs, targets, batchSize };
}
const to64 = (w: NamedWeights): Weights64 =>
  Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Float64Array.from(v)]));

describe('melody-lstm on webgpu against wasm and the float64 reference', () => {
  let gpu: Engine;
  let gpuLarge: Engine;
  let cpu: Engine;
  beforeAll(async () => {
    await adapterOrFail();
    gpu = await createWebgpuEngine();
    gpuLarge = await createWebgpuEngine(undefined, PATHS[1][1]);
    cpu = await createWasmEngine({ threads: 1 });
  });
  afterAll(async () => {
    await gpu?.dispose();
    await gpuLarge?.dispose();
    await cpu?.dispose();
  });

  it.each(PATHS.map(([label], i) => [label, i] as const))(
    'computeGradients (%s): the same loss and every gradient as wasm and the reference (rel. error < 1e-4)',
    async (_label, path) => {
      const gpu = path === 0 ? gpuEngine() : gpuLarge;
      const weights = initWeights(tinySpec, 5);
      for (const v of Object.values(weights)) for (let i = 0; i < v.length; i++) v[i] *= 3;
      const onGpu = await gpu.createModel(tinySpec, training, weights);
      const onCpu = await cpu.createModel(tinySpec, training, weights);
      expect(onGpu.engine.name).toBe('webgpu');
      const batch = randomBatch(tinySpec, 3, 11);
      const a = await onGpu.computeGradients(batch);
      const b = await onCpu.computeGradients(batch);
      const ref = refMelodyLossAndGradients(tinySpec, to64(weights), batch.inputs, batch.targets, batch.batchSize);
      expect(Math.abs(a.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
      expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(1e-5);
      for (const t of melodyLstmTensors(tinySpec)) {
        expect(relErr(a.grads[t.name], ref.grads[t.name]), `${t.name} vs reference`).toBeLessThan(1e-4);
        expect(relErr(a.grads[t.name], b.grads[t.name]), `${t.name} vs wasm`).toBeLessThan(1e-4);
        expect(Math.max(...b.grads[t.name].map(Math.abs)), `${t.name} is not trivially zero`).toBeGreaterThan(1e-4);
      }
      onGpu.dispose();
      onCpu.dispose();
    },
  );

  const gpuEngine = () => gpu;

  it('a training step runs on the device without read-back inside it: one read-back (the loss), <= 2 submissions', async () => {
    const model = await gpu.createModel(tinySpec, training);
    const batch = randomBatch(tinySpec, 4, 21);
    await model.trainStep(batch); // pipelines compiled, workspaces allocated
    const stats = webgpuStats(model.engine)!;
    const before = { ...stats };
    await model.trainStep(batch);
    expect(stats.readBacks - before.readBacks).toBe(1);
    expect(stats.submits - before.submits).toBeLessThanOrEqual(2);
    // Per step: the recurrence is one dispatch per time step and layer each way, the rest a few dozen.
    const perStep = stats.dispatches - before.dispatches;
    expect(perStep).toBeGreaterThanOrEqual(2 * tinySpec.layers * tinySpec.window);
    expect(perStep).toBeLessThan(2 * tinySpec.layers * tinySpec.window + 60);
    model.dispose();
  });

  it('with dropout (masks drawn from the same seed on both engines, uploaded mid-step): the same gradients as wasm', async () => {
    const spec = { ...tinySpec, layers: 3, dropout: 0.3 };
    const weights = initWeights(spec, 6);
    const onGpu = await gpu.createModel(spec, training, weights);
    const onCpu = await cpu.createModel(spec, training, weights);
    const batch = randomBatch(spec, 5, 12);
    const a = await onGpu.computeGradients(batch);
    const b = await onCpu.computeGradients(batch);
    expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(1e-5);
    for (const t of melodyLstmTensors(spec))
      expect(relErr(a.grads[t.name], b.grads[t.name]), t.name).toBeLessThan(1e-4);
    // Evaluation has no dropout: the same loss as wasm too.
    expect(Math.abs((await onGpu.evaluate(batch)) - (await onCpu.evaluate(batch)))).toBeLessThan(1e-5);
    onGpu.dispose();
    onCpu.dispose();
  });

  it('a checkpoint trained on one engine continues identically on the other (both directions)', async () => {
    const batches = [0, 1, 2, 3, 4, 5].map((i) => randomBatch(tinySpec, 4, 100 + i));
    for (const [first, second] of [
      [cpu, gpu],
      [gpu, cpu],
    ]) {
      const start = await first.createModel(tinySpec, training);
      for (const batch of batches.slice(0, 3)) await start.trainStep(batch);
      const weights = await start.getWeights();
      const optimizer = await start.getOptimizerState();
      const continued = await second.createModel(tinySpec, training, weights);
      continued.setOptimizerState(optimizer);
      const lossesA: number[] = [];
      const lossesB: number[] = [];
      for (const batch of batches.slice(3)) {
        lossesA.push(await start.trainStep(batch));
        lossesB.push(await continued.trainStep(batch));
      }
      for (let i = 0; i < lossesA.length; i++)
        expect(Math.abs(lossesA[i] - lossesB[i]) / lossesA[i]).toBeLessThan(1e-4);
      const wa = await start.getWeights();
      const wb = await continued.getWeights();
      const moved = Math.max(...Object.keys(wa).map((k) => relErr(wa[k], weights[k])));
      expect(moved, 'training moved the weights').toBeGreaterThan(1e-3);
      for (const k of Object.keys(wa)) expect(relErr(wb[k], wa[k]), k).toBeLessThan(1e-4);
      expect((await continued.getOptimizerState()).step).toBe(6);
      start.dispose();
      continued.dispose();
    }
  });

  it('trains (the loss falls) and generates the same tokens as wasm for the same seed', async () => {
    const weights = initWeights(tinySpec, 9);
    const onGpu = await gpu.createModel(tinySpec, training, weights);
    const onCpu = await cpu.createModel(tinySpec, training, weights);
    const batch = randomBatch(tinySpec, 8, 3);
    const first = await onGpu.trainStep(batch);
    let last = first;
    for (let i = 0; i < 15; i++) last = await onGpu.trainStep(batch);
    expect(last).toBeLessThan(first * 0.9);
    onCpu.setWeights(await onGpu.getWeights());
    const request = { seedTokens: [3, 10, 10, 10], bars: 2, temperature: 1, variations: 2, randomSeed: 42 };
    const [a, b] = [
      await generateMelodies(onGpu.createDecoder(), request),
      await generateMelodies(onCpu.createDecoder(), request),
    ];
    expect(a[0].tokens).toHaveLength(32);
    expect(a.map((m) => m.tokens)).toEqual(b.map((m) => m.tokens));
    // The decoder's logits equal the training forward pass over the same window.
    const one = randomBatch(tinySpec, 1, 5);
    const decoder = onGpu.createDecoder();
    let logits: Float32Array = new Float32Array(0);
    for (const token of one.inputs) logits = await decoder.step(token);
    const max = Math.max(...logits);
    const nll = Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0)) + max - logits[one.targets[0]];
    expect(nll).toBeCloseTo(await onGpu.evaluate(one), 5);
    decoder.dispose();
    onGpu.dispose();
    onCpu.dispose();
  });
});

// ---- checkpoints in the one format: the golden notes of test/core/golden-notes.test.ts, now on webgpu --------------

describe('checkpoints written by the CPU engines generate their golden notes on webgpu', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const golden = JSON.parse(readFileSync(path.join(root, 'test/fixtures/models/golden-notes.json'), 'utf8')) as {
    requests: { seedPitches: number[]; bars: number; temperature: number; variations: number; randomSeed: number }[];
    tokens: Record<string, Record<string, number[][][]>>;
  };
  let gpu: Engine;
  beforeAll(async () => {
    await adapterOrFail();
    gpu = await createWebgpuEngine();
  });
  afterAll(async () => {
    await gpu?.dispose();
  });

  // The small fixtures only: the bundled full-size model takes minutes on a software adapter.
  it.each(Object.keys(golden.tokens).filter((f) => f.startsWith('test/fixtures/')))(
    '%s',
    async (file) => {
      const ckpt = decodeCheckpoint(new Uint8Array(readFileSync(path.join(root, file))));
      const model = await gpu.createModel(ckpt.spec, ckpt.training, ckpt.weights);
      const decoder = model.createDecoder();
      const out: number[][][] = [];
      for (const r of golden.requests) {
        const melodies = await generateMelodies(decoder, {
          seedTokens: seedTokensFromPitches(r.seedPitches),
          bars: r.bars,
          temperature: r.temperature,
          variations: r.variations,
          randomSeed: r.randomSeed,
        });
        out.push(melodies.map((v) => v.tokens));
      }
      decoder.dispose();
      model.dispose();
      expect(out).toEqual(golden.tokens[file].wasm);
      expect(out.flat(2).some((t) => t < 128)).toBe(true);
    },
    300_000,
  );
});
