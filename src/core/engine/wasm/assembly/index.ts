// SPDX-License-Identifier: MIT
// Etude engine kernels (AssemblyScript -> WebAssembly SIMD). Compiled by scripts/build-engine.mjs.
//
// Every kernel works on raw byte offsets ("pointers") into the one WebAssembly.Memory that the
// TypeScript side owns and allocates (this module never allocates). All matrices are row-major
// float32 with an explicit leading dimension (ld = elements between the starts of two rows), so a
// caller can address a time slice of a (B,T,C) buffer, or one half of a (B,T,2H) buffer, in place.
//
// Determinism: every output element is a sum taken in the same order whichever rows or columns a
// call covers, so splitting a call across threads by rows or columns gives bitwise the same result.

// ---------------------------------------------------------------------------------------------
// Matrix products. "accumulate" = 1 adds into C, 0 overwrites it.

/** First byte the TypeScript allocator may use (after this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}

// c + a*b per lane. With relaxed SIMD (the engine-fma builds) one fused multiply-add, rounded once; without, a
// multiply and an add. Either way every product kernel and every thread uses this one function for the same
// element positions, so results do not depend on how a product is split.
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// Cache blocking for the products: the reduction runs in chunks of KC, the columns in panels of NC, so a
// (KC x 8) strip of B stays in L1 while every 4-row block of A passes over it. Chunks change no result: each
// output element is still summed over p = 0..k-1 in order (an f32 stored and reloaded between chunks is exact).
const KC: i32 = 128;
const NC: i32 = 256;
/** Rows per block of the wide micro-kernel; its A rows are packed (KC x MR) after the B block in scratch. */
const MR: i32 = 6;
/** Floats a product's packing scratch needs (per thread): a (KC x NC) block of B, then a (KC x MR) block of A. */
export const SCRATCH_FLOATS: i32 = KC * NC + KC * 8; // A block rounded up to 8 columns

// C(m,n) (+)= A(m,k) . B(k,n). A's element (i,p) sits at a + 4*(i*sAi + p*sAp): sAi=lda, sAp=1 reads A
// as stored; sAi=1, sAp=lda reads A transposed (the A^T.B variant). B is read row by row with SIMD.
@inline
function matmulStrided(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, sAi: i32, sAp: i32, ldb: i32, ldc: i32, accumulate: i32, scratch: usize, packed: usize = 0): void {
  if (k == 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + ((<usize>i * <usize>ldc) << 2), 0, <usize>n << 2);
    return;
  }
  if (m < 4) {
    // Few rows (the batch-1 decoder): stream B row by row, which the hardware prefetches, instead of walking
    // 8-column strips down rows that are KiBs apart. Same per-element summation order.
    for (let i = 0; i < m; i++) matvecRow(c + ((<usize>i * <usize>ldc) << 2), a + ((<usize>i * <usize>sAi) << 2), b, n, k, sAp, ldb, accumulate);
    return;
  }
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    const acc = accumulate || p0 > 0 ? 1 : 0;
    const ap0 = a + ((<usize>p0 * <usize>sAp) << 2);
    const bp0 = b + ((<usize>p0 * <usize>ldb) << 2);
    for (let j0 = 0; j0 < n; j0 += NC) {
      const nc = min(NC, n - j0);
      const bj = bp0 + (<usize>j0 << 2);
      if (packed) {
        // B was packed once by packB (see there for the layout).
        const strips = packed + ((<usize>p0 * <usize>(n & ~7) + <usize>j0 * <usize>kc) << 2);
        matmulPanel(c + (<usize>j0 << 2), ap0, bj, strips, <usize>kc << 2, 32, m, nc, kc, sAi, sAp, ldb, ldc, acc, scratch ? scratch + (<usize>(KC * NC) << 2) : 0);
      } else if (scratch && m > 4) {
        // Pack the (kc x nc) block of B into 8-column strips, each (kc x 8) contiguous: B's rows are often 4 KiB
        // apart, which maps a strip's rows onto a few L1 sets; packed, a strip streams through L1 in order.
        const nc8 = nc & ~7;
        for (let jj = 0; jj < nc8; jj += 8) {
          const dst = scratch + ((<usize>jj * <usize>kc) << 2);
          for (let p = 0; p < kc; p++) {
            const src = bj + ((<usize>p * <usize>ldb + <usize>jj) << 2);
            const d = dst + (<usize>p << 5);
            v128.store(d, v128.load(src));
            v128.store(d, v128.load(src, 16), 16);
          }
        }
        matmulPanel(c + (<usize>j0 << 2), ap0, bj, scratch, <usize>kc << 2, 32, m, nc, kc, sAi, sAp, ldb, ldc, acc, scratch + (<usize>(KC * NC) << 2));
      } else {
        matmulPanel(c + (<usize>j0 << 2), ap0, bj, bj, 4, <usize>ldb << 2, m, nc, kc, sAi, sAp, ldb, ldc, acc, 0);
      }
    }
  }
}

@inline
// The SIMD columns read B through (strips, stripBytesPerColumn, rowStep): column block j starts at
// strips + j*stripBytesPerColumn and advances rowStep bytes per p (packed or in place); scalar tails read b itself.
function matmulPanel(c: usize, a: usize, b: usize, strips: usize, stripBytesPerColumn: usize, rowStep: usize, m: i32, n: i32, k: i32, sAi: i32, sAp: i32, ldb: i32, ldc: i32, accumulate: i32, aPack: usize): void {
  const n8 = n & ~7;
  const sAp4 = <usize>sAp << 2;
  const ldb4 = rowStep;
  let i = 0;
  // MR (6) rows x 8 columns per block: 12 vector accumulators. A multiply-add has ~4-5 cycles of latency and two
  // issue per cycle, so the 8 sums of a 4 x 8 block leave the units idle part of the time (the A^T.B product went
  // from ~38 to ~57 GFLOP/s). The block's A rows are packed (k x MR, contiguous) first so the inner loop walks one
  // pointer with constant offsets. Same per-element summation order as the 4-row blocks: bitwise the same C.
  if (aPack && n8 > 0) {
    // One 6-row block fewer when that lets the 4-row blocks take the rest (32 rows = 4 x 6 + 2 x 4, not 5 x 6 + 2
    // single rows at a quarter of the speed): the row halves of a 2-thread split are often 32 or 128 rows.
    let blocks = m / MR;
    const rest = m - blocks * MR;
    if ((rest == 2 || rest == 3) && blocks > 0) blocks--;
    const end = blocks * MR;
    for (; i < end; i += MR) {
      const ai = a + ((<usize>i * <usize>sAi) << 2);
      for (let p = 0; p < k; p++) {
        const src = ai + ((<usize>p * <usize>sAp) << 2);
        const dst = aPack + (<usize>(p * MR) << 2);
        for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), load<f32>(src + ((<usize>r * <usize>sAi) << 2)));
      }
      const c0 = c + ((<usize>i * <usize>ldc) << 2);
      const ldc4 = <usize>ldc << 2;
      for (let j = 0; j < n8; j += 8) {
        const jo = <usize>j << 2;
        const cj = c0 + jo;
        block6x8(cj, ldc4, strips + <usize>j * stripBytesPerColumn, ldb4, aPack, aPack + (<usize>(k * MR) << 2), accumulate);
      }
      if (n8 < n) for (let r = 0; r < MR; r++) matmulRowTail(c + ((<usize>(i + r) * <usize>ldc) << 2), a + ((<usize>(i + r) * <usize>sAi) << 2), b, n8, n, k, sAp, ldb, accumulate);
    }
  }
  // 4 rows x 8 columns per block (what the wide blocks left, or no packing space): 8 vector accumulators.
  for (; i + 4 <= m; i += 4) {
    const a0 = a + ((<usize>i * <usize>sAi) << 2);
    const a1 = a0 + (<usize>sAi << 2);
    const a2 = a1 + (<usize>sAi << 2);
    const a3 = a2 + (<usize>sAi << 2);
    const c0 = c + ((<usize>i * <usize>ldc) << 2);
    const c1 = c0 + (<usize>ldc << 2);
    const c2 = c1 + (<usize>ldc << 2);
    const c3 = c2 + (<usize>ldc << 2);
    for (let j = 0; j < n8; j += 8) {
      const jo = <usize>j << 2;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0);
      let s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      if (accumulate) {
        s00 = v128.load(c0 + jo); s01 = v128.load(c0 + jo, 16);
        s10 = v128.load(c1 + jo); s11 = v128.load(c1 + jo, 16);
        s20 = v128.load(c2 + jo); s21 = v128.load(c2 + jo, 16);
        s30 = v128.load(c3 + jo); s31 = v128.load(c3 + jo, 16);
      }
      let bp = strips + <usize>j * stripBytesPerColumn;
      let ap: usize = 0;
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const x0 = v128.load32_splat(a0 + ap);
        s00 = madd(x0, b0, s00); s01 = madd(x0, b1, s01);
        const x1 = v128.load32_splat(a1 + ap);
        s10 = madd(x1, b0, s10); s11 = madd(x1, b1, s11);
        const x2 = v128.load32_splat(a2 + ap);
        s20 = madd(x2, b0, s20); s21 = madd(x2, b1, s21);
        const x3 = v128.load32_splat(a3 + ap);
        s30 = madd(x3, b0, s30); s31 = madd(x3, b1, s31);
        bp += ldb4;
        ap += sAp4;
      }
      v128.store(c0 + jo, s00); v128.store(c0 + jo, s01, 16);
      v128.store(c1 + jo, s10); v128.store(c1 + jo, s11, 16);
      v128.store(c2 + jo, s20); v128.store(c2 + jo, s21, 16);
      v128.store(c3 + jo, s30); v128.store(c3 + jo, s31, 16);
    }
    if (n8 < n) for (let r = 0; r < 4; r++) matmulRowTail(c + ((<usize>(i + r) * <usize>ldc) << 2), a + ((<usize>(i + r) * <usize>sAi) << 2), b, n8, n, k, sAp, ldb, accumulate);
  }
  // Remaining rows one at a time (same per-element summation order as the blocks).
  for (; i < m; i++) {
    const ar = a + ((<usize>i * <usize>sAi) << 2);
    const cr = c + ((<usize>i * <usize>ldc) << 2);
    for (let j = 0; j < n8; j += 8) {
      const jo = <usize>j << 2;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      if (accumulate) { s0 = v128.load(cr + jo); s1 = v128.load(cr + jo, 16); }
      let bp = strips + <usize>j * stripBytesPerColumn;
      let ap: usize = 0;
      for (let p = 0; p < k; p++) {
        const x = v128.load32_splat(ar + ap);
        s0 = madd(x, v128.load(bp), s0);
        s1 = madd(x, v128.load(bp, 16), s1);
        bp += ldb4;
        ap += sAp4;
      }
      v128.store(cr + jo, s0); v128.store(cr + jo, s1, 16);
    }
    matmulRowTail(cr, ar, b, n8, n, k, sAp, ldb, accumulate);
  }
}

// One 6 x 8 block of C (ld ldc4 bytes) over packed A (ap..aEnd, 6 floats per p) and a B strip (8 floats per p, rows
// ldb4 bytes apart). A function of its own on purpose: inlined into the large product functions (binaryen inlines
// it when it has one caller), V8's register allocator spilled the accumulators and the products ran 2x slower.
function block6x8(cj: usize, ldc4: usize, bp: usize, ldb4: usize, ap: usize, aEnd: usize, accumulate: i32): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0);
  let s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  let s40 = f32x4.splat(0), s41 = f32x4.splat(0);
  let s50 = f32x4.splat(0), s51 = f32x4.splat(0);
  if (accumulate) {
    s00 = v128.load(cj); s01 = v128.load(cj, 16);
    s10 = v128.load(cj + ldc4); s11 = v128.load(cj + ldc4, 16);
    s20 = v128.load(cj + 2 * ldc4); s21 = v128.load(cj + 2 * ldc4, 16);
    s30 = v128.load(cj + 3 * ldc4); s31 = v128.load(cj + 3 * ldc4, 16);
    s40 = v128.load(cj + 4 * ldc4); s41 = v128.load(cj + 4 * ldc4, 16);
    s50 = v128.load(cj + 5 * ldc4); s51 = v128.load(cj + 5 * ldc4, 16);
  }
  while (ap < aEnd) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const x0 = v128.load32_splat(ap);
    s00 = madd(x0, b0, s00); s01 = madd(x0, b1, s01);
    const x1 = v128.load32_splat(ap, 4);
    s10 = madd(x1, b0, s10); s11 = madd(x1, b1, s11);
    const x2 = v128.load32_splat(ap, 8);
    s20 = madd(x2, b0, s20); s21 = madd(x2, b1, s21);
    const x3 = v128.load32_splat(ap, 12);
    s30 = madd(x3, b0, s30); s31 = madd(x3, b1, s31);
    const x4 = v128.load32_splat(ap, 16);
    s40 = madd(x4, b0, s40); s41 = madd(x4, b1, s41);
    const x5 = v128.load32_splat(ap, 20);
    s50 = madd(x5, b0, s50); s51 = madd(x5, b1, s51);
    bp += ldb4;
    ap += 24;
  }
  v128.store(cj, s00); v128.store(cj, s01, 16);
  v128.store(cj + ldc4, s10); v128.store(cj + ldc4, s11, 16);
  v128.store(cj + 2 * ldc4, s20); v128.store(cj + 2 * ldc4, s21, 16);
  v128.store(cj + 3 * ldc4, s30); v128.store(cj + 3 * ldc4, s31, 16);
  v128.store(cj + 4 * ldc4, s40); v128.store(cj + 4 * ldc4, s41, 16);
  v128.store(cj + 5 * ldc4, s50); v128.store(cj + 5 * ldc4, s51, 16);
}

// One output row cr(n) (+)= sum_p ar[p*sAp] * B row p, p in order.
function matvecRow(cr: usize, ar: usize, b: usize, n: i32, k: i32, sAp: i32, ldb: i32, accumulate: i32): void {
  if (!accumulate) memory.fill(cr, 0, <usize>n << 2);
  const n4 = n & ~3;
  let p = 0;
  // Four rows of B per pass over the output: c = (((c + x0*b0) + x1*b1) + x2*b2) + x3*b3, the same order as one
  // row at a time, with a quarter of the loads and stores of c.
  for (; p + 4 <= k; p += 4) {
    const x0 = f32x4.splat(load<f32>(ar + ((<usize>p * <usize>sAp) << 2)));
    const x1 = f32x4.splat(load<f32>(ar + ((<usize>(p + 1) * <usize>sAp) << 2)));
    const x2 = f32x4.splat(load<f32>(ar + ((<usize>(p + 2) * <usize>sAp) << 2)));
    const x3 = f32x4.splat(load<f32>(ar + ((<usize>(p + 3) * <usize>sAp) << 2)));
    const b0 = b + ((<usize>p * <usize>ldb) << 2);
    const b1 = b0 + (<usize>ldb << 2);
    const b2 = b1 + (<usize>ldb << 2);
    const b3 = b2 + (<usize>ldb << 2);
    let j = 0;
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      let acc = v128.load(cr + o);
      acc = madd(x0, v128.load(b0 + o), acc);
      acc = madd(x1, v128.load(b1 + o), acc);
      acc = madd(x2, v128.load(b2 + o), acc);
      acc = madd(x3, v128.load(b3 + o), acc);
      v128.store(cr + o, acc);
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      let acc = load<f32>(cr + o);
      acc += f32x4.extract_lane(x0, 0) * load<f32>(b0 + o);
      acc += f32x4.extract_lane(x1, 0) * load<f32>(b1 + o);
      acc += f32x4.extract_lane(x2, 0) * load<f32>(b2 + o);
      acc += f32x4.extract_lane(x3, 0) * load<f32>(b3 + o);
      store<f32>(cr + o, acc);
    }
  }
  for (; p < k; p++) {
    const x = load<f32>(ar + ((<usize>p * <usize>sAp) << 2));
    const xv = f32x4.splat(x);
    const br = b + ((<usize>p * <usize>ldb) << 2);
    let j = 0;
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      v128.store(cr + o, madd(xv, v128.load(br + o), v128.load(cr + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(cr + o, load<f32>(cr + o) + x * load<f32>(br + o));
    }
  }
}

// Columns j0..n of one output row, scalar (the same mul-then-add order as the SIMD lanes).
@inline
function matmulRowTail(cr: usize, ar: usize, b: usize, j0: i32, n: i32, k: i32, sAp: i32, ldb: i32, accumulate: i32): void {
  for (let j = j0; j < n; j++) {
    let s: f32 = accumulate ? load<f32>(cr + (<usize>j << 2)) : 0;
    for (let p = 0; p < k; p++) {
      s += load<f32>(ar + ((<usize>p * <usize>sAp) << 2)) * load<f32>(b + ((<usize>p * <usize>ldb + <usize>j) << 2));
    }
    store<f32>(cr + (<usize>j << 2), s);
  }
}

/**
 * Packs B(k,n) (ld ldb) for matmulABPacked: per KC-row chunk p0 (kc rows), per 8-column strip j (j < n rounded down
 * to 8), a contiguous (kc x 8) block at float offset p0*n8 + j*kc. dst needs k * (n & ~7) floats. Columns past the
 * last full strip are read from B itself. Pays off when the same B meets many A's (the recurrent weights: T steps).
 */
export function packB(dst: usize, b: usize, k: i32, n: i32, ldb: i32): void {
  const n8 = n & ~7;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    for (let j = 0; j < n8; j += 8) {
      const out = dst + ((<usize>p0 * <usize>n8 + <usize>j * <usize>kc) << 2);
      for (let p = 0; p < kc; p++) {
        const src = b + ((<usize>(p0 + p) * <usize>ldb + <usize>j) << 2);
        v128.store(out + (<usize>p << 5), v128.load(src));
        v128.store(out + (<usize>p << 5), v128.load(src, 16), 16);
      }
    }
  }
}

/** C(m,n) (+)= A(m,k) . B(k,n) with B also given packed by packB (b is still read for the last n % 8 columns). */
export function matmulABPacked(c: usize, a: usize, b: usize, packed: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32): void {
  matmulStrided(c, a, b, m, n, k, lda, 1, ldb, ldc, accumulate, 0, packed);
}

/**
 * C(m,n) (+)= A(m,k) . B(k,n). scratch: 0, or a per-thread buffer of KC*NC floats (SCRATCH_FLOATS) for packing B.
 */
export function matmulAB(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32, scratch: usize): void {
  matmulStrided(c, a, b, m, n, k, lda, 1, ldb, ldc, accumulate, scratch);
}

/** C(m,n) (+)= A^T . B with A stored (k,m) and B stored (k,n): the weight-gradient product. */
export function matmulAtB(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32, scratch: usize): void {
  matmulStrided(c, a, b, m, n, k, 1, lda, ldb, ldc, accumulate, scratch);
}

/** C(m,n) (+)= A(m,k) . B^T with B stored (n,k): dot products along k (the input-gradient product). */
export function matmulABt(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32): void {
  const k4 = k & ~3;
  let i = 0;
  for (; i < m; i += 2) {
    const two = i + 1 < m;
    const a0 = a + ((<usize>i * <usize>lda) << 2);
    const a1 = two ? a0 + (<usize>lda << 2) : a0;
    const c0 = c + ((<usize>i * <usize>ldc) << 2);
    const c1 = c0 + (<usize>ldc << 2);
    let j = 0;
    // 2 rows of A x 4 rows of B: 8 vector partial sums, reduced across lanes at the end.
    for (; j + 4 <= n; j += 4) {
      const b0 = b + ((<usize>j * <usize>ldb) << 2);
      const b1 = b0 + (<usize>ldb << 2);
      const b2 = b1 + (<usize>ldb << 2);
      const b3 = b2 + (<usize>ldb << 2);
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
      for (let p = 0; p < k4; p += 4) {
        const po = <usize>p << 2;
        const x0 = v128.load(a0 + po);
        const x1 = v128.load(a1 + po);
        const y0 = v128.load(b0 + po);
        s00 = madd(x0, y0, s00); s10 = madd(x1, y0, s10);
        const y1 = v128.load(b1 + po);
        s01 = madd(x0, y1, s01); s11 = madd(x1, y1, s11);
        const y2 = v128.load(b2 + po);
        s02 = madd(x0, y2, s02); s12 = madd(x1, y2, s12);
        const y3 = v128.load(b3 + po);
        s03 = madd(x0, y3, s03); s13 = madd(x1, y3, s13);
      }
      storeDot(c0, j, hsum(s00) + dotTail(a0, b0, k4, k), accumulate);
      storeDot(c0, j + 1, hsum(s01) + dotTail(a0, b1, k4, k), accumulate);
      storeDot(c0, j + 2, hsum(s02) + dotTail(a0, b2, k4, k), accumulate);
      storeDot(c0, j + 3, hsum(s03) + dotTail(a0, b3, k4, k), accumulate);
      if (two) {
        storeDot(c1, j, hsum(s10) + dotTail(a1, b0, k4, k), accumulate);
        storeDot(c1, j + 1, hsum(s11) + dotTail(a1, b1, k4, k), accumulate);
        storeDot(c1, j + 2, hsum(s12) + dotTail(a1, b2, k4, k), accumulate);
        storeDot(c1, j + 3, hsum(s13) + dotTail(a1, b3, k4, k), accumulate);
      }
    }
    for (; j < n; j++) {
      const bj = b + ((<usize>j * <usize>ldb) << 2);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      for (let p = 0; p < k4; p += 4) {
        const po = <usize>p << 2;
        const y = v128.load(bj + po);
        s0 = madd(v128.load(a0 + po), y, s0);
        s1 = madd(v128.load(a1 + po), y, s1);
      }
      storeDot(c0, j, hsum(s0) + dotTail(a0, bj, k4, k), accumulate);
      if (two) storeDot(c1, j, hsum(s1) + dotTail(a1, bj, k4, k), accumulate);
    }
  }
}

@inline
function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline
function dotTail(x: usize, y: usize, p0: i32, k: i32): f32 {
  let s: f32 = 0;
  for (let p = p0; p < k; p++) s += load<f32>(x + (<usize>p << 2)) * load<f32>(y + (<usize>p << 2));
  return s;
}

@inline
function storeDot(cr: usize, j: i32, value: f32, accumulate: i32): void {
  const at = cr + (<usize>j << 2);
  store<f32>(at, accumulate ? load<f32>(at) + value : value);
}

// ---------------------------------------------------------------------------------------------
// Rows, columns, element-wise.

/** Every row r < rows of out (ld ldo) becomes a copy of vec(cols): a bias before an accumulating matmul. */
export function fillRows(out: usize, vec: usize, rows: i32, cols: i32, ldo: i32): void {
  for (let r = 0; r < rows; r++) memory.copy(out + ((<usize>r * <usize>ldo) << 2), vec, <usize>cols << 2);
}

/** out rows (ld ldo) = x rows (ld ldx), cols wide: a strided copy (time shifts, concatenation). */
export function copyRows(out: usize, x: usize, rows: i32, cols: i32, ldo: i32, ldx: i32): void {
  for (let r = 0; r < rows; r++) memory.copy(out + ((<usize>r * <usize>ldo) << 2), x + ((<usize>r * <usize>ldx) << 2), <usize>cols << 2);
}

/** acc(cols) += column sums of x(rows,cols) with leading dimension ldx (the bias gradient). */
export function colSumAccumulate(acc: usize, x: usize, rows: i32, cols: i32, ldx: i32): void {
  const c4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>ldx) << 2);
    let j = 0;
    for (; j < c4; j += 4) {
      const o = <usize>j << 2;
      v128.store(acc + o, f32x4.add(v128.load(acc + o), v128.load(xr + o)));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(acc + o, load<f32>(acc + o) + load<f32>(xr + o));
    }
  }
}

/** out row r (ld ldo) = table row tokens[r] (cols wide, ld ldt): the embedding lookup. */
export function gatherRows(out: usize, table: usize, tokens: usize, rows: i32, cols: i32, ldo: i32, ldt: i32): void {
  for (let r = 0; r < rows; r++) {
    const t = load<i32>(tokens + (<usize>r << 2));
    memory.copy(out + ((<usize>r * <usize>ldo) << 2), table + ((<usize>t * <usize>ldt) << 2), <usize>cols << 2);
  }
}

/** table row tokens[r] += x row r: the embedding gradient (rows with the same token add up). */
export function scatterAddRows(table: usize, x: usize, tokens: usize, rows: i32, cols: i32, ldt: i32, ldx: i32): void {
  for (let r = 0; r < rows; r++) {
    const t = load<i32>(tokens + (<usize>r << 2));
    addInto(table + ((<usize>t * <usize>ldt) << 2), x + ((<usize>r * <usize>ldx) << 2), cols);
  }
}

/** y(n) += x(n). */
export function addInto(y: usize, x: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
  }
}

/** out(n) = x(n) * mask(n) (dropout forward and backward with an inverted-scale mask). */
export function multiplyInto(out: usize, x: usize, mask: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * load<f32>(mask + o));
  }
}

/** x(n) *= s. */
export function scaleInPlace(x: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * s);
  }
}

/** Sum of squares of x(n) in float64 (the global gradient norm for clipping). */
export function sumSquares(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// LSTM. Gate order along the 4H axis: i, f, c (candidate, called g below), o (Keras).

@inline
function sigmoid(x: f32): f32 {
  return 1 / (1 + Mathf.exp(-x));
}

// SIMD exp for the gate functions: Cody-Waite range reduction x = n*ln2 + r, |r| <= ln2/2, a degree-6 polynomial
// for e^r (the classic Cephes expf coefficients), then 2^n through the exponent bits. Relative error ~2 float32
// ulps; inputs are clamped to [-87.3, 88.3] so 2^n stays a normal number.
@inline
function expv(x: v128): v128 {
  const xc = f32x4.max(f32x4.min(x, f32x4.splat(88.3762626647949)), f32x4.splat(-87.3365447504019));
  const n = f32x4.floor(f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), f32x4.splat(0.5)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

@inline
function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

// tanh(x) = 2*sigmoid(2x) - 1 (absolute error ~1e-7, all the gates need).
@inline
function tanhv(x: v128): v128 {
  return f32x4.sub(f32x4.mul(f32x4.splat(2), sigmoidv(f32x4.add(x, x))), f32x4.splat(1));
}

@inline
function tanhs(x: f32): f32 {
  return f32x4.extract_lane(tanhv(f32x4.splat(x)), 0);
}

@inline
function sigmoids(x: f32): f32 {
  return f32x4.extract_lane(sigmoidv(f32x4.splat(x)), 0);
}

/**
 * One time step of the LSTM cell for `rows` sequences. gates (rows, 4H; ld ldg) holds the pre-activations
 * x.W + h.U + b on entry and the activations i, f, g, o on exit (kept for the backward pass).
 * cPrev (rows,H; ld ldcp) may be 0 for a zero initial state. Writes c (ld ldc) and h (ld ldh).
 * Four units at a time with SIMD; a tail (H not a multiple of 4) uses the same functions lane by lane.
 */
export function lstmCellForward(gates: usize, cPrev: usize, c: usize, h: usize, rows: i32, hidden: i32, ldg: i32, ldcp: i32, ldc: i32, ldh: i32): void {
  const hb = <usize>hidden << 2;
  const h4 = hidden & ~3;
  for (let r = 0; r < rows; r++) {
    const g = gates + ((<usize>r * <usize>ldg) << 2);
    const cr = c + ((<usize>r * <usize>ldc) << 2);
    const hr = h + ((<usize>r * <usize>ldh) << 2);
    const cp = cPrev ? cPrev + ((<usize>r * <usize>ldcp) << 2) : 0;
    let j = 0;
    for (; j < h4; j += 4) {
      const o = <usize>j << 2;
      const ig = sigmoidv(v128.load(g + o));
      const fg = sigmoidv(v128.load(g + hb + o));
      const gg = tanhv(v128.load(g + 2 * hb + o));
      const og = sigmoidv(v128.load(g + 3 * hb + o));
      let cv = f32x4.mul(ig, gg);
      if (cp) cv = f32x4.add(f32x4.mul(fg, v128.load(cp + o)), cv);
      v128.store(g + o, ig);
      v128.store(g + hb + o, fg);
      v128.store(g + 2 * hb + o, gg);
      v128.store(g + 3 * hb + o, og);
      v128.store(cr + o, cv);
      v128.store(hr + o, f32x4.mul(og, tanhv(cv)));
    }
    for (; j < hidden; j++) {
      const o = <usize>j << 2;
      const ig = sigmoids(load<f32>(g + o));
      const fg = sigmoids(load<f32>(g + hb + o));
      const gg = tanhs(load<f32>(g + 2 * hb + o));
      const og = sigmoids(load<f32>(g + 3 * hb + o));
      const cv = cp ? fg * load<f32>(cp + o) + ig * gg : ig * gg;
      store<f32>(g + o, ig);
      store<f32>(g + hb + o, fg);
      store<f32>(g + 2 * hb + o, gg);
      store<f32>(g + 3 * hb + o, og);
      store<f32>(cr + o, cv);
      store<f32>(hr + o, og * tanhs(cv));
    }
  }
}

/**
 * Backward through one LSTM cell step. dh = dhOut (ld lddo; 0 = none) + dhRec (ld H); dcCarry (rows,H) holds the
 * gradient reaching c_t from step t+1 on entry and the gradient for c_{t-1} on exit. Writes the pre-activation
 * gradients to dGates (rows,4H; ld lddg). gates/c/cPrev as left by lstmCellForward (cPrev 0 = zero state).
 */
export function lstmCellBackward(dGates: usize, dcCarry: usize, dhOut: usize, dhRec: usize, gates: usize, c: usize, cPrev: usize, rows: i32, hidden: i32, lddg: i32, lddo: i32, ldg: i32, ldc: i32, ldcp: i32): void {
  const hb = <usize>hidden << 2;
  const h4 = hidden & ~3;
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const g = gates + ((<usize>r * <usize>ldg) << 2);
    const dg = dGates + ((<usize>r * <usize>lddg) << 2);
    const cr = c + ((<usize>r * <usize>ldc) << 2);
    const cp = cPrev ? cPrev + ((<usize>r * <usize>ldcp) << 2) : 0;
    const dho = dhOut ? dhOut + ((<usize>r * <usize>lddo) << 2) : 0;
    const dhr = dhRec + ((<usize>r * <usize>hidden) << 2);
    const dcr = dcCarry + ((<usize>r * <usize>hidden) << 2);
    let j = 0;
    for (; j < h4; j += 4) {
      const o = <usize>j << 2;
      const ig = v128.load(g + o);
      const fg = v128.load(g + hb + o);
      const gg = v128.load(g + 2 * hb + o);
      const og = v128.load(g + 3 * hb + o);
      const tc = tanhv(v128.load(cr + o));
      const dh = dho ? f32x4.add(v128.load(dho + o), v128.load(dhr + o)) : v128.load(dhr + o);
      const dc = f32x4.add(v128.load(dcr + o), f32x4.mul(f32x4.mul(dh, og), f32x4.sub(one, f32x4.mul(tc, tc))));
      const cpv = cp ? v128.load(cp + o) : zero;
      v128.store(dg + o, f32x4.mul(f32x4.mul(f32x4.mul(dc, gg), ig), f32x4.sub(one, ig)));
      v128.store(dg + hb + o, f32x4.mul(f32x4.mul(f32x4.mul(dc, cpv), fg), f32x4.sub(one, fg)));
      v128.store(dg + 2 * hb + o, f32x4.mul(f32x4.mul(dc, ig), f32x4.sub(one, f32x4.mul(gg, gg))));
      v128.store(dg + 3 * hb + o, f32x4.mul(f32x4.mul(f32x4.mul(dh, tc), og), f32x4.sub(one, og)));
      v128.store(dcr + o, f32x4.mul(dc, fg));
    }
    for (; j < hidden; j++) {
      const o = <usize>j << 2;
      const ig = load<f32>(g + o);
      const fg = load<f32>(g + hb + o);
      const gg = load<f32>(g + 2 * hb + o);
      const og = load<f32>(g + 3 * hb + o);
      const tc = tanhs(load<f32>(cr + o));
      const dh = dho ? load<f32>(dho + o) + load<f32>(dhr + o) : load<f32>(dhr + o);
      const dc = load<f32>(dcr + o) + dh * og * (1 - tc * tc);
      const cpv: f32 = cp ? load<f32>(cp + o) : 0;
      store<f32>(dg + o, dc * gg * ig * (1 - ig));
      store<f32>(dg + hb + o, dc * cpv * fg * (1 - fg));
      store<f32>(dg + 2 * hb + o, dc * ig * (1 - gg * gg));
      store<f32>(dg + 3 * hb + o, dh * tc * og * (1 - og));
      store<f32>(dcr + o, dc * fg);
    }
  }
}

/**
 * One fused forward step for a block of rows: gates += hPrev(rows,H; ld ldhp) . U(H,4H), then the cell.
 * uPacked: 0, or U packed by packB (then scratch is unused).
 * Rows are independent, so threads split a step by rows with no barrier in between. hPrev 0 = zero state.
 */
export function lstmStepForward(gates: usize, hPrev: usize, u: usize, cPrev: usize, c: usize, h: usize, rows: i32, hidden: i32, ldg: i32, ldhp: i32, ldcp: i32, ldc: i32, ldh: i32, scratch: usize, uPacked: usize): void {
  if (hPrev) matmulStrided(gates, hPrev, u, rows, 4 * hidden, hidden, ldhp, 1, 4 * hidden, ldg, 1, scratch, uPacked);
  lstmCellForward(gates, cPrev, c, h, rows, hidden, ldg, ldcp, ldc, ldh);
}

/**
 * One fused backward step for a block of rows: the cell backward, then dhRec = dGates . U^T (the gradient for
 * h_{t-1}, overwritten; skipped when hasPrev = 0).
 */
export function lstmStepBackward(dGates: usize, dcCarry: usize, dhOut: usize, dhRec: usize, gates: usize, c: usize, cPrev: usize, u: usize, rows: i32, hidden: i32, lddg: i32, lddo: i32, ldg: i32, ldc: i32, ldcp: i32, hasPrev: i32): void {
  lstmCellBackward(dGates, dcCarry, dhOut, dhRec, gates, c, cPrev, rows, hidden, lddg, lddo, ldg, ldc, ldcp);
  if (hasPrev) matmulABt(dhRec, dGates, u, rows, hidden, 4 * hidden, lddg, 4 * hidden, hidden, 0);
}

/**
 * The whole recurrence forward for a block of rows (sequences are independent, so threads split a layer's
 * recurrence by rows and meet once, not once per time step). gates (rows,T,4H) holds x.W + b on entry and the
 * activations on exit; writes cells and hs (rows,T,H). reverse = 1 runs t = T-1 .. 0. Same arithmetic as T calls
 * of lstmStepForward.
 */
export function lstmSequenceForward(gates: usize, cells: usize, hs: usize, u: usize, uPacked: usize, rows: i32, time: i32, hidden: i32, reverse: i32, scratch: usize): void {
  const ldg = time * 4 * hidden;
  const ldh = time * hidden;
  for (let s = 0; s < time; s++) {
    const t = reverse ? time - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    const hPrev: usize = s ? hs + ((<usize>tp * <usize>hidden) << 2) : 0;
    const cPrev: usize = s ? cells + ((<usize>tp * <usize>hidden) << 2) : 0;
    lstmStepForward(gates + ((<usize>t * 4 * <usize>hidden) << 2), hPrev, u, cPrev, cells + ((<usize>t * <usize>hidden) << 2), hs + ((<usize>t * <usize>hidden) << 2), rows, hidden, ldg, ldh, ldh, ldh, ldh, scratch, uPacked);
  }
}

/**
 * The whole recurrence backward for a block of rows. dhs (rows,T,H; 0 = none) is the gradient of every output step,
 * dLast (rows,H; 0 = none) that of the last processed step only. dcCarry and dhRec (rows,H) are scratch. Writes the
 * pre-activation gradients dGates (rows,T,4H). Same arithmetic as T calls of lstmStepBackward.
 */
export function lstmSequenceBackward(dGates: usize, dcCarry: usize, dhRec: usize, dhs: usize, dLast: usize, gates: usize, cells: usize, u: usize, rows: i32, time: i32, hidden: i32, reverse: i32): void {
  const ldg = time * 4 * hidden;
  const ldh = time * hidden;
  const stateBytes = (<usize>rows * <usize>hidden) << 2;
  memory.fill(dcCarry, 0, stateBytes);
  if (dLast) memory.copy(dhRec, dLast, stateBytes);
  else memory.fill(dhRec, 0, stateBytes);
  for (let s = time - 1; s >= 0; s--) {
    const t = reverse ? time - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    const dhOut: usize = dhs ? dhs + ((<usize>t * <usize>hidden) << 2) : 0;
    const cPrev: usize = s ? cells + ((<usize>tp * <usize>hidden) << 2) : 0;
    lstmStepBackward(dGates + ((<usize>t * 4 * <usize>hidden) << 2), dcCarry, dhOut, dhRec, gates + ((<usize>t * 4 * <usize>hidden) << 2), cells + ((<usize>t * <usize>hidden) << 2), cPrev, u, rows, hidden, ldg, ldh, ldg, ldh, ldh, s > 0 ? 1 : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Losses.

/**
 * Softmax cross-entropy: probs(rows,V) = softmax(logits); returns the summed loss -log p[target] in float64.
 * logits and probs use leading dimension V.
 */
export function softmaxCrossEntropyForward(probs: usize, logits: usize, targets: usize, rows: i32, vocab: i32): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const lr = logits + ((<usize>r * <usize>vocab) << 2);
    const pr = probs + ((<usize>r * <usize>vocab) << 2);
    let mx = load<f32>(lr);
    for (let j = 1; j < vocab; j++) mx = max(mx, load<f32>(lr + (<usize>j << 2)));
    let sum: f32 = 0;
    for (let j = 0; j < vocab; j++) {
      const e = Mathf.exp(load<f32>(lr + (<usize>j << 2)) - mx);
      store<f32>(pr + (<usize>j << 2), e);
      sum += e;
    }
    const inv: f32 = 1 / sum;
    for (let j = 0; j < vocab; j++) store<f32>(pr + (<usize>j << 2), load<f32>(pr + (<usize>j << 2)) * inv);
    const t = load<i32>(targets + (<usize>r << 2));
    // log-sum-exp form: exact even when p[target] underflows.
    total += <f64>(Mathf.log(sum) + mx - load<f32>(lr + (<usize>t << 2)));
  }
  return total;
}

/** dlogits(rows,V) = (probs - onehot(target)) * scale (scale = 1/rows for a mean loss). */
export function softmaxCrossEntropyBackward(dlogits: usize, probs: usize, targets: usize, rows: i32, vocab: i32, scale: f32): void {
  for (let r = 0; r < rows; r++) {
    const pr = probs + ((<usize>r * <usize>vocab) << 2);
    const dr = dlogits + ((<usize>r * <usize>vocab) << 2);
    const t = load<i32>(targets + (<usize>r << 2));
    for (let j = 0; j < vocab; j++) {
      const p = load<f32>(pr + (<usize>j << 2));
      store<f32>(dr + (<usize>j << 2), (j == t ? p - 1 : p) * scale);
    }
  }
}

/**
 * Sigmoid binary cross-entropy over n independent logits with float targets in [0,1]: probs = sigmoid(logits);
 * returns the summed loss in float64, in the stable form max(x,0) - x*y + log(1 + exp(-|x|)).
 */
export function sigmoidBceForward(probs: usize, logits: usize, targets: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(logits + o);
    const y = load<f32>(targets + o);
    store<f32>(probs + o, sigmoid(x));
    total += <f64>(max<f32>(x, 0) - x * y + Mathf.log1p(Mathf.exp(-Mathf.abs(x))));
  }
  return total;
}

/** dlogits(n) = (probs - targets) * scale. */
export function sigmoidBceBackward(dlogits: usize, probs: usize, targets: usize, n: i32, scale: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dlogits + o, (load<f32>(probs + o) - load<f32>(targets + o)) * scale);
  }
}

/** sigmoidBceForward with a weight per element: returns the sum of weights[i] * BCE_i in float64. */
export function sigmoidBceWeightedForward(probs: usize, logits: usize, targets: usize, weights: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(logits + o);
    const y = load<f32>(targets + o);
    store<f32>(probs + o, sigmoid(x));
    total += <f64>(load<f32>(weights + o) * (max<f32>(x, 0) - x * y + Mathf.log1p(Mathf.exp(-Mathf.abs(x)))));
  }
  return total;
}

/** dlogits(n) = weights * (probs - targets) * scale. */
export function sigmoidBceWeightedBackward(dlogits: usize, probs: usize, targets: usize, weights: usize, n: i32, scale: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dlogits + o, load<f32>(weights + o) * ((load<f32>(probs + o) - load<f32>(targets + o)) * scale));
  }
}

// ---------------------------------------------------------------------------------------------
// Optimiser.

/**
 * Adam as tfjs-core computes it (see engine/types.ts ADAM): m, v updated in place, then
 * w = w * decay - lr * (m / bc1) / (sqrt(v / bc2) + eps) with bc1 = 1 - beta1^t, bc2 = 1 - beta2^t and
 * decay = 1 - lr * weightDecay (AdamW's decoupled decay; exactly 1, so plain Adam, without it).
 */
export function adamUpdate(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32, eps: f32, bc1: f32, bc2: f32, decay: f32): void {
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2);
  const ob1 = f32x4.splat(1 - beta1), ob2 = f32x4.splat(1 - beta2);
  const lrv = f32x4.splat(lr), epsv = f32x4.splat(eps);
  const ibc1 = f32x4.splat(bc1), ibc2 = f32x4.splat(bc2);
  const decayv = f32x4.splat(decay);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const mv = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(ob1, gv));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(ob2, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const step = f32x4.div(f32x4.mul(lrv, f32x4.div(mv, ibc1)), f32x4.add(f32x4.sqrt(f32x4.div(vv, ibc2)), epsv));
    v128.store(w + o, f32x4.sub(f32x4.mul(v128.load(w + o), decayv), step));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gs = load<f32>(g + o);
    const ms = beta1 * load<f32>(m + o) + (1 - beta1) * gs;
    const vs = beta2 * load<f32>(v + o) + (1 - beta2) * gs * gs;
    store<f32>(m + o, ms);
    store<f32>(v + o, vs);
    store<f32>(w + o, load<f32>(w + o) * decay - (lr * (ms / bc1)) / (Mathf.sqrt(vs / bc2) + eps));
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement.

/**
 * The calling core's multiply-add throughput through this module's own madd, for the benchmarks' roofline line
 * (scripts/lib/roofline.ts): `rounds` rounds of 12 independent chains acc = acc * x + y, all in registers (12 in
 * flight cover a multiply-add's latency on two ports), 96 floating-point operations a round; no memory is touched.
 * The products cannot beat this figure, so it bounds what any kernel of this module can reach on one core. Returns a
 * sum over every chain so that no chain can be dropped as dead code.
 */
export function simdPeak(rounds: i32): f32 {
  const x = f32x4.splat(0.9999999);
  const y = f32x4.splat(0.0000001);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(2), a2 = f32x4.splat(3), a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5), a5 = f32x4.splat(6), a6 = f32x4.splat(7), a7 = f32x4.splat(8);
  let a8 = f32x4.splat(9), a9 = f32x4.splat(10), a10 = f32x4.splat(11), a11 = f32x4.splat(12);
  for (let i = 0; i < rounds; i++) {
    a0 = madd(a0, x, y);
    a1 = madd(a1, x, y);
    a2 = madd(a2, x, y);
    a3 = madd(a3, x, y);
    a4 = madd(a4, x, y);
    a5 = madd(a5, x, y);
    a6 = madd(a6, x, y);
    a7 = madd(a7, x, y);
    a8 = madd(a8, x, y);
    a9 = madd(a9, x, y);
    a10 = madd(a10, x, y);
    a11 = madd(a11, x, y);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  );
  return hsum(s);
}
