// SPDX-License-Identifier: MIT
/**
 * The WGSL compute kernels of the WebGPU engine (../webgpuBackend.ts), one per layer step, written to be checked by
 * hand against the float64 reference layers (../reference/layers.ts).
 *
 * Conventions, shared by every kernel:
 * - binding 0 is the kernel's uniform struct `p` (offsets and sizes, in elements); bindings 1.. are storage buffers,
 *   all `read_write` and named here, in the order the backend passes them;
 * - a tensor is (buffer, element offset): offsets travel in `p`, so a view into a flat parameter buffer needs no
 *   aligned sub-binding;
 * - when the backend passes one GPUBuffer for two names (e.g. multiply in place), the kernel is compiled with the
 *   second name rewritten to the first (WebGPU forbids binding one buffer twice writably in a dispatch);
 * - element-wise kernels run 256 threads per workgroup over a grid-stride loop, so any size fits the dispatch limits.
 * Gate order along 4H is i, f, c (candidate, called g here), o, as everywhere in Etude.
 */

/** One storage binding: its name in the WGSL body and its element type. */
export type BufferDecl = readonly [name: string, type: 'f32' | 'i32'];

export interface KernelSource {
  /** Unique name (pipeline cache key). */
  readonly name: string;
  /** Fields of the uniform struct `p`, in order: `name: u32` or `name: f32`. */
  readonly params: readonly string[];
  readonly buffers: readonly BufferDecl[];
  /** WGSL: helpers and the `main` entry point. */
  readonly body: string;
}

/** Threads per workgroup of the element-wise and reduction kernels. */
export const GROUP = 256;
/** Output tile edge of the matmul kernel (each of its 16x16 threads computes 4x4 outputs). */
export const MATMUL_TILE = 64;

const MATH = /* wgsl */ `
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// tanh through exp(-2|x|), which never overflows (a builtin tanh may return NaN for large |x| on some drivers).
fn tanhS(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); let t = (1.0 - e) / (1.0 + e); return select(-t, t, x >= 0.0); }
`;

const GRID = /* wgsl */ `@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u`;
const STRIDE = `nwg.x * ${GROUP}u`;

/** x[off .. off+n) = value */
export const fill: KernelSource = {
  name: 'fill',
  params: ['off: u32', 'n: u32', 'value: f32'],
  buffers: [['x', 'f32']],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var i = gid.x; i < p.n; i += ${STRIDE}) { x[p.off + i] = p.value; }
}`,
};

/** dst (rows, cols; row stride ldDst) = or += src (rows, cols; row stride ldSrc). */
export const copyRows: KernelSource = {
  name: 'copyRows',
  params: ['dstOff: u32', 'srcOff: u32', 'rows: u32', 'cols: u32', 'ldDst: u32', 'ldSrc: u32', 'accumulate: u32'],
  buffers: [
    ['dst', 'f32'],
    ['src', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  let n = p.rows * p.cols;
  for (var i = gid.x; i < n; i += ${STRIDE}) {
    let r = i / p.cols;
    let c = i - r * p.cols;
    let v = src[p.srcOff + r * p.ldSrc + c];
    let d = p.dstOff + r * p.ldDst + c;
    if (p.accumulate == 1u) { dst[d] = dst[d] + v; } else { dst[d] = v; }
  }
}`,
};

/** dst (cols, rows) = src (rows, cols) transposed. */
export const transpose: KernelSource = {
  name: 'transpose',
  params: ['dstOff: u32', 'srcOff: u32', 'rows: u32', 'cols: u32'],
  buffers: [
    ['dst', 'f32'],
    ['src', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  let n = p.rows * p.cols;
  for (var i = gid.x; i < n; i += ${STRIDE}) {
    let c = i / p.rows;
    let r = i - c * p.rows;
    dst[p.dstOff + c * p.rows + r] = src[p.srcOff + r * p.cols + c];
  }
}`,
};

/**
 * dst (A, X, Y, D) = or += src (A, Y, X, D): the two middle axes swapped. swapMiddle is X = C, Y = B (its src is
 * (A,B,C,D)); its backward is X = B, Y = C, accumulating.
 */
export const swapMiddle: KernelSource = {
  name: 'swapMiddle',
  params: ['dstOff: u32', 'srcOff: u32', 'A: u32', 'X: u32', 'Y: u32', 'D: u32', 'accumulate: u32'],
  buffers: [
    ['dst', 'f32'],
    ['src', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  let n = p.A * p.X * p.Y * p.D;
  for (var i = gid.x; i < n; i += ${STRIDE}) {
    let d = i % p.D;
    let y = (i / p.D) % p.Y;
    let x = (i / (p.D * p.Y)) % p.X;
    let a = i / (p.D * p.Y * p.X);
    let v = src[p.srcOff + ((a * p.Y + y) * p.X + x) * p.D + d];
    if (p.accumulate == 1u) { dst[p.dstOff + i] = dst[p.dstOff + i] + v; } else { dst[p.dstOff + i] = v; }
  }
}`,
};

/** out (n) = a (n) * b (n) */
export const multiply: KernelSource = {
  name: 'multiply',
  params: ['outOff: u32', 'aOff: u32', 'bOff: u32', 'n: u32'],
  buffers: [
    ['outB', 'f32'],
    ['aB', 'f32'],
    ['bB', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var i = gid.x; i < p.n; i += ${STRIDE}) { outB[p.outOff + i] = aB[p.aOff + i] * bB[p.bOff + i]; }
}`,
};

/** out (N,C) = table (V,C) rows at tokens (N). */
export const gatherRows: KernelSource = {
  name: 'gatherRows',
  params: ['outOff: u32', 'tokOff: u32', 'tableOff: u32', 'rows: u32', 'dim: u32'],
  buffers: [
    ['outB', 'f32'],
    ['tokens', 'i32'],
    ['table', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  let n = p.rows * p.dim;
  for (var i = gid.x; i < n; i += ${STRIDE}) {
    let r = i / p.dim;
    let c = i - r * p.dim;
    outB[p.outOff + i] = table[p.tableOff + u32(tokens[p.tokOff + r]) * p.dim + c];
  }
}`,
};

/**
 * The embedding's backward, dtable (V,C) += dout (N,C) at the rows of tokens (N), exact and deterministic without float
 * atomics, in two passes. Pass 1: the N rows are cut into chunks; one thread per (chunk, column) walks its chunk's rows
 * in order and adds each into partial[chunk] (chunks,V,C), a table of its own, so no two threads write one address.
 * Pass 2 (scatterAddFinish): dtable += the sum of the chunk tables, in chunk order.
 */
export const scatterAddChunk: KernelSource = {
  name: 'scatterAddChunk',
  params: ['doutOff: u32', 'tokOff: u32', 'rows: u32', 'dim: u32', 'V: u32', 'chunkRows: u32'],
  buffers: [
    ['partial', 'f32'],
    ['dout', 'f32'],
    ['tokens', 'i32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let c = gid.x;
  if (c >= p.dim) { return; }
  let base = wg.y * p.V * p.dim;
  let end = min(p.rows, (wg.y + 1u) * p.chunkRows);
  for (var r = wg.y * p.chunkRows; r < end; r++) {
    let d = base + u32(tokens[p.tokOff + r]) * p.dim + c;
    partial[d] = partial[d] + dout[p.doutOff + r * p.dim + c];
  }
}`,
};

/** dtable (V,C) += sum over chunks of partial (chunks,V,C), in chunk order. */
export const scatterAddFinish: KernelSource = {
  name: 'scatterAddFinish',
  params: ['tableOff: u32', 'n: u32', 'chunks: u32'],
  buffers: [
    ['dtable', 'f32'],
    ['partial', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var i = gid.x; i < p.n; i += ${STRIDE}) {
    var s = 0.0;
    for (var k = 0u; k < p.chunks; k++) { s += partial[k * p.n + i]; }
    dtable[p.tableOff + i] = dtable[p.tableOff + i] + s;
  }
}`,
};

/**
 * C (M,N) = op(A) . op(B)   (mode 0), C += op(A) . op(B)   (mode 1), C = op(A) . op(B) + bias (N)   (mode 2),
 * with op(A) (M,K) = A or A^T (transA) and op(B) (K,N) = B or B^T (transB); lda/ldb/ldc are row strides as stored.
 * Output tiles (64x64, or 128x128 for big products) staged through workgroup memory, see matmulKernel below.
 * Split K: with kChunk < K, workgroup z covers K range [z*kChunk, (z+1)*kChunk) and writes its own slice of C at
 * cOff + z*cSlice (mode 0); `sumSlices` then adds the slices in order (deterministic, no atomics). This keeps a GPU
 * busy on the weight gradients, whose K is batch x time (e.g. 122,880) while M x N is only a few dozen tiles.
 */
/**
 * The matmul kernel for a tile of (16*TM) x (16*TM) outputs, BK deep in K: each of the 16x16 threads owns TM x TM
 * outputs (rows l.y + 16i, columns l.x + 16j) and stages TILE*BK/256 values of each operand per K step.
 */
function matmulKernel(name: string, TM: number, BK: number): KernelSource {
  const TILE = 16 * TM;
  const LOADS = (TILE * BK) / 256;
  return {
    name,
    params: [
      'M: u32',
      'N: u32',
      'K: u32',
      'aOff: u32',
      'lda: u32',
      'bOff: u32',
      'ldb: u32',
      'cOff: u32',
      'ldc: u32',
      'transA: u32',
      'transB: u32',
      'mode: u32',
      'biasOff: u32',
      'kChunk: u32',
      'cSlice: u32',
    ],
    buffers: [
      ['C', 'f32'],
      ['A', 'f32'],
      ['B', 'f32'],
      ['bias', 'f32'],
    ],
    body: /* wgsl */ `
var<workgroup> As: array<f32, ${TILE * BK}>; // [k][m], ${BK} x ${TILE}
var<workgroup> Bs: array<f32, ${TILE * BK}>; // [k][n], ${BK} x ${TILE}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let row0 = wg.y * ${TILE}u;
  let col0 = wg.x * ${TILE}u;
  let tid = l.y * 16u + l.x;
  var acc: array<f32, ${TM * TM}>;
  let kBegin = wg.z * p.kChunk;
  let kEnd = min(p.K, kBegin + p.kChunk);
  for (var k0 = kBegin; k0 < kEnd; k0 += ${BK}u) {
    for (var e = 0u; e < ${LOADS}u; e++) {
      let idx = tid + e * 256u;
      // Consecutive threads read consecutive addresses in either storage order.
      var am: u32; var ak: u32;
      if (p.transA == 1u) { am = idx % ${TILE}u; ak = idx / ${TILE}u; } else { ak = idx % ${BK}u; am = idx / ${BK}u; }
      let gm = row0 + am;
      let gk = k0 + ak;
      var av = 0.0;
      if (gm < p.M && gk < kEnd) {
        if (p.transA == 1u) { av = A[p.aOff + gk * p.lda + gm]; } else { av = A[p.aOff + gm * p.lda + gk]; }
      }
      As[ak * ${TILE}u + am] = av;
      var bn: u32; var bk: u32;
      if (p.transB == 1u) { bk = idx % ${BK}u; bn = idx / ${BK}u; } else { bn = idx % ${TILE}u; bk = idx / ${TILE}u; }
      let gn = col0 + bn;
      let gk2 = k0 + bk;
      var bv = 0.0;
      if (gn < p.N && gk2 < kEnd) {
        if (p.transB == 1u) { bv = B[p.bOff + gn * p.ldb + gk2]; } else { bv = B[p.bOff + gk2 * p.ldb + gn]; }
      }
      Bs[bk * ${TILE}u + bn] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${BK}u; kk++) {
      var a: array<f32, ${TM}>;
      var b: array<f32, ${TM}>;
      for (var i = 0u; i < ${TM}u; i++) { a[i] = As[kk * ${TILE}u + l.y + 16u * i]; }
      for (var j = 0u; j < ${TM}u; j++) { b[j] = Bs[kk * ${TILE}u + l.x + 16u * j]; }
      for (var i = 0u; i < ${TM}u; i++) {
        for (var j = 0u; j < ${TM}u; j++) { acc[i * ${TM}u + j] = acc[i * ${TM}u + j] + a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${TM}u; i++) {
    let m = row0 + l.y + 16u * i;
    if (m >= p.M) { continue; }
    for (var j = 0u; j < ${TM}u; j++) {
      let n = col0 + l.x + 16u * j;
      if (n >= p.N) { continue; }
      let ci = p.cOff + wg.z * p.cSlice + m * p.ldc + n;
      let v = acc[i * ${TM}u + j];
      if (p.mode == 0u) { C[ci] = v; }
      else if (p.mode == 1u) { C[ci] = C[ci] + v; }
      else { C[ci] = v + bias[p.biasOff + n]; }
    }
  }
}`,
  };
}

export const matmul = matmulKernel('matmul', 4, 16);
/** The same product on 128x128 tiles (8x8 outputs per thread, 8 deep in K): more work per value staged, for big products. */
export const matmulWide = matmulKernel('matmulWide', 8, 8);
/** Output tile edge of matmulWide. */
export const MATMUL_WIDE_TILE = 128;

/** C (M,N; row stride ldc) = or += the sum of the slices partial (S,M,N), in slice order (see matmul's split K). */
export const sumSlices: KernelSource = {
  name: 'sumSlices',
  params: ['cOff: u32', 'ldc: u32', 'M: u32', 'N: u32', 'slices: u32', 'accumulate: u32'],
  buffers: [
    ['C', 'f32'],
    ['partial', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  let n = p.M * p.N;
  for (var i = gid.x; i < n; i += ${STRIDE}) {
    var s = 0.0;
    for (var z = 0u; z < p.slices; z++) { s += partial[z * n + i]; }
    let r = i / p.N;
    let ci = p.cOff + r * p.ldc + (i - r * p.N);
    if (p.accumulate == 1u) { C[ci] = C[ci] + s; } else { C[ci] = s; }
  }
}`,
};

/** Pass 1 of dbias (C) += column sums of dout (N,C): partial[chunk, c] = the sum of column c over one chunk of rows. */
export const colSumChunk: KernelSource = {
  name: 'colSumChunk',
  params: ['gOff: u32', 'rows: u32', 'cols: u32', 'chunkRows: u32'],
  buffers: [
    ['partial', 'f32'],
    ['dout', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let c = gid.x;
  if (c >= p.cols) { return; }
  var s = 0.0;
  let end = min(p.rows, (wg.y + 1u) * p.chunkRows);
  for (var r = wg.y * p.chunkRows; r < end; r++) { s += dout[p.gOff + r * p.cols + c]; }
  partial[wg.y * p.cols + c] = s;
}`,
};

/** Pass 2: dbias[c] += the sum of partial[chunk, c] over the chunks, in order. */
export const colSumFinish: KernelSource = {
  name: 'colSumFinish',
  params: ['dOff: u32', 'cols: u32', 'chunks: u32'],
  buffers: [
    ['dbias', 'f32'],
    ['partial', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var c = gid.x; c < p.cols; c += ${STRIDE}) {
    var s = 0.0;
    for (var k = 0u; k < p.chunks; k++) { s += partial[k * p.cols + c]; }
    dbias[p.dOff + c] = dbias[p.dOff + c] + s;
  }
}`,
};

/**
 * One time step t of the LSTM recurrence for every sequence of the batch, fused: z = gates[b,t] + h_{t'} . U (t' the
 * previous step in processing order; nothing at the first step), then the cell. gates (B,T,4H) holds the input
 * projection on entry and the activations i, f, g, o on exit; cells, hs (B,T,H); U (H,4H). One thread per (b, j).
 * With recur = 0 the product h . U was already added by a tiled matmul (the large-batch path) and only the cell runs.
 */
export const lstmForwardStep: KernelSource = {
  name: 'lstmForwardStep',
  params: ['B: u32', 'T: u32', 'H: u32', 't: u32', 'tp: u32', 'first: u32', 'uOff: u32', 'recur: u32'],
  buffers: [
    ['gates', 'f32'],
    ['cells', 'f32'],
    ['hs', 'f32'],
    ['U', 'f32'],
  ],
  body: /* wgsl */ `${MATH}
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  let H = p.H;
  let G = 4u * H;
  for (var i = gid.x; i < p.B * H; i += ${STRIDE}) {
    let b = i / H;
    let j = i - b * H;
    let g0 = (b * p.T + p.t) * G;
    var zi = gates[g0 + j];
    var zf = gates[g0 + H + j];
    var zg = gates[g0 + 2u * H + j];
    var zo = gates[g0 + 3u * H + j];
    var cPrev = 0.0;
    if (p.first == 0u) {
      let hp = (b * p.T + p.tp) * H;
      for (var k = 0u; k < H * p.recur; k++) {
        let h = hs[hp + k];
        let u = p.uOff + k * G + j;
        zi += h * U[u];
        zf += h * U[u + H];
        zg += h * U[u + 2u * H];
        zo += h * U[u + 3u * H];
      }
      cPrev = cells[hp + j];
    }
    let ig = sigm(zi);
    let fg = sigm(zf);
    let gg = tanhS(zg);
    let og = sigm(zo);
    let c = fg * cPrev + ig * gg;
    gates[g0 + j] = ig;
    gates[g0 + H + j] = fg;
    gates[g0 + 2u * H + j] = gg;
    gates[g0 + 3u * H + j] = og;
    let o = (b * p.T + p.t) * H + j;
    cells[o] = c;
    hs[o] = og * tanhS(c);
  }
}`,
};

/**
 * One time step t of backpropagation through the recurrence, fused: the gradient reaching h_t from the step processed
 * after it (dGates[b,tn] . U^T, through UT (4H,H) so that reads are coalesced), plus dhs[b,t] and dLast at the last
 * processed step, then the cell's backward into dGates[b,t] (B,T,4H) and the cell-gradient carry dc (B,H).
 * `last` = 1 at the first backward step (no later step), `first` = 1 at the step that started from the zero state.
 * With recur = 0 the product dGates[b,tn] . U^T was already computed by a tiled matmul into dhRec (B,H).
 */
export const lstmBackwardStep: KernelSource = {
  name: 'lstmBackwardStep',
  params: [
    'B: u32',
    'T: u32',
    'H: u32',
    't: u32',
    'tp: u32',
    'tn: u32',
    'first: u32',
    'last: u32',
    'hasDhs: u32',
    'dhsOff: u32',
    'hasDLast: u32',
    'dLastOff: u32',
    'recur: u32',
  ],
  buffers: [
    ['dGates', 'f32'],
    ['dcCarry', 'f32'],
    ['acts', 'f32'],
    ['cells', 'f32'],
    ['UT', 'f32'],
    ['dhs', 'f32'],
    ['dLast', 'f32'],
    ['dhRec', 'f32'],
  ],
  body: /* wgsl */ `${MATH}
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  let H = p.H;
  let G = 4u * H;
  for (var i = gid.x; i < p.B * H; i += ${STRIDE}) {
    let b = i / H;
    let j = i - b * H;
    let row = b * p.T + p.t;
    var dh = 0.0;
    if (p.hasDhs == 1u) { dh = dhs[p.dhsOff + row * H + j]; }
    var dcIn = 0.0;
    if (p.last == 1u) {
      if (p.hasDLast == 1u) { dh += dLast[p.dLastOff + b * H + j]; }
    } else {
      var s = 0.0;
      if (p.recur == 1u) {
        let dn = (b * p.T + p.tn) * G;
        for (var c = 0u; c < G; c++) { s += dGates[dn + c] * UT[c * H + j]; }
      } else {
        s = dhRec[i];
      }
      dh += s;
      dcIn = dcCarry[i];
    }
    let a0 = row * G;
    let ig = acts[a0 + j];
    let fg = acts[a0 + H + j];
    let gg = acts[a0 + 2u * H + j];
    let og = acts[a0 + 3u * H + j];
    let tc = tanhS(cells[row * H + j]);
    var cPrev = 0.0;
    if (p.first == 0u) { cPrev = cells[(b * p.T + p.tp) * H + j]; }
    let dc = dcIn + dh * og * (1.0 - tc * tc);
    dGates[a0 + j] = dc * gg * ig * (1.0 - ig);
    dGates[a0 + H + j] = dc * cPrev * fg * (1.0 - fg);
    dGates[a0 + 2u * H + j] = dc * ig * (1.0 - gg * gg);
    dGates[a0 + 3u * H + j] = dh * tc * og * (1.0 - og);
    dcCarry[i] = dc * fg;
  }
}`,
};

/** The cell of one decoder step, in place: gates (R,4H) already hold x.W + b + h.U; h, c (R,H) become the new state. */
export const lstmCell: KernelSource = {
  name: 'lstmCell',
  params: ['R: u32', 'H: u32', 'gOff: u32', 'hOff: u32', 'cOff: u32'],
  buffers: [
    ['gates', 'f32'],
    ['hB', 'f32'],
    ['cB', 'f32'],
  ],
  body: /* wgsl */ `${MATH}
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  let H = p.H;
  for (var i = gid.x; i < p.R * H; i += ${STRIDE}) {
    let r = i / H;
    let j = i - r * H;
    let g0 = p.gOff + r * 4u * H;
    let ig = sigm(gates[g0 + j]);
    let fg = sigm(gates[g0 + H + j]);
    let gg = tanhS(gates[g0 + 2u * H + j]);
    let og = sigm(gates[g0 + 3u * H + j]);
    let c = fg * cB[p.cOff + i] + ig * gg;
    cB[p.cOff + i] = c;
    hB[p.hOff + i] = og * tanhS(c);
  }
}`,
};

const REDUCE = /* wgsl */ `
var<workgroup> red: array<f32, ${GROUP}>;
`;

/** Tree reduction of red[] (sum or max) inside one workgroup; the result is red[0]. Called in uniform control flow. */
const treeReduce = (op: 'sum' | 'max') => /* wgsl */ `
  for (var w = ${GROUP / 2}u; w > 0u; w = w / 2u) {
    workgroupBarrier();
    if (lid < w) { red[lid] = ${op === 'sum' ? 'red[lid] + red[lid + w]' : 'max(red[lid], red[lid + w])'}; }
  }
  workgroupBarrier();`;

/**
 * probs (N,V) = softmax(logits (N,V)), one workgroup per row; rowLoss (N) = log-sum-exp - logit[target], exact even
 * when probs[target] underflows. The mean is taken by `sumScaled` afterwards.
 */
export const softmaxRows: KernelSource = {
  name: 'softmaxRows',
  params: ['probsOff: u32', 'logitsOff: u32', 'tOff: u32', 'rows: u32', 'V: u32'],
  buffers: [
    ['probs', 'f32'],
    ['logits', 'f32'],
    ['targets', 'i32'],
    ['rowLoss', 'f32'],
  ],
  body: /* wgsl */ `${REDUCE}
@compute @workgroup_size(${GROUP})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  for (var r = wg.x; r < p.rows; r += nwg.x) {
    let lo = p.logitsOff + r * p.V;
    let po = p.probsOff + r * p.V;
    var m = -3.0e38;
    for (var j = lid; j < p.V; j += ${GROUP}u) { m = max(m, logits[lo + j]); }
    red[lid] = m;
    ${treeReduce('max')}
    let mx = red[0];
    workgroupBarrier();
    var s = 0.0;
    for (var j = lid; j < p.V; j += ${GROUP}u) { let e = exp(logits[lo + j] - mx); probs[po + j] = e; s += e; }
    red[lid] = s;
    ${treeReduce('sum')}
    let sum = red[0];
    let inv = 1.0 / sum;
    for (var j = lid; j < p.V; j += ${GROUP}u) { probs[po + j] = probs[po + j] * inv; }
    if (lid == 0u) { rowLoss[r] = log(sum) + mx - logits[lo + u32(targets[p.tOff + r])]; }
    workgroupBarrier();
  }
}`,
};

/** out[outOff] = scale * sum(x[0..n)), one workgroup, a fixed summation order. */
export const sumScaled: KernelSource = {
  name: 'sumScaled',
  params: ['outOff: u32', 'n: u32', 'scale: f32'],
  buffers: [
    ['outB', 'f32'],
    ['x', 'f32'],
  ],
  body: /* wgsl */ `${REDUCE}
@compute @workgroup_size(${GROUP}) fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.n; i += ${GROUP}u) { s += x[i]; }
  red[lid] = s;
  ${treeReduce('sum')}
  if (lid == 0u) { outB[p.outOff] = red[0] * p.scale; }
}`,
};

/** dlogits (N,V) = (probs - onehot(target)) * scale (scale = 1/N), overwritten. */
export const softmaxCeBackward: KernelSource = {
  name: 'softmaxCeBackward',
  params: ['dOff: u32', 'probsOff: u32', 'tOff: u32', 'rows: u32', 'V: u32', 'scale: f32'],
  buffers: [
    ['dlogits', 'f32'],
    ['probs', 'f32'],
    ['targets', 'i32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var i = gid.x; i < p.rows * p.V; i += ${STRIDE}) {
    let r = i / p.V;
    let j = i - r * p.V;
    var v = probs[p.probsOff + i];
    if (u32(targets[p.tOff + r]) == j) { v -= 1.0; }
    dlogits[p.dOff + i] = v * p.scale;
  }
}`,
};

/** probs (n) = sigmoid(logits); elemLoss (n) = the stable BCE max(x,0) - x*y + log(1 + exp(-|x|)). */
export const sigmoidBce: KernelSource = {
  name: 'sigmoidBce',
  params: ['probsOff: u32', 'logitsOff: u32', 'tOff: u32', 'n: u32'],
  buffers: [
    ['probs', 'f32'],
    ['logits', 'f32'],
    ['targets', 'f32'],
    ['elemLoss', 'f32'],
  ],
  body: /* wgsl */ `${MATH}
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var i = gid.x; i < p.n; i += ${STRIDE}) {
    let x = logits[p.logitsOff + i];
    let y = targets[p.tOff + i];
    probs[p.probsOff + i] = sigm(x);
    elemLoss[i] = max(x, 0.0) - x * y + log(1.0 + exp(-abs(x)));
  }
}`,
};

/** dlogits (n) = (probs - targets) * scale, overwritten. */
export const sigmoidBceBackward: KernelSource = {
  name: 'sigmoidBceBackward',
  params: ['dOff: u32', 'probsOff: u32', 'tOff: u32', 'n: u32', 'scale: f32'],
  buffers: [
    ['dlogits', 'f32'],
    ['probs', 'f32'],
    ['targets', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var i = gid.x; i < p.n; i += ${STRIDE}) {
    dlogits[p.dOff + i] = (probs[p.probsOff + i] - targets[p.tOff + i]) * p.scale;
  }
}`,
};

/** sigmoidBce with a weight per element: elemLoss (n) = weights * the stable BCE (the mean is taken by sumScaled). */
export const sigmoidBceWeighted: KernelSource = {
  name: 'sigmoidBceWeighted',
  params: ['probsOff: u32', 'logitsOff: u32', 'tOff: u32', 'wOff: u32', 'n: u32'],
  buffers: [
    ['probs', 'f32'],
    ['logits', 'f32'],
    ['targets', 'f32'],
    ['weights', 'f32'],
    ['elemLoss', 'f32'],
  ],
  body: /* wgsl */ `${MATH}
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var i = gid.x; i < p.n; i += ${STRIDE}) {
    let x = logits[p.logitsOff + i];
    let y = targets[p.tOff + i];
    probs[p.probsOff + i] = sigm(x);
    elemLoss[i] = weights[p.wOff + i] * (max(x, 0.0) - x * y + log(1.0 + exp(-abs(x))));
  }
}`,
};

/** dlogits (n) = weights * (probs - targets) * scale, overwritten. */
export const sigmoidBceWeightedBackward: KernelSource = {
  name: 'sigmoidBceWeightedBackward',
  params: ['dOff: u32', 'probsOff: u32', 'tOff: u32', 'wOff: u32', 'n: u32', 'scale: f32'],
  buffers: [
    ['dlogits', 'f32'],
    ['probs', 'f32'],
    ['targets', 'f32'],
    ['weights', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var i = gid.x; i < p.n; i += ${STRIDE}) {
    dlogits[p.dOff + i] = weights[p.wOff + i] * ((probs[p.probsOff + i] - targets[p.tOff + i]) * p.scale);
  }
}`,
};

/** partials[workgroup] = sum of squares of this workgroup's grid-stride share of g (n). */
export const sumSquaresPartial: KernelSource = {
  name: 'sumSquaresPartial',
  params: ['n: u32'],
  buffers: [
    ['partials', 'f32'],
    ['g', 'f32'],
  ],
  body: /* wgsl */ `${REDUCE}
@compute @workgroup_size(${GROUP})
fn main(${GRID}, @builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = gid.x; i < p.n; i += ${STRIDE}) { let v = g[i]; s += v * v; }
  red[lid] = s;
  ${treeReduce('sum')}
  if (lid == 0u) { partials[wg.x] = red[0]; }
}`,
};

/**
 * The global-norm clip itself: every workgroup sums the partials (a few hundred values, same order everywhere), and
 * when sqrt(total) > clipNorm all of g (n) is scaled by clipNorm / norm.
 */
export const clipScale: KernelSource = {
  name: 'clipScale',
  params: ['n: u32', 'parts: u32', 'clipNorm: f32'],
  buffers: [
    ['g', 'f32'],
    ['partials', 'f32'],
  ],
  body: /* wgsl */ `${REDUCE}
@compute @workgroup_size(${GROUP})
fn main(${GRID}, @builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.parts; i += ${GROUP}u) { s += partials[i]; }
  red[lid] = s;
  ${treeReduce('sum')}
  let norm = sqrt(red[0]);
  if (norm > p.clipNorm) {
    let k = p.clipNorm / norm;
    for (var i = gid.x; i < p.n; i += ${STRIDE}) { g[i] = g[i] * k; }
  }
}`,
};

/** One Adam step over flat w, g, m, v (n), tfjs-core's formula (../types.ts ADAM); bc1/bc2 = 1 - beta^t. */
export const adam: KernelSource = {
  name: 'adam',
  params: ['n: u32', 'lr: f32', 'beta1: f32', 'beta2: f32', 'eps: f32', 'bc1: f32', 'bc2: f32', 'decay: f32'],
  buffers: [
    ['w', 'f32'],
    ['g', 'f32'],
    ['m', 'f32'],
    ['v', 'f32'],
  ],
  body: /* wgsl */ `
@compute @workgroup_size(${GROUP}) fn main(${GRID}) {
  for (var i = gid.x; i < p.n; i += ${STRIDE}) {
    let gi = g[i];
    let mi = p.beta1 * m[i] + (1.0 - p.beta1) * gi;
    let vi = p.beta2 * v[i] + (1.0 - p.beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] * p.decay - (p.lr * (mi / p.bc1)) / (sqrt(vi / p.bc2) + p.eps);
  }
}`,
};
