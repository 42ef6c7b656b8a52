// SPDX-License-Identifier: MIT
/**
 * Our WebAssembly engine's Backend: handles are byte offsets into the kernels' memory, and every layer is the fast
 * layer function of ./layers.ts (held equal to the float64 reference by the tests). No Node imports, so a page or a
 * worker can use it as well as Node. Reading back is immediate (the memory is ours), but goes through the same
 * asynchronous `read` as a GPU's would.
 */
import {
  checkShape,
  flatParameterSet,
  sizeOf,
  totalSize,
  type Backend,
  type IntTensor,
  type LstmCache,
  type LstmShape,
  type ParameterSet,
  type Tensor,
  type TensorShape,
} from './backend';
import { checkOpShapes } from './opShapes';
import * as layers from './layers';
import type { AdamConstants, EngineInfo } from './types';
import type { F32Buf, I32Buf, Kernels } from './wasm/kernels';

/** A float32 tensor in wasm memory: also an F32Buf, so ./layers.ts takes it as is. */
interface WasmTensor extends Tensor, F32Buf {}
interface WasmIntTensor extends IntTensor, I32Buf {}

interface WasmLstmCache extends LstmCache {
  readonly inner: layers.LstmCache;
}

/** The four flat buffers behind a ParameterSet (Adam and the clip walk them in one call each). */
interface FlatSet {
  params: F32Buf;
  grads: F32Buf;
  m: F32Buf;
  v: F32Buf;
}

const f32 = (t: Tensor) => t as WasmTensor;
const i32 = (t: IntTensor) => t as WasmIntTensor;

function tensorAt(ptr: number, shape: readonly number[]): WasmTensor {
  const size = sizeOf(shape);
  return { ptr, length: size, size, shape: [...shape], dtype: 'float32' };
}

/**
 * The Backend over instantiated kernels. `runStep` (the thread governor, when there are threads) is applied around
 * each training step; `dispose` ends the kernels' worker threads.
 */
export function createWasmBackend(
  k: Kernels,
  info: EngineInfo,
  runStep?: <T>(work: () => Promise<T>) => Promise<T>,
): Backend {
  const flats = new WeakMap<ParameterSet, FlatSet>();
  const flatOf = (set: ParameterSet): FlatSet => {
    const flat = flats.get(set);
    if (!flat) throw new Error('This parameter set was not made by this wasm backend.');
    return flat;
  };
  const lstmShape = (s: LstmShape): layers.LstmShape => ({ ...s, inDim: 0 });

  const backend: Backend = {
    info,

    tensor: (shape) => tensorAt(k.allocF32(sizeOf(shape)).ptr, shape),
    intTensor(shape) {
      const size = sizeOf(shape);
      return { ptr: k.allocI32(size).ptr, length: size, size, shape: [...shape], dtype: 'int32' } as WasmIntTensor;
    },
    write(t, values) {
      checkOpShapes.write(t, values);
      k.f32(f32(t)).set(values);
    },
    writeInt(t, values) {
      checkOpShapes.write(t, values, 'writeInt');
      k.i32(i32(t)).set(values);
    },
    read: async (t) => k.f32(f32(t)).slice(),
    zero: (t) => k.zero(f32(t)),
    scope(allocate) {
      const { result, group } = k.track(allocate);
      return { result, scope: { release: () => k.release(group) } };
    },
    parameters(tensors: readonly TensorShape[]) {
      const total = totalSize(tensors);
      const flat: FlatSet = {
        params: k.allocF32(total),
        grads: k.allocF32(total),
        m: k.allocF32(total),
        v: k.allocF32(total),
      };
      const set = flatParameterSet(tensors, flat, (buf, offset, shape) => tensorAt(buf.ptr + offset * 4, shape));
      flats.set(set, flat);
      return set;
    },

    embeddingForward(out, tokens, table) {
      const C = table.shape[1];
      checkOpShapes.embeddingForward(out, tokens, table);
      layers.embeddingForward(k, f32(out).ptr, i32(tokens), f32(table).ptr, { rows: tokens.size, dim: C });
    },
    embeddingBackward(dtable, dout, tokens) {
      const C = dtable.shape[1];
      checkOpShapes.embeddingBackward(dtable, dout, tokens);
      layers.embeddingBackward(k, f32(dtable).ptr, f32(dout).ptr, i32(tokens), { rows: tokens.size, dim: C });
    },
    denseForward(out, inp, weight, bias) {
      const shape = denseShape('denseForward', out, inp, weight);
      checkShape(bias.size === shape.outDim, 'denseForward', () => `bias has ${bias.size} values, not ${shape.outDim}`);
      layers.denseForward(k, f32(out).ptr, f32(inp).ptr, { weight: f32(weight).ptr, bias: f32(bias).ptr }, shape);
    },
    denseBackward(dinp, dweight, dbias, dout, inp, weight) {
      const shape = denseShape('denseBackward', dout, inp, weight);
      layers.denseBackward(
        k,
        dinp ? f32(dinp).ptr : 0,
        { weight: f32(dweight).ptr, bias: f32(dbias).ptr },
        f32(dout).ptr,
        f32(inp).ptr,
        { weight: f32(weight).ptr, bias: 0 },
        shape,
      );
    },
    lstmCache(shape) {
      const inner = layers.allocLstmCache(k, lstmShape(shape));
      const { batch: B, time: T, hidden: H } = shape;
      const cache: WasmLstmCache = {
        shape: { ...shape },
        gates: tensorAt(inner.gates.ptr, [B, T, 4 * H]),
        hs: tensorAt(inner.hs.ptr, [B, T, H]),
        dGates: tensorAt(inner.dGates.ptr, [B, T, 4 * H]),
        inner,
      };
      return cache;
    },
    lstmRecurrenceForward(cache, recurrent) {
      const c = cache as WasmLstmCache;
      layers.lstmRecurrenceForward(k, c.inner, f32(recurrent).ptr, lstmShape(c.shape));
    },
    lstmRecurrenceBackward(dRecurrent, dhs, dLast, cache, recurrent) {
      const c = cache as WasmLstmCache;
      layers.lstmRecurrenceBackward(
        k,
        f32(dRecurrent).ptr,
        dhs ? f32(dhs).ptr : 0,
        dLast ? f32(dLast).ptr : 0,
        c.inner,
        f32(recurrent).ptr,
        lstmShape(c.shape),
      );
    },
    lstmStep(gates, h, c, recurrent) {
      const H = recurrent.shape[0];
      const rows = h.size / H;
      checkShape(
        gates.size === rows * 4 * H && c.size === h.size,
        'lstmStep',
        () => `gates ${gates.size}, h ${h.size}, c ${c.size} for H=${H}`,
      );
      // In place: the kernel adds h.U to every row's gates before the cell overwrites h and c.
      k.exports.lstmStepForward(
        f32(gates).ptr,
        f32(h).ptr,
        f32(recurrent).ptr,
        f32(c).ptr,
        f32(c).ptr,
        f32(h).ptr,
        rows,
        H,
        4 * H,
        H,
        H,
        H,
        H,
        0,
        0,
      );
    },
    timeStep(out, seq, t) {
      const [B, T] = seq.shape;
      const C = seq.size / (B * T);
      checkOpShapes.timeStep(out, seq, t);
      k.exports.copyRows(f32(out).ptr, f32(seq).ptr + t * C * 4, B, C, C, T * C);
    },
    concatLast(out, a, b) {
      const N = a.shape[0];
      const A = a.size / N;
      const Bc = b.size / N;
      checkOpShapes.concatLast(out, a, b);
      k.exports.copyRows(f32(out).ptr, f32(a).ptr, N, A, A + Bc, A);
      k.exports.copyRows(f32(out).ptr + A * 4, f32(b).ptr, N, Bc, A + Bc, Bc);
    },
    splitLastBackward(da, db, dout) {
      const N = da.shape[0];
      const A = da.size / N;
      const Bc = db.size / N;
      checkOpShapes.splitLastBackward(da, db, dout);
      const d = k.f32(f32(dout));
      const x = k.f32(f32(da));
      const y = k.f32(f32(db));
      for (let r = 0; r < N; r++) {
        for (let j = 0; j < A; j++) x[r * A + j] += d[r * (A + Bc) + j];
        for (let j = 0; j < Bc; j++) y[r * Bc + j] += d[r * (A + Bc) + A + j];
      }
    },
    swapMiddle(out, inp, dims) {
      const [A, B, C, D] = dims;
      checkOpShapes.swapMiddle(out, inp, dims);
      // For each (a, c): the B rows of D at inp[a, :, c, :] (stride C*D) land contiguous at out[a, c, :, :].
      const src = f32(inp).ptr;
      const dst = f32(out).ptr;
      for (let a = 0; a < A; a++)
        for (let c = 0; c < C; c++)
          k.exports.copyRows(dst + (a * C + c) * B * D * 4, src + (a * B * C + c) * D * 4, B, D, D, C * D);
    },
    swapMiddleBackward(dinp, dout, dims) {
      const [A, B, C, D] = dims;
      checkOpShapes.swapMiddleBackward(dinp, dout, dims);
      const src = f32(dout).ptr;
      const dst = f32(dinp).ptr;
      for (let a = 0; a < A; a++)
        for (let b = 0; b < B; b++)
          for (let c = 0; c < C; c++)
            k.exports.addInto(dst + ((a * B + b) * C + c) * D * 4, src + ((a * C + c) * B + b) * D * 4, D);
    },
    multiply(out, a, b) {
      checkOpShapes.multiply(out, a, b);
      k.exports.multiplyInto(f32(out).ptr, f32(a).ptr, f32(b).ptr, out.size);
    },
    softmaxCrossEntropyForward(loss, probs, logits, targets) {
      const rows = targets.size;
      const V = logits.size / rows;
      checkOpShapes.softmaxCrossEntropyForward(probs, logits, targets);
      k.f32(f32(loss))[0] = layers.softmaxCrossEntropyForward(
        k,
        f32(probs).ptr,
        f32(logits).ptr,
        i32(targets),
        rows,
        V,
      );
    },
    softmaxCrossEntropyBackward(dlogits, probs, targets) {
      const rows = targets.size;
      layers.softmaxCrossEntropyBackward(k, f32(dlogits).ptr, f32(probs).ptr, i32(targets), rows, probs.size / rows);
    },
    sigmoidBceForward(loss, probs, logits, targets, weights) {
      checkOpShapes.sigmoidBceForward(probs, logits, targets, weights);
      k.f32(f32(loss))[0] = layers.sigmoidBceForward(
        k,
        f32(probs).ptr,
        f32(logits).ptr,
        f32(targets).ptr,
        logits.size,
        weights && f32(weights).ptr,
      );
    },
    sigmoidBceBackward(dlogits, probs, targets, weights) {
      checkOpShapes.sigmoidBceBackward(dlogits, probs, targets, weights);
      layers.sigmoidBceBackward(
        k,
        f32(dlogits).ptr,
        f32(probs).ptr,
        f32(targets).ptr,
        probs.size,
        weights && f32(weights).ptr,
      );
    },

    zeroGradients: (set) => k.zero(flatOf(set).grads),
    clipByGlobalNorm(set, clipNorm) {
      layers.clipByGlobalNorm(k, flatOf(set).grads, clipNorm);
    },
    adamStep(set, step, learningRate, constants: AdamConstants, weightDecay) {
      const flat = flatOf(set);
      layers.adamStep(k, flat.params, flat.grads, flat.m, flat.v, step, { learningRate, weightDecay, ...constants });
    },
    ...(runStep ? { runStep } : {}),
    async dispose() {
      k.dispose();
      info.threads = 1;
    },
  };
  return backend;
}

/** rows/inDim/outDim of a dense op from its tensors: weight (I,O), inp (N,I), out (N,O). */
function denseShape(op: string, out: Tensor, inp: Tensor, weight: Tensor): layers.DenseShape {
  const [I, O] = weight.shape;
  const rows = inp.size / I;
  checkShape(
    weight.shape.length === 2 && Number.isInteger(rows) && out.size === rows * O,
    op,
    () => `inp ${inp.size} values, out ${out.size}, weight ${weight.shape.join('x')}`,
  );
  return { rows, inDim: I, outDim: O };
}
