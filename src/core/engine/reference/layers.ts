// SPDX-License-Identifier: MIT
/**
 * Float64 reference layers, written for clarity rather than speed: plain loops that follow the textbook
 * equations. The tests hold the fast WebAssembly layers (../layers.ts) to these, and these to numerical
 * differences. Shapes are row-major; gate order along 4H is i, f, c, o (Keras).
 */

/** out (N,C) = table (V,C) rows at tokens (N). */
export function refEmbeddingForward(tokens: ArrayLike<number>, table: Float64Array, dim: number): Float64Array {
  const out = new Float64Array(tokens.length * dim);
  for (let r = 0; r < tokens.length; r++) for (let j = 0; j < dim; j++) out[r * dim + j] = table[tokens[r] * dim + j];
  return out;
}

/** dtable (V,C) += dout (N,C) at the rows of tokens. */
export function refEmbeddingBackward(
  dtable: Float64Array,
  dout: Float64Array,
  tokens: ArrayLike<number>,
  dim: number,
): void {
  for (let r = 0; r < tokens.length; r++)
    for (let j = 0; j < dim; j++) dtable[tokens[r] * dim + j] += dout[r * dim + j];
}

/** out (N,O) = inp (N,I) . weight (I,O) + bias (O). */
export function refDenseForward(
  inp: Float64Array,
  weight: Float64Array,
  bias: Float64Array,
  rows: number,
  inDim: number,
  outDim: number,
): Float64Array {
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias[o];
      for (let i = 0; i < inDim; i++) s += inp[r * inDim + i] * weight[i * outDim + o];
      out[r * outDim + o] = s;
    }
  }
  return out;
}

/** Gradients of refDenseForward for dout (N,O): dinp (N,I), dweight (I,O), dbias (O). */
export function refDenseBackward(
  dout: Float64Array,
  inp: Float64Array,
  weight: Float64Array,
  rows: number,
  inDim: number,
  outDim: number,
): { dinp: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const dinp = new Float64Array(rows * inDim);
  const dweight = new Float64Array(inDim * outDim);
  const dbias = new Float64Array(outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      const g = dout[r * outDim + o];
      dbias[o] += g;
      for (let i = 0; i < inDim; i++) {
        dinp[r * inDim + i] += g * weight[i * outDim + o];
        dweight[i * outDim + o] += inp[r * inDim + i] * g;
      }
    }
  }
  return { dinp, dweight, dbias };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export interface RefLstmWeights {
  /** (I,4H) */
  kernel: Float64Array;
  /** (H,4H) */
  recurrent: Float64Array;
  /** (4H) */
  bias: Float64Array;
}

export interface RefLstmShape {
  batch: number;
  time: number;
  inDim: number;
  hidden: number;
  reverse: boolean;
}

/** Everything the forward pass computed, per (b,t). */
export interface RefLstmTrace {
  /** (B,T,H) outputs. */
  hs: Float64Array;
  /** (B,T,H) cell states. */
  cs: Float64Array;
  /** (B,T,4H) gate activations i, f, g, o. */
  acts: Float64Array;
}

/** LSTM from a zero state over inp (B,T,I); the output sequence is trace.hs (B,T,H). */
export function refLstmForward(inp: Float64Array, w: RefLstmWeights, shape: RefLstmShape): RefLstmTrace {
  const { batch: B, time: T, inDim: I, hidden: H } = shape;
  const hs = new Float64Array(B * T * H);
  const cs = new Float64Array(B * T * H);
  const acts = new Float64Array(B * T * 4 * H);
  for (let b = 0; b < B; b++) {
    let h = new Float64Array(H);
    let c = new Float64Array(H);
    for (let s = 0; s < T; s++) {
      const t = shape.reverse ? T - 1 - s : s;
      const x = inp.subarray((b * T + t) * I, (b * T + t + 1) * I);
      const z = new Float64Array(4 * H);
      for (let j = 0; j < 4 * H; j++) {
        let v = w.bias[j];
        for (let i = 0; i < I; i++) v += x[i] * w.kernel[i * 4 * H + j];
        for (let i = 0; i < H; i++) v += h[i] * w.recurrent[i * 4 * H + j];
        z[j] = v;
      }
      const hNew = new Float64Array(H);
      const cNew = new Float64Array(H);
      const a = acts.subarray((b * T + t) * 4 * H, (b * T + t + 1) * 4 * H);
      for (let j = 0; j < H; j++) {
        const ig = sigmoid(z[j]);
        const fg = sigmoid(z[H + j]);
        const gg = Math.tanh(z[2 * H + j]);
        const og = sigmoid(z[3 * H + j]);
        cNew[j] = fg * c[j] + ig * gg;
        hNew[j] = og * Math.tanh(cNew[j]);
        a[j] = ig;
        a[H + j] = fg;
        a[2 * H + j] = gg;
        a[3 * H + j] = og;
      }
      hs.set(hNew, (b * T + t) * H);
      cs.set(cNew, (b * T + t) * H);
      h = hNew;
      c = cNew;
    }
  }
  return { hs, cs, acts };
}

/** Gradients of refLstmForward given dhs (B,T,H), the gradient of every output step. */
export function refLstmBackward(
  dhs: Float64Array,
  inp: Float64Array,
  w: RefLstmWeights,
  trace: RefLstmTrace,
  shape: RefLstmShape,
): { dinp: Float64Array; dkernel: Float64Array; drecurrent: Float64Array; dbias: Float64Array } {
  const { batch: B, time: T, inDim: I, hidden: H } = shape;
  const dinp = new Float64Array(B * T * I);
  const dkernel = new Float64Array(I * 4 * H);
  const drecurrent = new Float64Array(H * 4 * H);
  const dbias = new Float64Array(4 * H);
  for (let b = 0; b < B; b++) {
    const dhNext = new Float64Array(H);
    const dcNext = new Float64Array(H);
    for (let s = T - 1; s >= 0; s--) {
      const t = shape.reverse ? T - 1 - s : s;
      const tp = shape.reverse ? t + 1 : t - 1;
      const row = b * T + t;
      const a = trace.acts.subarray(row * 4 * H, (row + 1) * 4 * H);
      const dz = new Float64Array(4 * H);
      for (let j = 0; j < H; j++) {
        const [ig, fg, gg, og] = [a[j], a[H + j], a[2 * H + j], a[3 * H + j]];
        const c = trace.cs[row * H + j];
        const cPrev = s === 0 ? 0 : trace.cs[(b * T + tp) * H + j];
        const tc = Math.tanh(c);
        const dh = dhs[row * H + j] + dhNext[j];
        const dc = dcNext[j] + dh * og * (1 - tc * tc);
        dz[j] = dc * gg * ig * (1 - ig);
        dz[H + j] = dc * cPrev * fg * (1 - fg);
        dz[2 * H + j] = dc * ig * (1 - gg * gg);
        dz[3 * H + j] = dh * tc * og * (1 - og);
        dcNext[j] = dc * fg;
      }
      const x = inp.subarray(row * I, (row + 1) * I);
      const hPrev = s === 0 ? new Float64Array(H) : trace.hs.subarray((b * T + tp) * H, (b * T + tp + 1) * H);
      dhNext.fill(0);
      for (let j = 0; j < 4 * H; j++) {
        dbias[j] += dz[j];
        for (let i = 0; i < I; i++) {
          dkernel[i * 4 * H + j] += x[i] * dz[j];
          dinp[row * I + i] += w.kernel[i * 4 * H + j] * dz[j];
        }
        for (let i = 0; i < H; i++) {
          drecurrent[i * 4 * H + j] += hPrev[i] * dz[j];
          dhNext[i] += w.recurrent[i * 4 * H + j] * dz[j];
        }
      }
    }
  }
  return { dinp, dkernel, drecurrent, dbias };
}

/** Mean softmax cross-entropy of logits (N,V) against targets (N), with the probabilities. */
export function refSoftmaxCrossEntropy(
  logits: Float64Array,
  targets: ArrayLike<number>,
  vocab: number,
): { loss: number; probs: Float64Array } {
  const rows = targets.length;
  const probs = new Float64Array(rows * vocab);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let j = 0; j < vocab; j++) mx = Math.max(mx, logits[r * vocab + j]);
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[r * vocab + j] - mx);
    for (let j = 0; j < vocab; j++) probs[r * vocab + j] = Math.exp(logits[r * vocab + j] - mx) / sum;
    loss += Math.log(sum) + mx - logits[r * vocab + targets[r]];
  }
  return { loss: loss / rows, probs };
}

/** d(mean CE)/dlogits. */
export function refSoftmaxCrossEntropyBackward(
  probs: Float64Array,
  targets: ArrayLike<number>,
  vocab: number,
): Float64Array {
  const rows = targets.length;
  const d = new Float64Array(probs.length);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < vocab; j++) d[r * vocab + j] = (probs[r * vocab + j] - (j === targets[r] ? 1 : 0)) / rows;
  return d;
}

/**
 * Mean sigmoid binary cross-entropy of logits (n) against targets (n) in [0,1], element i's loss times weights[i]
 * when given (the sum still divided by n); with its gradient.
 */
export function refSigmoidBce(
  logits: Float64Array,
  targets: ArrayLike<number>,
  weights?: ArrayLike<number>,
): { loss: number; dlogits: Float64Array } {
  const n = logits.length;
  const dlogits = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const p = sigmoid(logits[i]);
    const w = weights ? weights[i] : 1;
    loss += -w * (targets[i] * Math.log(p) + (1 - targets[i]) * Math.log(1 - p));
    dlogits[i] = (w * (p - targets[i])) / n;
  }
  return { loss: loss / n, dlogits };
}

/**
 * One Adam step in float64 (tfjs-core's formula, see ../types.ts ADAM); t counts from 1. With weightDecay the weights
 * first shrink by 1 - lr * weightDecay (AdamW).
 */
export function refAdamStep(
  w: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay = 0,
): void {
  for (let i = 0; i < w.length; i++) {
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    w[i] =
      w[i] * (1 - lr * weightDecay) - (lr * (m[i] / (1 - beta1 ** t))) / (Math.sqrt(v[i] / (1 - beta2 ** t)) + eps);
  }
}

/** Scales all gradient arrays together to a global L2 norm of at most clipNorm; returns the norm before. */
export function refClipByGlobalNorm(grads: Float64Array[], clipNorm: number): number {
  let ss = 0;
  for (const g of grads) for (const x of g) ss += x * x;
  const norm = Math.sqrt(ss);
  if (clipNorm > 0 && norm > clipNorm)
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= clipNorm / norm;
  return norm;
}

/** out (A,C,B,D) = inp (A,B,C,D) with the middle axes swapped; dims = [A,B,C,D]. Its own inverse with [A,C,B,D]. */
export function refSwapMiddle(inp: ArrayLike<number>, dims: readonly [number, number, number, number]): Float64Array {
  const [A, B, C, D] = dims;
  const out = new Float64Array(A * B * C * D);
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let d = 0; d < D; d++) out[((a * C + c) * B + b) * D + d] = inp[((a * B + b) * C + c) * D + d];
  return out;
}
