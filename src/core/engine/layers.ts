// SPDX-License-Identifier: MIT
/**
 * General layers over the WebAssembly kernels (STYLE §12): the implementation behind our engine's Backend
 * (./wasmBackend.ts); models never call these directly, they call the backend-neutral interface in ./backend.ts. Each layer is a pair of plain functions,
 * `xForward(k, out, cache, inp, params, shape)` and `xBackward(k, dinp, dparams, dout, cache, params, shape)`.
 * Gradients are accumulated (+=) into buffers laid out exactly like the parameters, so a model can point its
 * dparams into one flat gradient buffer that Adam walks alongside the flat parameter buffer.
 *
 * Every argument named like a buffer is a byte offset into the kernels' memory; shapes are in the comments.
 * The float64 versions in ./reference/layers.ts compute the same things slowly and plainly; tests hold them equal.
 */
import type { F32Buf, I32Buf, Kernels } from './wasm/kernels';

// ---------------------------------------------------------------------------------------------
// Embedding: out (N, C) = table[tokens]

export interface EmbeddingShape {
  rows: number;
  dim: number;
}

/** out (N,C) = table (V,C) rows at tokens (N). */
export function embeddingForward(k: Kernels, out: number, tokens: I32Buf, table: number, shape: EmbeddingShape): void {
  k.exports.gatherRows(out, table, tokens.ptr, shape.rows, shape.dim, shape.dim, shape.dim);
}

/** dtable (V,C) += dout (N,C) scattered to the rows of tokens (N). */
export function embeddingBackward(
  k: Kernels,
  dtable: number,
  dout: number,
  tokens: I32Buf,
  shape: EmbeddingShape,
): void {
  k.exports.scatterAddRows(dtable, dout, tokens.ptr, shape.rows, shape.dim, shape.dim, shape.dim);
}

// ---------------------------------------------------------------------------------------------
// Dense: out (N, O) = inp (N, I) . weight (I, O) + bias (O)

export interface DenseParams {
  /** (I, O) */
  weight: number;
  /** (O) */
  bias: number;
}

export interface DenseShape {
  rows: number;
  inDim: number;
  outDim: number;
  /** Leading dimension of inp (default inDim): lets a dense layer read one time step of a (B,T,I) buffer. */
  ldInp?: number;
}

/** out (N,O) = inp (N,I; ld ldInp) . weight + bias. The cache is inp itself (the backward pass needs it). */
export function denseForward(k: Kernels, out: number, inp: number, params: DenseParams, shape: DenseShape): void {
  const ldInp = shape.ldInp ?? shape.inDim;
  k.exports.fillRows(out, params.bias, shape.rows, shape.outDim, shape.outDim);
  k.matmulAB(out, inp, params.weight, shape.rows, shape.outDim, shape.inDim, ldInp, shape.outDim, shape.outDim, true);
}

/** dinp (N,I) += dout . weight^T (skipped when dinp is 0); dparams.weight += inp^T . dout; dparams.bias += colsum(dout). */
export function denseBackward(
  k: Kernels,
  dinp: number,
  dparams: DenseParams,
  dout: number,
  inp: number,
  params: DenseParams,
  shape: DenseShape,
): void {
  const ldInp = shape.ldInp ?? shape.inDim;
  if (dinp)
    k.matmulABt(
      dinp,
      dout,
      params.weight,
      shape.rows,
      shape.inDim,
      shape.outDim,
      shape.outDim,
      shape.outDim,
      ldInp,
      true,
    );
  k.matmulAtB(
    dparams.weight,
    inp,
    dout,
    shape.inDim,
    shape.outDim,
    shape.rows,
    ldInp,
    shape.outDim,
    shape.outDim,
    true,
  );
  k.exports.colSumAccumulate(dparams.bias, dout, shape.rows, shape.outDim, shape.outDim);
}

// ---------------------------------------------------------------------------------------------
// LSTM over (B, T). Gate order i, f, c, o along 4H (Keras). Zero initial state.

export interface LstmParams {
  /** (I, 4H) */
  kernel: number;
  /** (H, 4H) */
  recurrent: number;
  /** (4H) */
  bias: number;
}

export interface LstmShape {
  batch: number;
  time: number;
  inDim: number;
  hidden: number;
  /** Run from t = T-1 down to 0 (the backward half of a bidirectional layer). */
  reverse: boolean;
}

/** What the backward pass needs; allocate once per shape with allocLstmCache. */
export interface LstmCache {
  /** (B,T,4H) pre-activations on entry to the recurrence, activations i,f,g,o after it. */
  gates: F32Buf;
  /** (B,T,H) cell states. */
  cells: F32Buf;
  /** (B,T,H) hidden states: the layer's output sequence. */
  hs: F32Buf;
  /** (B,T,H) scratch: hidden states shifted one step (h_{t-1} at row t) for the recurrent-weight gradient. */
  hPrev: F32Buf;
  /** (B,T,4H) pre-activation gradients. */
  dGates: F32Buf;
  /** (B,H) scratch: gradient reaching c from the next step. */
  dcCarry: F32Buf;
  /** (B,H) scratch: gradient reaching h from the next step. */
  dhRec: F32Buf;
  /** (H, 4H rounded down to 8) the recurrent weights packed once per forward pass for the T step products. */
  packedRecurrent: F32Buf;
}

export function allocLstmCache(k: Kernels, shape: LstmShape): LstmCache {
  const { batch: B, time: T, hidden: H } = shape;
  return {
    gates: k.allocF32(B * T * 4 * H),
    cells: k.allocF32(B * T * H),
    hs: k.allocF32(B * T * H),
    hPrev: k.allocF32(B * T * H),
    dGates: k.allocF32(B * T * 4 * H),
    dcCarry: k.allocF32(B * H),
    dhRec: k.allocF32(B * H),
    packedRecurrent: k.allocF32(H * ((4 * H) & ~7)),
  };
}

/**
 * Full LSTM layer: cache.gates = inp (B,T,I) . kernel + bias, then the recurrence. The output sequence is
 * cache.hs (B,T,H); the last state is its row at t = T-1 (t = 0 when reverse).
 */
export function lstmForward(k: Kernels, cache: LstmCache, inp: number, params: LstmParams, shape: LstmShape): void {
  const { batch: B, time: T, inDim: I, hidden: H } = shape;
  denseForward(
    k,
    cache.gates.ptr,
    inp,
    { weight: params.kernel, bias: params.bias },
    { rows: B * T, inDim: I, outDim: 4 * H },
  );
  lstmRecurrenceForward(k, cache, params.recurrent, shape);
}

/** The recurrence alone, over pre-activations already in cache.gates (B,T,4H). recurrent: (H,4H). */
export function lstmRecurrenceForward(k: Kernels, cache: LstmCache, recurrent: number, shape: LstmShape): void {
  const { batch: B, time: T, hidden: H } = shape;
  k.packB(cache.packedRecurrent.ptr, recurrent, H, 4 * H, 4 * H);
  k.lstmSequenceForward(
    cache.gates.ptr,
    cache.cells.ptr,
    cache.hs.ptr,
    recurrent,
    cache.packedRecurrent.ptr,
    B,
    T,
    H,
    shape.reverse,
  );
}

/**
 * Backward through the recurrence. dhs (B,T,H; 0 = none) is the gradient of every output step; dLast (B,H; 0 = none)
 * adds the gradient of the last step only (return_sequences = false). Leaves the pre-activation gradients in
 * cache.dGates and adds the recurrent-weight gradient to dRecurrent (H,4H).
 */
export function lstmRecurrenceBackward(
  k: Kernels,
  dRecurrent: number,
  dhs: number,
  dLast: number,
  cache: LstmCache,
  recurrent: number,
  shape: LstmShape,
): void {
  const { batch: B, time: T, hidden: H } = shape;
  k.lstmSequenceBackward(
    cache.dGates.ptr,
    cache.dcCarry.ptr,
    cache.dhRec.ptr,
    dhs,
    dLast,
    cache.gates.ptr,
    cache.cells.ptr,
    recurrent,
    B,
    T,
    H,
    shape.reverse,
  );
  // dRecurrent += sum_t h_{t-1}^T . dGates_t, as one product over all (b,t) rows with h shifted one step in time.
  const hs = k.f32(cache.hs);
  const hPrev = k.f32(cache.hPrev);
  for (let b = 0; b < B; b++) {
    const row0 = b * T * H;
    if (shape.reverse) {
      hPrev.set(hs.subarray(row0 + H, row0 + T * H), row0);
      hPrev.fill(0, row0 + (T - 1) * H, row0 + T * H);
    } else {
      hPrev.set(hs.subarray(row0, row0 + (T - 1) * H), row0 + H);
      hPrev.fill(0, row0, row0 + H);
    }
  }
  k.matmulAtB(dRecurrent, cache.hPrev.ptr, cache.dGates.ptr, H, 4 * H, B * T, H, 4 * H, 4 * H, true);
}

/**
 * Full LSTM backward: the recurrence, then dinp (B,T,I) += dGates . kernel^T (skipped when dinp is 0),
 * dparams.kernel += inp^T . dGates, dparams.bias += colsum(dGates).
 */
export function lstmBackward(
  k: Kernels,
  dinp: number,
  dparams: LstmParams,
  dhs: number,
  dLast: number,
  cache: LstmCache,
  inp: number,
  params: LstmParams,
  shape: LstmShape,
): void {
  const { batch: B, time: T, inDim: I, hidden: H } = shape;
  lstmRecurrenceBackward(k, dparams.recurrent, dhs, dLast, cache, params.recurrent, shape);
  denseBackward(
    k,
    dinp,
    { weight: dparams.kernel, bias: dparams.bias },
    cache.dGates.ptr,
    inp,
    { weight: params.kernel, bias: params.bias },
    { rows: B * T, inDim: I, outDim: 4 * H },
  );
}

// ---------------------------------------------------------------------------------------------
// Bidirectional LSTM: out (B,T,2H) = [forward hs | reverse hs] (Keras merge_mode 'concat').

export interface BidirectionalCache {
  forward: LstmCache;
  backward: LstmCache;
  /** (B,T,2H) the concatenated output. */
  out: F32Buf;
  /** (B,T,H) scratch for splitting the output gradient. */
  dhsHalf: F32Buf;
}

export function allocBidirectionalCache(k: Kernels, shape: Omit<LstmShape, 'reverse'>): BidirectionalCache {
  const { batch: B, time: T, hidden: H } = shape;
  return {
    forward: allocLstmCache(k, { ...shape, reverse: false }),
    backward: allocLstmCache(k, { ...shape, reverse: true }),
    out: k.allocF32(B * T * 2 * H),
    dhsHalf: k.allocF32(B * T * H),
  };
}

/** cache.out (B,T,2H) from inp (B,T,I) with two parameter sets (forward, reverse). */
export function bidirectionalLstmForward(
  k: Kernels,
  cache: BidirectionalCache,
  inp: number,
  params: { forward: LstmParams; backward: LstmParams },
  shape: Omit<LstmShape, 'reverse'>,
): void {
  const { batch: B, time: T, hidden: H } = shape;
  lstmForward(k, cache.forward, inp, params.forward, { ...shape, reverse: false });
  lstmForward(k, cache.backward, inp, params.backward, { ...shape, reverse: true });
  k.exports.copyRows(cache.out.ptr, cache.forward.hs.ptr, B * T, H, 2 * H, H);
  k.exports.copyRows(cache.out.ptr + H * 4, cache.backward.hs.ptr, B * T, H, 2 * H, H);
}

/** Backward of bidirectionalLstmForward; dout (B,T,2H). */
export function bidirectionalLstmBackward(
  k: Kernels,
  dinp: number,
  dparams: { forward: LstmParams; backward: LstmParams },
  dout: number,
  cache: BidirectionalCache,
  inp: number,
  params: { forward: LstmParams; backward: LstmParams },
  shape: Omit<LstmShape, 'reverse'>,
): void {
  const { batch: B, time: T, hidden: H } = shape;
  k.exports.copyRows(cache.dhsHalf.ptr, dout, B * T, H, H, 2 * H);
  lstmBackward(k, dinp, dparams.forward, cache.dhsHalf.ptr, 0, cache.forward, inp, params.forward, {
    ...shape,
    reverse: false,
  });
  k.exports.copyRows(cache.dhsHalf.ptr, dout + H * 4, B * T, H, H, 2 * H);
  lstmBackward(k, dinp, dparams.backward, cache.dhsHalf.ptr, 0, cache.backward, inp, params.backward, {
    ...shape,
    reverse: true,
  });
}

// ---------------------------------------------------------------------------------------------
// Losses (mean over what they cover).

/** probs (N,V) = softmax(logits (N,V)); returns the mean cross-entropy (nats) against targets (N). */
export function softmaxCrossEntropyForward(
  k: Kernels,
  probs: number,
  logits: number,
  targets: I32Buf,
  rows: number,
  vocab: number,
): number {
  return k.exports.softmaxCrossEntropyForward(probs, logits, targets.ptr, rows, vocab) / rows;
}

/** dlogits (N,V) = d(mean CE)/dlogits (overwritten, not accumulated: losses start the backward pass). */
export function softmaxCrossEntropyBackward(
  k: Kernels,
  dlogits: number,
  probs: number,
  targets: I32Buf,
  rows: number,
  vocab: number,
): void {
  k.exports.softmaxCrossEntropyBackward(dlogits, probs, targets.ptr, rows, vocab, 1 / rows);
}

/**
 * probs (n) = sigmoid(logits (n)); returns the mean binary cross-entropy against float targets (n) in [0,1], each
 * element's loss times weights[i] when `weights` (a pointer to n floats) is given, the sum still divided by n.
 */
export function sigmoidBceForward(
  k: Kernels,
  probs: number,
  logits: number,
  targets: number,
  n: number,
  weights?: number,
): number {
  const sum =
    weights === undefined
      ? k.exports.sigmoidBceForward(probs, logits, targets, n)
      : k.exports.sigmoidBceWeightedForward(probs, logits, targets, weights, n);
  return sum / n;
}

/** dlogits (n) = d(mean BCE)/dlogits (overwritten), weighted per element when `weights` is given. */
export function sigmoidBceBackward(
  k: Kernels,
  dlogits: number,
  probs: number,
  targets: number,
  n: number,
  weights?: number,
): void {
  if (weights === undefined) k.exports.sigmoidBceBackward(dlogits, probs, targets, n, 1 / n);
  else k.exports.sigmoidBceWeightedBackward(dlogits, probs, targets, weights, n, 1 / n);
}

// ---------------------------------------------------------------------------------------------
// Dropout (inverted: kept units scaled by 1/(1-rate), so evaluation needs no change).

/** Fills mask (n) with 0 or 1/(1-rate) from `uniform` (a [0,1) source, e.g. the seeded Rng). */
export function dropoutMask(k: Kernels, mask: F32Buf, rate: number, uniform: () => number): void {
  const m = k.f32(mask);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < m.length; i++) m[i] = uniform() < rate ? 0 : keep;
}

/** out (n) = inp * mask; the backward pass is the same call on the gradients. */
export function dropoutApply(k: Kernels, out: number, inp: number, mask: F32Buf): void {
  k.exports.multiplyInto(out, inp, mask.ptr, mask.length);
}

// ---------------------------------------------------------------------------------------------
// Optimiser over one flat parameter buffer.

export interface AdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** AdamW's decoupled weight decay (see ./types.ts ADAM); 0 is plain Adam. */
  weightDecay: number;
}

/**
 * One Adam step (t = step count after this update, from 1) over params, grads, m, v (all the same length), the
 * weights first shrunk by 1 - learningRate * weightDecay.
 */
export function adamStep(
  k: Kernels,
  params: F32Buf,
  grads: F32Buf,
  m: F32Buf,
  v: F32Buf,
  t: number,
  cfg: AdamConfig,
): void {
  const bc1 = 1 - Math.pow(cfg.beta1, t);
  const bc2 = 1 - Math.pow(cfg.beta2, t);
  k.exports.adamUpdate(
    params.ptr,
    grads.ptr,
    m.ptr,
    v.ptr,
    params.length,
    cfg.learningRate,
    cfg.beta1,
    cfg.beta2,
    cfg.epsilon,
    bc1,
    bc2,
    1 - cfg.learningRate * cfg.weightDecay,
  );
}

/** Global L2 norm of grads (float64 sum). */
export function globalNorm(k: Kernels, grads: F32Buf): number {
  return Math.sqrt(k.exports.sumSquares(grads.ptr, grads.length));
}

/** Scales grads so their global norm is at most clipNorm (no-op when clipNorm <= 0); returns the norm before. */
export function clipByGlobalNorm(k: Kernels, grads: F32Buf, clipNorm: number): number {
  const norm = globalNorm(k, grads);
  if (clipNorm > 0 && norm > clipNorm) k.exports.scaleInPlace(grads.ptr, grads.length, clipNorm / norm);
  return norm;
}
