// SPDX-License-Identifier: MIT
/**
 * The thesis' melody model, written once against the backend's layers (../engine/backend.ts), so that it runs on our
 * WebAssembly engine and on tfjs alike:
 *   Embedding(V->E) -> LSTM(H) x layers (the last keeps only its final step) -> dropout -> Dense(H->V) -> softmax CE
 * on the token after the window. Dropout (rate spec.dropout) sits on every LSTM output that feeds another LSTM and
 * before the dense layer, in training only.
 *
 * One exact speed-up: the first LSTM's input projection x.W1 + b1 only ever sees embedding rows, so it is folded into
 * a (V, 4H) table = dense(embeddings, W1, b1), computed once per step, and the per-token projection becomes a row
 * lookup (an embedding layer over the table). Its backward is the same two layers backwards (scatter-add into the
 * table's gradient, then the dense backward), so the gradients are those of the unfolded model; the float64 reference
 * (../engine/reference/melodyLstm.ts), which does not fold, holds it to that.
 *
 * Chord-conditioned (spec.chords 'chroma', ./melodyLstmSpec.ts): the first LSTM reads [embedding | chord chroma] at
 * every step, the chroma of the chord under the token predicted at that step (./windows.ts); the table fold does not
 * apply (the input is no longer a function of the token alone), so that layer runs unfolded: embedding lookup,
 * concatLast with the chord, dense into the gates; backward splits the gradient back (the chord's part is dropped).
 * A decoder takes the chord of the next step with setCondition (N.C., all zero, until it is given one).
 *
 * Velocity-aware (spec.velocityBins n, ./velocity.ts): the condition grows by the one-hot bin of the latest note
 * (so the first layer runs unfolded, as with chords), and a second head, dense(H->n) on the same last-step state as
 * the token head, is trained with softmax cross-entropy on the bin of each target note-on. Windows whose target is
 * not a note-on (or has no known velocity) must add nothing, and the layer interface's softmax cross-entropy has no
 * per-row weights, so the model masks them with layers it has: their velocity logits are multiplied by a zero row
 * (uniform probabilities, loss exactly ln n, and the same mask zeroes their gradient on the way back), and the
 * constant (masked rows) x ln n / B is taken off the loss by a 1x1 dense layer whose bias holds minus that; a second
 * 1x1 dense adds the token loss. The loss is then the mean over windows of the joint event NLL, on every engine.
 * A decoder reads the velocity head with velocityLogits() and takes the latest note's bin with setVelocity().
 */
import type { Backend, IntTensor, LstmCache, ParameterSet, Scope, Tensor } from '../engine/backend';
import type { Batch, Decoder, DecoderInput, TokenBatch } from '../engine/types';
import type { ModelDefinition, Network } from './definition';
import { ModelInputError } from './errors';
import { initTensors } from './initializers';
import {
  DEFAULT_MELODY_SPEC,
  melodyChordDim,
  melodyConditionDim,
  melodyLstmSpecProblem,
  melodyVelocityBins,
  melodyLstmTensors,
  type MelodyLstmSpec,
} from './melodyLstmSpec';
import { buildWindows } from './windows';

/** Workspaces kept per batch size: a training run uses two (full batches and the last, partial one). */
const KEPT_WORKSPACES = 2;

/** Activations and scratch for one batch size. */
interface Workspace {
  batch: number;
  /** (B,T) */
  tokens: IntTensor;
  /** (B) */
  targets: IntTensor;
  /** (V,4H) folded first-layer input projection, and its gradient. */
  table: Tensor;
  dTable: Tensor;
  caches: LstmCache[];
  /** (B,T,H) per layer below the last: its output after dropout (only with dropout), the mask, and the gradient. */
  dropped: Tensor[];
  masks: Tensor[];
  dhs: Tensor[];
  /** (B,H) last step of the last LSTM (after dropout), its dropout mask and its gradient. */
  last: Tensor;
  lastMask: Tensor;
  dLast: Tensor;
  /** (B,V) */
  logits: Tensor;
  probs: Tensor;
  dlogits: Tensor;
  /** (1) mean cross-entropy */
  loss: Tensor;
  /**
   * With a condition only ([1] otherwise): (B*T,E) embeddings, (B*T,D) condition (chord chroma, velocity one-hot),
   * (B*T,E+D) first input, and their gradients.
   */
  emb: Tensor;
  chord: Tensor;
  x: Tensor;
  dx: Tensor;
  dEmb: Tensor;
  dChord: Tensor;
  /** Velocity-aware only ([1] otherwise): (B) target bins, (B,n) raw logits, row mask, masked logits, probs, grad. */
  velTargets: IntTensor;
  velRaw: Tensor;
  velMask: Tensor;
  velLogits: Tensor;
  velProbs: Tensor;
  dVelLogits: Tensor;
  /** (1) the velocity loss as computed, (1,1) the constant 1, (1) minus the masked rows' constant, (1) results. */
  velLoss: Tensor;
  one: Tensor;
  velOffset: Tensor;
  velAdjusted: Tensor;
  total: Tensor;
  scope: Scope;
}

/** One decoder's state and scratch. */
interface DecoderBuffers {
  /** (V,4H) folded projection, and the parameter version it was computed for. */
  table: Tensor;
  tableVersion: number;
  /** (1) */
  token: IntTensor;
  /** Per layer (1,H) h and c. */
  h: Tensor[];
  c: Tensor[];
  /** (1,4H) */
  gates: Tensor;
  /** (1,V) */
  logits: Tensor;
  /** With a condition only ([1] otherwise): (1,E) embedding, (1,D) condition, (1,E+D) first input. */
  emb: Tensor;
  chord: Tensor;
  /** The condition's host copy: [chord chroma | velocity one-hot]. */
  condition: Float32Array;
  x: Tensor;
  /** Velocity-aware only ([1] otherwise): (1,n) velocity logits. */
  velLogits: Tensor;
  scope: Scope;
  /** Set when the network was released under a live decoder: its tensors are gone. */
  released?: boolean;
}

class MelodyLstmNetwork implements Network {
  /** Bumped whenever the parameters change, so decoders know to refresh their folded table. */
  version = 0;
  private readonly workspaces = new Map<number, Workspace>();
  /** The workspace and dropout setting of the last forward pass, for backward(). */
  private lastPass: { ws: Workspace; dropout: boolean } | undefined;
  /** Buffers of disposed decoders, reused by the next decoder. */
  private readonly freeDecoders: DecoderBuffers[] = [];
  private readonly liveDecoders = new Set<DecoderBuffers>();

  constructor(
    readonly backend: Backend,
    readonly spec: MelodyLstmSpec,
    readonly set: ParameterSet,
  ) {}

  /** The parameter tensor `name` (p = params, or grads). */
  p(name: string, of: 'params' | 'grads' = 'params'): Tensor {
    return this.set[of][name];
  }

  parametersChanged(): void {
    this.version++;
  }

  private workspace(batch: number): Workspace {
    const existing = this.workspaces.get(batch);
    if (existing) {
      // Most recently used last, so the eviction below drops the least recently used.
      this.workspaces.delete(batch);
      this.workspaces.set(batch, existing);
      return existing;
    }
    if (this.workspaces.size >= KEPT_WORKSPACES) {
      const [oldest, ws] = this.workspaces.entries().next().value as [number, Workspace];
      ws.scope.release();
      this.workspaces.delete(oldest);
    }
    const { backend: be, spec } = this;
    const { window: T, hiddenSize: H, vocabSize: V, layers: L } = spec;
    const withDropout = spec.dropout > 0;
    // Dropout buffers are 1 element when unused, so a model without dropout does not pay for them.
    const maybe = (shape: number[]) => be.tensor(withDropout ? shape : [1]);
    const C = melodyConditionDim(spec);
    const N = melodyVelocityBins(spec);
    const E = spec.embeddingDim;
    const ifChords = (shape: number[]) => be.tensor(C > 0 ? shape : [1]);
    const ifFolded = (shape: number[]) => be.tensor(C > 0 ? [1] : shape);
    const ifVelocity = (shape: number[]) => be.tensor(N > 0 ? shape : [1]);
    const { result, scope } = be.scope(() => {
      const caches: LstmCache[] = [];
      const dropped: Tensor[] = [];
      const masks: Tensor[] = [];
      const dhs: Tensor[] = [];
      for (let layer = 1; layer <= L; layer++) {
        caches.push(be.lstmCache({ batch, time: T, hidden: H, reverse: false }));
        if (layer < L) {
          dhs.push(be.tensor([batch, T, H]));
          masks.push(maybe([batch, T, H]));
          dropped.push(maybe([batch, T, H]));
        }
      }
      return {
        batch,
        tokens: be.intTensor([batch, T]),
        targets: be.intTensor([batch]),
        table: ifFolded([V, 4 * H]),
        dTable: ifFolded([V, 4 * H]),
        caches,
        dropped,
        masks,
        dhs,
        last: be.tensor([batch, H]),
        lastMask: maybe([batch, H]),
        dLast: be.tensor([batch, H]),
        logits: be.tensor([batch, V]),
        probs: be.tensor([batch, V]),
        dlogits: be.tensor([batch, V]),
        loss: be.tensor([1]),
        emb: ifChords([batch * T, E]),
        chord: ifChords([batch * T, C]),
        x: ifChords([batch * T, E + C]),
        dx: ifChords([batch * T, E + C]),
        dEmb: ifChords([batch * T, E]),
        dChord: ifChords([batch * T, C]),
        velTargets: be.intTensor(N > 0 ? [batch] : [1]),
        velRaw: ifVelocity([batch, N]),
        velMask: ifVelocity([batch, N]),
        velLogits: ifVelocity([batch, N]),
        velProbs: ifVelocity([batch, N]),
        dVelLogits: ifVelocity([batch, N]),
        velLoss: be.tensor([1]),
        one: be.tensor([1, 1]),
        velOffset: be.tensor([1]),
        velAdjusted: be.tensor([1]),
        total: be.tensor([1]),
      };
    });
    if (N > 0) be.write(result.one, [1]);
    const ws: Workspace = { ...result, scope };
    this.workspaces.set(batch, ws);
    return ws;
  }

  /** table (V,4H) = embeddings (V,E) . W1 (E,4H) + b1: the folded first-layer input projection. */
  computeTable(table: Tensor): void {
    this.backend.denseForward(table, this.p('embedding/embeddings'), this.p('lstm_1/kernel'), this.p('lstm_1/bias'));
  }

  private checkBatch(batch: Batch): asserts batch is TokenBatch {
    const { window: T, vocabSize: V } = this.spec;
    if (batch.kind === 'frames')
      throw new ModelInputError(
        'BATCH_SHAPE_MISMATCH',
        'A melody-lstm model trains on token windows, not piano-roll frames; build its batches with its own batch builder.',
      );
    const B = batch.batchSize;
    if (!(Number.isInteger(B) && B > 0) || batch.inputs.length !== B * T || batch.targets.length !== B) {
      throw new ModelInputError(
        'BATCH_SHAPE_MISMATCH',
        `A batch of ${B} needs ${B * T} input tokens (window ${T}) and ${B} targets (one per window); got ${batch.inputs.length} and ${batch.targets.length}.`,
      );
    }
    const C = melodyConditionDim(this.spec);
    const what = [
      melodyChordDim(this.spec) > 0 ? 'chord chroma' : '',
      melodyVelocityBins(this.spec) > 0 ? 'velocity one-hot' : '',
    ]
      .filter(Boolean)
      .join(' | ');
    if (C > 0 && (!batch.condition || batch.condition.dim !== C || batch.condition.values.length !== B * T * C))
      throw new ModelInputError(
        'BATCH_SHAPE_MISMATCH',
        `This melody-lstm model needs a condition of (B,T,${C}) per batch (${what}); build its batches with its own batch builder.`,
      );
    if (C === 0 && batch.condition)
      throw new ModelInputError(
        'BATCH_SHAPE_MISMATCH',
        'This melody-lstm model has no chord or velocity input; its batches carry no condition (train a model with chords or dynamics to use them).',
      );
    const N = melodyVelocityBins(this.spec);
    if (N > 0) {
      const vt = batch.velocityTargets;
      if (!vt || vt.length !== B || !vt.every((v) => Number.isInteger(v) && v >= -1 && v < N))
        throw new ModelInputError(
          'BATCH_SHAPE_MISMATCH',
          `A velocity-aware melody-lstm batch needs the velocity bin (0..${N - 1}, or -1 for none) of each of its ${B} targets; build its batches with its own batch builder.`,
        );
    }
    for (const arr of [batch.inputs, batch.targets]) {
      for (let i = 0; i < arr.length; i++) {
        if (!(arr[i] >= 0 && arr[i] < V))
          throw new ModelInputError(
            'TOKEN_OUT_OF_RANGE',
            `Token ${arr[i]} at position ${i} is outside the vocabulary 0..${V - 1}. Re-encode the corpus for this model spec.`,
          );
      }
    }
  }

  /** Draws a dropout mask (0 or 1/(1-rate) per element) on the host and uploads it. */
  private drawMask(mask: Tensor, uniform: () => number): void {
    const rate = this.spec.dropout;
    const keep = 1 / (1 - rate);
    const values = new Float32Array(mask.size);
    for (let i = 0; i < values.length; i++) values[i] = uniform() < rate ? 0 : keep;
    this.backend.write(mask, values);
  }

  forward(batch: Batch, dropoutUniform?: () => number): Tensor {
    this.checkBatch(batch);
    const { backend: be, spec } = this;
    const { window: T, layers: L } = spec;
    const ws = this.workspace(batch.batchSize);
    const dropout = dropoutUniform && spec.dropout > 0 ? dropoutUniform : undefined;
    be.writeInt(ws.tokens, batch.inputs);
    be.writeInt(ws.targets, batch.targets);

    const first = ws.caches[0];
    if (melodyConditionDim(spec) > 0) {
      be.write(ws.chord, batch.condition!.values);
      be.embeddingForward(ws.emb, ws.tokens, this.p('embedding/embeddings'));
      be.concatLast(ws.x, ws.emb, ws.chord);
      be.denseForward(first.gates, ws.x, this.p('lstm_1/kernel'), this.p('lstm_1/bias'));
    } else {
      this.computeTable(ws.table);
      be.embeddingForward(first.gates, ws.tokens, ws.table);
    }
    be.lstmRecurrenceForward(first, this.p('lstm_1/recurrent_kernel'));
    for (let layer = 2; layer <= L; layer++) {
      let inp = ws.caches[layer - 2].hs;
      if (dropout) {
        this.drawMask(ws.masks[layer - 2], dropout);
        be.multiply(ws.dropped[layer - 2], inp, ws.masks[layer - 2]);
        inp = ws.dropped[layer - 2];
      }
      const cache = ws.caches[layer - 1];
      be.denseForward(cache.gates, inp, this.p(`lstm_${layer}/kernel`), this.p(`lstm_${layer}/bias`));
      be.lstmRecurrenceForward(cache, this.p(`lstm_${layer}/recurrent_kernel`));
    }
    be.timeStep(ws.last, ws.caches[L - 1].hs, T - 1);
    if (dropout) {
      this.drawMask(ws.lastMask, dropout);
      be.multiply(ws.last, ws.last, ws.lastMask);
    }
    be.denseForward(ws.logits, ws.last, this.p('dense/kernel'), this.p('dense/bias'));
    be.softmaxCrossEntropyForward(ws.loss, ws.probs, ws.logits, ws.targets);
    this.lastPass = { ws, dropout: Boolean(dropout) };
    if (melodyVelocityBins(spec) === 0) return ws.loss;
    this.velocityForward(ws, batch.velocityTargets!);
    return ws.total;
  }

  /** The velocity head and the joint loss (see the file header): ws.total = token loss + masked velocity loss. */
  private velocityForward(ws: Workspace, velocityTargets: Int32Array): void {
    const { backend: be } = this;
    const N = melodyVelocityBins(this.spec);
    const B = ws.batch;
    const mask = new Float32Array(B * N);
    const targets = new Int32Array(B);
    let masked = 0;
    for (let b = 0; b < B; b++) {
      if (velocityTargets[b] >= 0) {
        targets[b] = velocityTargets[b];
        mask.fill(1, b * N, (b + 1) * N);
      } else masked++;
    }
    be.write(ws.velMask, mask);
    be.writeInt(ws.velTargets, targets);
    be.write(ws.velOffset, [(-masked * Math.log(N)) / B]);
    be.denseForward(ws.velRaw, ws.last, this.p('velocity/kernel'), this.p('velocity/bias'));
    be.multiply(ws.velLogits, ws.velRaw, ws.velMask);
    be.softmaxCrossEntropyForward(ws.velLoss, ws.velProbs, ws.velLogits, ws.velTargets);
    be.denseForward(ws.velAdjusted, ws.velLoss, ws.one, ws.velOffset);
    be.denseForward(ws.total, ws.velAdjusted, ws.one, ws.loss);
  }

  backward(): void {
    const pass = this.lastPass;
    if (!pass) throw new Error('melody-lstm: backward() needs a forward() pass first.');
    const { ws, dropout } = pass;
    const { backend: be, spec } = this;
    const L = spec.layers;
    be.zeroGradients(this.set);
    be.softmaxCrossEntropyBackward(ws.dlogits, ws.probs, ws.targets);
    be.zero(ws.dLast);
    be.denseBackward(
      ws.dLast,
      this.p('dense/kernel', 'grads'),
      this.p('dense/bias', 'grads'),
      ws.dlogits,
      ws.last,
      this.p('dense/kernel'),
    );
    if (melodyVelocityBins(spec) > 0) {
      be.softmaxCrossEntropyBackward(ws.dVelLogits, ws.velProbs, ws.velTargets);
      be.multiply(ws.dVelLogits, ws.dVelLogits, ws.velMask);
      be.denseBackward(
        ws.dLast,
        this.p('velocity/kernel', 'grads'),
        this.p('velocity/bias', 'grads'),
        ws.dVelLogits,
        ws.last,
        this.p('velocity/kernel'),
      );
    }
    if (dropout) be.multiply(ws.dLast, ws.dLast, ws.lastMask);
    let dhs: Tensor | null = null;
    let dLast: Tensor | null = ws.dLast;
    for (let layer = L; layer >= 2; layer--) {
      const dBelow = ws.dhs[layer - 2];
      const cache = ws.caches[layer - 1];
      const inp = dropout ? ws.dropped[layer - 2] : ws.caches[layer - 2].hs;
      be.lstmRecurrenceBackward(
        this.p(`lstm_${layer}/recurrent_kernel`, 'grads'),
        dhs,
        dLast,
        cache,
        this.p(`lstm_${layer}/recurrent_kernel`),
      );
      be.zero(dBelow);
      be.denseBackward(
        dBelow,
        this.p(`lstm_${layer}/kernel`, 'grads'),
        this.p(`lstm_${layer}/bias`, 'grads'),
        cache.dGates,
        inp,
        this.p(`lstm_${layer}/kernel`),
      );
      if (dropout) be.multiply(dBelow, dBelow, ws.masks[layer - 2]);
      dhs = dBelow;
      dLast = null;
    }
    const first = ws.caches[0];
    be.lstmRecurrenceBackward(
      this.p('lstm_1/recurrent_kernel', 'grads'),
      dhs,
      dLast,
      first,
      this.p('lstm_1/recurrent_kernel'),
    );
    if (melodyConditionDim(spec) > 0) {
      be.zero(ws.dx);
      be.denseBackward(
        ws.dx,
        this.p('lstm_1/kernel', 'grads'),
        this.p('lstm_1/bias', 'grads'),
        first.dGates,
        ws.x,
        this.p('lstm_1/kernel'),
      );
      be.zero(ws.dEmb);
      be.zero(ws.dChord);
      be.splitLastBackward(ws.dEmb, ws.dChord, ws.dx);
      be.embeddingBackward(this.p('embedding/embeddings', 'grads'), ws.dEmb, ws.tokens);
      return;
    }
    // Unfold: the table's gradient gathers the gate gradients by token; the dense backward then gives the gradients
    // of the embeddings, W1 and b1.
    be.zero(ws.dTable);
    be.embeddingBackward(ws.dTable, first.dGates, ws.tokens);
    be.denseBackward(
      this.p('embedding/embeddings', 'grads'),
      this.p('lstm_1/kernel', 'grads'),
      this.p('lstm_1/bias', 'grads'),
      ws.dTable,
      this.p('embedding/embeddings'),
      this.p('lstm_1/kernel'),
    );
  }

  createDecoder(): Decoder {
    const buffers = this.freeDecoders.pop() ?? this.allocateDecoder();
    this.liveDecoders.add(buffers);
    const decoder = new MelodyLstmDecoder(this, buffers, (b) => {
      this.liveDecoders.delete(b);
      this.freeDecoders.push(b);
    });
    decoder.reset();
    return decoder;
  }

  private allocateDecoder(): DecoderBuffers {
    const { backend: be, spec } = this;
    const H = spec.hiddenSize;
    const C = melodyConditionDim(spec);
    const N = melodyVelocityBins(spec);
    const { result, scope } = be.scope(() => ({
      table: be.tensor(C > 0 ? [1] : [spec.vocabSize, 4 * H]),
      tableVersion: -1,
      token: be.intTensor([1]),
      h: Array.from({ length: spec.layers }, () => be.tensor([1, H])),
      c: Array.from({ length: spec.layers }, () => be.tensor([1, H])),
      gates: be.tensor([1, 4 * H]),
      logits: be.tensor([1, spec.vocabSize]),
      emb: be.tensor(C > 0 ? [1, spec.embeddingDim] : [1]),
      chord: be.tensor(C > 0 ? [1, C] : [1]),
      x: be.tensor(C > 0 ? [1, spec.embeddingDim + C] : [1]),
      velLogits: be.tensor(N > 0 ? [1, N] : [1]),
    }));
    return { ...result, condition: new Float32Array(C), scope };
  }

  release(): void {
    for (const ws of this.workspaces.values()) ws.scope.release();
    this.workspaces.clear();
    for (const b of [...this.freeDecoders, ...this.liveDecoders]) {
      b.scope.release();
      b.released = true;
    }
    this.freeDecoders.length = 0;
    this.liveDecoders.clear();
    this.lastPass = undefined;
  }
}

/**
 * The thesis' generation model: batch 1, one token in, LSTM state carried between calls; per token one table row,
 * then one matrix-vector product per LSTM layer and one for the dense layer. It reads the network's live parameters,
 * so it always uses the current weights.
 */
class MelodyLstmDecoder implements Decoder {
  private buffers: DecoderBuffers | undefined;

  constructor(
    private readonly net: MelodyLstmNetwork,
    buffers: DecoderBuffers,
    private readonly giveBack: (b: DecoderBuffers) => void,
  ) {
    this.buffers = buffers;
    // Only a velocity-aware model's decoder has these, so callers can tell (./velocity.ts isVelocityDecoder).
    if (melodyVelocityBins(net.spec) > 0) {
      this.velocityLogits = () => this.readVelocityLogits();
      this.setVelocity = (bin) => this.writeVelocity(bin);
    }
  }

  velocityLogits?: () => Promise<Float32Array>;
  setVelocity?: (bin: number | null) => void;

  private get b(): DecoderBuffers {
    if (!this.buffers)
      throw new ModelInputError(
        'DECODER_DISPOSED',
        'This decoder was disposed; create a new one with createDecoder().',
      );
    if (this.buffers.released)
      throw new ModelInputError(
        'DECODER_DISPOSED',
        "This decoder's model was disposed; load the model again and create a new decoder.",
      );
    return this.buffers;
  }

  reset(): void {
    const b = this.b;
    for (const t of [...b.h, ...b.c]) this.net.backend.zero(t);
    b.condition.fill(0);
    this.net.backend.zero(b.chord);
  }

  /** The velocity head on the last layer's state: the logits of the bin of the note-on the last step predicts. */
  private async readVelocityLogits(): Promise<Float32Array> {
    const { net } = this;
    const b = this.b;
    net.backend.denseForward(b.velLogits, b.h[net.spec.layers - 1], net.p('velocity/kernel'), net.p('velocity/bias'));
    return net.backend.read(b.velLogits);
  }

  /** The latest note's velocity bin as the one-hot after the chord chroma (all zero for null). */
  private writeVelocity(bin: number | null): void {
    const N = melodyVelocityBins(this.net.spec);
    if (bin !== null && !(Number.isInteger(bin) && bin >= 0 && bin < N))
      throw new ModelInputError(
        'DECODER_INPUT_INVALID',
        `A velocity bin of this model is a whole number within [0, ${N - 1}], got: ${bin}.`,
      );
    const b = this.b;
    const C = melodyChordDim(this.net.spec);
    b.condition.fill(0, C);
    if (bin !== null) b.condition[C + bin] = 1;
    this.net.backend.write(b.chord, b.condition);
  }

  /**
   * The chord of the step the next step() predicts, as a 12-value chroma (chord-conditioned models; it holds until
   * changed, reset() clears it to N.C.).
   * @throws ModelInputError DECODER_INPUT_INVALID for a model without chord input or a chroma of the wrong width.
   */
  setCondition(values: ArrayLike<number>): void {
    const C = melodyChordDim(this.net.spec);
    if (C === 0 || values.length !== C)
      throw new ModelInputError(
        'DECODER_INPUT_INVALID',
        C === 0
          ? 'This melody-lstm model has no chord input; it cannot be given chords.'
          : `A chord condition is ${C} values (a chroma), got ${values.length}.`,
      );
    const b = this.b;
    b.condition.set(values, 0);
    this.net.backend.write(b.chord, b.condition);
  }

  async step(input: DecoderInput): Promise<Float32Array> {
    const { net } = this;
    const { backend: be, spec } = net;
    const V = spec.vocabSize;
    if (typeof input !== 'number')
      throw new ModelInputError(
        'DECODER_INPUT_INVALID',
        'A melody-lstm decoder takes one token id per step, not a piano-roll frame.',
      );
    if (!(Number.isInteger(input) && input >= 0 && input < V))
      throw new ModelInputError('TOKEN_OUT_OF_RANGE', `Decoder token ${input} is outside the vocabulary 0..${V - 1}.`);
    const b = this.b;
    be.writeInt(b.token, [input]);
    if (melodyConditionDim(spec) > 0) {
      be.embeddingForward(b.emb, b.token, net.p('embedding/embeddings'));
      be.concatLast(b.x, b.emb, b.chord);
      be.denseForward(b.gates, b.x, net.p('lstm_1/kernel'), net.p('lstm_1/bias'));
    } else {
      if (b.tableVersion !== net.version) {
        net.computeTable(b.table);
        b.tableVersion = net.version;
      }
      be.embeddingForward(b.gates, b.token, b.table);
    }
    be.lstmStep(b.gates, b.h[0], b.c[0], net.p('lstm_1/recurrent_kernel'));
    for (let layer = 2; layer <= spec.layers; layer++) {
      be.denseForward(b.gates, b.h[layer - 2], net.p(`lstm_${layer}/kernel`), net.p(`lstm_${layer}/bias`));
      be.lstmStep(b.gates, b.h[layer - 1], b.c[layer - 1], net.p(`lstm_${layer}/recurrent_kernel`));
    }
    be.denseForward(b.logits, b.h[spec.layers - 1], net.p('dense/kernel'), net.p('dense/bias'));
    return be.read(b.logits);
  }

  /** Hands the buffers back to the network for the next decoder. */
  dispose(): void {
    if (this.buffers && !this.buffers.released) this.giveBack(this.buffers);
    this.buffers = undefined;
  }
}

/** The registry entry of 'melody-lstm' (see ./registry.ts). */
export const melodyLstmDefinition: ModelDefinition<MelodyLstmSpec> = {
  kind: 'melody-lstm',
  label: 'Melody LSTM (the thesis: embedding, stacked LSTM, next-token softmax)',
  defaultSpec: DEFAULT_MELODY_SPEC,
  specProblem: melodyLstmSpecProblem,
  tensors: melodyLstmTensors,
  initWeights: (spec, randomSeed) => initTensors(melodyLstmTensors(spec), randomSeed),
  buildBatches: (spec, pieces, transpositions) =>
    buildWindows(
      pieces,
      spec.window,
      transpositions,
      melodyChordDim(spec) > 0,
      melodyVelocityBins(spec) > 0 ? spec.velocityEdges : undefined,
    ),
  createNetwork: (backend, spec, parameters) => new MelodyLstmNetwork(backend, spec, parameters),
};
