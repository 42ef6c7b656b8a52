// SPDX-License-Identifier: MIT
/**
 * The typed face of the WebAssembly kernels (source: ./assembly/index.ts) plus the memory they work in.
 *
 * No Node imports here: a browser page, a worker or Node can all use this file. Threads come in through the
 * optional KernelPool (the Node implementation is ../pool/nodePool.ts); without one every kernel runs on the
 * calling thread.
 *
 * Buffers are byte offsets ("pointers") into one WasmMemory, handed out by a bump allocator: the engine
 * allocates its parameters and activations once and reuses them. An owner that goes away (a disposed model or
 * decoder) releases its buffers as a group; blocks of the same size are then reused.
 */

/**
 * The few WebAssembly JS-API types this engine uses, declared here because the project compiles without the DOM
 * lib (which is where TypeScript keeps them); at runtime they are the platform's own globalThis.WebAssembly.
 */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}
/** A compiled module (opaque: only passed to instantiate and to workers). */
export type WasmModule = object;
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
}
/** globalThis.WebAssembly, typed. */
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Names of the kernels a pool worker may run (the worker looks them up by index in this list). */
export const POOL_OPS = ['matmulAB', 'matmulAtB', 'matmulABt', 'lstmSequenceForward', 'lstmSequenceBackward'] as const;
export type PoolOp = (typeof POOL_OPS)[number];

/** The exports of engine.wasm / engine-single.wasm (pointers are byte offsets, sizes are element counts). */
export interface KernelExports {
  heapBase(): number;
  /** Measurement only: `rounds` x 96 flops of register-only multiply-adds (the roofline's peak, see the source). */
  simdPeak(rounds: number): number;
  /** scratch: 0 or SCRATCH_FLOATS floats private to the calling thread (blocks of B and A are packed there). */
  matmulAB(
    c: number,
    a: number,
    b: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate: number,
    scratch: number,
  ): void;
  matmulAtB(
    c: number,
    a: number,
    b: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate: number,
    scratch: number,
  ): void;
  matmulABt(
    c: number,
    a: number,
    b: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate: number,
  ): void;
  copyRows(out: number, x: number, rows: number, cols: number, ldo: number, ldx: number): void;
  fillRows(out: number, vec: number, rows: number, cols: number, ldo: number): void;
  colSumAccumulate(acc: number, x: number, rows: number, cols: number, ldx: number): void;
  gatherRows(out: number, table: number, tokens: number, rows: number, cols: number, ldo: number, ldt: number): void;
  scatterAddRows(table: number, x: number, tokens: number, rows: number, cols: number, ldt: number, ldx: number): void;
  addInto(y: number, x: number, n: number): void;
  multiplyInto(out: number, x: number, mask: number, n: number): void;
  scaleInPlace(x: number, n: number, s: number): void;
  sumSquares(x: number, n: number): number;
  lstmCellForward(
    gates: number,
    cPrev: number,
    c: number,
    h: number,
    rows: number,
    hidden: number,
    ldg: number,
    ldcp: number,
    ldc: number,
    ldh: number,
  ): void;
  lstmCellBackward(
    dGates: number,
    dcCarry: number,
    dhOut: number,
    dhRec: number,
    gates: number,
    c: number,
    cPrev: number,
    rows: number,
    hidden: number,
    lddg: number,
    lddo: number,
    ldg: number,
    ldc: number,
    ldcp: number,
  ): void;
  lstmStepForward(
    gates: number,
    hPrev: number,
    u: number,
    cPrev: number,
    c: number,
    h: number,
    rows: number,
    hidden: number,
    ldg: number,
    ldhp: number,
    ldcp: number,
    ldc: number,
    ldh: number,
    scratch: number,
    uPacked: number,
  ): void;
  packB(dst: number, b: number, k: number, n: number, ldb: number): void;
  lstmSequenceForward(
    gates: number,
    cells: number,
    hs: number,
    u: number,
    uPacked: number,
    rows: number,
    time: number,
    hidden: number,
    reverse: number,
    scratch: number,
  ): void;
  lstmSequenceBackward(
    dGates: number,
    dcCarry: number,
    dhRec: number,
    dhs: number,
    dLast: number,
    gates: number,
    cells: number,
    u: number,
    rows: number,
    time: number,
    hidden: number,
    reverse: number,
  ): void;
  matmulABPacked(
    c: number,
    a: number,
    b: number,
    packed: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate: number,
  ): void;
  lstmStepBackward(
    dGates: number,
    dcCarry: number,
    dhOut: number,
    dhRec: number,
    gates: number,
    c: number,
    cPrev: number,
    u: number,
    rows: number,
    hidden: number,
    lddg: number,
    lddo: number,
    ldg: number,
    ldc: number,
    ldcp: number,
    hasPrev: number,
  ): void;
  softmaxCrossEntropyForward(probs: number, logits: number, targets: number, rows: number, vocab: number): number;
  softmaxCrossEntropyBackward(
    dlogits: number,
    probs: number,
    targets: number,
    rows: number,
    vocab: number,
    scale: number,
  ): void;
  sigmoidBceForward(probs: number, logits: number, targets: number, n: number): number;
  sigmoidBceBackward(dlogits: number, probs: number, targets: number, n: number, scale: number): void;
  sigmoidBceWeightedForward(probs: number, logits: number, targets: number, weights: number, n: number): number;
  sigmoidBceWeightedBackward(
    dlogits: number,
    probs: number,
    targets: number,
    weights: number,
    n: number,
    scale: number,
  ): void;
  adamUpdate(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    bc1: number,
    bc2: number,
    decay: number,
  ): void;
}

/**
 * One kernel call cut into chunks along one dimension: participant calls use `args` with the count argument set to
 * the chunk's length, each pointer argument advanced by chunkStart * bytesPerRow (null pointers stay 0), and the
 * scratch argument set to that participant's own scratch buffer.
 */
export interface ChunkedJob {
  op: PoolOp;
  args: number[];
  /** Rows (or columns) in all. */
  total: number;
  /** Rows (or columns) per chunk. */
  unit: number;
  countArg: number;
  /** Index of the scratch argument, -1 for none. */
  scratchArg: number;
  /** [argument index, bytes to advance per row]. */
  pointers: [number, number][];
  /** Scratch pointer per participant (0 = the caller). */
  scratch: number[];
}

/**
 * Worker threads that run kernel calls on chunks of the same shared memory. `run` posts the job, takes chunks on
 * the calling thread through `callerChunk` meanwhile, and returns when every chunk is done.
 */
export interface KernelPool {
  /** Threads besides the caller. */
  readonly workerCount: number;
  run(job: ChunkedJob, callerChunk: (args: number[]) => void): void;
  dispose(): void;
}

/** Buffers allocated together (see Kernels.track), released together. */
export interface AllocationGroup {
  /** [byte offset, size in bytes] */
  blocks: [number, number][];
}

/** A float32 buffer in wasm memory: byte offset and element count. */
export interface F32Buf {
  ptr: number;
  length: number;
}

/** An int32 buffer in wasm memory (token ids, targets). */
export interface I32Buf {
  ptr: number;
  length: number;
}

/** Thrown when the engine cannot get the memory it needs. */
export class EngineMemoryError extends Error {
  override name = 'EngineMemoryError';
  readonly code = 'ENGINE_OUT_OF_MEMORY';
}

const PAGE_BYTES = 65536;
/** Packing scratch per thread for the products: SCRATCH_FLOATS in the kernels (a KC x NC block of B, a KC x 8 one of A). */
const SCRATCH_FLOATS = 128 * 256 + 128 * 8;
/** Below this many multiply-adds a product is not worth waking a thread for. */
const PARALLEL_MIN_MACS = 1 << 18;

/**
 * Kernels over one memory, with optional threads. Allocation is a bump pointer over ranges given back by release():
 * a request takes the smallest free range that holds it (splitting off the rest), released neighbours merge, and a
 * free range that ends at the pointer is extended rather than left behind. Why: a polyphonic model's workspace is
 * hundreds of MB and its shape changes between training, validation (a last, smaller batch) and scoring; with
 * exact-size reuse only, every new shape was allocated above all the old ones until the 1 GiB memory ran out.
 */
export class Kernels {
  readonly exports: KernelExports;
  readonly memory: WasmMemory;
  private top: number;
  private pool: KernelPool | undefined;
  /** Threads the products are split over right now (1 = caller only); the engine lowers it on contention. */
  private activeThreads: number;
  /** One packing scratch buffer per thread (index 0 = the calling thread). */
  private readonly scratch: number[];
  /** Released ranges [ptr, bytes], sorted by ptr, never adjacent (neighbours are merged). */
  private readonly freeRanges: [number, number][] = [];
  /** The most bytes ever handed out at once (the bump pointer's high-water mark). */
  private highWater: number;
  /** Open track() groups recording allocations. */
  private readonly groups: [number, number][][] = [];
  /** Kernel calls that were split over more than one thread (tests check that threads really ran). */
  parallelCalls = 0;

  constructor(exports: KernelExports, memory: WasmMemory, pool?: KernelPool) {
    this.exports = exports;
    this.memory = memory;
    this.top = align(exports.heapBase() + 1024, 64);
    this.highWater = this.top;
    this.pool = pool;
    this.activeThreads = pool ? pool.workerCount + 1 : 1;
    this.scratch = Array.from({ length: this.maxThreads }, () => this.allocF32(SCRATCH_FLOATS).ptr);
  }

  /** Threads available (the caller plus the pool's workers). */
  get maxThreads(): number {
    return this.pool ? this.pool.workerCount + 1 : 1;
  }

  get threads(): number {
    return this.activeThreads;
  }

  /** Uses 1..maxThreads threads from now on (results are bitwise the same for any count). */
  setThreads(threads: number): void {
    this.activeThreads = Math.max(1, Math.min(this.maxThreads, Math.floor(threads)));
  }

  /** The allocator's high-water mark in bytes. */
  get allocatedBytes(): number {
    return this.highWater;
  }

  /** A zeroed float32 buffer of `length` elements, 64-byte aligned. */
  allocF32(length: number): F32Buf {
    return { ptr: this.allocBytes(length * 4), length };
  }

  allocI32(length: number): I32Buf {
    return { ptr: this.allocBytes(length * 4), length };
  }

  private allocBytes(bytes: number): number {
    const size = align(Math.max(bytes, 4), 64);
    const ptr = this.takeFreeRange(size) ?? this.bump(size);
    this.record(ptr, size);
    return ptr;
  }

  /** The start of the smallest released range that holds `size` bytes (zeroed), or undefined. */
  private takeFreeRange(size: number): number | undefined {
    let best = -1;
    for (let i = 0; i < this.freeRanges.length; i++) {
      const have = this.freeRanges[i][1];
      if (have >= size && (best < 0 || have < this.freeRanges[best][1])) {
        best = i;
        if (have === size) break;
      }
    }
    if (best < 0) return undefined;
    const range = this.freeRanges[best];
    const ptr = range[0];
    if (range[1] === size) this.freeRanges.splice(best, 1);
    else {
      range[0] += size;
      range[1] -= size;
    }
    new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    return ptr;
  }

  /** `size` zeroed bytes at the bump pointer, starting inside a released range that ends there (if any). */
  private bump(size: number): number {
    const last = this.freeRanges[this.freeRanges.length - 1];
    const ptr = last && last[0] + last[1] === this.top ? last[0] : this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE_BYTES);
      try {
        this.memory.grow(pages);
      } catch (error) {
        throw new EngineMemoryError(
          `The wasm engine could not grow its memory to ${Math.ceil(end / 2 ** 20)} MiB (${error instanceof Error ? error.message : String(error)}). Use a smaller batch size or model, or dispose models you no longer use.`,
        );
      }
    }
    if (ptr < this.top) {
      // Only the part below the old pointer was used before; memory from grow() is zero.
      this.freeRanges.pop();
      new Uint8Array(this.memory.buffer, ptr, this.top - ptr).fill(0);
    }
    this.top = Math.max(this.top, end);
    this.highWater = Math.max(this.highWater, this.top);
    return ptr;
  }

  private record(ptr: number, size: number): void {
    for (const group of this.groups) group.push([ptr, size]);
  }

  /**
   * Runs `allocate` and returns what it made plus an AllocationGroup of every buffer allocated meanwhile, so an
   * owner (a model, a decoder) can give them all back with release().
   */
  track<T>(allocate: () => T): { result: T; group: AllocationGroup } {
    const group: [number, number][] = [];
    this.groups.push(group);
    try {
      return { result: allocate(), group: { blocks: group } };
    } finally {
      this.groups.splice(this.groups.indexOf(group), 1);
    }
  }

  /** Gives a group's buffers back: later allocations reuse them (zeroed). */
  release(group: AllocationGroup): void {
    for (const [ptr, size] of group.blocks) this.freeRange(ptr, size);
    group.blocks.length = 0;
  }

  /** Inserts [ptr, ptr+size) into the sorted free list, merging it with the ranges it touches. */
  private freeRange(ptr: number, size: number): void {
    const ranges = this.freeRanges;
    let lo = 0;
    let hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid][0] < ptr) lo = mid + 1;
      else hi = mid;
    }
    const before = ranges[lo - 1];
    const after = ranges[lo];
    if (before && before[0] + before[1] === ptr) {
      before[1] += size;
      if (after && ptr + size === after[0]) {
        before[1] += after[1];
        ranges.splice(lo, 1);
      }
    } else if (after && ptr + size === after[0]) {
      after[0] = ptr;
      after[1] += size;
    } else ranges.splice(lo, 0, [ptr, size]);
  }

  /** A Float32Array view (valid until the memory next grows, when it is a non-shared memory). */
  f32(buf: F32Buf | number, length?: number): Float32Array {
    if (typeof buf === 'number') return new Float32Array(this.memory.buffer, buf, length ?? 0);
    return new Float32Array(this.memory.buffer, buf.ptr, buf.length);
  }

  i32(buf: I32Buf): Int32Array {
    return new Int32Array(this.memory.buffer, buf.ptr, buf.length);
  }

  zero(buf: F32Buf): void {
    this.f32(buf).fill(0);
  }

  // ---- products (split over threads by rows, or by columns when there are too few rows) ----

  /** C(m,n) (+)= A(m,k) . B(k,n). */
  matmulAB(
    c: number,
    a: number,
    b: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate: boolean,
  ): void {
    this.product('matmulAB', c, a, b, m, n, k, lda, ldb, ldc, accumulate, lda * 4, 4);
  }

  /** C(m,n) (+)= A^T . B with A stored (k,m), B (k,n). */
  matmulAtB(
    c: number,
    a: number,
    b: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate: boolean,
  ): void {
    this.product('matmulAtB', c, a, b, m, n, k, lda, ldb, ldc, accumulate, 4, 4);
  }

  /** C(m,n) (+)= A(m,k) . B^T with B stored (n,k). */
  matmulABt(
    c: number,
    a: number,
    b: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate: boolean,
  ): void {
    this.product('matmulABt', c, a, b, m, n, k, lda, ldb, ldc, accumulate, lda * 4, ldb * 4);
  }

  // aRowStride: bytes between consecutive output rows in A; bColStride: bytes between consecutive output columns
  // in B (4 when B's columns are contiguous, 4*ldb for the B^T product).
  private product(
    op: 'matmulAB' | 'matmulAtB' | 'matmulABt',
    c: number,
    a: number,
    b: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate: boolean,
    aRowStride: number,
    bColStride: number,
  ): void {
    const acc = accumulate ? 1 : 0;
    const threads = this.activeThreads;
    const args = [c, a, b, m, n, k, lda, ldb, ldc, acc];
    const scratchArg = op === 'matmulABt' ? -1 : 10;
    if (scratchArg >= 0) args.push(this.scratch[0]);
    // A product with a few rows (the batch-1 decoder) streams its weights once; waking a thread costs more than
    // it saves.
    if (threads <= 1 || !this.pool || m < 8 || m * n * k < PARALLEL_MIN_MACS) {
      (this.exports[op] as (...a: number[]) => void)(...args);
      return;
    }
    // A^T.B (weight gradients) packs a panel of B per call: split it by columns so each chunk packs only its own.
    const byColumns = op === 'matmulAtB' ? n >= 16 * threads : m < 8 * threads;
    if (byColumns) {
      this.runChunked({
        op,
        args,
        total: n,
        unit: roundUp(Math.ceil(n / (4 * threads)), 8),
        countArg: 4,
        scratchArg,
        pointers: [
          [0, 4],
          [2, bColStride],
        ],
        scratch: this.scratch,
      });
    } else {
      this.runChunked({
        op,
        args,
        total: m,
        unit: roundUp(Math.ceil(m / (4 * threads)), 4),
        countArg: 3,
        scratchArg,
        pointers: [
          [0, ldc * 4],
          [1, aRowStride],
        ],
        scratch: this.scratch,
      });
    }
  }

  /** Packs B (k,n; ld ldb) into dst (k * (n & ~7) floats) for products that reuse it many times. */
  packB(dst: number, b: number, k: number, n: number, ldb: number): void {
    this.exports.packB(dst, b, k, n, ldb);
  }

  /**
   * A layer's whole recurrence forward (see lstmSequenceForward in the kernels), chunked by rows: threads meet once
   * per layer instead of once per time step.
   */
  lstmSequenceForward(
    gates: number,
    cells: number,
    hs: number,
    u: number,
    uPacked: number,
    rows: number,
    time: number,
    hidden: number,
    reverse: boolean,
  ): void {
    const args = [gates, cells, hs, u, uPacked, rows, time, hidden, reverse ? 1 : 0, this.scratch[0]];
    if (this.activeThreads <= 1 || !this.pool || rows < 8) {
      this.exports.lstmSequenceForward(...(args as Parameters<KernelExports['lstmSequenceForward']>));
      return;
    }
    this.runChunked({
      op: 'lstmSequenceForward',
      args,
      total: rows,
      unit: sequenceRowsPerChunk(rows, this.activeThreads),
      countArg: 5,
      scratchArg: 9,
      pointers: [
        [0, time * 4 * hidden * 4],
        [1, time * hidden * 4],
        [2, time * hidden * 4],
      ],
      scratch: this.scratch,
    });
  }

  /** A layer's whole recurrence backward (see lstmSequenceBackward in the kernels), chunked by rows. */
  lstmSequenceBackward(
    dGates: number,
    dcCarry: number,
    dhRec: number,
    dhs: number,
    dLast: number,
    gates: number,
    cells: number,
    u: number,
    rows: number,
    time: number,
    hidden: number,
    reverse: boolean,
  ): void {
    const args = [dGates, dcCarry, dhRec, dhs, dLast, gates, cells, u, rows, time, hidden, reverse ? 1 : 0];
    if (this.activeThreads <= 1 || !this.pool || rows < 8) {
      this.exports.lstmSequenceBackward(...(args as Parameters<KernelExports['lstmSequenceBackward']>));
      return;
    }
    this.runChunked({
      op: 'lstmSequenceBackward',
      args,
      total: rows,
      unit: sequenceRowsPerChunk(rows, this.activeThreads),
      countArg: 8,
      scratchArg: -1,
      pointers: [
        [0, time * 4 * hidden * 4],
        [1, hidden * 4],
        [2, hidden * 4],
        [3, time * hidden * 4],
        [4, hidden * 4],
        [5, time * 4 * hidden * 4],
        [6, time * hidden * 4],
      ],
      scratch: this.scratch,
    });
  }

  private runChunked(job: ChunkedJob): void {
    const fn = this.exports[job.op] as (...args: number[]) => void;
    this.parallelCalls++;
    this.pool!.run(job, (a) => fn(...a));
  }

  dispose(): void {
    this.pool?.dispose();
    this.pool = undefined;
    this.activeThreads = 1;
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/**
 * Rows per chunk of a whole-sequence job: two chunks per thread, so a thread that the OS delays hands one of its
 * chunks to the other, while each chunk keeps enough rows (16 of a 64 batch) to reuse the recurrent weights it
 * streams at every step.
 */
function sequenceRowsPerChunk(rows: number, threads: number): number {
  return roundUp(Math.ceil(rows / (2 * threads)), 4);
}

function roundUp(n: number, to: number): number {
  return Math.max(to, Math.ceil(n / to) * to);
}

/**
 * Instantiates the kernels. `shared` must match the build: engine.wasm wants a shared memory (threads),
 * engine-single.wasm an ordinary one (works in any page).
 */
export async function instantiateKernels(
  module: WasmModule,
  shared: boolean,
  pool?: (memory: WasmMemory) => Promise<KernelPool>,
): Promise<Kernels> {
  const memory = new wasmApi.Memory({ initial: 32, maximum: 16384, shared });
  const instance = new wasmApi.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  return new Kernels(exports, memory, pool ? await pool(memory) : undefined);
}
