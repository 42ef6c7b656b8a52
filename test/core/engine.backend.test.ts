// SPDX-License-Identifier: MIT
// Every Backend op (src/core/engine/backend.ts) on every backend (wasm, tfjs-cpu) against the float64 reference
// layers, through the backend's own handles and asynchronous read-back. This is the contract a future GPU backend
// must pass; a model written against the interface then runs on it unchanged.
// Tolerance: float32 against float64, relative to each tensor's largest entry, 1e-4 (1e-5 for the losses).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../src/core/engine/backend';
import { createWasmBackend } from '../../src/core/engine/wasmBackend';
import { createTfjsBackend } from '../../src/core/engine/tfjsBackend';
import { instantiateKernels } from '../../src/core/engine/wasm/kernels';
import { loadEngineModule } from '../../src/core/engine/wasm/nodeLoader';
import { ADAM } from '../../src/core/engine/types';
import * as R from '../../src/core/engine/reference/layers';
import { createRng } from '../../src/core/util/random';
import { relErr } from './helpers/engineCompare';

const rng = createRng(77);
/** Random values already rounded to float32, so the reference sees exactly what the backend sees. */
const randn = (n: number, scale = 1) => Float64Array.from(Float32Array.from({ length: n }, () => rng.normal() * scale));
const ints = (n: number, below: number) => Array.from({ length: n }, () => rng.int(below));

const backends: Record<string, () => Promise<Backend>> = {
  wasm: async () =>
    createWasmBackend(await instantiateKernels(loadEngineModule(false), false), {
      name: 'wasm',
      threads: 1,
      description: 'test',
    }),
  'tfjs-cpu': async () => {
    const { createTfjsEngine } = await import('../../src/core/engine/tfjsEngine');
    await createTfjsEngine('cpu'); // selects tfjs' cpu backend
    return createTfjsBackend({ name: 'tfjs-cpu', threads: 1, description: 'test' });
  },
};

describe.each(Object.keys(backends))('backend %s against the float64 reference', (name) => {
  let be: Backend;
  const put = (shape: number[], values: ArrayLike<number>): Tensor => {
    const t = be.tensor(shape);
    be.write(t, values);
    return t;
  };
  const get = async (t: Tensor) => Float64Array.from(await be.read(t));

  beforeAll(async () => {
    be = await backends[name]();
  });

  it('embedding and dense, forward and backward (accumulating into gradients)', async () => {
    const [N, V, C, O] = [7, 5, 4, 3];
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

    const x = randn(N * C);
    const w = randn(C * O, 0.5);
    const b = randn(O);
    const y = be.tensor([N, O]);
    const [xt, wt, bt] = [put([N, C], x), put([C, O], w), put([O], b)];
    be.denseForward(y, xt, wt, bt);
    expect(relErr(await get(y), R.refDenseForward(x, w, b, N, C, O))).toBeLessThan(1e-5);
    const dy = randn(N * O);
    const [dx, dw, db] = [be.tensor([N, C]), be.tensor([C, O]), be.tensor([O])];
    be.denseBackward(dx, dw, db, put([N, O], dy), xt, wt);
    be.denseBackward(null, dw, db, put([N, O], dy), xt, wt); // accumulates a second time
    const ref = R.refDenseBackward(dy, x, w, N, C, O);
    expect(relErr(await get(dx), ref.dinp)).toBeLessThan(1e-5);
    expect(
      relErr(
        await get(dw),
        ref.dweight.map((v) => 2 * v),
      ),
    ).toBeLessThan(1e-5);
    expect(
      relErr(
        await get(db),
        ref.dbias.map((v) => 2 * v),
      ),
    ).toBeLessThan(1e-5);
  });

  it.each([false, true])('LSTM (dense projection + recurrence), reverse %s: outputs and gradients', async (reverse) => {
    const [B, T, I, H] = [3, 5, 4, 6];
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

    // Gradient of every step plus an extra one on the last processed step (t = 0 when reverse).
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

    // lstmStep, fed the same projections one step at a time, walks the same states (forward direction only).
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
  });

  it('softmax cross-entropy and sigmoid BCE: loss and gradients', async () => {
    const [N, V] = [4, 6];
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

    const n = 10;
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

  it('weighted sigmoid BCE (the polyphonic weighted loss): reference, central differences, and all-ones = plain', async () => {
    const n = 12;
    const x = randn(n, 3);
    const y = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const w = Float64Array.from(y, (t, i) => (t > 0 ? 3 : i % 2 ? 1 : 0.5));
    const [bl, bp, bd] = [be.tensor([1]), be.tensor([n]), be.tensor([n])];
    const [xt, yt, wt] = [put([n], x), put([n], y), put([n], w)];
    be.sigmoidBceForward(bl, bp, xt, yt, wt);
    be.sigmoidBceBackward(bd, bp, yt, wt);
    const rb = R.refSigmoidBce(x, y, w);
    expect(Math.abs((await get(bl))[0] - rb.loss) / rb.loss).toBeLessThan(1e-5);
    expect(relErr(await get(bd), rb.dlogits)).toBeLessThan(1e-5);
    // The reference's gradient is the derivative of its loss (central differences in float64).
    const numeric = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const e = 1e-5;
      const [a, b] = [Float64Array.from(x), Float64Array.from(x)];
      a[i] += e;
      b[i] -= e;
      numeric[i] = (R.refSigmoidBce(a, y, w).loss - R.refSigmoidBce(b, y, w).loss) / (2 * e);
    }
    expect(relErr(rb.dlogits, numeric)).toBeLessThan(1e-6);
    // All-ones weights are plain BCE, to the bit.
    const [pl, pd] = [be.tensor([1]), be.tensor([n])];
    be.sigmoidBceForward(pl, bp, xt, yt);
    be.sigmoidBceBackward(pd, bp, yt);
    const ones = put([n], new Float32Array(n).fill(1));
    be.sigmoidBceForward(bl, bp, xt, yt, ones);
    be.sigmoidBceBackward(bd, bp, yt, ones);
    expect(Array.from(await get(bl))).toEqual(Array.from(await get(pl)));
    expect(Array.from(await get(bd))).toEqual(Array.from(await get(pd)));
    expect(() => be.sigmoidBceForward(bl, bp, xt, yt, be.tensor([n + 1]))).toThrow(/sigmoidBceForward/);
    expect(() => be.sigmoidBceBackward(bd, bp, yt, be.tensor([n - 1]))).toThrow(/sigmoidBceBackward/);
  });

  it('timeStep, concatLast with its backward, and multiply', async () => {
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
    const m = be.tensor([B, 5]);
    be.multiply(m, cat, put([B, 5], [0, 2, 0, 2, 0, 2, 0, 2, 0, 2]));
    // + 0 turns the -0 of a negative value times a zero mask into 0.
    expect(Array.from(await get(m), (x) => x + 0)).toEqual([
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
  });

  it('clip by global norm and Adam over a parameter set match the reference (tfjs-core formula)', async () => {
    const tensors = [
      { name: 'a', shape: [2, 3] },
      { name: 'b', shape: [4] },
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
    }
    be.zeroGradients(set);
    expect(Array.from(await get(set.grads.b))).toEqual([0, 0, 0, 0]);
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
