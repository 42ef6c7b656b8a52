// SPDX-License-Identifier: MIT
/**
 * The tfjs engines' Backend (cpu reference, tfjs-node, tfjs-node-gpu): each handle holds one tf.Tensor that ops
 * replace (tfjs tensors are immutable), disposing the one it held, so tf.memory().numTensors stays constant from one
 * step to the next. Every backward pass is written out (no autodiff tape, STYLE §12), the LSTM's as backpropagation
 * through time over the activations its forward pass kept; test/core/engine.backend.test.ts holds each op to the
 * float64 reference layers.
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkShape,
  sizeOf,
  type Backend,
  type IntTensor,
  type LstmCache,
  type LstmShape,
  type ParameterSet,
  type Scope,
  type Tensor,
  type TensorShape,
} from './backend';
import { checkOpShapes } from './opShapes';
import type { EngineInfo } from './types';

/** A handle: the tensor it holds now, shaped as declared. */
class TfHandle {
  readonly size: number;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: 'float32' | 'int32',
    public t: tf.Tensor,
  ) {
    this.size = sizeOf(shape);
  }
}

interface TfLstmCache extends LstmCache {
  /** (B,T,4H) gate activations i, f, g, o of the last forward pass, for the backward pass. */
  readonly acts: TfHandle;
  /** (B,T,H) cell states of the last forward pass. */
  readonly cells: TfHandle;
}

const h = (t: Tensor | IntTensor) => t as unknown as TfHandle;

/** Replaces a handle's tensor with `make()` (run in tf.tidy), reshaped to the handle's shape. */
function assign(target: Tensor | IntTensor, make: () => tf.Tensor): void {
  const handle = h(target);
  const next = tf.tidy(() => tf.reshape(make(), [...handle.shape]));
  handle.t.dispose();
  handle.t = next;
}

/** target += make() */
function accumulate(target: Tensor, make: () => tf.Tensor): void {
  assign(target, () => tf.add(h(target).t, tf.reshape(make(), [...h(target).shape])));
}

const as2d = (t: Tensor | IntTensor, cols: number) => tf.reshape(h(t).t, [h(t).size / cols, cols]) as tf.Tensor2D;

/**
 * One LSTM cell on packed pre-activations z (B,4H), gate order i, f, c, o: the new (h, c) and the activations
 * (B,4H: i, f, g, o) that the backward pass needs.
 */
function lstmCell(z: tf.Tensor2D, cPrev: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D; acts: tf.Tensor2D } {
  const [zi, zf, zg, zo] = tf.split(z, 4, 1);
  const [i, f, g, o] = [tf.sigmoid(zi), tf.sigmoid(zf), tf.tanh(zg), tf.sigmoid(zo)];
  const c = tf.add(tf.mul(f, cPrev), tf.mul(i, g)) as tf.Tensor2D;
  return { h: tf.mul(o, tf.tanh(c)) as tf.Tensor2D, c, acts: tf.concat([i, f, g, o], 1) as tf.Tensor2D };
}

/**
 * The recurrence forward over pre-activations pre (B,T,4H) with recurrent (H,4H): returns the output sequence
 * hs (B,T,H), the gate activations acts (B,T,4H: i, f, g, o) and the cells (B,T,H) that the backward pass needs.
 */
function recurrenceForward(pre: tf.Tensor, recurrent: tf.Tensor2D, shape: LstmShape) {
  const { batch: B, time: T, hidden: H, reverse } = shape;
  const steps = tf.unstack(tf.reshape(pre, [B, T, 4 * H]), 1) as tf.Tensor2D[];
  let hPrev = tf.zeros([B, H]) as tf.Tensor2D;
  let cPrev = tf.zeros([B, H]) as tf.Tensor2D;
  const hs: tf.Tensor2D[] = new Array(T);
  const cells: tf.Tensor2D[] = new Array(T);
  const acts: tf.Tensor2D[] = new Array(T);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const cell = lstmCell(tf.add(steps[t], tf.matMul(hPrev, recurrent)) as tf.Tensor2D, cPrev);
    hPrev = cell.h;
    cPrev = cell.c;
    hs[t] = cell.h;
    cells[t] = cell.c;
    acts[t] = cell.acts;
  }
  return { hs: tf.stack(hs, 1), acts: tf.stack(acts, 1), cells: tf.stack(cells, 1) };
}

/**
 * Backpropagation through time over the saved activations, written out (the float64 reference layers state the same
 * formulas): per processed step, newest first, dh = dhs_t + dh from the next step; dc = dc from the next step +
 * dh * o * (1 - tanh(c)^2); gate gradients through their activations; dRecurrent += h_{t-1}^T . dz_t and the
 * gradient reaching h_{t-1} is dz_t . U^T. Returns dz (B,T,4H) and dRecurrent (H,4H).
 */
function recurrenceBackward(
  dhs: tf.Tensor | null,
  dLast: tf.Tensor | null,
  acts: tf.Tensor,
  cells: tf.Tensor,
  hsAll: tf.Tensor,
  recurrent: tf.Tensor2D,
  shape: LstmShape,
) {
  const { batch: B, time: T, hidden: H, reverse } = shape;
  const a = tf.unstack(tf.reshape(acts, [B, T, 4 * H]), 1);
  const c = tf.unstack(tf.reshape(cells, [B, T, H]), 1);
  const hs = tf.unstack(tf.reshape(hsAll, [B, T, H]), 1);
  const dy = dhs ? tf.unstack(tf.reshape(dhs, [B, T, H]), 1) : undefined;
  let dhRec: tf.Tensor = dLast ? tf.reshape(dLast, [B, H]) : tf.zeros([B, H]);
  let dcCarry: tf.Tensor = tf.zeros([B, H]);
  let dU: tf.Tensor = tf.zeros([H, 4 * H]);
  const dz: tf.Tensor[] = new Array(T);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    const dh = dy ? tf.add(dy[t], dhRec) : dhRec;
    const [i, f, g, o] = tf.split(a[t], 4, 1);
    const tc = tf.tanh(c[t]);
    const cPrev = s > 0 ? c[tp] : tf.zeros([B, H]);
    const dO = tf.mul(dh, tc);
    const dc = tf.add(dcCarry, tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tc))));
    const dI = tf.mul(dc, g);
    const dG = tf.mul(dc, i);
    const dF = tf.mul(dc, cPrev);
    dcCarry = tf.mul(dc, f);
    const sig = (x: tf.Tensor) => tf.mul(x, tf.sub(1, x));
    dz[t] = tf.concat(
      [tf.mul(dI, sig(i)), tf.mul(dF, sig(f)), tf.mul(dG, tf.sub(1, tf.square(g))), tf.mul(dO, sig(o))],
      1,
    );
    if (s > 0) {
      dU = tf.add(dU, tf.matMul(hs[tp] as tf.Tensor2D, dz[t] as tf.Tensor2D, true, false));
      dhRec = tf.matMul(dz[t] as tf.Tensor2D, recurrent, false, true);
    }
  }
  return { dz: tf.stack(dz, 1), dU };
}

/**
 * The Backend over tfjs' active backend (the engine selects it). Adam follows tfjs-core's formula with the shared
 * ADAM constants, so a checkpoint continues identically here and on the wasm engine.
 */
export function createTfjsBackend(info: EngineInfo): Backend {
  /** Open scopes recording the handles allocated meanwhile. */
  const recording: TfHandle[][] = [];
  const make = (shape: readonly number[], dtype: 'float32' | 'int32'): TfHandle => {
    const handle = new TfHandle(shape, dtype, tf.zeros([...shape], dtype));
    for (const list of recording) list.push(handle);
    return handle;
  };

  const backend: Backend = {
    info,
    tensor: (shape) => make(shape, 'float32') as unknown as Tensor,
    intTensor: (shape) => make(shape, 'int32') as unknown as IntTensor,
    write(t, values) {
      checkOpShapes.write(t, values);
      // A copy: tfjs may keep the array it is given, and the caller may reuse it.
      assign(t, () => tf.tensor(Float32Array.from(values), [...t.shape], 'float32'));
    },
    writeInt(t, values) {
      checkOpShapes.write(t, values, 'writeInt');
      assign(t, () => tf.tensor(Int32Array.from(values), [...t.shape], 'int32'));
    },
    async read(t) {
      return Float32Array.from(await h(t).t.data());
    },
    zero: (t) => assign(t, () => tf.zeros([...t.shape])),
    scope<T>(allocate: () => T): { result: T; scope: Scope } {
      const list: TfHandle[] = [];
      recording.push(list);
      try {
        const result = allocate();
        return {
          result,
          scope: {
            release() {
              for (const handle of list) handle.t.dispose();
              list.length = 0;
            },
          },
        };
      } finally {
        recording.splice(recording.indexOf(list), 1);
      }
    },
    parameters(tensors: readonly TensorShape[]): ParameterSet {
      const group = () => Object.fromEntries(tensors.map((t) => [t.name, backend.tensor(t.shape)]));
      return { tensors: [...tensors], params: group(), grads: group(), m: group(), v: group() };
    },

    embeddingForward(out, tokens, table) {
      checkOpShapes.embeddingForward(out, tokens, table);
      assign(out, () => tf.gather(h(table).t, tf.reshape(h(tokens).t, [tokens.size])));
    },
    embeddingBackward(dtable, dout, tokens) {
      const [V, C] = dtable.shape;
      accumulate(dtable, () =>
        tf.unsortedSegmentSum(as2d(dout, C), tf.reshape(h(tokens).t, [tokens.size]) as tf.Tensor1D, V),
      );
    },
    denseForward(out, inp, weight, bias) {
      const [I, O] = weight.shape;
      checkShape(
        out.size === (inp.size / I) * O && bias.size === O,
        'denseForward',
        () => `inp ${inp.size}, out ${out.size}, weight ${I}x${O}`,
      );
      assign(out, () => tf.add(tf.matMul(as2d(inp, I), h(weight).t as tf.Tensor2D), h(bias).t));
    },
    denseBackward(dinp, dweight, dbias, dout, inp, weight) {
      const [I, O] = weight.shape;
      if (dinp) accumulate(dinp, () => tf.matMul(as2d(dout, O), h(weight).t as tf.Tensor2D, false, true));
      accumulate(dweight, () => tf.matMul(as2d(inp, I), as2d(dout, O), true, false));
      accumulate(dbias, () => tf.sum(as2d(dout, O), 0));
    },
    lstmCache(shape) {
      const { batch: B, time: T, hidden: H } = shape;
      const cache: TfLstmCache = {
        shape: { ...shape },
        gates: backend.tensor([B, T, 4 * H]),
        hs: backend.tensor([B, T, H]),
        dGates: backend.tensor([B, T, 4 * H]),
        acts: h(backend.tensor([B, T, 4 * H])),
        cells: h(backend.tensor([B, T, H])),
      };
      return cache;
    },
    lstmRecurrenceForward(cache, recurrent) {
      const c = cache as TfLstmCache;
      const out = tf.tidy(() => recurrenceForward(h(c.gates).t, h(recurrent).t as tf.Tensor2D, c.shape));
      assign(c.hs, () => out.hs);
      assign(c.acts as unknown as Tensor, () => out.acts);
      assign(c.cells as unknown as Tensor, () => out.cells);
      for (const t of [out.hs, out.acts, out.cells]) t.dispose();
    },
    lstmRecurrenceBackward(dRecurrent, dhs, dLast, cache, recurrent) {
      const c = cache as TfLstmCache;
      const out = tf.tidy(() =>
        recurrenceBackward(
          dhs ? h(dhs).t : null,
          dLast ? h(dLast).t : null,
          c.acts.t,
          c.cells.t,
          h(c.hs).t,
          h(recurrent).t as tf.Tensor2D,
          c.shape,
        ),
      );
      assign(c.dGates, () => out.dz);
      accumulate(dRecurrent, () => out.dU);
      out.dz.dispose();
      out.dU.dispose();
    },
    lstmStep(gates, hState, cState, recurrent) {
      const H = recurrent.shape[0];
      const rows = hState.size / H;
      checkShape(
        gates.size === rows * 4 * H && cState.size === hState.size,
        'lstmStep',
        () => `gates ${gates.size}, h ${hState.size} for H=${H}`,
      );
      const next = tf.tidy(() => {
        const z = tf.add(as2d(gates, 4 * H), tf.matMul(as2d(hState, H), h(recurrent).t as tf.Tensor2D)) as tf.Tensor2D;
        const cell = lstmCell(z, as2d(cState, H));
        return [cell.h, cell.c];
      });
      assign(hState, () => next[0]);
      assign(cState, () => next[1]);
      for (const t of next) t.dispose();
    },
    timeStep(out, seq, t) {
      const [B, T] = seq.shape;
      const C = seq.size / (B * T);
      checkOpShapes.timeStep(out, seq, t);
      assign(out, () => tf.slice(tf.reshape(h(seq).t, [B, T, C]), [0, t, 0], [B, 1, C]));
    },
    concatLast(out, a, b) {
      const N = a.shape[0];
      assign(out, () => tf.concat([as2d(a, a.size / N), as2d(b, b.size / N)], 1));
    },
    splitLastBackward(da, db, dout) {
      const N = da.shape[0];
      const A = da.size / N;
      const Bc = db.size / N;
      accumulate(da, () => tf.slice(as2d(dout, A + Bc), [0, 0], [N, A]));
      accumulate(db, () => tf.slice(as2d(dout, A + Bc), [0, A], [N, Bc]));
    },
    swapMiddle(out, inp, dims) {
      checkOpShapes.swapMiddle(out, inp, dims);
      assign(out, () => tf.transpose(tf.reshape(h(inp).t, [...dims]), [0, 2, 1, 3]));
    },
    swapMiddleBackward(dinp, dout, dims) {
      const [A, B, C, D] = dims;
      checkOpShapes.swapMiddleBackward(dinp, dout, dims);
      accumulate(dinp, () => tf.transpose(tf.reshape(h(dout).t, [A, C, B, D]), [0, 2, 1, 3]));
    },
    multiply(out, a, b) {
      checkOpShapes.multiply(out, a, b);
      assign(out, () => tf.mul(tf.reshape(h(a).t, [a.size]), tf.reshape(h(b).t, [b.size])));
    },
    softmaxCrossEntropyForward(loss, probs, logits, targets) {
      const rows = targets.size;
      const V = logits.size / rows;
      const oneHot = () => tf.oneHot(tf.reshape(h(targets).t, [rows]) as tf.Tensor1D, V);
      assign(probs, () => tf.softmax(as2d(logits, V)));
      assign(loss, () => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(as2d(logits, V)), oneHot()), 1))));
    },
    softmaxCrossEntropyBackward(dlogits, probs, targets) {
      const rows = targets.size;
      const V = probs.size / rows;
      assign(dlogits, () =>
        tf.div(tf.sub(as2d(probs, V), tf.oneHot(tf.reshape(h(targets).t, [rows]) as tf.Tensor1D, V)), rows),
      );
    },
    sigmoidBceForward(loss, probs, logits, targets, weights) {
      checkOpShapes.sigmoidBceForward(probs, logits, targets, weights);
      const x = () => tf.reshape(h(logits).t, [logits.size]);
      const y = () => tf.reshape(h(targets).t, [targets.size]);
      assign(probs, () => tf.sigmoid(x()));
      // max(x,0) - x*y + log(1 + exp(-|x|)): the stable form of -(y log p + (1-y) log(1-p)).
      const elem = () => tf.add(tf.sub(tf.relu(x()), tf.mul(x(), y())), tf.log1p(tf.exp(tf.neg(tf.abs(x())))));
      assign(loss, () => tf.mean(weights ? tf.mul(tf.reshape(h(weights).t, [weights.size]), elem()) : elem()));
    },
    sigmoidBceBackward(dlogits, probs, targets, weights) {
      checkOpShapes.sigmoidBceBackward(dlogits, probs, targets, weights);
      const n = probs.size;
      const d = () => tf.div(tf.sub(tf.reshape(h(probs).t, [n]), tf.reshape(h(targets).t, [n])), n);
      assign(dlogits, () => (weights ? tf.mul(tf.reshape(h(weights).t, [n]), d()) : d()));
    },

    zeroGradients(set) {
      for (const t of set.tensors) backend.zero(set.grads[t.name]);
    },
    clipByGlobalNorm(set, clipNorm) {
      if (!(clipNorm > 0)) return;
      const scale = tf.tidy(() => {
        const norm = tf.sqrt(tf.addN(set.tensors.map((t) => tf.sum(tf.square(h(set.grads[t.name]).t)))));
        return tf.div(clipNorm, tf.maximum(norm, clipNorm));
      });
      for (const t of set.tensors) assign(set.grads[t.name], () => tf.mul(h(set.grads[t.name]).t, scale));
      scale.dispose();
    },
    adamStep(set, step, learningRate, { beta1, beta2, epsilon }, weightDecay) {
      const c1 = 1 - Math.pow(beta1, step);
      const c2 = 1 - Math.pow(beta2, step);
      const decay = 1 - learningRate * weightDecay;
      for (const { name } of set.tensors) {
        const g = () => h(set.grads[name]).t;
        assign(set.m[name], () => tf.add(tf.mul(h(set.m[name]).t, beta1), tf.mul(g(), 1 - beta1)));
        assign(set.v[name], () => tf.add(tf.mul(h(set.v[name]).t, beta2), tf.mul(tf.square(g()), 1 - beta2)));
        const m = h(set.m[name]).t;
        const v = h(set.v[name]).t;
        assign(set.params[name], () =>
          tf.sub(
            decay === 1 ? h(set.params[name]).t : tf.mul(h(set.params[name]).t, decay),
            tf.div(tf.mul(tf.div(m, c1), learningRate), tf.add(tf.sqrt(tf.div(v, c2)), epsilon)),
          ),
        );
      }
    },
    async dispose() {
      // Models release their tensors; the tfjs backend itself stays registered for the process.
    },
  };
  return backend;
}
