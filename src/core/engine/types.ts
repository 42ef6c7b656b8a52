// SPDX-License-Identifier: MIT
import type { ModelSpec, TrainingConfig } from '../model/spec';

/**
 * What every engine offers the training loop and the sampler. Our WebAssembly engine and the
 * tfjs engines (cpu reference, tfjs-node, tfjs-node-gpu) implement the same interface, and both
 * read and write the same NamedWeights (layout stated with each model's spec, e.g. ../model/melodyLstmSpec.ts).
 * An engine is a Backend (./backend.ts: the layers a model is written against) wrapped by ./backendEngine.ts,
 * which builds any registered model kind (../model/registry.ts) over it.
 */

export type EngineName = 'wasm' | 'webgpu' | 'tfjs-cpu' | 'tfjs-node' | 'tfjs-node-gpu';

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

/** Tensors by name, row-major float32, shapes from the model's tensor list (modelTensors(spec) in ../model/spec.ts). */
export type NamedWeights = Record<string, Float32Array>;

export interface OptimizerState {
  /** Adam step count. */
  step: number;
  m: NamedWeights;
  v: NamedWeights;
}

/**
 * A training batch: what any model needs, one union discriminated by `kind` (a model's batch builder makes the kind it
 * trains on, and its network checks it). B = batchSize, T = time steps per window.
 * - 'tokens' (the melody models): token windows; targets are the token after each window (B), or one per step (B,T).
 * - 'frames' (the polyphonic models to come): multi-hot frames (B,T,P); targets per step (B,T,P) or one frame (B,P).
 * An optional condition (e.g. chords) rides along per step.
 */
export type Batch = TokenBatch | FrameBatch;

/** Per-step values that condition a model (e.g. chord symbols as multi-hot); (B,T,dim) row-major. */
export interface BatchCondition {
  dim: number;
  values: Float32Array;
}

export interface TokenBatch {
  /** Optional so that plain `{ inputs, targets, batchSize }` literals stay token batches. */
  kind?: 'tokens';
  /** (B,T) token ids, row-major. */
  inputs: Int32Array;
  /** (B) the token after each window, or (B,T) one target per input step. */
  targets: Int32Array;
  batchSize: number;
  condition?: BatchCondition;
  /**
   * A velocity-aware melody model (../model/velocity.ts): the velocity bin of each target (B), -1 where the target is
   * not a note-on or its velocity is unknown (no velocity loss for that window).
   */
  velocityTargets?: Int32Array;
}

export interface FrameBatch {
  kind: 'frames';
  /** (B,T,P) multi-hot frames (1 = pitch sounding), row-major. */
  frames: Float32Array;
  /** P, the frame width. */
  pitches: number;
  /** (B,P) the frame after each window, or (B,T,P) one per input step. */
  targets: Float32Array;
  batchSize: number;
  condition?: BatchCondition;
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
  /** The current weights (read back from the engine, hence asynchronous). */
  getWeights(): Promise<NamedWeights>;
  /** @throws ModelInputError WEIGHTS_SHAPE_MISMATCH when a tensor of the spec is missing or the wrong size. */
  setWeights(w: NamedWeights): void;
  getOptimizerState(): Promise<OptimizerState>;
  setOptimizerState(s: OptimizerState): void;
  /** A stateful batch-1 decoder over the current weights (the thesis' generation model); it sees later updates. */
  createDecoder(): Decoder;
  dispose(): void;
}

/** What a decoder step takes: a token id (token models) or a multi-hot frame (frame models). */
export type DecoderInput = number | Float32Array;

export interface Decoder {
  /** Clears the recurrent state. */
  reset(): void;
  /**
   * Feeds one input; resolves to the scores of the next one: logits over the vocabulary (token models), or one logit
   * per pitch (frame models). Asynchronous because the engine may have to read them back from a GPU. Steps must be
   * awaited one after the other.
   * @throws ModelInputError TOKEN_OUT_OF_RANGE / DECODER_INPUT_INVALID for an input the model cannot take.
   */
  step(input: DecoderInput): Promise<Float32Array>;
  /**
   * Chord-conditioned models only: the condition of the step the next step() predicts (a 12-value chord chroma,
   * ../music/chords.ts); it holds until changed and reset() clears it. Absent on decoders of models without one.
   */
  setCondition?(values: ArrayLike<number>): void;
  /**
   * Velocity-aware melody models only (../model/velocity.ts): the logits over velocity bins of the note-on that the
   * last step()'s logits predict (the same state; reading it changes nothing). Absent on other decoders.
   */
  velocityLogits?(): Promise<Float32Array>;
  /**
   * Velocity-aware melody models only: the velocity bin of the latest note so far (null: none yet), an input of the
   * next step(); give it before stepping a note-on with that note's bin. It holds until changed; reset() clears it.
   */
  setVelocity?(bin: number | null): void;
  dispose(): void;
}

/**
 * Adam exactly as tfjs-core's AdamOptimizer (so a checkpoint continues identically in either engine):
 *   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  t += 1
 *   w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * with b1 = 0.9, b2 = 0.999, eps = 1e-7. Gradients are first clipped to a global L2 norm of clipNorm (when > 0).
 */
export const ADAM: AdamConstants = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Adam's constants (see ADAM). */
export interface AdamConstants {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

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
