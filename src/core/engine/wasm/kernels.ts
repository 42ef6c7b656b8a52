// SPDX-License-Identifier: MIT
/**
 * The typed face of the WebAssembly kernels (source: ./assembly/index.ts) plus the memory they work in.
 *
 * No Node imports here: a browser page, a worker or Node can all use this file. Threads come in through the
 * optional KernelPool (the Node implementation is ../pool/nodePool.ts); without one every kernel runs on the
 * calling thread.
 *
 * Buffers are byte offsets ("pointers") into one WasmMemory, handed out by a bump allocator: the engine
 * allocates its parameters and activations once and reuses them, so nothing is ever freed one by one.
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
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
/** globalThis.WebAssembly, typed. */
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Names of the kernels a pool worker may run (the worker looks them up by index in this list). */
export const POOL_OPS = ['matmulAB', 'matmulAtB', 'matmulABt', 'lstmStepForward', 'lstmStepBackward'] as const;
export type PoolOp = (typeof POOL_OPS)[number];

/** The exports of engine.wasm / engine-single.wasm (pointers are byte offsets, sizes are element counts). */
export interface KernelExports {
  heapBase(): number;
  /** scratch: 0 or SCRATCH_FLOATS floats private to the calling thread (B is packed there). */
  matmulAB(c: number, a: number, b: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, accumulate: number, scratch: number): void;
  matmulAtB(c: number, a: number, b: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, accumulate: number, scratch: number): void;
  matmulABt(c: number, a: number, b: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, accumulate: number): void;
  copyRows(out: number, x: number, rows: number, cols: number, ldo: number, ldx: number): void;
  fillRows(out: number, vec: number, rows: number, cols: number, ldo: number): void;
  colSumAccumulate(acc: number, x: number, rows: number, cols: number, ldx: number): void;
  gatherRows(out: number, table: number, tokens: number, rows: number, cols: number, ldo: number, ldt: number): void;
  scatterAddRows(table: number, x: number, tokens: number, rows: number, cols: number, ldt: number, ldx: number): void;
  addInto(y: number, x: number, n: number): void;
  multiplyInto(out: number, x: number, mask: number, n: number): void;
  scaleInPlace(x: number, n: number, s: number): void;
  sumSquares(x: number, n: number): number;
  lstmCellForward(gates: number, cPrev: number, c: number, h: number, rows: number, hidden: number, ldg: number, ldcp: number, ldc: number, ldh: number): void;
  lstmCellBackward(dGates: number, dcCarry: number, dhOut: number, dhRec: number, gates: number, c: number, cPrev: number, rows: number, hidden: number, lddg: number, lddo: number, ldg: number, ldc: number, ldcp: number): void;
  lstmStepForward(gates: number, hPrev: number, u: number, cPrev: number, c: number, h: number, rows: number, hidden: number, ldg: number, ldhp: number, ldcp: number, ldc: number, ldh: number, scratch: number, uPacked: number): void;
  packB(dst: number, b: number, k: number, n: number, ldb: number): void;
  matmulABPacked(c: number, a: number, b: number, packed: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, accumulate: number): void;
  lstmStepBackward(dGates: number, dcCarry: number, dhOut: number, dhRec: number, gates: number, c: number, cPrev: number, u: number, rows: number, hidden: number, lddg: number, lddo: number, ldg: number, ldc: number, ldcp: number, hasPrev: number): void;
  softmaxCrossEntropyForward(probs: number, logits: number, targets: number, rows: number, vocab: number): number;
  softmaxCrossEntropyBackward(dlogits: number, probs: number, targets: number, rows: number, vocab: number, scale: number): void;
  sigmoidBceForward(probs: number, logits: number, targets: number, n: number): number;
  sigmoidBceBackward(dlogits: number, probs: number, targets: number, n: number, scale: number): void;
  adamUpdate(w: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number): void;
}

/**
 * Worker threads that run kernel calls on slices of the same shared memory. `run` gives worker w the argument list
 * workerArgs[w], runs `callerShare` on the calling thread meanwhile, and returns when every slice is done.
 */
export interface KernelPool {
  /** Threads besides the caller. */
  readonly workerCount: number;
  run(op: PoolOp, callerShare: () => void, workerArgs: number[][]): void;
  dispose(): void;
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
/** Packing scratch per thread for the A.B and A^T.B products (KC x NC floats in the kernels). */
const SCRATCH_FLOATS = 128 * 256;
/** Below this many multiply-adds a product is not worth waking a thread for. */
const PARALLEL_MIN_MACS = 1 << 18;

/** Kernels over one memory, with optional threads. Allocation is a bump pointer that only grows. */
export class Kernels {
  readonly exports: KernelExports;
  readonly memory: WasmMemory;
  private top: number;
  private pool: KernelPool | undefined;
  /** Threads the products are split over right now (1 = caller only); the engine lowers it on contention. */
  private activeThreads: number;
  /** One packing scratch buffer per thread (index 0 = the calling thread). */
  private readonly scratch: number[];
  /** Kernel calls that were split over more than one thread (tests check that threads really ran). */
  parallelCalls = 0;

  constructor(exports: KernelExports, memory: WasmMemory, pool?: KernelPool) {
    this.exports = exports;
    this.memory = memory;
    this.top = align(exports.heapBase() + 1024, 64);
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

  /** A zeroed float32 buffer of `length` elements, 64-byte aligned. */
  allocF32(length: number): F32Buf {
    return { ptr: this.allocBytes(length * 4), length };
  }

  allocI32(length: number): I32Buf {
    return { ptr: this.allocBytes(length * 4), length };
  }

  private allocBytes(bytes: number): number {
    const ptr = this.top;
    const end = align(ptr + Math.max(bytes, 4), 64);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE_BYTES);
      try {
        this.memory.grow(pages);
      } catch (error) {
        throw new EngineMemoryError(
          `The wasm engine could not grow its memory to ${Math.ceil(end / 2 ** 20)} MiB (${error instanceof Error ? error.message : String(error)}). Use a smaller batch size or model.`,
        );
      }
    }
    this.top = end;
    // Memory from grow() is zero; memory below `top` is never handed out twice, so the buffer is zero too.
    return ptr;
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
  matmulAB(c: number, a: number, b: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, accumulate: boolean): void {
    this.product('matmulAB', c, a, b, m, n, k, lda, ldb, ldc, accumulate, lda, 1);
  }

  /** C(m,n) (+)= A^T . B with A stored (k,m), B (k,n). */
  matmulAtB(c: number, a: number, b: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, accumulate: boolean): void {
    this.product('matmulAtB', c, a, b, m, n, k, lda, ldb, ldc, accumulate, 1, 1);
  }

  /** C(m,n) (+)= A(m,k) . B^T with B stored (n,k). */
  matmulABt(c: number, a: number, b: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, accumulate: boolean): void {
    this.product('matmulABt', c, a, b, m, n, k, lda, ldb, ldc, accumulate, lda, ldb);
  }

  // aRowStride: elements between consecutive output rows in A; bColStride: elements between consecutive output
  // columns in B (1 when B's columns are contiguous, ldb for the B^T product).
  private product(op: 'matmulAB' | 'matmulAtB' | 'matmulABt', c: number, a: number, b: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, accumulate: boolean, aRowStride: number, bColStride: number): void {
    const acc = accumulate ? 1 : 0;
    const threads = this.activeThreads;
    if (threads <= 1 || !this.pool || m * n * k < PARALLEL_MIN_MACS) {
      if (op === 'matmulABt') this.exports.matmulABt(c, a, b, m, n, k, lda, ldb, ldc, acc);
      else this.exports[op](c, a, b, m, n, k, lda, ldb, ldc, acc, this.scratch[0]);
      return;
    }
    const slices: number[][] = [];
    if (m >= 8 * threads) {
      for (const [start, count] of split(m, threads, 4)) {
        slices.push([c + start * ldc * 4, a + start * aRowStride * 4, b, count, n, k, lda, ldb, ldc, acc]);
      }
    } else {
      for (const [start, count] of split(n, threads, 8)) {
        slices.push([c + start * 4, a, b + start * bColStride * 4, m, count, k, lda, ldb, ldc, acc]);
      }
    }
    if (op !== 'matmulABt') slices.forEach((args, t) => args.push(this.scratch[t]));
    this.runSlices(op, slices);
  }

  /** Packs B (k,n; ld ldb) into dst (k * (n & ~7) floats) for products that reuse it many times. */
  packB(dst: number, b: number, k: number, n: number, ldb: number): void {
    this.exports.packB(dst, b, k, n, ldb);
  }

  /** One LSTM time step forward for all rows (see lstmStepForward in the kernels), split by rows. */
  lstmStepForward(gates: number, hPrev: number, u: number, cPrev: number, c: number, h: number, rows: number, hidden: number, ldg: number, ldhp: number, ldcp: number, ldc: number, ldh: number, uPacked = 0): void {
    const threads = this.activeThreads;
    if (threads <= 1 || !this.pool || rows < 2 * threads) {
      this.exports.lstmStepForward(gates, hPrev, u, cPrev, c, h, rows, hidden, ldg, ldhp, ldcp, ldc, ldh, this.scratch[0], uPacked);
      return;
    }
    const slices = split(rows, threads, 4).map(([s, count], t) => [
      gates + s * ldg * 4, hPrev ? hPrev + s * ldhp * 4 : 0, u, cPrev ? cPrev + s * ldcp * 4 : 0, c + s * ldc * 4, h + s * ldh * 4,
      count, hidden, ldg, ldhp, ldcp, ldc, ldh, this.scratch[t], uPacked,
    ]);
    this.runSlices('lstmStepForward', slices);
  }

  /** One LSTM time step backward for all rows, split by rows (dcCarry and dhRec are (rows, hidden), dense). */
  lstmStepBackward(dGates: number, dcCarry: number, dhOut: number, dhRec: number, gates: number, c: number, cPrev: number, u: number, rows: number, hidden: number, lddg: number, lddo: number, ldg: number, ldc: number, ldcp: number, hasPrev: boolean): void {
    const threads = this.activeThreads;
    const prev = hasPrev ? 1 : 0;
    if (threads <= 1 || !this.pool || rows < 2 * threads) {
      this.exports.lstmStepBackward(dGates, dcCarry, dhOut, dhRec, gates, c, cPrev, u, rows, hidden, lddg, lddo, ldg, ldc, ldcp, prev);
      return;
    }
    const slices = split(rows, threads, 4).map(([s, count]) => [
      dGates + s * lddg * 4, dcCarry + s * hidden * 4, dhOut ? dhOut + s * lddo * 4 : 0, dhRec + s * hidden * 4,
      gates + s * ldg * 4, c + s * ldc * 4, cPrev ? cPrev + s * ldcp * 4 : 0, u,
      count, hidden, lddg, lddo, ldg, ldc, ldcp, prev,
    ]);
    this.runSlices('lstmStepBackward', slices);
  }

  private runSlices(op: PoolOp, slices: number[][]): void {
    const fn = this.exports[op] as (...args: number[]) => void;
    if (slices.length === 1 || !this.pool) {
      for (const args of slices) fn(...args);
      return;
    }
    this.parallelCalls++;
    this.pool.run(op, () => fn(...slices[0]), slices.slice(1));
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

/** Splits `total` into `parts` contiguous [start, count] ranges, sizes multiples of `unit` where possible. */
function split(total: number, parts: number, unit: number): [number, number][] {
  const out: [number, number][] = [];
  const units = Math.ceil(total / unit);
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const end = p === parts - 1 ? total : Math.min(total, Math.round((units * (p + 1)) / parts) * unit);
    if (end > start) out.push([start, end - start]);
    start = end;
  }
  return out;
}

/**
 * Instantiates the kernels. `shared` must match the build: engine.wasm wants a shared memory (threads),
 * engine-single.wasm an ordinary one (works in any page).
 */
export async function instantiateKernels(module: WasmModule, shared: boolean, pool?: (memory: WasmMemory) => Promise<KernelPool>): Promise<Kernels> {
  const memory = new wasmApi.Memory({ initial: 32, maximum: 16384, shared });
  const instance = new wasmApi.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  return new Kernels(exports, memory, pool ? await pool(memory) : undefined);
}
