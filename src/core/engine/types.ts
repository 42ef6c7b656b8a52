// SPDX-License-Identifier: MIT
import type { ModelSpec, TrainingConfig } from '../model/spec';

/**
 * What every engine offers the training loop and the sampler. Our WebAssembly engine and the
 * tfjs engines (cpu reference, tfjs-node, tfjs-node-gpu) implement the same interface, and both
 * read and write the same NamedWeights (layout in ../model/spec.ts).
 */

export type EngineName = 'wasm' | 'tfjs-cpu' | 'tfjs-node' | 'tfjs-node-gpu';

export interface EngineInfo {
  name: EngineName;
  /** Worker threads in use (1 = the calling thread only). */
  threads: number;
  /** GPU name when one is used, else undefined. */
  gpu?: string;
  /** One sentence for the user, e.g. "wasm engine (WebAssembly SIMD), 2 threads". */
  description: string;
  /** Why a preferred engine was not used, when auto-selection fell back. */
  fallbackReason?: string;
}

/** Tensors by name, row-major float32, shapes from melodyLstmTensors(spec). */
export type NamedWeights = Record<string, Float32Array>;

export interface OptimizerState {
  /** Adam step count. */
  step: number;
  m: NamedWeights;
  v: NamedWeights;
}

export interface Batch {
  /** (batch, window) token ids, row-major. */
  inputs: Int32Array;
  /** (batch) next-token targets. */
  targets: Int32Array;
  batchSize: number;
}

export interface TrainableModel {
  readonly spec: ModelSpec;
  readonly engine: EngineInfo;
  /** One optimizer step on a batch; returns the mean cross-entropy (nats) before the update. */
  trainStep(batch: Batch): Promise<number>;
  /**
   * Loss and gradients (mean over the batch, no clipping, nothing updated). Used by the correctness tests that hold
   * every engine to the same numbers, and by anyone who wants to inspect training.
   */
  computeGradients(batch: Batch): Promise<{ loss: number; grads: NamedWeights }>;
  /** Mean cross-entropy on a batch without updating anything. */
  evaluate(batch: Batch): Promise<number>;
  getWeights(): NamedWeights;
  setWeights(w: NamedWeights): void;
  getOptimizerState(): OptimizerState;
  setOptimizerState(s: OptimizerState): void;
  /** A stateful batch-1 decoder over the current weights (the thesis' generation model). */
  createDecoder(): Decoder;
  dispose(): void;
}

export interface Decoder {
  /** Clears the LSTM state. */
  reset(): void;
  /** Feeds one token; returns the logits (vocab) for the next token. */
  step(token: number): Float32Array;
  dispose(): void;
}

/**
 * Adam exactly as tfjs-core's AdamOptimizer (so a checkpoint continues identically in either engine):
 *   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  t += 1
 *   w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * with b1 = 0.9, b2 = 0.999, eps = 1e-7. Gradients are first clipped to a global L2 norm of clipNorm (when > 0).
 */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

export interface Engine {
  readonly info: EngineInfo;
  /** Builds a model; with no weights, initialises them from `training.randomSeed` (Glorot uniform, orthogonal recurrent, zero bias with forget 1). */
  createModel(
    spec: ModelSpec,
    training: Pick<TrainingConfig, 'learningRate' | 'clipNorm' | 'randomSeed'>,
    weights?: NamedWeights,
  ): Promise<TrainableModel>;
  dispose(): Promise<void>;
}
