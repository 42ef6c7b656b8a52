// SPDX-License-Identifier: MIT
/**
 * The polyphonic models, written once against the backend's layers (../engine/backend.ts): piano-roll frames in, one
 * Bernoulli per pitch out, autoregressive over time AND over the pitches of a frame, so the sum of the per-pitch
 * log-losses is the exact -log P(frame | past frames) and the test NLL means what it means in Boulanger-Lewandowski
 * et al. (ICML 2012).
 *
 * biaxial-lstm (Johnson 2017, "Generating Polyphonic Music Using Tied Parallel Networks", the BALSTM):
 *   1. time axis: for every pitch, with weights tied across pitches, an LSTM stack over the frames reading the
 *      features of the PREVIOUS frame (./polyLstmSpec.ts frameFeatures: position, pitch class, neighbours within +-12,
 *      pitch-class counts relative to the pitch, beat). Its output at frame t has seen frames < t only.
 *   2. pitch axis: for every frame, with weights tied across frames, an LSTM stack across the pitches from low to high
 *      reading the time output of that pitch and the ACTUAL on/off of the next-lower pitch of the same frame
 *      (teacher forcing in training; the sampled value in generation).
 *   3. dense -> one logit per pitch = logit P(pitch on | past frames, lower pitches of this frame).
 *
 * bi-lstm (the thesis' proposal, SEED.md: context "from time and pitch dimensions", bidirectional), two additions to the
 * biaxial model, both reading past frames only, so the exact autoregressive factorisation is kept:
 *   a. over time: beside the forward time stack, a backward-in-time LSTM (`window`, `windowHidden`) runs over the
 *      `window` frames before the one predicted, from the newest back to the oldest, on the same per-pitch features;
 *      its state after the oldest frame joins the time output. The forward stack summarises the whole past in a state
 *      that must decide early what to keep; the backward pass re-reads the recent bars in the light of the latest
 *      frame (the cadence just reached, the voice that just moved), which is what a bidirectional layer gives over a
 *      window (Schuster and Paliwal 1997, "Bidirectional Recurrent Neural Networks").
 *   b. over pitch: a high-to-low pitch stack (`downSizes`) over the time outputs, whose output joins the low-to-high
 *      stack's input. The decision for pitch p then sees the past-frame context of EVERY pitch of the frame, above it
 *      as well as below, where the biaxial model sees that of the pitches below p only: in a chord the lower notes are
 *      chosen first, and the biaxial model must choose the bass without knowing what the upper voices' past suggests
 *      (a suspension resolving above, a melody about to leap). The downward pass never reads the current frame's
 *      values (only the low-to-high stack does, for the pitches below), so nothing is leaked.
 *   The tests (test/core/poly.model.test.ts) check both promises: causal in time and pitch, and a distribution that
 *   sums to 1 over every frame.
 *
 * Either kind may also read the repeat input (spec.repeatContext, ./repeatMatch.ts): the frame that followed the latest
 * earlier occurrence of the frames just before, found over the whole piece, as more time-axis features. A section heard
 * before, further back than the forward stack's state keeps it, can then be copied. It too reads past frames only
 * (test/core/poly.repeat.test.ts).
 *
 * Layout (B segments, T frames, P pitches): the time stack runs on (B*P, T, F) host-built features (the backward
 * window pass on (B*P*T, W, F)); `swapMiddle` turns the (B,P,T,Tw) time output into (B,T,P,Tw) for the pitch stacks
 * (batch B*T, time P). The loss is the mean binary cross-entropy times P: nats per frame (in training with
 * spec.loss 'weighted', the weighted one of ./polyLstmSpec.ts; evaluation passes, without a dropout source, always
 * give the plain exact NLL).
 */
import type { Backend, LstmCache, ParameterSet, Scope, Tensor } from '../engine/backend';
import type { Batch, Decoder, DecoderInput, FrameBatch } from '../engine/types';
import type { Rng } from '../util/random';
import type { ModelDefinition, Network } from './definition';
import { ModelInputError } from './errors';
import { initTensors } from './initializers';
import { CHORD_DIM, maskOfChroma, transposeMask, writeChroma } from '../music/chords';
import {
  DEFAULT_BIAXIAL_SPEC,
  DEFAULT_BI_LSTM_SPEC,
  DEFAULT_ON_WEIGHT,
  featureCount,
  polyChordDim,
  polyConditionDim,
  polyRepeatDim,
  frameFeatures,
  pitchInputWidth,
  polyLstmSpecProblem,
  timeWidth,
  polyLstmTensors,
  type PolyLstmSpec,
} from './polyLstmSpec';
import { biasedBernoulli } from './sampler';
import { repeatCandidates, RepeatMatcher, writeRepeatInput } from './repeatMatch';
import type { TokenPiece, WindowSet } from './windows';

/** A fresh matcher for a spec with the repeat input, else undefined. */
const repeatMatcherFor = (spec: PolyLstmSpec) =>
  spec.repeatContext ? new RepeatMatcher(spec.repeatContext, spec.pitches) : undefined;

/** Workspaces kept per (batch, frames) shape: one, since a full-size workspace is a few hundred MB of engine memory. */
const KEPT_WORKSPACES = 1;

/** One LSTM stack's caches and the gradients of its outputs (dhs per layer below the top). */
interface Stack {
  caches: LstmCache[];
  dhs: Tensor[];
}

interface Workspace {
  B: number;
  T: number;
  /** (B*P, T, F) features */
  feats: Tensor;
  time: Stack;
  /** (B*P, T, Ht) dropout mask and the dropped time output */
  mask: Tensor;
  dropped: Tensor;
  /** bi-lstm's backward-in-time pass: (B*P*T, W, F) window features, its cache, its output at the oldest frame */
  wFeats: Tensor;
  wCache: LstmCache | undefined;
  wLast: Tensor;
  dWLast: Tensor;
  /** (B*P*T, Hw+Ht) [window | time] per pitch and frame, and its gradient */
  tCat: Tensor;
  dTCat: Tensor;
  /** (B*T*P, Tw) time output in pitch-major order and its gradient; (B*P, T, Ht) gradient of the time stack's top */
  tOut: Tensor;
  dtOut: Tensor;
  dTop: Tensor;
  down: Stack;
  /** (B*T*P, Ht+Hd) [time | down] (bi-lstm) and its gradient */
  both: Tensor;
  dBoth: Tensor;
  /** (B*T*P, 1) next-lower pitch's value, and a gradient sink for it */
  lower: Tensor;
  dLower: Tensor;
  /** (B*T*P, pitchInputWidth) */
  pIn: Tensor;
  dPIn: Tensor;
  pitch: Stack;
  /** (B*T*P, 1) */
  logits: Tensor;
  probs: Tensor;
  dlogits: Tensor;
  targets: Tensor;
  /** (B*T*P) per-pitch loss weights of the weighted training loss (spec.loss 'weighted'; [1] otherwise) */
  weights: Tensor;
  /** (B*T*P) filled with P: turns mean BCE into nats per frame (forward on `loss`, backward on dlogits) */
  scaleAll: Tensor;
  scaleOne: Tensor;
  bce: Tensor;
  loss: Tensor;
  scope: Scope;
}

const last = <T>(xs: readonly T[]): T => xs[xs.length - 1];

class PolyLstmNetwork implements Network {
  private readonly workspaces = new Map<string, Workspace>();
  private lastPass: { ws: Workspace; dropout: boolean; weighted: boolean } | undefined;
  private readonly decoders = new Set<PolyDecoder>();

  constructor(
    readonly backend: Backend,
    readonly spec: PolyLstmSpec,
    readonly set: ParameterSet,
  ) {}

  p(name: string, of: 'params' | 'grads' = 'params'): Tensor {
    return this.set[of][name];
  }

  parametersChanged(): void {}

  private stack(sizes: readonly number[], rows: number, time: number, reverse: boolean, withGrad: boolean): Stack {
    const be = this.backend;
    const caches = sizes.map((hidden) => be.lstmCache({ batch: rows, time, hidden, reverse }));
    const dhs = withGrad ? sizes.map((hidden) => be.tensor([rows, time, hidden])) : [];
    return { caches, dhs };
  }

  private workspace(B: number, T: number): Workspace {
    const key = `${B}x${T}`;
    const existing = this.workspaces.get(key);
    if (existing) {
      this.workspaces.delete(key);
      this.workspaces.set(key, existing);
      return existing;
    }
    if (this.workspaces.size >= KEPT_WORKSPACES) {
      const [oldest, ws] = this.workspaces.entries().next().value as [string, Workspace];
      ws.scope.release();
      this.workspaces.delete(oldest);
    }
    const { backend: be, spec } = this;
    const P = spec.pitches;
    const Ht = last(spec.timeSizes);
    const Hd = spec.downSizes.length ? last(spec.downSizes) : 0;
    const Hw = spec.windowHidden;
    const Tw = timeWidth(spec);
    const N = B * T * P;
    const F = featureCount(spec);
    const ifWindow = (shape: number[]) => be.tensor(Hw > 0 ? shape : [1]);
    const maybe = (shape: number[]) => be.tensor(spec.dropout > 0 ? shape : [1]);
    const { result, scope } = be.scope(() => ({
      B,
      T,
      feats: be.tensor([B * P, T, featureCount(spec)]),
      time: this.stack(spec.timeSizes, B * P, T, false, true),
      mask: maybe([B * P, T, Ht]),
      dropped: maybe([B * P, T, Ht]),
      wFeats: ifWindow([N, spec.window, F]),
      wCache: Hw > 0 ? be.lstmCache({ batch: N, time: spec.window, hidden: Hw, reverse: true }) : undefined,
      wLast: ifWindow([N, Hw]),
      dWLast: ifWindow([N, Hw]),
      tCat: ifWindow([N, Tw]),
      dTCat: ifWindow([N, Tw]),
      tOut: be.tensor([N, Tw]),
      dtOut: be.tensor([N, Tw]),
      dTop: be.tensor([B * P, T, Ht]),
      down: this.stack(spec.downSizes, B * T, P, true, true),
      both: be.tensor([N, Tw + Hd]),
      dBoth: be.tensor([N, Tw + Hd]),
      lower: be.tensor([N, 1]),
      dLower: be.tensor([N, 1]),
      pIn: be.tensor([N, pitchInputWidth(spec)]),
      dPIn: be.tensor([N, pitchInputWidth(spec)]),
      pitch: this.stack(spec.pitchSizes, B * T, P, false, true),
      logits: be.tensor([N, 1]),
      probs: be.tensor([N, 1]),
      dlogits: be.tensor([N, 1]),
      targets: be.tensor([N]),
      weights: be.tensor(spec.loss === 'weighted' ? [N] : [1]),
      scaleAll: be.tensor([N]),
      scaleOne: be.tensor([1]),
      bce: be.tensor([1]),
      loss: be.tensor([1]),
    }));
    be.write(result.scaleAll, new Float32Array(N).fill(P));
    be.write(result.scaleOne, [P]);
    const ws: Workspace = { ...result, scope };
    this.workspaces.set(key, ws);
    return ws;
  }

  private checkBatch(batch: Batch): asserts batch is FrameBatch {
    const P = this.spec.pitches;
    if (batch.kind !== 'frames')
      throw new ModelInputError(
        'BATCH_SHAPE_MISMATCH',
        `A ${this.spec.kind} model trains on piano-roll frames, not token windows; build its batches with its own batch builder.`,
      );
    const B = batch.batchSize;
    if (
      batch.pitches !== P ||
      !(B > 0) ||
      batch.frames.length % (B * P) !== 0 ||
      batch.targets.length !== batch.frames.length
    )
      throw new ModelInputError(
        'BATCH_SHAPE_MISMATCH',
        `A ${this.spec.kind} batch needs (B,T,${P}) previous frames and (B,T,${P}) target frames; got ${batch.frames.length} and ${batch.targets.length} values of width ${batch.pitches} for B=${B}.`,
      );
    const dim = polyConditionDim(this.spec);
    const T = batch.frames.length / (B * P);
    if (dim > 0 && (!batch.condition || batch.condition.dim !== dim || batch.condition.values.length !== B * T * dim)) {
      const parts = [
        this.spec.beatsPerBar ? 'beat one-hot' : '',
        polyChordDim(this.spec) ? 'chord chroma' : '',
        polyRepeatDim(this.spec) ? `repeat candidate frame and run (${polyRepeatDim(this.spec)})` : '',
      ].filter(Boolean);
      throw new ModelInputError(
        'BATCH_SHAPE_MISMATCH',
        `A ${this.spec.kind} batch needs a condition for every frame (B,T,${dim}): ${parts.join(' then ')}.`,
      );
    }
  }

  /** Runs a stack forward: layer 1's gates from `inp` (rows*time, inDim), each next from the previous output. */
  private stackForward(stack: Stack, prefix: string, inp: Tensor): Tensor {
    const be = this.backend;
    let x = inp;
    stack.caches.forEach((cache, i) => {
      be.denseForward(cache.gates, x, this.p(`${prefix}_${i + 1}/kernel`), this.p(`${prefix}_${i + 1}/bias`));
      be.lstmRecurrenceForward(cache, this.p(`${prefix}_${i + 1}/recurrent_kernel`));
      x = cache.hs;
    });
    return x;
  }

  /** Backward through a stack given the gradient of its top output; adds the input's gradient to dInp (or not). */
  private stackBackward(stack: Stack, prefix: string, inp: Tensor, dTopOut: Tensor, dInp: Tensor | null): void {
    const be = this.backend;
    let dOut = dTopOut;
    for (let i = stack.caches.length - 1; i >= 0; i--) {
      const name = `${prefix}_${i + 1}`;
      const cache = stack.caches[i];
      be.lstmRecurrenceBackward(
        this.p(`${name}/recurrent_kernel`, 'grads'),
        dOut,
        null,
        cache,
        this.p(`${name}/recurrent_kernel`),
      );
      const below = i > 0 ? stack.dhs[i - 1] : dInp;
      if (below && i > 0) be.zero(below);
      be.denseBackward(
        below,
        this.p(`${name}/kernel`, 'grads'),
        this.p(`${name}/bias`, 'grads'),
        cache.dGates,
        i > 0 ? stack.caches[i - 1].hs : inp,
        this.p(`${name}/kernel`),
      );
      if (i > 0) dOut = stack.dhs[i - 1];
    }
  }

  forward(batch: Batch, dropoutUniform?: () => number): Tensor {
    this.checkBatch(batch);
    const { backend: be, spec } = this;
    const P = spec.pitches;
    const B = batch.batchSize;
    const T = batch.frames.length / (B * P);
    const F = featureCount(spec);
    const ws = this.workspace(B, T);
    const dropout = dropoutUniform && spec.dropout > 0 ? dropoutUniform : undefined;

    // Features of the previous frame, laid out (b, p, t, f) for the time stack. The beat comes from the condition.
    const feats = new Float32Array(B * P * T * F);
    const W = spec.window;
    const rows: Float32Array[] = [];
    const dim = polyConditionDim(spec);
    const repeatAt = spec.beatsPerBar + polyChordDim(spec);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        let beat = 0;
        let chord = 0;
        const c = batch.condition?.values;
        const at = (b * T + t) * dim;
        if (c) {
          for (let j = 0; j < spec.beatsPerBar; j++) if (c[at + j] > 0) beat = j;
          if (polyChordDim(spec)) chord = maskOfChroma(c, at + spec.beatsPerBar);
        }
        const row = new Float32Array(P * F);
        frameFeatures(spec, batch.frames, (b * T + t) * P, beat, row, 0, F, chord, c, at + repeatAt);
        rows.push(row);
        for (let p = 0; p < P; p++) feats.set(row.subarray(p * F, p * F + F), ((b * P + p) * T + t) * F);
      }
    be.write(ws.feats, feats);
    if (W > 0) {
      // Slot k of the window before frame t holds frame t-W+k (as the previous frame of frame t-W+k+1); slots before
      // the segment stay zero.
      const wf = new Float32Array(B * P * T * W * F);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++)
          for (let k = 0; k < W; k++) {
            const u = t - W + k + 1;
            if (u < 0) continue;
            const row = rows[b * T + u];
            for (let p = 0; p < P; p++) wf.set(row.subarray(p * F, p * F + F), (((b * P + p) * T + t) * W + k) * F);
          }
      be.write(ws.wFeats, wf);
    }
    // The next-lower pitch's actual value in the frame being predicted (0 below the lowest).
    const lower = new Float32Array(B * T * P);
    for (let r = 0; r < B * T; r++) for (let p = 1; p < P; p++) lower[r * P + p] = batch.targets[r * P + p - 1];
    be.write(ws.lower, lower);
    be.write(ws.targets, batch.targets);
    // Training (a dropout source given) with the weighted loss: each sounding pitch's log-loss counts onWeight times
    // (./polyLstmSpec.ts). Evaluation always scores the plain likelihood.
    const weighted = dropoutUniform !== undefined && spec.loss === 'weighted';
    if (weighted) {
      const on = spec.onWeight ?? DEFAULT_ON_WEIGHT;
      be.write(
        ws.weights,
        Float32Array.from(batch.targets, (y) => (y > 0 ? on : 1)),
      );
    }

    let top = this.stackForward(ws.time, 'lstm_time', ws.feats);
    if (dropout) {
      const keep = 1 / (1 - spec.dropout);
      const m = new Float32Array(ws.mask.size);
      for (let i = 0; i < m.length; i++) m[i] = dropout() < spec.dropout ? 0 : keep;
      be.write(ws.mask, m);
      be.multiply(ws.dropped, top, ws.mask);
      top = ws.dropped;
    }
    if (ws.wCache) {
      be.denseForward(ws.wCache.gates, ws.wFeats, this.p('lstm_back_1/kernel'), this.p('lstm_back_1/bias'));
      be.lstmRecurrenceForward(ws.wCache, this.p('lstm_back_1/recurrent_kernel'));
      be.timeStep(ws.wLast, ws.wCache.hs, 0);
      be.concatLast(ws.tCat, ws.wLast, top);
      top = ws.tCat;
    }
    be.swapMiddle(ws.tOut, top, [B, P, T, timeWidth(spec)]);
    if (spec.downSizes.length) {
      const downTop = this.stackForward(ws.down, 'lstm_down', ws.tOut);
      be.concatLast(ws.both, ws.tOut, downTop);
      be.concatLast(ws.pIn, ws.both, ws.lower);
    } else {
      be.concatLast(ws.pIn, ws.tOut, ws.lower);
    }
    const pTop = this.stackForward(ws.pitch, 'lstm_pitch', ws.pIn);
    be.denseForward(ws.logits, pTop, this.p('dense/kernel'), this.p('dense/bias'));
    be.sigmoidBceForward(ws.bce, ws.probs, ws.logits, ws.targets, weighted ? ws.weights : undefined);
    be.multiply(ws.loss, ws.bce, ws.scaleOne);
    this.lastPass = { ws, dropout: Boolean(dropout), weighted };
    return ws.loss;
  }

  backward(): void {
    const pass = this.lastPass;
    if (!pass) throw new Error(`${this.spec.kind}: backward() needs a forward() pass first.`);
    const { ws, dropout, weighted } = pass;
    const { backend: be, spec } = this;
    const P = spec.pitches;
    const Ht = last(spec.timeSizes);
    const { B, T } = ws;
    be.zeroGradients(this.set);
    be.sigmoidBceBackward(ws.dlogits, ws.probs, ws.targets, weighted ? ws.weights : undefined);
    be.multiply(ws.dlogits, ws.dlogits, ws.scaleAll);
    const pTopGrad = last(ws.pitch.dhs);
    be.zero(pTopGrad);
    be.denseBackward(
      pTopGrad,
      this.p('dense/kernel', 'grads'),
      this.p('dense/bias', 'grads'),
      ws.dlogits,
      last(ws.pitch.caches).hs,
      this.p('dense/kernel'),
    );
    be.zero(ws.dPIn);
    this.stackBackward(ws.pitch, 'lstm_pitch', ws.pIn, pTopGrad, ws.dPIn);
    be.zero(ws.dtOut);
    be.zero(ws.dLower);
    if (spec.downSizes.length) {
      be.zero(ws.dBoth);
      be.splitLastBackward(ws.dBoth, ws.dLower, ws.dPIn);
      const dDownTop = last(ws.down.dhs);
      be.zero(dDownTop);
      be.splitLastBackward(ws.dtOut, dDownTop, ws.dBoth);
      this.stackBackward(ws.down, 'lstm_down', ws.tOut, dDownTop, ws.dtOut);
    } else {
      be.splitLastBackward(ws.dtOut, ws.dLower, ws.dPIn);
    }
    be.zero(ws.dTop);
    if (ws.wCache) {
      be.zero(ws.dTCat);
      be.swapMiddleBackward(ws.dTCat, ws.dtOut, [B, P, T, timeWidth(spec)]);
      be.zero(ws.dWLast);
      be.splitLastBackward(ws.dWLast, ws.dTop, ws.dTCat);
      be.lstmRecurrenceBackward(
        this.p('lstm_back_1/recurrent_kernel', 'grads'),
        null,
        ws.dWLast,
        ws.wCache,
        this.p('lstm_back_1/recurrent_kernel'),
      );
      be.denseBackward(
        null,
        this.p('lstm_back_1/kernel', 'grads'),
        this.p('lstm_back_1/bias', 'grads'),
        ws.wCache.dGates,
        ws.wFeats,
        this.p('lstm_back_1/kernel'),
      );
    } else {
      be.swapMiddleBackward(ws.dTop, ws.dtOut, [B, P, T, Ht]);
    }
    if (dropout) be.multiply(ws.dTop, ws.dTop, ws.mask);
    this.stackBackward(ws.time, 'lstm_time', ws.feats, ws.dTop, null);
  }

  createDecoder(): Decoder {
    const d = new PolyDecoder(this, (x) => this.decoders.delete(x));
    this.decoders.add(d);
    return d;
  }

  release(): void {
    for (const ws of this.workspaces.values()) ws.scope.release();
    this.workspaces.clear();
    for (const d of [...this.decoders]) d.dispose();
    this.lastPass = undefined;
  }
}

/** Frames scored per block by a decoder (the pitch axis runs on a block of frames at once). */
const SCORE_BLOCK = 32;

/**
 * The polyphonic decoder: time-axis state carried frame to frame (batch = the P pitches, one LSTM step per layer),
 * then the pitch axis. `step(frame)` scores a GIVEN frame (teacher forcing: the logit of each pitch given the past and
 * the frame's lower pitches, exactly the training model's) and moves on to it; `sampleFrame` draws the next frame
 * pitch by pitch from low to high, each pitch's Bernoulli conditioned on the ones drawn below it, and moves on to it;
 * `scoreFrames` scores many frames, the pitch axis in blocks (what the benchmark evaluation uses).
 */
export class PolyDecoder implements Decoder {
  /** The frame before the next one (all zero at the start) and the next frame's absolute index. */
  private prev: Float32Array;
  private index = 0;
  /** Each frame's place in its bar (a take's meter map, ../music/meterMap.ts stepsIntoBar); unset: its index. */
  private barPositions: ArrayLike<number> | undefined;
  /** The chord of the next frame (12-bit mask; chord-conditioned models), set by setCondition. */
  private chord = 0;
  /** The time features of the last `window` frames, oldest first (bi-lstm's backward-in-time pass). */
  private history: Float32Array[] = [];
  /** The frames so far, matched for the repeat input (specs with `repeatContext`). */
  private repeats: RepeatMatcher | undefined;
  private disposed = false;
  private readonly scope: Scope;
  private readonly t: {
    feats: Tensor;
    gates: Tensor[];
    h: Tensor[];
    c: Tensor[];
    /** the backward-in-time pass: (P, W, F) window features, its cache, its output and [window | time] (P, Tw) */
    wFeats: Tensor;
    wCache: LstmCache | undefined;
    wLast: Tensor;
    tCat: Tensor;
    /** block scoring: (n, P, Tw) time outputs, lower, pIn, stacks and logits */
    tBlock: Tensor;
    lower: Tensor;
    both: Tensor;
    pIn: Tensor;
    down: LstmCache[];
    pitch: LstmCache[];
    logits: Tensor;
    /** one frame's sampling: (1, P, Tw) time output, its down pass, per-pitch step buffers */
    tOne: Tensor;
    tSeq: Tensor;
    bothOne: Tensor;
    downOne: LstmCache[];
    row: Tensor;
    bit: Tensor;
    stepIn: Tensor;
    pGates: Tensor[];
    ph: Tensor[];
    pc: Tensor[];
    logit: Tensor;
  };

  constructor(
    private readonly net: PolyLstmNetwork,
    private readonly onDispose: (d: PolyDecoder) => void,
  ) {
    const { backend: be, spec } = net;
    const P = spec.pitches;
    const Ht = timeWidth(spec);
    const Hd = spec.downSizes.length ? last(spec.downSizes) : 0;
    const Hw = spec.windowHidden;
    const ifWindow = (shape: number[]) => be.tensor(Hw > 0 ? shape : [1]);
    const n = SCORE_BLOCK;
    const { result, scope } = be.scope(() => ({
      feats: be.tensor([P, featureCount(spec)]),
      gates: spec.timeSizes.map((h) => be.tensor([P, 4 * h])),
      h: spec.timeSizes.map((h) => be.tensor([P, h])),
      c: spec.timeSizes.map((h) => be.tensor([P, h])),
      wFeats: ifWindow([P, spec.window, featureCount(spec)]),
      wCache: Hw > 0 ? be.lstmCache({ batch: P, time: spec.window, hidden: Hw, reverse: true }) : undefined,
      wLast: ifWindow([P, Hw]),
      tCat: ifWindow([P, Ht]),
      tBlock: be.tensor([n * P, Ht]),
      lower: be.tensor([n * P, 1]),
      both: be.tensor([n * P, Ht + Hd]),
      pIn: be.tensor([n * P, pitchInputWidth(spec)]),
      down: spec.downSizes.map((hidden) => be.lstmCache({ batch: n, time: P, hidden, reverse: true })),
      pitch: spec.pitchSizes.map((hidden) => be.lstmCache({ batch: n, time: P, hidden, reverse: false })),
      logits: be.tensor([n * P, 1]),
      tOne: be.tensor([P, Ht]),
      tSeq: be.tensor([1, P, Ht]),
      bothOne: be.tensor([1, P, Ht + Hd]),
      downOne: spec.downSizes.map((hidden) => be.lstmCache({ batch: 1, time: P, hidden, reverse: true })),
      row: be.tensor([1, Ht + Hd]),
      bit: be.tensor([1, 1]),
      stepIn: be.tensor([1, pitchInputWidth(spec)]),
      pGates: spec.pitchSizes.map((h) => be.tensor([1, 4 * h])),
      ph: spec.pitchSizes.map((h) => be.tensor([1, h])),
      pc: spec.pitchSizes.map((h) => be.tensor([1, h])),
      logit: be.tensor([1, 1]),
    }));
    this.t = result;
    this.scope = scope;
    this.prev = new Float32Array(P);
    this.repeats = repeatMatcherFor(spec);
  }

  private check(): void {
    if (this.disposed)
      throw new ModelInputError(
        'DECODER_DISPOSED',
        'This decoder was disposed; create a new one with createDecoder().',
      );
  }

  /** Pitches per frame (the model's window from its spec's lowPitch). */
  get pitches(): number {
    return this.net.spec.pitches;
  }

  /**
   * Where each frame of the take lies in its bar (frames counted from the take's start, as the decoder counts them
   * after reset), so the beat input follows the take's meter map (a clip in 4/4 then 3/4 continued in 3/4); frames past
   * its end, or all of them when undefined, take their index. Kept across reset().
   */
  setBarPositions(positions: ArrayLike<number> | undefined): void {
    this.check();
    this.barPositions = positions;
  }

  reset(): void {
    this.check();
    for (const x of [...this.t.h, ...this.t.c]) this.net.backend.zero(x);
    this.prev = new Float32Array(this.net.spec.pitches);
    this.index = 0;
    this.chord = 0;
    this.history = [];
    this.repeats = repeatMatcherFor(this.net.spec);
  }

  /** Moves on past `frame`: it is the previous frame of the next one, and part of the past the repeat input reads. */
  private advance(frame: Float32Array): void {
    this.prev = frame;
    this.repeats?.push(frame);
    this.index++;
  }

  /** One time-axis step on this.prev for frame this.index: returns the time output (P, Tw), [window | time]. */
  private timeStep(): Tensor {
    const { backend: be, spec } = this.net;
    const F = featureCount(spec);
    const feats = new Float32Array(spec.pitches * F);
    const position = this.barPositions?.[this.index] ?? this.index;
    let repeat: Float32Array | undefined;
    if (this.repeats) {
      const c = this.repeats.candidate();
      repeat = new Float32Array(spec.pitches + 1);
      writeRepeatInput(repeat, 0, spec.pitches, c.at >= 0 ? this.repeats.frame(c.at) : undefined, 0, c.run);
    }
    frameFeatures(spec, this.prev, 0, position, feats, 0, F, this.chord, repeat, 0);
    be.write(this.t.feats, feats);
    let x = this.t.feats;
    spec.timeSizes.forEach((_, i) => {
      be.denseForward(
        this.t.gates[i],
        x,
        this.net.p(`lstm_time_${i + 1}/kernel`),
        this.net.p(`lstm_time_${i + 1}/bias`),
      );
      be.lstmStep(this.t.gates[i], this.t.h[i], this.t.c[i], this.net.p(`lstm_time_${i + 1}/recurrent_kernel`));
      x = this.t.h[i];
    });
    const W = spec.window;
    const w = this.t.wCache;
    if (!w) return x;
    this.history.push(feats);
    if (this.history.length > W) this.history.shift();
    // Slot k holds the frame W-1-k frames before the newest; slots before the piece's start stay zero.
    const wf = new Float32Array(spec.pitches * W * F);
    const missing = W - this.history.length;
    for (let k = missing; k < W; k++) {
      const row = this.history[k - missing];
      for (let p = 0; p < spec.pitches; p++) wf.set(row.subarray(p * F, p * F + F), (p * W + k) * F);
    }
    be.write(this.t.wFeats, wf);
    be.denseForward(w.gates, this.t.wFeats, this.net.p('lstm_back_1/kernel'), this.net.p('lstm_back_1/bias'));
    be.lstmRecurrenceForward(w, this.net.p('lstm_back_1/recurrent_kernel'));
    be.timeStep(this.t.wLast, w.hs, 0);
    be.concatLast(this.t.tCat, this.t.wLast, x);
    return this.t.tCat;
  }

  private checkFrame(frame: ArrayLike<number>, what: string): void {
    if (frame.length !== this.net.spec.pitches)
      throw new ModelInputError(
        'DECODER_INPUT_INVALID',
        `${what}: a ${this.net.spec.kind} decoder takes frames of ${this.net.spec.pitches} pitches, got ${frame.length} values.`,
      );
  }

  /**
   * The logits of every pitch of each given frame (n, P), each given the frames before it and its own lower pitches;
   * the decoder moves on past them.
   */
  async scoreFrames(frames: ArrayLike<number>, count: number): Promise<Float32Array> {
    this.check();
    const { backend: be, spec } = this.net;
    const P = spec.pitches;
    const Ht = timeWidth(spec);
    if (frames.length !== count * P)
      throw new ModelInputError(
        'DECODER_INPUT_INVALID',
        `scoreFrames: ${count} frames need ${count * P} values, got ${frames.length}.`,
      );
    const out = new Float32Array(count * P);
    const n = SCORE_BLOCK;
    for (let from = 0; from < count; from += n) {
      const m = Math.min(n, count - from);
      const block = new Float32Array(n * P * Ht);
      const lower = new Float32Array(n * P);
      for (let i = 0; i < m; i++) {
        const top = this.timeStep();
        block.set(await be.read(top), i * P * Ht);
        const at = (from + i) * P;
        for (let p = 1; p < P; p++) lower[i * P + p] = frames[at + p - 1];
        this.advance(Float32Array.from({ length: P }, (_, p) => frames[at + p]));
      }
      be.write(this.t.tBlock, block);
      be.write(this.t.lower, lower);
      let inp = this.t.tBlock;
      if (spec.downSizes.length) {
        const downTop = this.runStack(this.t.down, 'lstm_down', this.t.tBlock);
        be.concatLast(this.t.both, this.t.tBlock, downTop);
        inp = this.t.both;
      }
      be.concatLast(this.t.pIn, inp, this.t.lower);
      const pTop = this.runStack(this.t.pitch, 'lstm_pitch', this.t.pIn);
      be.denseForward(this.t.logits, pTop, this.net.p('dense/kernel'), this.net.p('dense/bias'));
      out.set((await be.read(this.t.logits)).subarray(0, m * P), from * P);
    }
    return out;
  }

  private runStack(caches: LstmCache[], prefix: string, inp: Tensor): Tensor {
    const be = this.net.backend;
    let x = inp;
    caches.forEach((cache, i) => {
      be.denseForward(cache.gates, x, this.net.p(`${prefix}_${i + 1}/kernel`), this.net.p(`${prefix}_${i + 1}/bias`));
      be.lstmRecurrenceForward(cache, this.net.p(`${prefix}_${i + 1}/recurrent_kernel`));
      x = cache.hs;
    });
    return x;
  }

  /**
   * The chord of the next frame(s) scored or drawn, a 12-value chroma (chord-conditioned models; it holds until
   * changed, reset() clears it to N.C.).
   * @throws ModelInputError DECODER_INPUT_INVALID for a model without chord input or a chroma of the wrong width.
   */
  setCondition(values: ArrayLike<number>): void {
    this.check();
    const C = polyChordDim(this.net.spec);
    if (C === 0 || values.length !== C)
      throw new ModelInputError(
        'DECODER_INPUT_INVALID',
        C === 0
          ? `This ${this.net.spec.kind} model has no chord input; it cannot be given chords.`
          : `A chord condition is ${C} values (a chroma), got ${values.length}.`,
      );
    this.chord = maskOfChroma(values);
  }

  /** Scores the given frame (teacher forcing) and moves on to it: logits per pitch. */
  async step(input: DecoderInput): Promise<Float32Array> {
    if (typeof input === 'number')
      throw new ModelInputError(
        'DECODER_INPUT_INVALID',
        `A ${this.net.spec.kind} decoder takes piano-roll frames, not token ids.`,
      );
    this.checkFrame(input, 'step');
    return this.scoreFrames(input, 1);
  }

  /**
   * Draws the next frame pitch by pitch from low to high (Bernoulli with sigmoid(logit / temperature + bias[p]), one
   * uniform draw of `rng` per pitch, in pitch order) and moves on to it. `bias` (per pitch of the model's window) is
   * how composer controls steer it (./controls.ts framePitchBias); without it the draw is the model's own.
   * `clamp` (per pitch: 0 or 1 = that value, anything else = drawn) holds pitches to given values while the others are
   * drawn: a clamped pitch is fed to the pitch stack as the next-lower input exactly as a drawn one is, so the pitches
   * above it are drawn given it (regenerating a pitch range, ./polyInfill.ts). Its uniform draw is still taken, so the
   * random stream does not depend on which pitches are clamped.
   */
  async sampleFrame(
    temperature: number,
    rng: Rng,
    bias?: ArrayLike<number>,
    clamp?: ArrayLike<number>,
  ): Promise<Float32Array> {
    this.check();
    const { backend: be, spec } = this.net;
    const P = spec.pitches;
    const top = this.timeStep();
    // The top output (P, Ht) read as one sequence over pitch (1, P, .).
    const topValues = await be.read(top);
    be.write(this.t.tOne, topValues);
    let seq = this.t.tSeq;
    if (!spec.downSizes.length) be.write(this.t.tSeq, topValues);
    if (spec.downSizes.length) {
      const downTop = this.runStack(this.t.downOne, 'lstm_down', this.t.tOne);
      be.concatLast(this.t.bothOne, this.t.tOne, downTop);
      seq = this.t.bothOne;
    }
    for (const x of [...this.t.ph, ...this.t.pc]) be.zero(x);
    const frame = new Float32Array(P);
    for (let p = 0; p < P; p++) {
      be.timeStep(this.t.row, seq, p);
      be.write(this.t.bit, [p > 0 ? frame[p - 1] : 0]);
      be.concatLast(this.t.stepIn, this.t.row, this.t.bit);
      let x = this.t.stepIn;
      spec.pitchSizes.forEach((_, i) => {
        be.denseForward(
          this.t.pGates[i],
          x,
          this.net.p(`lstm_pitch_${i + 1}/kernel`),
          this.net.p(`lstm_pitch_${i + 1}/bias`),
        );
        be.lstmStep(this.t.pGates[i], this.t.ph[i], this.t.pc[i], this.net.p(`lstm_pitch_${i + 1}/recurrent_kernel`));
        x = this.t.ph[i];
      });
      const held = clamp?.[p];
      if (held === 0 || held === 1) {
        // A clamped pitch needs no logit: only its value goes on, as the next pitch's lower input.
        rng.next();
        frame[p] = held;
        continue;
      }
      be.denseForward(this.t.logit, x, this.net.p('dense/kernel'), this.net.p('dense/bias'));
      const prob = biasedBernoulli((await be.read(this.t.logit))[0], temperature, bias?.[p] ?? 0);
      frame[p] = rng.next() < prob ? 1 : 0;
    }
    this.advance(frame);
    return frame;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.scope.release();
    this.onDispose(this);
  }
}

/**
 * Training segments of a list of pieces whose `tokens` are flattened piano rolls (T*P values of 0/1, frame by frame):
 * each piece of at least `segment` frames is cut into consecutive segments of `segment` frames, the last one aligned
 * to the piece's end; shorter pieces are left out. A segment's batch row holds the previous frames (the frame before
 * a piece's first is all zero), the frames themselves as targets, and each frame's beat (its place in its bar from the
 * piece's `barPositions`, else its absolute index, mod beatsPerBar) as its condition, followed, for a chord-conditioned spec, by the chroma of the frame's chord (the piece's
 * `chords`, transposed with the roll; N.C. where a piece has none), and for a spec with `repeatContext` by the frame's
 * repeat input (./repeatMatch.ts, matched over the whole piece, not the segment alone). Transpositions shift the whole roll (a segment that would push a note out of the
 * range is dropped).
 */
export function buildFrameSegments(
  spec: PolyLstmSpec,
  pieces: TokenPiece[],
  transpositions: number[] = [0],
): WindowSet {
  const P = spec.pitches;
  const T = spec.segment;
  const beats = spec.beatsPerBar;
  const chordDim = polyChordDim(spec) > 0 ? CHORD_DIM : 0;
  const repeatDim = polyRepeatDim(spec);
  // Each piece's repeat candidates, found once over the whole piece (a segment's frames may repeat any earlier one).
  const candidates = new Map<number, { at: Int32Array; run: Int32Array }>();
  const candidatesOf = (i: number) => {
    let c = candidates.get(i);
    if (!c) {
      const roll = pieces[i].tokens;
      c = repeatCandidates(roll, roll.length / P, P, spec.repeatContext!);
      candidates.set(i, c);
    }
    return c;
  };
  const shifts = transpositions.length ? [...new Set(transpositions)] : [0];
  const triples: number[] = [];
  pieces.forEach((piece, i) => {
    const frames = piece.tokens.length / P;
    if (!Number.isInteger(frames))
      throw new ModelInputError(
        'BATCH_SHAPE_MISMATCH',
        `${piece.name}: ${piece.tokens.length} roll values are not whole frames of ${P} pitches.`,
      );
    if (frames < T) return;
    const starts: number[] = [];
    for (let s = 0; s + T <= frames; s += T) starts.push(s);
    if (starts[starts.length - 1] + T < frames) starts.push(frames - T);
    for (const shift of shifts) {
      let lo = P;
      let hi = -1;
      for (let k = 0; k < piece.tokens.length; k++)
        if (piece.tokens[k] > 0) {
          lo = Math.min(lo, k % P);
          hi = Math.max(hi, k % P);
        }
      if (hi >= 0 && (lo + shift < 0 || hi + shift >= P)) continue;
      for (const s of starts) triples.push(i, s, shift);
    }
  });
  const packed = Int32Array.from(triples);
  return {
    window: T,
    size: packed.length / 3,
    at: (i) => ({ piece: packed[3 * i], start: packed[3 * i + 1], shift: packed[3 * i + 2] }),
    batch(order, from, count) {
      const frames = new Float32Array(count * T * P);
      const targets = new Float32Array(count * T * P);
      const dim = beats + chordDim + repeatDim;
      const cond = new Float32Array(count * T * Math.max(dim, 1));
      for (let b = 0; b < count; b++) {
        const w = order[from + b];
        const roll = pieces[packed[3 * w]].tokens;
        const start = packed[3 * w + 1];
        const shift = packed[3 * w + 2];
        for (let t = 0; t < T; t++) {
          const f = start + t;
          for (let p = 0; p < P; p++) {
            const q = p - shift;
            if (q < 0 || q >= P) continue;
            targets[(b * T + t) * P + p] = roll[f * P + q];
            if (f > 0) frames[(b * T + t) * P + p] = roll[(f - 1) * P + q];
          }
          const positions = pieces[packed[3 * w]].barPositions;
          if (beats > 0) cond[(b * T + t) * dim + ((positions ? (positions[f] ?? f) : f) % beats)] = 1;
          const chords = pieces[packed[3 * w]].chords;
          if (chordDim && chords) writeChroma(transposeMask(chords[f] ?? 0, shift), cond, (b * T + t) * dim + beats);
          if (repeatDim) {
            const c = candidatesOf(packed[3 * w]);
            const s = c.at[f];
            writeRepeatInput(cond, (b * T + t) * dim + beats + chordDim, P, roll, s * P, s >= 0 ? c.run[f] : 0, shift);
          }
        }
      }
      const batch: FrameBatch = { kind: 'frames', frames, pitches: P, targets, batchSize: count };
      if (dim > 0) batch.condition = { dim, values: cond };
      return batch as never;
    },
  };
}

function polyDefinition(
  kind: PolyLstmSpec['kind'],
  label: string,
  defaultSpec: PolyLstmSpec,
): ModelDefinition<PolyLstmSpec> {
  return {
    kind,
    label,
    defaultSpec,
    specProblem: polyLstmSpecProblem,
    tensors: polyLstmTensors,
    initWeights: (spec, seed) => initTensors(polyLstmTensors(spec), seed),
    buildBatches: (spec, pieces, transpositions) => buildFrameSegments(spec, pieces, transpositions),
    createNetwork: (backend, spec, parameters) => new PolyLstmNetwork(backend, spec, parameters),
  };
}

/** The registry entries (see ./registry.ts). */
export const biaxialLstmDefinition = polyDefinition(
  'biaxial-lstm',
  'Biaxial LSTM (Johnson 2017: time axis per pitch, then pitch axis low to high; exact frame likelihood)',
  DEFAULT_BIAXIAL_SPEC,
);
export const biLstmDefinition = polyDefinition(
  'bi-lstm',
  'Bidirectional LSTM over pitch (the thesis: past-frame context from above and below each pitch; exact frame likelihood)',
  DEFAULT_BI_LSTM_SPEC,
);

/** Is this decoder a polyphonic one (it can sample and score whole frames)? */
export function isPolyDecoder(d: Decoder): d is PolyDecoder {
  return d instanceof PolyDecoder;
}
