// SPDX-License-Identifier: MIT
/**
 * The layer interface every engine implements and every model is written against (STYLE §12-13).
 *
 * An engine owns its tensors (WebAssembly memory, tfjs tensors, GPU buffers): a model only holds opaque handles, asks
 * the backend to run layers on them, and reads results back with `read`, which is asynchronous because a GPU needs it
 * to be. Every other call only enqueues work, so a GPU backend may run it later; calls run in the order they are made.
 *
 * Conventions, the same as ./layers.ts (the WebAssembly implementation) and ./reference/layers.ts (float64):
 * - shapes are taken from the handles themselves; each op states the shapes it expects in its doc comment;
 * - backward functions ACCUMULATE (+=) into parameter gradients and into `dinp`, so several consumers of one tensor
 *   can add their parts; losses start a backward pass and overwrite their output gradient;
 * - gate order along 4H is i, f, c, o (Keras), the LSTM starts from a zero state.
 * A new engine implements this file; it never touches a model. A new model wires these layers; it never touches an
 * engine.
 */
import type { AdamConstants, EngineInfo } from './types';

/** One named parameter tensor of a model: its name in checkpoints and its row-major shape (a model's tensor list). */
export interface TensorShape {
  name: string;
  shape: number[];
}

/** An engine-owned float32 tensor. Opaque: only the backend that made it can use it. */
export interface Tensor {
  /** Row-major shape, fixed at allocation. */
  readonly shape: readonly number[];
  /** Number of elements (the product of the shape). */
  readonly size: number;
  readonly dtype: 'float32';
}

/** An engine-owned int32 tensor (token ids, class targets). */
export interface IntTensor {
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype: 'int32';
}

/**
 * The parameters of one model, with their gradients and Adam's moments, laid out per named tensor in the order of the
 * model's tensor list. `params[name]`, `grads[name]`, `m[name]` and `v[name]` all have that tensor's shape.
 */
export interface ParameterSet {
  readonly tensors: readonly TensorShape[];
  readonly params: Readonly<Record<string, Tensor>>;
  readonly grads: Readonly<Record<string, Tensor>>;
  readonly m: Readonly<Record<string, Tensor>>;
  readonly v: Readonly<Record<string, Tensor>>;
}

/** One LSTM layer over (batch, time), running forwards in time or from t = T-1 down to 0 (`reverse`). */
export interface LstmShape {
  batch: number;
  time: number;
  hidden: number;
  reverse: boolean;
}

/**
 * What one LSTM layer keeps between its forward and backward pass (allocate once per shape with `lstmCache`).
 * Only `gates`, `hs` and `dGates` are for the model; the rest belongs to the backend.
 */
export interface LstmCache {
  readonly shape: LstmShape;
  /** (B,T,4H) the gate pre-activations: the model fills it (input projection + bias), the recurrence consumes it. */
  readonly gates: Tensor;
  /** (B,T,H) the hidden states: the layer's output sequence. */
  readonly hs: Tensor;
  /** (B,T,4H) the pre-activation gradients, left by lstmRecurrenceBackward. */
  readonly dGates: Tensor;
}

/** A tensor allocation scope: everything allocated inside `Backend.scope` is released together. */
export interface Scope {
  release(): void;
}

/**
 * The engine side of every model. All tensors are float32 unless typed IntTensor; N = rows, C = columns.
 * @see ./wasmBackend.ts (our WebAssembly engine) and ./tfjsBackend.ts (tfjs cpu, tfjs-node, tfjs-node-gpu).
 */
export interface Backend {
  readonly info: EngineInfo;

  // ---- memory ----------------------------------------------------------------------------------------------
  /** A zeroed float32 tensor. */
  tensor(shape: readonly number[]): Tensor;
  /** A zeroed int32 tensor. */
  intTensor(shape: readonly number[]): IntTensor;
  /** Copies host values in (length = t.size). */
  write(t: Tensor, values: ArrayLike<number>): void;
  writeInt(t: IntTensor, values: ArrayLike<number>): void;
  /** Copies a tensor's values out, once every queued op that writes it has run (a fresh array the caller owns). */
  read(t: Tensor): Promise<Float32Array>;
  zero(t: Tensor): void;
  /** Runs `allocate`; every tensor it allocated is released together by the returned scope. */
  scope<T>(allocate: () => T): { result: T; scope: Scope };
  /** Parameters, gradients and Adam moments for a model's tensor list (all zero). */
  parameters(tensors: readonly TensorShape[]): ParameterSet;

  // ---- layers ----------------------------------------------------------------------------------------------
  /** out (N,C) = table (V,C) rows at tokens (N); `out` may be any tensor of N*C elements, e.g. a (B,T,C) one. */
  embeddingForward(out: Tensor, tokens: IntTensor, table: Tensor): void;
  /** dtable (V,C) += dout (N,C) scattered to the rows of tokens (N). */
  embeddingBackward(dtable: Tensor, dout: Tensor, tokens: IntTensor): void;
  /** out (N,O) = inp (N,I) . weight (I,O) + bias (O); out and inp may be (B,T,*) tensors of N rows. */
  denseForward(out: Tensor, inp: Tensor, weight: Tensor, bias: Tensor): void;
  /** dinp (N,I) += dout . weight^T (skipped when dinp is null); dweight += inp^T . dout; dbias += colsum(dout). */
  denseBackward(dinp: Tensor | null, dweight: Tensor, dbias: Tensor, dout: Tensor, inp: Tensor, weight: Tensor): void;
  /** A cache for one LSTM layer of this shape. */
  lstmCache(shape: LstmShape): LstmCache;
  /** The recurrence over cache.gates (B,T,4H) with recurrent (H,4H); the output sequence lands in cache.hs. */
  lstmRecurrenceForward(cache: LstmCache, recurrent: Tensor): void;
  /**
   * Backward through the recurrence: dhs (B,T,H) is the gradient of every output step, dLast (B,H) that of the last
   * step only (t = T-1, or t = 0 when reverse); either may be null. Leaves cache.dGates and adds the recurrent
   * weight's gradient to dRecurrent (H,4H).
   */
  lstmRecurrenceBackward(
    dRecurrent: Tensor,
    dhs: Tensor | null,
    dLast: Tensor | null,
    cache: LstmCache,
    recurrent: Tensor,
  ): void;
  /**
   * One LSTM step in place for a stateful decoder: with gates (R,4H) holding the input projection + bias,
   * h (R,H) and c (R,H) become the next state; recurrent (H,4H).
   */
  lstmStep(gates: Tensor, h: Tensor, c: Tensor, recurrent: Tensor): void;
  /** out (B,C) = seq (B,T,C) at time step t. */
  timeStep(out: Tensor, seq: Tensor, t: number): void;
  /** out (N,A+B) = [a (N,A) | b (N,B)] along the last axis. */
  concatLast(out: Tensor, a: Tensor, b: Tensor): void;
  /** da (N,A) += dout[:, :A], db (N,B) += dout[:, A:] (the backward of concatLast). */
  splitLastBackward(da: Tensor, db: Tensor, dout: Tensor): void;
  /**
   * out (A,C,B,D) = inp (A,B,C,D) with the two middle axes swapped, dims = [A,B,C,D]: e.g. (batch, pitch, time, H)
   * sequences over time become (batch, time, pitch, H) sequences over pitch (the biaxial models' two axes).
   * Overwrites out; out and inp must not overlap.
   */
  swapMiddle(out: Tensor, inp: Tensor, dims: readonly [number, number, number, number]): void;
  /** dinp (A,B,C,D) += dout (A,C,B,D) swapped back, dims = [A,B,C,D] as given to swapMiddle (its backward). */
  swapMiddleBackward(dinp: Tensor, dout: Tensor, dims: readonly [number, number, number, number]): void;
  /** out = a * b elementwise (same sizes; out may be a). Dropout is this with a mask of 0 and 1/(1-rate). */
  multiply(out: Tensor, a: Tensor, b: Tensor): void;
  /**
   * probs (N,V) = softmax(logits (N,V)); loss (1) = mean over rows of -log probs[target]; targets (N).
   */
  softmaxCrossEntropyForward(loss: Tensor, probs: Tensor, logits: Tensor, targets: IntTensor): void;
  /** dlogits (N,V) = d(mean cross-entropy)/dlogits (overwritten). */
  softmaxCrossEntropyBackward(dlogits: Tensor, probs: Tensor, targets: IntTensor): void;
  /**
   * probs (n) = sigmoid(logits (n)); loss (1) = mean binary cross-entropy against targets (n) in [0,1]. With
   * `weights` (n), element i's loss is multiplied by weights[i] and the sum still divided by n (PyTorch's
   * BCEWithLogitsLoss `weight`): all-ones weights give the plain mean exactly.
   */
  sigmoidBceForward(loss: Tensor, probs: Tensor, logits: Tensor, targets: Tensor, weights?: Tensor): void;
  /** dlogits (n) = d(mean BCE)/dlogits (overwritten): (probs - targets) / n, times weights (n) when given. */
  sigmoidBceBackward(dlogits: Tensor, probs: Tensor, targets: Tensor, weights?: Tensor): void;

  // ---- optimiser -------------------------------------------------------------------------------------------
  /** Zeroes every gradient of the set (the start of a backward pass). */
  zeroGradients(set: ParameterSet): void;
  /** Scales the set's gradients so that their global L2 norm is at most clipNorm (nothing when clipNorm <= 0). */
  clipByGlobalNorm(set: ParameterSet, clipNorm: number): void;
  /**
   * One Adam step (ADAM in ./types.ts, tfjs-core's formula); `step` counts updates from 1. Every weight first shrinks
   * by 1 - learningRate * weightDecay (AdamW's decoupled decay; 0 leaves plain Adam, bit for bit).
   */
  adamStep(set: ParameterSet, step: number, learningRate: number, constants: AdamConstants, weightDecay: number): void;

  /**
   * Runs one training step; a backend may time it to tune itself (the wasm engine's thread governor does).
   * Optional: without it the step simply runs.
   */
  runStep?<T>(work: () => Promise<T>): Promise<T>;
  /** Frees the backend's memory and threads; its tensors are unusable afterwards. */
  dispose(): Promise<void>;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Elements of a tensor list laid end to end (the length of a flat parameter buffer). */
export function totalSize(tensors: readonly TensorShape[]): number {
  return tensors.reduce((n, t) => n + sizeOf(t.shape), 0);
}

/**
 * A ParameterSet over four flat buffers (parameters, gradients, Adam's m and v), each holding the tensors of the list
 * end to end in list order, so that clipping and Adam run over one buffer each: every named tensor is a view that the
 * backend's `viewAt` makes at its element offset.
 */
export function flatParameterSet<B>(
  tensors: readonly TensorShape[],
  flat: { params: B; grads: B; m: B; v: B },
  viewAt: (buffer: B, offset: number, shape: number[]) => Tensor,
): ParameterSet {
  const views = (buffer: B) => {
    const out: Record<string, Tensor> = {};
    let offset = 0;
    for (const t of tensors) {
      out[t.name] = viewAt(buffer, offset, t.shape);
      offset += sizeOf(t.shape);
    }
    return out;
  };
  return {
    tensors: [...tensors],
    params: views(flat.params),
    grads: views(flat.grads),
    m: views(flat.m),
    v: views(flat.v),
  };
}

/**
 * Thrown when an op is given tensors whose shapes do not fit each other: a bug in a model's wiring, named precisely so
 * that it is found at once.
 */
export class BackendShapeError extends Error {
  override name = 'BackendShapeError';
  readonly code = 'BACKEND_SHAPE_MISMATCH';
}

/** Throws BackendShapeError unless `ok`; `detail` is only built on failure (ops run per decoded token). */
export function checkShape(ok: boolean, op: string, detail: () => string): void {
  if (!ok) throw new BackendShapeError(`${op}: ${detail()}`);
}
