// SPDX-License-Identifier: MIT
/**
 * Weight initialisation shared by every engine, so the same randomSeed gives the same starting weights on the
 * wasm engine and the tfjs engines alike. Keras defaults:
 *   embedding           uniform(-0.05, 0.05)
 *   kernels             Glorot uniform: uniform(-l, l), l = sqrt(6 / (fanIn + fanOut))
 *   recurrent kernels   orthogonal (rows of the (H, 4H) matrix orthonormal)
 *   biases              0, with the LSTM forget-gate slice [H, 2H) set to 1 (unit_forget_bias)
 * One generator (createRng(randomSeed)) is drawn from in the model's tensor order, element by element, row-major.
 */
import { createRng, type Rng } from '../util/random';
import type { TensorShape } from '../engine/backend';
import type { NamedWeights } from '../engine/types';

/**
 * Initial values for a list of named tensors, chosen by name as described above (any model whose tensors follow the
 * Keras names gets Keras' initialisation).
 */
export function initTensors(tensors: readonly TensorShape[], randomSeed: number): NamedWeights {
  const rng = createRng(randomSeed);
  const out: NamedWeights = {};
  for (const { name, shape } of tensors) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name === 'embedding/embeddings') {
      for (let i = 0; i < size; i++) values[i] = rng.uniform(-0.05, 0.05);
    } else if (name.endsWith('/recurrent_kernel')) {
      values.set(orthogonal(shape[0], shape[1], rng));
    } else if (name.endsWith('/kernel')) {
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      for (let i = 0; i < size; i++) values[i] = rng.uniform(-limit, limit);
    } else if (name.startsWith('lstm_') && name.endsWith('/bias')) {
      const hidden = size / 4;
      values.fill(1, hidden, 2 * hidden);
    }
    // other biases stay 0
    out[name] = values;
  }
  return out;
}

/**
 * A (rows, cols) matrix with orthonormal rows (rows <= cols) or columns (rows > cols): Gram-Schmidt (modified, twice
 * for stability) over standard normal vectors along the longer side, the same distribution as Keras' QR-based
 * Orthogonal initializer with its sign correction.
 */
export function orthogonal(rows: number, cols: number, rng: Rng): Float64Array {
  const count = Math.min(rows, cols);
  const length = Math.max(rows, cols);
  const vectors: Float64Array[] = [];
  for (let v = 0; v < count; v++) {
    const x = new Float64Array(length);
    for (let i = 0; i < length; i++) x[i] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of vectors) {
        let dot = 0;
        for (let i = 0; i < length; i++) dot += q[i] * x[i];
        for (let i = 0; i < length; i++) x[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < length; i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < length; i++) x[i] /= norm;
    vectors.push(x);
  }
  const out = new Float64Array(rows * cols);
  for (let v = 0; v < count; v++) {
    for (let i = 0; i < length; i++) {
      if (rows <= cols) out[v * cols + i] = vectors[v][i];
      else out[i * cols + v] = vectors[v][i];
    }
  }
  return out;
}
