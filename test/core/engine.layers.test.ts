// SPDX-License-Identifier: MIT
// Every wasm kernel/layer against its float64 reference (./src/core/engine/reference/layers.ts), and every layer's
// gradient against float64 central differences. Tolerances: wasm float32 vs float64 reference, relative to the
// tensor's largest entry, 2e-5 forward and 1e-4 backward; reference analytic vs numerical gradients 1e-6
// (central differences with step 1e-5 in float64 have truncation error ~1e-10).
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateKernels, type Kernels } from '../../src/core/engine/wasm/kernels';
import { isFmaModule, loadEngineModule } from '../../src/core/engine/wasm/nodeLoader';
import * as L from '../../src/core/engine/layers';
import * as R from '../../src/core/engine/reference/layers';
import { createRng } from '../../src/core/util/random';
import { relErr } from './helpers/engineCompare';

let k: Kernels;

const rng = createRng(2024);
const randn = (n: number, scale = 1) => Float64Array.from({ length: n }, () => rng.normal() * scale);

/** Copies float64 values into a new wasm buffer. */
function put(values: Float64Array): number {
  const buf = k.allocF32(values.length);
  k.f32(buf).set(values);
  return buf.ptr;
}
function get(ptr: number, n: number): Float64Array {
  return Float64Array.from(k.f32(ptr, n));
}
/** Float64 values rounded to float32, so the reference sees exactly the numbers the kernels see. */
const f32 = (v: Float64Array) => Float64Array.from(Float32Array.from(v));

/** Central differences of scalar f with respect to every entry of x (x is restored). */
function numericGrad(f: () => number, x: Float64Array, step = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + step;
    const up = f();
    x[i] = keep - step;
    const down = f();
    x[i] = keep;
    g[i] = (up - down) / (2 * step);
  }
  return g;
}
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);

// Both kernel builds: plain SIMD, and fused multiply-add (relaxed SIMD) where this runtime supports it.
describe.each([{ fma: false }, { fma: true }])('wasm kernels (fused multiply-add: $fma)', ({ fma }) => {
  beforeAll(async () => {
    const module = loadEngineModule(false, fma);
    expect(isFmaModule(module)).toBe(fma);
    k = await instantiateKernels(module, false);
  });

  describe('matrix products', () => {
    // Odd sizes cover the 4-row blocks, the 8-column SIMD blocks, the scalar tails and the KC/NC cache blocks.
    const cases: [number, number, number][] = [
      [1, 1, 1],
      [3, 37, 11],
      [7, 13, 9],
      [4, 8, 4],
      [9, 300, 131],
      [33, 17, 260],
    ];
    for (const [m, n, kk] of cases) {
      it(`A.B, A^T.B, A.B^T (${m}x${n}x${kk}), overwrite and accumulate, with leading dimensions`, () => {
        const lda = kk + 3;
        const a = f32(randn(m * lda));
        const b = f32(randn(kk * (n + 2)));
        const c0 = f32(randn(m * (n + 1)));
        const expectAB = (accumulate: boolean) => {
          const out = Float64Array.from(c0);
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              let s = accumulate ? c0[i * (n + 1) + j] : 0;
              for (let p = 0; p < kk; p++) s += a[i * lda + p] * b[p * (n + 2) + j];
              out[i * (n + 1) + j] = s;
            }
          return out;
        };
        for (const accumulate of [false, true]) {
          const cp = put(c0);
          k.matmulAB(cp, put(a), put(b), m, n, kk, lda, n + 2, n + 1, accumulate);
          expect(relErr(get(cp, c0.length), expectAB(accumulate))).toBeLessThan(2e-6);
        }
        // A^T.B: A stored (kk, m) with ld m+1.
        const at = f32(randn(kk * (m + 1)));
        const cp2 = put(c0);
        k.matmulAtB(cp2, put(at), put(b), m, n, kk, m + 1, n + 2, n + 1, true);
        const e2 = Float64Array.from(c0);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++)
            for (let p = 0; p < kk; p++) e2[i * (n + 1) + j] += at[p * (m + 1) + i] * b[p * (n + 2) + j];
        expect(relErr(get(cp2, c0.length), e2)).toBeLessThan(2e-6);
        // A.B with B packed once (the recurrent weights' path).
        const packed = k.allocF32(kk * (n & ~7) + 1);
        const bp = put(b);
        k.packB(packed.ptr, bp, kk, n, n + 2);
        const cpp = put(c0);
        k.exports.matmulABPacked(cpp, put(a), bp, packed.ptr, m, n, kk, lda, n + 2, n + 1, 1);
        expect(relErr(get(cpp, c0.length), expectAB(true))).toBeLessThan(2e-6);
        // A.B^T: B stored (n, kk) with ld kk+1.
        const bt = f32(randn(n * (kk + 1)));
        const cp3 = put(c0);
        k.matmulABt(cp3, put(a), put(bt), m, n, kk, lda, kk + 1, n + 1, false);
        const e3 = Float64Array.from(c0);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < kk; p++) s += a[i * lda + p] * bt[j * (kk + 1) + p];
            e3[i * (n + 1) + j] = s;
          }
        expect(relErr(get(cp3, c0.length), e3)).toBeLessThan(2e-6);
      });
    }
  });

  describe('embedding and dense', () => {
    it('embedding gathers rows and scatter-adds gradients (repeated tokens add up)', () => {
      const V = 6,
        C = 5;
      const tokens = Int32Array.from([3, 0, 3, 5, 3]);
      const table = f32(randn(V * C));
      const tok = k.allocI32(tokens.length);
      k.i32(tok).set(tokens);
      const out = k.allocF32(tokens.length * C);
      L.embeddingForward(k, out.ptr, tok, put(table), { rows: tokens.length, dim: C });
      expect(get(out.ptr, out.length)).toEqual(R.refEmbeddingForward(tokens, table, C));
      const dout = f32(randn(tokens.length * C));
      const dtable = put(new Float64Array(V * C));
      L.embeddingBackward(k, dtable, put(dout), tok, { rows: tokens.length, dim: C });
      const ref = new Float64Array(V * C);
      R.refEmbeddingBackward(ref, dout, tokens, C);
      expect(relErr(get(dtable, V * C), ref)).toBeLessThan(1e-6);
    });

    it('dense forward and backward match the reference; the reference matches central differences', () => {
      const N = 5,
        I = 7,
        O = 10;
      const inp = f32(randn(N * I)),
        w = f32(randn(I * O, 0.5)),
        bias = f32(randn(O)),
        dout = f32(randn(N * O));
      const out = k.allocF32(N * O);
      const params = { weight: put(w), bias: put(bias) };
      const ip = put(inp);
      L.denseForward(k, out.ptr, ip, params, { rows: N, inDim: I, outDim: O });
      expect(relErr(get(out.ptr, N * O), R.refDenseForward(inp, w, bias, N, I, O))).toBeLessThan(2e-6);
      const dinp = put(new Float64Array(N * I));
      const dparams = { weight: put(new Float64Array(I * O)), bias: put(new Float64Array(O)) };
      L.denseBackward(k, dinp, dparams, put(dout), ip, params, { rows: N, inDim: I, outDim: O });
      const ref = R.refDenseBackward(dout, inp, w, N, I, O);
      expect(relErr(get(dinp, N * I), ref.dinp)).toBeLessThan(1e-5);
      expect(relErr(get(dparams.weight, I * O), ref.dweight)).toBeLessThan(1e-5);
      expect(relErr(get(dparams.bias, O), ref.dbias)).toBeLessThan(1e-5);
      const loss = () => dot(R.refDenseForward(inp, w, bias, N, I, O), dout);
      expect(relErr(ref.dinp, numericGrad(loss, inp))).toBeLessThan(1e-6);
      expect(relErr(ref.dweight, numericGrad(loss, w))).toBeLessThan(1e-6);
      expect(relErr(ref.dbias, numericGrad(loss, bias))).toBeLessThan(1e-6);
    });
  });

  describe('LSTM', () => {
    const B = 3,
      T = 5,
      I = 4,
      H = 6;
    // Batch 5 runs the 4-row product blocks plus a single row; hidden 5 gives 4H = 20, a 16-column SIMD part plus a
    // 4-column tail and a gate-function tail; batch 3 runs the few-row (decoder) product path.
    const lstmCases = [
      { reverse: false, batch: 5, hidden: 6 },
      { reverse: true, batch: 5, hidden: 5 },
      { reverse: false, batch: 3, hidden: 6 },
    ];
    for (const { reverse, batch: B, hidden: H } of lstmCases) {
      it(`${reverse ? 'reverse' : 'forward'} LSTM (batch ${B}, hidden ${H}): outputs and all gradients match the reference; reference matches central differences`, () => {
        const shape = { batch: B, time: T, inDim: I, hidden: H, reverse };
        const inp = f32(randn(B * T * I));
        const w = {
          kernel: f32(randn(I * 4 * H, 0.6)),
          recurrent: f32(randn(H * 4 * H, 0.6)),
          bias: f32(randn(4 * H, 0.5)),
        };
        const dhs = f32(randn(B * T * H));
        const cache = L.allocLstmCache(k, shape);
        const ip = put(inp);
        const params = { kernel: put(w.kernel), recurrent: put(w.recurrent), bias: put(w.bias) };
        L.lstmForward(k, cache, ip, params, shape);
        const trace = R.refLstmForward(inp, w, shape);
        expect(relErr(get(cache.hs.ptr, B * T * H), trace.hs)).toBeLessThan(2e-5);
        expect(relErr(get(cache.cells.ptr, B * T * H), trace.cs)).toBeLessThan(2e-5);

        const dinp = put(new Float64Array(B * T * I));
        const dparams = {
          kernel: put(new Float64Array(I * 4 * H)),
          recurrent: put(new Float64Array(H * 4 * H)),
          bias: put(new Float64Array(4 * H)),
        };
        L.lstmBackward(k, dinp, dparams, put(dhs), 0, cache, ip, params, shape);
        const ref = R.refLstmBackward(dhs, inp, w, trace, shape);
        expect(relErr(get(dinp, B * T * I), ref.dinp)).toBeLessThan(1e-4);
        expect(relErr(get(dparams.kernel, I * 4 * H), ref.dkernel)).toBeLessThan(1e-4);
        expect(relErr(get(dparams.recurrent, H * 4 * H), ref.drecurrent)).toBeLessThan(1e-4);
        expect(relErr(get(dparams.bias, 4 * H), ref.dbias)).toBeLessThan(1e-4);

        const loss = () => dot(R.refLstmForward(inp, w, shape).hs, dhs);
        expect(relErr(ref.dinp, numericGrad(loss, inp))).toBeLessThan(1e-6);
        expect(relErr(ref.dkernel, numericGrad(loss, w.kernel))).toBeLessThan(1e-6);
        expect(relErr(ref.drecurrent, numericGrad(loss, w.recurrent))).toBeLessThan(1e-6);
        expect(relErr(ref.dbias, numericGrad(loss, w.bias))).toBeLessThan(1e-6);
      });
    }

    it('last-step-only gradient (dLast) equals a sequence gradient that is zero except at the last step', () => {
      const shape = { batch: B, time: T, inDim: I, hidden: H, reverse: false };
      const inp = f32(randn(B * T * I));
      const w = {
        kernel: f32(randn(I * 4 * H, 0.6)),
        recurrent: f32(randn(H * 4 * H, 0.6)),
        bias: f32(randn(4 * H, 0.5)),
      };
      const dLast = f32(randn(B * H));
      const dhs = new Float64Array(B * T * H);
      for (let b = 0; b < B; b++) dhs.set(dLast.subarray(b * H, (b + 1) * H), (b * T + T - 1) * H);
      const cache = L.allocLstmCache(k, shape);
      const ip = put(inp);
      const params = { kernel: put(w.kernel), recurrent: put(w.recurrent), bias: put(w.bias) };
      L.lstmForward(k, cache, ip, params, shape);
      const dinp = put(new Float64Array(B * T * I));
      const dparams = {
        kernel: put(new Float64Array(I * 4 * H)),
        recurrent: put(new Float64Array(H * 4 * H)),
        bias: put(new Float64Array(4 * H)),
      };
      L.lstmBackward(k, dinp, dparams, 0, put(dLast), cache, ip, params, shape);
      const ref = R.refLstmBackward(dhs, inp, w, R.refLstmForward(inp, w, shape), shape);
      expect(relErr(get(dinp, B * T * I), ref.dinp)).toBeLessThan(1e-4);
      expect(relErr(get(dparams.recurrent, H * 4 * H), ref.drecurrent)).toBeLessThan(1e-4);
    });

    it('bidirectional LSTM concatenates [forward | reverse] and its gradients are the sum of both directions', () => {
      const shape = { batch: B, time: T, inDim: I, hidden: H };
      const inp = f32(randn(B * T * I));
      const mk = () => ({
        kernel: f32(randn(I * 4 * H, 0.6)),
        recurrent: f32(randn(H * 4 * H, 0.6)),
        bias: f32(randn(4 * H, 0.5)),
      });
      const wf = mk(),
        wb = mk();
      const dout = f32(randn(B * T * 2 * H));
      const cache = L.allocBidirectionalCache(k, shape);
      const ip = put(inp);
      const toParams = (w: typeof wf) => ({ kernel: put(w.kernel), recurrent: put(w.recurrent), bias: put(w.bias) });
      const params = { forward: toParams(wf), backward: toParams(wb) };
      L.bidirectionalLstmForward(k, cache, ip, params, shape);
      const refOut = (): Float64Array => {
        const f = R.refLstmForward(inp, wf, { ...shape, reverse: false }).hs;
        const b = R.refLstmForward(inp, wb, { ...shape, reverse: true }).hs;
        const out = new Float64Array(B * T * 2 * H);
        for (let r = 0; r < B * T; r++) {
          out.set(f.subarray(r * H, (r + 1) * H), r * 2 * H);
          out.set(b.subarray(r * H, (r + 1) * H), r * 2 * H + H);
        }
        return out;
      };
      expect(relErr(get(cache.out.ptr, B * T * 2 * H), refOut())).toBeLessThan(2e-5);
      const zeros = (n: number) => put(new Float64Array(n));
      const dinp = zeros(B * T * I);
      const dparams = {
        forward: { kernel: zeros(I * 4 * H), recurrent: zeros(H * 4 * H), bias: zeros(4 * H) },
        backward: { kernel: zeros(I * 4 * H), recurrent: zeros(H * 4 * H), bias: zeros(4 * H) },
      };
      L.bidirectionalLstmBackward(k, dinp, dparams, put(dout), cache, ip, params, shape);
      const loss = () => dot(refOut(), dout);
      expect(relErr(get(dinp, B * T * I), numericGrad(loss, inp))).toBeLessThan(1e-4);
      expect(relErr(get(dparams.backward.recurrent, H * 4 * H), numericGrad(loss, wb.recurrent))).toBeLessThan(1e-4);
      expect(relErr(get(dparams.forward.kernel, I * 4 * H), numericGrad(loss, wf.kernel))).toBeLessThan(1e-4);
    });
  });

  describe('losses, optimiser, clipping', () => {
    it('softmax cross-entropy: loss, probabilities and gradient match the reference and central differences', () => {
      const N = 4,
        V = 9;
      const logits = f32(randn(N * V, 3));
      const targets = Int32Array.from([0, 8, 3, 3]);
      const tg = k.allocI32(N);
      k.i32(tg).set(targets);
      const probs = k.allocF32(N * V),
        dlogits = k.allocF32(N * V);
      const lp = put(logits);
      const loss = L.softmaxCrossEntropyForward(k, probs.ptr, lp, tg, N, V);
      const ref = R.refSoftmaxCrossEntropy(logits, targets, V);
      expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-6);
      L.softmaxCrossEntropyBackward(k, dlogits.ptr, probs.ptr, tg, N, V);
      const refGrad = R.refSoftmaxCrossEntropyBackward(ref.probs, targets, V);
      expect(relErr(get(dlogits.ptr, N * V), refGrad)).toBeLessThan(1e-5);
      expect(
        relErr(
          refGrad,
          numericGrad(() => R.refSoftmaxCrossEntropy(logits, targets, V).loss, logits),
        ),
      ).toBeLessThan(1e-6);
    });

    it('sigmoid binary cross-entropy (for the polyphonic models) matches the reference and central differences', () => {
      const n = 23;
      const logits = f32(randn(n, 4));
      const targets = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
      const probs = k.allocF32(n),
        dlogits = k.allocF32(n);
      const lp = put(logits),
        tp = put(targets);
      const loss = L.sigmoidBceForward(k, probs.ptr, lp, tp, n);
      const ref = R.refSigmoidBce(logits, targets);
      expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-6);
      L.sigmoidBceBackward(k, dlogits.ptr, probs.ptr, tp, n);
      expect(relErr(get(dlogits.ptr, n), ref.dlogits)).toBeLessThan(1e-5);
      expect(
        relErr(
          ref.dlogits,
          numericGrad(() => R.refSigmoidBce(logits, targets).loss, logits),
        ),
      ).toBeLessThan(1e-6);
    });

    it('Adam (3 steps, then 3 of AdamW) and global-norm clipping match the float64 reference', () => {
      const n = 37;
      const w = f32(randn(n)),
        m = new Float64Array(n),
        v = new Float64Array(n);
      const wb = { ptr: put(w), length: n },
        mb = { ptr: put(m), length: n },
        vb = { ptr: put(v), length: n };
      for (let t = 1; t <= 6; t++) {
        // From step 4 each weight first shrinks by 1 - 0.01 * 0.5 (AdamW): 37 weights, so the SIMD body and the tail.
        const cfg = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: t > 3 ? 0.5 : 0 };
        const g = f32(randn(n));
        L.adamStep(k, wb, { ptr: put(g), length: n }, mb, vb, t, cfg);
        R.refAdamStep(w, g, m, v, t, cfg.learningRate, cfg.beta1, cfg.beta2, cfg.epsilon, cfg.weightDecay);
      }
      expect(relErr(get(wb.ptr, n), w)).toBeLessThan(1e-6);
      // 1 - beta2 in float32 is 0.00099998713 (beta2 = 0.999 rounds up): a 1.3e-5 relative offset, as in tfjs.
      expect(relErr(get(vb.ptr, n), v)).toBeLessThan(5e-5);
      const g = f32(randn(n, 3));
      const gb = { ptr: put(g), length: n };
      const before = L.clipByGlobalNorm(k, gb, 2);
      const refCopy = Float64Array.from(g);
      expect(before).toBeCloseTo(R.refClipByGlobalNorm([refCopy], 2), 4);
      expect(relErr(get(gb.ptr, n), refCopy)).toBeLessThan(1e-6);
      expect(L.globalNorm(k, gb)).toBeCloseTo(2, 5);
    });

    it('dropout keeps units with scale 1/(1-rate) and drops about rate of them; backward uses the same mask', () => {
      const n = 4000;
      const mask = k.allocF32(n);
      const r = createRng(9);
      L.dropoutMask(k, mask, 0.25, () => r.next());
      const mv = k.f32(mask);
      const dropped = mv.filter((x) => x === 0).length;
      expect(dropped / n).toBeGreaterThan(0.2);
      expect(dropped / n).toBeLessThan(0.3);
      expect(mv.every((x) => x === 0 || Math.abs(x - 4 / 3) < 1e-6)).toBe(true);
      const x = f32(randn(n));
      const out = k.allocF32(n);
      L.dropoutApply(k, out.ptr, put(x), mask);
      const ov = k.f32(out);
      for (const i of [0, 1, 2, 100, 3999]) expect(ov[i]).toBeCloseTo(x[i] * mv[i], 5);
    });
  });
});
