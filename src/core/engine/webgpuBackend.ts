// SPDX-License-Identifier: MIT
/// <reference types="@webgpu/types" />
/**
 * The WebGPU engine's Backend (./backend.ts) over any GPUDevice: Dawn from Node (./webgpuEngine.ts), or a page's
 * navigator.gpu. No Node imports.
 *
 * - A tensor is a storage GPUBuffer plus an element offset; a ParameterSet is four flat buffers (params, grads, Adam's
 *   m and v) with one view per named tensor, so the clip and Adam walk each in one dispatch and stay on the device.
 * - Every op records a compute dispatch (./webgpu/kernels.ts) into one pending command encoder; nothing is submitted
 *   until a `read`, a `write` (which must land after the work recorded before it) or a scope release needs it, so a
 *   training step is a handful of submissions and has no read-back inside it.
 * - Uniforms (offsets, sizes, time step) of the pending dispatches are staged on the host in 256-byte slots of one
 *   uniform buffer that is uploaded with the submission.
 * - `read` copies into a staging buffer and maps it asynchronously.
 * Per op: dense is one tiled matmul with the bias fused (backward: two matmuls, split along K when K = batch x time
 * is long, and a two-pass column sum); the LSTM recurrence is one fused kernel per time step across the whole batch,
 * forward and backward, or from batch 256 on a tiled product plus a cell kernel per step (plus one product for the
 * recurrent weights' gradient); the embedding's scatter-add is exact and deterministic without float atomics (per-chunk
 * tables, then an ordered sum); softmax-CE and BCE reduce per workgroup, then one fixed-order sum for the mean; the
 * global-norm clip is two dispatches and Adam one, over the flat buffers.
 * Every kernel is held to the float64 reference and to the wasm engine by test/core/engine.webgpu.test.ts, on every
 * path (the thresholds in WebgpuBackendOptions are lowered there so tiny shapes take the large-size paths).
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
import type { AdamConstants, EngineInfo } from './types';
import * as K from './webgpu/kernels';

// GPUBufferUsage / GPUMapMode values (spelled out so that this module needs no WebGPU globals installed).
const USAGE_MAP_READ = 0x0001;
const USAGE_COPY_SRC = 0x0004;
const USAGE_COPY_DST = 0x0008;
const USAGE_UNIFORM = 0x0040;
const USAGE_STORAGE = 0x0080;
const MAP_READ = 0x0001;

/** Bytes per uniform slot (WebGPU's minUniformBufferOffsetAlignment is at most 256). */
const SLOT = 256;
/** Dispatches recorded before a submission is forced (the uniform buffer holds this many slots). */
const SLOTS = 2048;
/** Workgroups of the clip's first reduction pass (and so the length of its partial sums). */
const NORM_PARTS = 256;
/** Most workgroups an element-wise dispatch uses (they loop over the rest). */
const MAX_GROUPS = 4096;
/** Largest scratch (floats) for split-K slices and the embedding's per-chunk tables: 16M floats = 64 MB. */
const MAX_SCRATCH = 16 << 20;
/** Most K slices of one split-K product. */
const MAX_SLICES = 32;

/**
 * Where the kernels switch strategy. The defaults are reasoned, not measured on a GPU yet (none was lent); tests set
 * them low to run every path on tiny shapes.
 */
export interface WebgpuBackendOptions {
  /**
   * From this batch size on, an LSTM step is a tiled matmul (h . U for all sequences) plus a cell kernel instead of
   * one fused kernel whose threads each read U (default 256: enough 64-row tiles to fill a GPU).
   */
  largeBatch?: number;
  /** Rows per chunk of the two-pass column sums and embedding scatter-add (default 1024). */
  chunkRows?: number;
  /** A product whose K is at least this is split along K when its M x N tiles are few (default 4096). */
  splitKMin?: number;
  /** K per slice of a split product (default 2048). */
  splitKChunk?: number;
  /** A product with at least this many 128x128 output tiles uses the 128x128-tile kernel (default 256). */
  wideMinTiles?: number;
}

interface GpuTensor extends Tensor {
  readonly buffer: GPUBuffer;
  /** Offset in elements. */
  readonly offset: number;
}
interface GpuIntTensor extends IntTensor {
  readonly buffer: GPUBuffer;
  readonly offset: number;
}

interface GpuLstmCache extends LstmCache {
  /** (B,H) the gradient reaching h from the next step (large-batch path). */
  readonly dhRec: GpuTensor;
  readonly gates: GpuTensor;
  readonly hs: GpuTensor;
  readonly dGates: GpuTensor;
  /** (B,T,H) cell states. */
  readonly cells: GpuTensor;
  /** (B,T,H) h shifted by one step in processing order (h_{t-1} at row t), for the recurrent-weight gradient. */
  readonly hPrev: GpuTensor;
  /** (B,H) the cell-gradient carried from one backward step to the next. */
  readonly dcCarry: GpuTensor;
  /** (4H,H) the recurrent weights transposed, so that the backward step reads them coalesced. */
  readonly recurrentT: GpuTensor;
}

interface FlatSet {
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  total: number;
}

/** A uniform value that is a float (the default is u32). */
interface F32 {
  readonly f: number;
}
const f32 = (f: number): F32 => ({ f });
type Param = number | F32;

/** Thrown when the device reports an error (a validation error is a bug here; a lost device ends the engine). */
export class WebgpuDeviceError extends Error {
  override name = 'WebgpuDeviceError';
  readonly code = 'WEBGPU_DEVICE_ERROR';
}

/** What a webgpu backend has sent to the device so far (see webgpuStats). */
export interface WebgpuStats {
  /** Compute dispatches recorded. */
  dispatches: number;
  /** Command buffers submitted (recorded work, and read-back copies). */
  submits: number;
  /** Buffers mapped for read-back. */
  readBacks: number;
}
const statsOf = new WeakMap<EngineInfo, WebgpuStats>();

/**
 * The counters of a webgpu backend, found by its EngineInfo (the same object as its Engine's and models' `engine`);
 * undefined for any other engine. For tests and benchmarks.
 */
export function webgpuStats(info: EngineInfo): Readonly<WebgpuStats> | undefined {
  return statsOf.get(info);
}

const g = (t: Tensor) => t as GpuTensor;
/** A view of `t` starting `elements` further on (for strided products over one time step). */
const at = (t: GpuTensor, elements: number): GpuTensor => ({ ...t, offset: t.offset + elements });
const gi = (t: IntTensor) => t as GpuIntTensor;

/**
 * The Backend on a GPUDevice. `info` is shown to the user as is (the Node entry fills in the adapter).
 * `dispose` destroys the device.
 */
export function createWebgpuBackend(device: GPUDevice, info: EngineInfo, options: WebgpuBackendOptions = {}): Backend {
  const largeBatch = options.largeBatch ?? 256;
  const chunkRowsOption = options.chunkRows ?? 1024;
  const splitKMin = options.splitKMin ?? 4096;
  const splitKChunk = options.splitKChunk ?? 2048;
  const wideMinTiles = options.wideMinTiles ?? 256;
  let deviceError: string | undefined;
  const stats: WebgpuStats = { dispatches: 0, submits: 0, readBacks: 0 };
  device.addEventListener('uncapturederror', (event) => {
    deviceError ??= (event as GPUUncapturedErrorEvent).error.message;
  });
  void device.lost.then((lost) => {
    if (lost.reason !== 'destroyed') deviceError ??= `the GPU device was lost (${lost.message})`;
  });

  // ---- buffers and scopes ------------------------------------------------------------------------------------
  const scopes: GPUBuffer[][] = [];
  const createBuffer = (bytes: number, usage = USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST): GPUBuffer => {
    const buffer = device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage });
    scopes[scopes.length - 1]?.push(buffer);
    return buffer;
  };
  const floatTensor = (shape: readonly number[], buffer?: GPUBuffer, offset = 0): GpuTensor => {
    const size = sizeOf(shape);
    return { shape: [...shape], size, dtype: 'float32', buffer: buffer ?? createBuffer(size * 4), offset };
  };

  // ---- recording ---------------------------------------------------------------------------------------------
  const uniforms = device.createBuffer({ size: SLOT * SLOTS, usage: USAGE_UNIFORM | USAGE_COPY_DST });
  const staged = new ArrayBuffer(SLOT * SLOTS);
  const stagedU32 = new Uint32Array(staged);
  const stagedF32 = new Float32Array(staged);
  let slots = 0;
  let encoder: GPUCommandEncoder | undefined;
  let pass: GPUComputePassEncoder | undefined;
  const pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();

  /** Read-back staging buffers by size, reused (a decoder reads the same logits size every token). */
  const freeStaging = new Map<number, GPUBuffer[]>();

  /** Submits everything recorded so far (with its uniforms). */
  const flush = (): void => {
    if (!encoder) return;
    pass?.end();
    if (slots > 0) device.queue.writeBuffer(uniforms, 0, staged, 0, slots * SLOT);
    device.queue.submit([encoder.finish()]);
    stats.submits++;
    encoder = undefined;
    pass = undefined;
    slots = 0;
  };

  /**
   * The pipeline of `kernel` for one aliasing pattern: names that share a GPUBuffer are rewritten to the first of
   * them, because one buffer may not be bound twice writably in a dispatch.
   */
  const pipelineFor = (kernel: K.KernelSource, canonical: number[]) => {
    const key = `${kernel.name}|${canonical.join(',')}`;
    let entry = pipelines.get(key);
    if (entry) return entry;
    let body = kernel.body;
    const decls: string[] = [];
    kernel.buffers.forEach(([name, type], i) => {
      const c = canonical[i];
      if (c === i) decls.push(`@group(0) @binding(${i + 1}) var<storage, read_write> ${name}: array<${type}>;`);
      else {
        if (kernel.buffers[c][1] !== type) throw new Error(`${kernel.name}: ${name} aliases a buffer of another type`);
        body = body.replace(new RegExp(`\\b${name}\\b`, 'g'), kernel.buffers[c][0]);
      }
    });
    const code = [
      `struct P { ${kernel.params.join(', ')} };`,
      '@group(0) @binding(0) var<uniform> p: P;',
      ...decls,
      body,
    ].join('\n');
    const module = device.createShaderModule({ code, label: kernel.name });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
      label: kernel.name,
    });
    entry = { pipeline, layout: pipeline.getBindGroupLayout(0) };
    pipelines.set(key, entry);
    return entry;
  };

  /** Records one dispatch of `kernel` over `buffers` (in the kernel's binding order) with uniforms `params`. */
  const dispatch = (
    kernel: K.KernelSource,
    buffers: GPUBuffer[],
    params: Param[],
    groupsX: number,
    groupsY = 1,
    groupsZ = 1,
  ): void => {
    if (buffers.length !== kernel.buffers.length || params.length !== kernel.params.length)
      throw new Error(
        `${kernel.name}: ${buffers.length} buffers and ${params.length} uniforms for its ${kernel.buffers.length} and ${kernel.params.length}`,
      );
    if (slots === SLOTS) flush();
    const canonical = buffers.map((b) => buffers.indexOf(b));
    const { pipeline, layout } = pipelineFor(kernel, canonical);
    const base = (slots * SLOT) / 4;
    params.forEach((v, i) => {
      if (typeof v === 'number') stagedU32[base + i] = v >>> 0;
      else stagedF32[base + i] = v.f;
    });
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: uniforms, offset: slots * SLOT, size: SLOT } },
    ];
    canonical.forEach((c, i) => {
      if (c === i) entries.push({ binding: i + 1, resource: { buffer: buffers[i] } });
    });
    const bindGroup = device.createBindGroup({ layout, entries });
    slots++;
    encoder ??= device.createCommandEncoder();
    pass ??= encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groupsX, groupsY, groupsZ);
    stats.dispatches++;
  };

  /** Workgroups for n independent elements (grid-stride kernels). */
  const groups = (n: number) => Math.max(1, Math.min(MAX_GROUPS, Math.ceil(n / K.GROUP)));

  const fill = (buffer: GPUBuffer, offset: number, n: number, value = 0) =>
    dispatch(K.fill, [buffer], [offset, n, f32(value)], groups(n));

  const copyRows = (
    dst: GpuTensor,
    dstOff: number,
    src: GpuTensor,
    srcOff: number,
    rows: number,
    cols: number,
    ldDst: number,
    ldSrc: number,
    accumulate: boolean,
  ) =>
    dispatch(
      K.copyRows,
      [dst.buffer, src.buffer],
      [dst.offset + dstOff, src.offset + srcOff, rows, cols, ldDst, ldSrc, accumulate ? 1 : 0],
      groups(rows * cols),
    );

  /** C (M,N) = / += op(A) op(B) (+ bias): see K.matmul. Strides are the stored row lengths. */
  const matmul = (o: {
    C: GpuTensor;
    A: GpuTensor;
    B: GpuTensor;
    M: number;
    N: number;
    K: number;
    lda: number;
    ldb: number;
    ldc: number;
    transA?: boolean;
    transB?: boolean;
    mode: 'set' | 'add' | 'bias';
    bias?: GpuTensor;
  }) => {
    const tilesX = Math.ceil(o.N / K.MATMUL_TILE);
    const tilesY = Math.ceil(o.M / K.MATMUL_TILE);
    const slices =
      o.mode !== 'bias' && o.K >= splitKMin && tilesX * tilesY < 256
        ? Math.min(MAX_SLICES, Math.ceil(o.K / splitKChunk), Math.floor(MAX_SCRATCH / (o.M * o.N)))
        : 1;
    const operands = (C: GPUBuffer, cOff: number, ldc: number, mode: number, kChunk: number, cSlice: number) => {
      const bias = o.bias ?? o.C;
      return {
        buffers: [C, o.A.buffer, o.B.buffer, bias.buffer],
        params: [
          o.M,
          o.N,
          o.K,
          o.A.offset,
          o.lda,
          o.B.offset,
          o.ldb,
          cOff,
          ldc,
          o.transA ? 1 : 0,
          o.transB ? 1 : 0,
          mode,
          bias.offset,
          kChunk,
          cSlice,
        ],
      };
    };
    if (slices <= 1) {
      const mode = o.mode === 'set' ? 0 : o.mode === 'add' ? 1 : 2;
      const { buffers, params } = operands(o.C.buffer, o.C.offset, o.ldc, mode, Math.ceil(o.K / 16) * 16, 0);
      const wideX = Math.ceil(o.N / K.MATMUL_WIDE_TILE);
      const wideY = Math.ceil(o.M / K.MATMUL_WIDE_TILE);
      if (wideX * wideY >= wideMinTiles) dispatch(K.matmulWide, buffers, params, wideX, wideY);
      else dispatch(K.matmul, buffers, params, tilesX, tilesY);
      return;
    }
    const kChunk = Math.ceil(o.K / slices / 16) * 16;
    const used = Math.ceil(o.K / kChunk);
    const partial = scratchBuffer('splitK', used * o.M * o.N);
    const { buffers, params } = operands(partial, 0, o.N, 0, kChunk, o.M * o.N);
    dispatch(K.matmul, buffers, params, tilesX, tilesY, used);
    dispatch(
      K.sumSlices,
      [o.C.buffer, partial],
      [o.C.offset, o.ldc, o.M, o.N, used, o.mode === 'add' ? 1 : 0],
      groups(o.M * o.N),
    );
  };

  /** Rows per chunk of a two-pass reduction over `rows` (at most 65,535 chunks: one workgroup row each). */
  const chunking = (rows: number, maxChunks = 65535) => {
    const chunks = Math.max(1, Math.min(maxChunks, 65535, Math.ceil(rows / chunkRowsOption)));
    const chunkRows = Math.ceil(rows / chunks);
    return { chunkRows, chunks: Math.ceil(rows / chunkRows) };
  };

  /** dbias (cols) += column sums of dout (rows, cols). */
  const colSum = (dbias: GpuTensor, dout: GpuTensor, rows: number, cols: number) => {
    const { chunkRows, chunks } = chunking(rows);
    const partial = scratchBuffer('colSum', chunks * cols);
    dispatch(
      K.colSumChunk,
      [partial, dout.buffer],
      [dout.offset, rows, cols, chunkRows],
      Math.ceil(cols / K.GROUP),
      chunks,
    );
    dispatch(K.colSumFinish, [dbias.buffer, partial], [dbias.offset, cols, chunks], groups(cols));
  };

  /** Scratch buffers for reductions, grown on demand (replaced ones are destroyed after what uses them is submitted). */
  const scratch = new Map<string, GPUBuffer>();
  const scratchBuffer = (name: string, floats: number): GPUBuffer => {
    const have = scratch.get(name);
    if (have && have.size >= floats * 4) return have;
    if (have) {
      flush();
      have.destroy();
    }
    const buffer = device.createBuffer({
      size: Math.max(16, Math.ceil((floats * 4) / 16) * 16),
      usage: USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST,
    });
    scratch.set(name, buffer);
    return buffer;
  };

  const flats = new WeakMap<ParameterSet, FlatSet>();
  const flatOf = (set: ParameterSet): FlatSet => {
    const flat = flats.get(set);
    if (!flat) throw new Error('This parameter set was not made by this webgpu backend.');
    return flat;
  };

  const checkDevice = () => {
    if (deviceError) throw new WebgpuDeviceError(`WebGPU: ${deviceError}`);
  };

  const backend: Backend = {
    info,

    tensor: (shape) => floatTensor(shape),
    intTensor(shape) {
      const size = sizeOf(shape);
      const t: GpuIntTensor = { shape: [...shape], size, dtype: 'int32', buffer: createBuffer(size * 4), offset: 0 };
      return t;
    },
    write(t, values) {
      checkOpShapes.write(t, values);
      flush();
      const data = values instanceof Float32Array ? values : Float32Array.from(values);
      device.queue.writeBuffer(g(t).buffer, g(t).offset * 4, data.buffer, data.byteOffset, t.size * 4);
    },
    writeInt(t, values) {
      checkOpShapes.write(t, values, 'writeInt');
      flush();
      const data = values instanceof Int32Array ? values : Int32Array.from(values);
      device.queue.writeBuffer(gi(t).buffer, gi(t).offset * 4, data.buffer, data.byteOffset, t.size * 4);
    },
    async read(t) {
      checkDevice();
      const bytes = t.size * 4;
      const size = Math.max(16, Math.ceil(bytes / 16) * 16);
      const staging =
        freeStaging.get(size)?.pop() ?? device.createBuffer({ size, usage: USAGE_MAP_READ | USAGE_COPY_DST });
      // The copy rides in the same submission as the work recorded before it.
      encoder ??= device.createCommandEncoder();
      pass?.end();
      pass = undefined;
      encoder.copyBufferToBuffer(g(t).buffer, g(t).offset * 4, staging, 0, bytes);
      flush();
      stats.readBacks++;
      let reusable = false;
      try {
        await staging.mapAsync(MAP_READ, 0, size);
        const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
        reusable = true;
        return out;
      } catch (error) {
        checkDevice();
        throw error;
      } finally {
        if (staging.mapState === 'mapped') staging.unmap();
        if (reusable) {
          const list = freeStaging.get(size) ?? [];
          if (list.length < 4) {
            list.push(staging);
            freeStaging.set(size, list);
          } else staging.destroy();
        } else staging.destroy();
        checkDevice();
      }
    },
    zero: (t) => fill(g(t).buffer, g(t).offset, t.size),
    scope(allocate) {
      const group: GPUBuffer[] = [];
      scopes.push(group);
      let result;
      try {
        result = allocate();
      } finally {
        scopes.splice(scopes.lastIndexOf(group), 1);
      }
      return {
        result,
        scope: {
          release() {
            flush();
            for (const b of group) b.destroy();
            group.length = 0;
          },
        },
      };
    },
    parameters(tensors: readonly TensorShape[]) {
      const total = totalSize(tensors);
      const flat: FlatSet = {
        params: createBuffer(total * 4),
        grads: createBuffer(total * 4),
        m: createBuffer(total * 4),
        v: createBuffer(total * 4),
        total,
      };
      const set = flatParameterSet(tensors, flat, (buffer: GPUBuffer, offset, shape) =>
        floatTensor(shape, buffer, offset),
      );
      flats.set(set, flat);
      return set;
    },

    embeddingForward(out, tokens, table) {
      const C = table.shape[1];
      checkOpShapes.embeddingForward(out, tokens, table);
      dispatch(
        K.gatherRows,
        [g(out).buffer, gi(tokens).buffer, g(table).buffer],
        [g(out).offset, gi(tokens).offset, g(table).offset, tokens.size, C],
        groups(out.size),
      );
    },
    embeddingBackward(dtable, dout, tokens) {
      const C = dtable.shape[1];
      checkOpShapes.embeddingBackward(dtable, dout, tokens);
      const V = dtable.shape[0];
      const { chunkRows, chunks } = chunking(tokens.size, Math.max(1, Math.floor(MAX_SCRATCH / (V * C))));
      const partial = scratchBuffer('scatter', chunks * V * C);
      fill(partial, 0, chunks * V * C);
      dispatch(
        K.scatterAddChunk,
        [partial, g(dout).buffer, gi(tokens).buffer],
        [g(dout).offset, gi(tokens).offset, tokens.size, C, V, chunkRows],
        Math.ceil(C / K.GROUP),
        chunks,
      );
      dispatch(K.scatterAddFinish, [g(dtable).buffer, partial], [g(dtable).offset, V * C, chunks], groups(V * C));
    },
    denseForward(out, inp, weight, bias) {
      const { rows, I, O } = denseShape('denseForward', out, inp, weight);
      checkShape(bias.size === O, 'denseForward', () => `bias has ${bias.size} values, not ${O}`);
      matmul({
        C: g(out),
        A: g(inp),
        B: g(weight),
        M: rows,
        N: O,
        K: I,
        lda: I,
        ldb: O,
        ldc: O,
        mode: 'bias',
        bias: g(bias),
      });
    },
    denseBackward(dinp, dweight, dbias, dout, inp, weight) {
      const { rows, I, O } = denseShape('denseBackward', dout, inp, weight);
      if (dinp)
        matmul({
          C: g(dinp),
          A: g(dout),
          B: g(weight),
          M: rows,
          N: I,
          K: O,
          lda: O,
          ldb: O,
          ldc: I,
          transB: true,
          mode: 'add',
        });
      matmul({
        C: g(dweight),
        A: g(inp),
        B: g(dout),
        M: I,
        N: O,
        K: rows,
        lda: I,
        ldb: O,
        ldc: O,
        transA: true,
        mode: 'add',
      });
      colSum(g(dbias), g(dout), rows, O);
    },
    lstmCache(shape: LstmShape) {
      const { batch: B, time: T, hidden: H } = shape;
      const cache: GpuLstmCache = {
        shape: { ...shape },
        gates: floatTensor([B, T, 4 * H]),
        hs: floatTensor([B, T, H]),
        dGates: floatTensor([B, T, 4 * H]),
        cells: floatTensor([B, T, H]),
        hPrev: floatTensor([B, T, H]),
        dcCarry: floatTensor([B, H]),
        dhRec: floatTensor([B, H]),
        recurrentT: floatTensor([4 * H, H]),
      };
      return cache;
    },
    lstmRecurrenceForward(cache, recurrent) {
      const c = cache as GpuLstmCache;
      const { batch: B, time: T, hidden: H, reverse } = c.shape;
      checkShape(recurrent.size === H * 4 * H, 'lstmRecurrenceForward', () => `recurrent ${recurrent.size} for H=${H}`);
      const U = g(recurrent);
      const tiled = B >= largeBatch;
      for (let s = 0; s < T; s++) {
        const t = reverse ? T - 1 - s : s;
        const tp = reverse ? t + 1 : t - 1;
        // gates[:, t] += hs[:, tp] . U for every sequence at once, as one tiled product (rows b strided by T).
        if (tiled && s > 0)
          matmul({
            C: at(c.gates, t * 4 * H),
            A: at(c.hs, tp * H),
            B: U,
            M: B,
            N: 4 * H,
            K: H,
            lda: T * H,
            ldb: 4 * H,
            ldc: T * 4 * H,
            mode: 'add',
          });
        dispatch(
          K.lstmForwardStep,
          [c.gates.buffer, c.cells.buffer, c.hs.buffer, U.buffer],
          [B, T, H, t, Math.max(0, Math.min(T - 1, tp)), s === 0 ? 1 : 0, U.offset, tiled ? 0 : 1],
          groups(B * H),
        );
      }
    },
    lstmRecurrenceBackward(dRecurrent, dhs, dLast, cache, recurrent) {
      const c = cache as GpuLstmCache;
      const { batch: B, time: T, hidden: H, reverse } = c.shape;
      checkShape(
        (!dhs || dhs.size === B * T * H) && (!dLast || dLast.size === B * H) && dRecurrent.size === H * 4 * H,
        'lstmRecurrenceBackward',
        () => `dhs ${dhs?.size}, dLast ${dLast?.size}, dRecurrent ${dRecurrent.size} for (${B},${T},${H})`,
      );
      const U = g(recurrent);
      const tiled = B >= largeBatch;
      if (!tiled) dispatch(K.transpose, [c.recurrentT.buffer, U.buffer], [0, U.offset, H, 4 * H], groups(4 * H * H));
      const dh = dhs ? g(dhs) : c.dGates;
      const dl = dLast ? g(dLast) : c.dGates;
      for (let s = T - 1; s >= 0; s--) {
        const t = reverse ? T - 1 - s : s;
        const tp = reverse ? t + 1 : t - 1;
        const tn = reverse ? t - 1 : t + 1;
        const clamp = (x: number) => Math.max(0, Math.min(T - 1, x));
        // dhRec = dGates[:, tn] . U^T for every sequence at once (rows b strided by T).
        if (tiled && s < T - 1)
          matmul({
            C: c.dhRec,
            A: at(c.dGates, tn * 4 * H),
            B: U,
            M: B,
            N: H,
            K: 4 * H,
            lda: T * 4 * H,
            ldb: 4 * H,
            ldc: H,
            transB: true,
            mode: 'set',
          });
        dispatch(
          K.lstmBackwardStep,
          [
            c.dGates.buffer,
            c.dcCarry.buffer,
            c.gates.buffer,
            c.cells.buffer,
            c.recurrentT.buffer,
            dh.buffer,
            dl.buffer,
            c.dhRec.buffer,
          ],
          [
            B,
            T,
            H,
            t,
            clamp(tp),
            clamp(tn),
            s === 0 ? 1 : 0,
            s === T - 1 ? 1 : 0,
            dhs ? 1 : 0,
            dh.offset,
            dLast ? 1 : 0,
            dl.offset,
            tiled ? 0 : 1,
          ],
          groups(B * H),
        );
      }
      // dRecurrent += sum over (b,t) of h_{t'}^T . dGates[b,t], with h shifted one step (zero at the first step).
      fill(c.hPrev.buffer, 0, B * T * H);
      if (T > 1) {
        const from = reverse ? H : 0;
        const to = reverse ? 0 : H;
        copyRows(c.hPrev, to, c.hs, from, B, (T - 1) * H, T * H, T * H, false);
      }
      matmul({
        C: g(dRecurrent),
        A: c.hPrev,
        B: c.dGates,
        M: H,
        N: 4 * H,
        K: B * T,
        lda: H,
        ldb: 4 * H,
        ldc: 4 * H,
        transA: true,
        mode: 'add',
      });
    },
    lstmStep(gates, h, c, recurrent) {
      const H = recurrent.shape[0];
      const rows = h.size / H;
      checkShape(
        gates.size === rows * 4 * H && c.size === h.size,
        'lstmStep',
        () => `gates ${gates.size}, h ${h.size}, c ${c.size} for H=${H}`,
      );
      matmul({
        C: g(gates),
        A: g(h),
        B: g(recurrent),
        M: rows,
        N: 4 * H,
        K: H,
        lda: H,
        ldb: 4 * H,
        ldc: 4 * H,
        mode: 'add',
      });
      dispatch(
        K.lstmCell,
        [g(gates).buffer, g(h).buffer, g(c).buffer],
        [rows, H, g(gates).offset, g(h).offset, g(c).offset],
        groups(rows * H),
      );
    },
    timeStep(out, seq, t) {
      const [B, T] = seq.shape;
      const C = seq.size / (B * T);
      checkOpShapes.timeStep(out, seq, t);
      copyRows(g(out), 0, g(seq), t * C, B, C, C, T * C, false);
    },
    concatLast(out, a, b) {
      const N = a.shape[0];
      const A = a.size / N;
      const Bc = b.size / N;
      checkOpShapes.concatLast(out, a, b);
      copyRows(g(out), 0, g(a), 0, N, A, A + Bc, A, false);
      copyRows(g(out), A, g(b), 0, N, Bc, A + Bc, Bc, false);
    },
    splitLastBackward(da, db, dout) {
      const N = da.shape[0];
      const A = da.size / N;
      const Bc = db.size / N;
      checkOpShapes.splitLastBackward(da, db, dout);
      copyRows(g(da), 0, g(dout), 0, N, A, A, A + Bc, true);
      copyRows(g(db), 0, g(dout), A, N, Bc, Bc, A + Bc, true);
    },
    swapMiddle(out, inp, dims) {
      const [A, B, C, D] = dims;
      const n = A * B * C * D;
      checkOpShapes.swapMiddle(out, inp, dims);
      dispatch(K.swapMiddle, [g(out).buffer, g(inp).buffer], [g(out).offset, g(inp).offset, A, C, B, D, 0], groups(n));
    },
    swapMiddleBackward(dinp, dout, dims) {
      const [A, B, C, D] = dims;
      const n = A * B * C * D;
      checkOpShapes.swapMiddleBackward(dinp, dout, dims);
      dispatch(
        K.swapMiddle,
        [g(dinp).buffer, g(dout).buffer],
        [g(dinp).offset, g(dout).offset, A, B, C, D, 1],
        groups(n),
      );
    },
    multiply(out, a, b) {
      checkOpShapes.multiply(out, a, b);
      dispatch(
        K.multiply,
        [g(out).buffer, g(a).buffer, g(b).buffer],
        [g(out).offset, g(a).offset, g(b).offset, out.size],
        groups(out.size),
      );
    },
    softmaxCrossEntropyForward(loss, probs, logits, targets) {
      const rows = targets.size;
      const V = logits.size / rows;
      checkOpShapes.softmaxCrossEntropyForward(probs, logits, targets);
      const rowLoss = scratchBuffer('rowLoss', rows);
      dispatch(
        K.softmaxRows,
        [g(probs).buffer, g(logits).buffer, gi(targets).buffer, rowLoss],
        [g(probs).offset, g(logits).offset, gi(targets).offset, rows, V],
        Math.min(rows, 65535),
      );
      dispatch(K.sumScaled, [g(loss).buffer, rowLoss], [g(loss).offset, rows, f32(1 / rows)], 1);
    },
    softmaxCrossEntropyBackward(dlogits, probs, targets) {
      const rows = targets.size;
      const V = probs.size / rows;
      checkShape(
        dlogits.size === probs.size,
        'softmaxCrossEntropyBackward',
        () => `sizes ${dlogits.size}, ${probs.size}`,
      );
      dispatch(
        K.softmaxCeBackward,
        [g(dlogits).buffer, g(probs).buffer, gi(targets).buffer],
        [g(dlogits).offset, g(probs).offset, gi(targets).offset, rows, V, f32(1 / rows)],
        groups(probs.size),
      );
    },
    sigmoidBceForward(loss, probs, logits, targets, weights) {
      checkOpShapes.sigmoidBceForward(probs, logits, targets, weights);
      const n = logits.size;
      const elemLoss = scratchBuffer('elemLoss', n);
      if (weights)
        dispatch(
          K.sigmoidBceWeighted,
          [g(probs).buffer, g(logits).buffer, g(targets).buffer, g(weights).buffer, elemLoss],
          [g(probs).offset, g(logits).offset, g(targets).offset, g(weights).offset, n],
          groups(n),
        );
      else
        dispatch(
          K.sigmoidBce,
          [g(probs).buffer, g(logits).buffer, g(targets).buffer, elemLoss],
          [g(probs).offset, g(logits).offset, g(targets).offset, n],
          groups(n),
        );
      dispatch(K.sumScaled, [g(loss).buffer, elemLoss], [g(loss).offset, n, f32(1 / n)], 1);
    },
    sigmoidBceBackward(dlogits, probs, targets, weights) {
      checkOpShapes.sigmoidBceBackward(dlogits, probs, targets, weights);
      const n = probs.size;
      if (weights)
        dispatch(
          K.sigmoidBceWeightedBackward,
          [g(dlogits).buffer, g(probs).buffer, g(targets).buffer, g(weights).buffer],
          [g(dlogits).offset, g(probs).offset, g(targets).offset, g(weights).offset, n, f32(1 / n)],
          groups(n),
        );
      else
        dispatch(
          K.sigmoidBceBackward,
          [g(dlogits).buffer, g(probs).buffer, g(targets).buffer],
          [g(dlogits).offset, g(probs).offset, g(targets).offset, n, f32(1 / n)],
          groups(n),
        );
    },

    zeroGradients(set) {
      const flat = flatOf(set);
      fill(flat.grads, 0, flat.total);
    },
    clipByGlobalNorm(set, clipNorm) {
      if (!(clipNorm > 0)) return;
      const flat = flatOf(set);
      const partials = scratchBuffer('normPartials', NORM_PARTS);
      dispatch(K.sumSquaresPartial, [partials, flat.grads], [flat.total], NORM_PARTS);
      dispatch(K.clipScale, [flat.grads, partials], [flat.total, NORM_PARTS, f32(clipNorm)], groups(flat.total));
    },
    adamStep(set, step, learningRate, constants: AdamConstants, weightDecay) {
      const flat = flatOf(set);
      const bc1 = 1 - Math.pow(constants.beta1, step);
      const bc2 = 1 - Math.pow(constants.beta2, step);
      dispatch(
        K.adam,
        [flat.params, flat.grads, flat.m, flat.v],
        [
          flat.total,
          f32(learningRate),
          f32(constants.beta1),
          f32(constants.beta2),
          f32(constants.epsilon),
          f32(bc1),
          f32(bc2),
          f32(1 - learningRate * weightDecay),
        ],
        groups(flat.total),
      );
    },
    async dispose() {
      flush();
      await device.queue.onSubmittedWorkDone();
      device.destroy();
    },
  };
  statsOf.set(info, stats);
  return backend;
}

/** rows, I, O of a dense op from its tensors: weight (I,O), inp (N,I), out (N,O). */
function denseShape(op: string, out: Tensor, inp: Tensor, weight: Tensor): { rows: number; I: number; O: number } {
  const [I, O] = weight.shape;
  const rows = inp.size / I;
  checkShape(
    weight.shape.length === 2 && Number.isInteger(rows) && out.size === rows * O,
    op,
    () => `inp ${inp.size} values, out ${out.size}, weight ${weight.shape.join('x')}`,
  );
  return { rows, I, O };
}
