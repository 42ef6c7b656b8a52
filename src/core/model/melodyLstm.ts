// SPDX-License-Identifier: MIT
/**
 * The thesis' melody model assembled from the general wasm layers (../engine/layers.ts):
 *   Embedding(V->E) -> LSTM(H) x layers (the last keeps only its final step) -> dropout -> Dense(H->V) -> softmax CE
 * on the token after the window.
 *
 * One exact speed-up: the first LSTM's input projection x.W1 + b1 only ever sees embedding rows, so it is folded
 * into a (V, 4H) table = dense(embeddings, W1, b1) computed once per step, and the per-token projection becomes a
 * row lookup (embedding layer over the table). Its backward is the same two layers backwards (scatter-add into
 * the table's gradient, then the dense backward), so the gradients are those of the unfused model.
 *
 * All parameters live in one flat buffer in melodyLstmTensors order; gradients, Adam's m and v use the same layout.
 */
import { melodyLstmTensors, type MelodyLstmSpec } from './spec';
import type { NamedWeights } from '../engine/types';
import type { AllocationGroup, F32Buf, I32Buf, Kernels } from '../engine/wasm/kernels';
import {
  allocLstmCache,
  denseBackward,
  denseForward,
  dropoutApply,
  dropoutMask,
  embeddingBackward,
  embeddingForward,
  lstmBackward,
  lstmForward,
  lstmRecurrenceBackward,
  lstmRecurrenceForward,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
  type LstmCache,
  type LstmParams,
} from '../engine/layers';

/** Thrown when a batch does not fit the model (token out of range, wrong window). */
export class ModelInputError extends Error {
  override name = 'ModelInputError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface Slot {
  name: string;
  shape: number[];
  /** Element offset in the flat buffers. */
  offset: number;
  length: number;
}

/** Activations and scratch for one batch size. */
interface Workspace {
  batch: number;
  tokens: I32Buf;
  targets: I32Buf;
  /** (V,4H) folded first-layer input projection. */
  table: F32Buf;
  /** (V,4H) its gradient. */
  dTable: F32Buf;
  caches: LstmCache[];
  /** (B,T,H) per layer >= 2: that layer's input after dropout (only with dropout). */
  dropped: F32Buf[];
  /** (B,T,H) per layer: dropout masks on the layer outputs that feed another LSTM (only with dropout). */
  masks: F32Buf[];
  /** (B,T,H) per layer below the last: gradient of its output sequence. */
  dhs: F32Buf[];
  /** (B,H) last step of the last LSTM (after dropout). */
  last: F32Buf;
  lastMask: F32Buf;
  dLast: F32Buf;
  /** (B,V) */
  logits: F32Buf;
  probs: F32Buf;
  dlogits: F32Buf;
  /** The buffers above, released together when a bigger batch needs a bigger workspace. */
  group: AllocationGroup;
}

export class MelodyLstmNet {
  readonly spec: MelodyLstmSpec;
  readonly k: Kernels;
  readonly slots: Slot[];
  readonly params: F32Buf;
  readonly grads: F32Buf;
  readonly adamM: F32Buf;
  readonly adamV: F32Buf;
  /** Bumped whenever the parameters change, so decoders know to refresh their folded table. */
  weightsVersion = 0;
  /** Activations for batches up to its capacity (every buffer is batch-major, so a smaller batch uses a prefix). */
  private ws: Workspace | undefined;
  /** Buffers of disposed decoders, reused by the next decoder (the bump allocator never frees). */
  readonly freeDecoderBuffers: DecoderBuffers[] = [];

  /** Every buffer this net allocated (parameters, workspaces, decoder buffers), for release(). */
  private readonly groups: AllocationGroup[] = [];

  constructor(k: Kernels, spec: MelodyLstmSpec) {
    this.k = k;
    this.spec = spec;
    let offset = 0;
    this.slots = melodyLstmTensors(spec).map(({ name, shape }) => {
      const length = shape.reduce((a, b) => a * b, 1);
      const slot = { name, shape, offset, length };
      offset += length;
      return slot;
    });
    const { result, group } = k.track(() => [
      k.allocF32(offset),
      k.allocF32(offset),
      k.allocF32(offset),
      k.allocF32(offset),
    ]);
    [this.params, this.grads, this.adamM, this.adamV] = result;
    this.groups.push(group);
  }

  /** Allocates through Kernels.track so that release() can give the buffers back. */
  allocate<T>(make: () => T): { result: T; group: AllocationGroup } {
    const tracked = this.k.track(make);
    this.groups.push(tracked.group);
    return tracked;
  }

  /** Gives every buffer of this net (and its decoders) back to the kernels; the net is unusable afterwards. */
  release(): void {
    for (const group of this.groups) this.k.release(group);
    this.groups.length = 0;
    this.ws = undefined;
    this.freeDecoderBuffers.length = 0;
  }

  /** Byte offset of a tensor inside a flat buffer (params, grads, m or v). */
  ptr(buf: F32Buf, name: string): number {
    const slot = this.slots.find((s) => s.name === name);
    if (!slot) throw new Error(`melody-lstm has no tensor named ${name}`);
    return buf.ptr + slot.offset * 4;
  }

  readNamed(buf: F32Buf): NamedWeights {
    const all = this.k.f32(buf);
    const out: NamedWeights = {};
    for (const s of this.slots) out[s.name] = all.slice(s.offset, s.offset + s.length);
    return out;
  }

  writeNamed(buf: F32Buf, w: NamedWeights, what: string): void {
    const all = this.k.f32(buf);
    for (const s of this.slots) {
      const values = w[s.name];
      if (!values || values.length !== s.length) {
        throw new ModelInputError(
          'WEIGHTS_SHAPE_MISMATCH',
          `${what} tensor ${s.name} has ${values ? values.length : 'no'} values; the spec needs ${s.length} (shape ${s.shape.join('x')}). Use weights made for this model spec.`,
        );
      }
      all.set(values, s.offset);
    }
    if (buf === this.params) this.weightsVersion++;
  }

  private lstmParams(buf: F32Buf, layer: number): LstmParams {
    return {
      kernel: this.ptr(buf, `lstm_${layer}/kernel`),
      recurrent: this.ptr(buf, `lstm_${layer}/recurrent_kernel`),
      bias: this.ptr(buf, `lstm_${layer}/bias`),
    };
  }

  private workspace(batch: number): Workspace {
    const existing = this.ws;
    if (existing && existing.batch >= batch) return existing;
    const { k, spec } = this;
    const { window: T, hiddenSize: H, vocabSize: V } = spec;
    const withDropout = spec.dropout > 0;
    if (existing) this.k.release(existing.group);
    const { result: ws, group } = this.allocate((): Workspace => {
      const fresh: Workspace = {
        batch,
        tokens: k.allocI32(batch * T),
        targets: k.allocI32(batch),
        table: k.allocF32(V * 4 * H),
        dTable: k.allocF32(V * 4 * H),
        caches: [],
        dropped: [],
        masks: [],
        dhs: [],
        last: k.allocF32(batch * H),
        lastMask: k.allocF32(withDropout ? batch * H : 1),
        dLast: k.allocF32(batch * H),
        logits: k.allocF32(batch * V),
        probs: k.allocF32(batch * V),
        dlogits: k.allocF32(batch * V),
        group: { blocks: [] },
      };
      this.allocateLayers(fresh);
      return fresh;
    });
    ws.group = group;
    return (this.ws = ws);
  }

  private allocateLayers(ws: Workspace): void {
    const { k, spec } = this;
    const { window: T, hiddenSize: H, layers: L } = spec;
    const batch = ws.batch;
    const withDropout = spec.dropout > 0;
    for (let layer = 1; layer <= L; layer++) {
      ws.caches.push(
        allocLstmCache(k, { batch, time: T, inDim: layer === 1 ? spec.embeddingDim : H, hidden: H, reverse: false }),
      );
      if (layer < L) {
        ws.dhs.push(k.allocF32(batch * T * H));
        ws.masks.push(k.allocF32(withDropout ? batch * T * H : 1));
        ws.dropped.push(k.allocF32(withDropout ? batch * T * H : 1));
      }
    }
  }

  /** The (V,4H) folded table for the current weights: embeddings (V,E) . W1 (E,4H) + b1. */
  computeTable(table: F32Buf): void {
    const { spec } = this;
    denseForward(
      this.k,
      table.ptr,
      this.ptr(this.params, 'embedding/embeddings'),
      { weight: this.ptr(this.params, 'lstm_1/kernel'), bias: this.ptr(this.params, 'lstm_1/bias') },
      { rows: spec.vocabSize, inDim: spec.embeddingDim, outDim: 4 * spec.hiddenSize },
    );
  }

  /**
   * Forward pass over inputs (B,T) and targets (B); returns the mean cross-entropy. With `dropoutUniform` (a [0,1)
   * source) dropout is applied as in training; without it, not at all.
   */
  forward(inputs: Int32Array, targets: Int32Array, batch: number, dropoutUniform?: () => number): number {
    const { k, spec } = this;
    const { window: T, hiddenSize: H, vocabSize: V, layers: L } = spec;
    if (inputs.length !== batch * T || targets.length !== batch) {
      throw new ModelInputError(
        'BATCH_SHAPE_MISMATCH',
        `A batch of ${batch} needs ${batch * T} input tokens (window ${T}) and ${batch} targets; got ${inputs.length} and ${targets.length}.`,
      );
    }
    for (const arr of [inputs, targets]) {
      for (let i = 0; i < arr.length; i++) {
        if (!(arr[i] >= 0 && arr[i] < V))
          throw new ModelInputError(
            'TOKEN_OUT_OF_RANGE',
            `Token ${arr[i]} at position ${i} is outside the vocabulary 0..${V - 1}. Re-encode the corpus for this model spec.`,
          );
      }
    }
    const ws = this.workspace(batch);
    const dropout = dropoutUniform && spec.dropout > 0 ? dropoutUniform : undefined;
    k.i32(ws.tokens).set(inputs);
    k.i32(ws.targets).set(targets);

    this.computeTable(ws.table);
    const first = ws.caches[0];
    embeddingForward(k, first.gates.ptr, ws.tokens, ws.table.ptr, { rows: batch * T, dim: 4 * H });
    lstmRecurrenceForward(k, first, this.ptr(this.params, 'lstm_1/recurrent_kernel'), {
      batch,
      time: T,
      inDim: spec.embeddingDim,
      hidden: H,
      reverse: false,
    });
    for (let layer = 2; layer <= L; layer++) {
      const below = ws.caches[layer - 2];
      let inp = below.hs.ptr;
      if (dropout) {
        dropoutMask(k, ws.masks[layer - 2], spec.dropout, dropout);
        dropoutApply(k, ws.dropped[layer - 2].ptr, inp, ws.masks[layer - 2]);
        inp = ws.dropped[layer - 2].ptr;
      }
      lstmForward(k, ws.caches[layer - 1], inp, this.lstmParams(this.params, layer), {
        batch,
        time: T,
        inDim: H,
        hidden: H,
        reverse: false,
      });
    }
    k.exports.copyRows(ws.last.ptr, ws.caches[L - 1].hs.ptr + (T - 1) * H * 4, batch, H, H, T * H);
    if (dropout) {
      dropoutMask(k, ws.lastMask, spec.dropout, dropout);
      dropoutApply(k, ws.last.ptr, ws.last.ptr, ws.lastMask);
    }
    denseForward(k, ws.logits.ptr, ws.last.ptr, this.denseParams(this.params), { rows: batch, inDim: H, outDim: V });
    return softmaxCrossEntropyForward(k, ws.probs.ptr, ws.logits.ptr, ws.targets, batch, V);
  }

  private denseParams(buf: F32Buf) {
    return { weight: this.ptr(buf, 'dense/kernel'), bias: this.ptr(buf, 'dense/bias') };
  }

  /** Gradients of the last forward pass (same batch, same dropout) into this.grads (overwritten). */
  backward(batch: number, withDropout: boolean): void {
    const { k, spec } = this;
    const { window: T, hiddenSize: H, vocabSize: V, layers: L } = spec;
    const ws = this.workspace(batch);
    const dropout = withDropout && spec.dropout > 0;
    k.zero(this.grads);
    softmaxCrossEntropyBackward(k, ws.dlogits.ptr, ws.probs.ptr, ws.targets, batch, V);
    k.zero(ws.dLast);
    denseBackward(
      k,
      ws.dLast.ptr,
      this.denseParams(this.grads),
      ws.dlogits.ptr,
      ws.last.ptr,
      this.denseParams(this.params),
      { rows: batch, inDim: H, outDim: V },
    );
    if (dropout) dropoutApply(k, ws.dLast.ptr, ws.dLast.ptr, ws.lastMask);
    let dhs = 0;
    let dLast = ws.dLast.ptr;
    for (let layer = L; layer >= 2; layer--) {
      const dBelow = ws.dhs[layer - 2];
      k.zero(dBelow);
      const inp = dropout ? ws.dropped[layer - 2].ptr : ws.caches[layer - 2].hs.ptr;
      lstmBackward(
        k,
        dBelow.ptr,
        this.lstmParams(this.grads, layer),
        dhs,
        dLast,
        ws.caches[layer - 1],
        inp,
        this.lstmParams(this.params, layer),
        { batch, time: T, inDim: H, hidden: H, reverse: false },
      );
      if (dropout) dropoutApply(k, dBelow.ptr, dBelow.ptr, ws.masks[layer - 2]);
      dhs = dBelow.ptr;
      dLast = 0;
    }
    const first = ws.caches[0];
    lstmRecurrenceBackward(
      k,
      this.ptr(this.grads, 'lstm_1/recurrent_kernel'),
      dhs,
      dLast,
      first,
      this.ptr(this.params, 'lstm_1/recurrent_kernel'),
      { batch, time: T, inDim: spec.embeddingDim, hidden: H, reverse: false },
    );
    // Unfold: the table's gradient gathers the gate gradients by token; the dense backward then gives the
    // gradients of the embeddings, W1 and b1.
    k.zero(ws.dTable);
    embeddingBackward(k, ws.dTable.ptr, first.dGates.ptr, ws.tokens, { rows: batch * T, dim: 4 * H });
    denseBackward(
      k,
      this.ptr(this.grads, 'embedding/embeddings'),
      { weight: this.ptr(this.grads, 'lstm_1/kernel'), bias: this.ptr(this.grads, 'lstm_1/bias') },
      ws.dTable.ptr,
      this.ptr(this.params, 'embedding/embeddings'),
      { weight: this.ptr(this.params, 'lstm_1/kernel'), bias: this.ptr(this.params, 'lstm_1/bias') },
      { rows: V, inDim: spec.embeddingDim, outDim: 4 * H },
    );
  }
}

/**
 * Batch-1 stateful decoder over a MelodyLstmNet's current weights: per token one table row, then one
 * matrix-vector product per LSTM layer and one for the dense layer.
 */
/** One decoder's state and scratch in wasm memory. */
export interface DecoderBuffers {
  /** (V,4H) folded first-layer projection, and the weightsVersion it was computed for. */
  table: F32Buf;
  tableVersion: number;
  token: I32Buf;
  /** Per layer (1,H) h and c. */
  h: F32Buf[];
  c: F32Buf[];
  /** (1,4H) */
  gates: F32Buf;
  /** (1,V) */
  logits: F32Buf;
}

export class MelodyLstmDecoder {
  private readonly net: MelodyLstmNet;
  private buffers: DecoderBuffers | undefined;

  constructor(net: MelodyLstmNet) {
    this.net = net;
    const { k, spec } = net;
    const H = spec.hiddenSize;
    this.buffers =
      net.freeDecoderBuffers.pop() ??
      net.allocate(() => ({
        table: k.allocF32(spec.vocabSize * 4 * H),
        tableVersion: -1,
        token: k.allocI32(1),
        h: Array.from({ length: spec.layers }, () => k.allocF32(H)),
        c: Array.from({ length: spec.layers }, () => k.allocF32(H)),
        gates: k.allocF32(4 * H),
        logits: k.allocF32(spec.vocabSize),
      })).result;
  }

  private get b(): DecoderBuffers {
    if (!this.buffers)
      throw new ModelInputError(
        'DECODER_DISPOSED',
        'This decoder was disposed; create a new one with createDecoder().',
      );
    return this.buffers;
  }

  /** Hands the buffers back to the model for the next decoder. */
  dispose(): void {
    if (this.buffers) this.net.freeDecoderBuffers.push(this.buffers);
    this.buffers = undefined;
  }

  reset(): void {
    for (const buf of [...this.b.h, ...this.b.c]) this.net.k.zero(buf);
  }

  step(token: number): Float32Array {
    const { net } = this;
    const { k, spec } = net;
    const H = spec.hiddenSize;
    const V = spec.vocabSize;
    if (!(Number.isInteger(token) && token >= 0 && token < V)) {
      throw new ModelInputError('TOKEN_OUT_OF_RANGE', `Decoder token ${token} is outside the vocabulary 0..${V - 1}.`);
    }
    const b = this.b;
    if (b.tableVersion !== net.weightsVersion) {
      net.computeTable(b.table);
      b.tableVersion = net.weightsVersion;
    }
    k.i32(b.token)[0] = token;
    const one = { rows: 1, dim: 4 * H };
    embeddingForward(k, b.gates.ptr, b.token, b.table.ptr, one);
    // In place: the kernel reads h and c of the previous step before it overwrites them.
    k.exports.lstmStepForward(
      b.gates.ptr,
      b.h[0].ptr,
      net.ptr(net.params, 'lstm_1/recurrent_kernel'),
      b.c[0].ptr,
      b.c[0].ptr,
      b.h[0].ptr,
      1,
      H,
      4 * H,
      H,
      H,
      H,
      H,
      0,
      0,
    );
    for (let layer = 2; layer <= spec.layers; layer++) {
      denseForward(
        k,
        b.gates.ptr,
        b.h[layer - 2].ptr,
        { weight: net.ptr(net.params, `lstm_${layer}/kernel`), bias: net.ptr(net.params, `lstm_${layer}/bias`) },
        { rows: 1, inDim: H, outDim: 4 * H },
      );
      k.exports.lstmStepForward(
        b.gates.ptr,
        b.h[layer - 1].ptr,
        net.ptr(net.params, `lstm_${layer}/recurrent_kernel`),
        b.c[layer - 1].ptr,
        b.c[layer - 1].ptr,
        b.h[layer - 1].ptr,
        1,
        H,
        4 * H,
        H,
        H,
        H,
        H,
        0,
        0,
      );
    }
    denseForward(
      k,
      b.logits.ptr,
      b.h[spec.layers - 1].ptr,
      { weight: net.ptr(net.params, 'dense/kernel'), bias: net.ptr(net.params, 'dense/bias') },
      { rows: 1, inDim: H, outDim: V },
    );
    return k.f32(b.logits).slice();
  }
}
