// SPDX-License-Identifier: MIT

/**
 * The data engines and models exchange: which engine runs (EngineInfo), weights and optimizer state as named
 * float32 arrays (layout stated with each model's spec, e.g. ../model/melodyLstmSpec.ts), training batches, the
 * stateful Decoder, and Adam's constants. Models import this file, so it imports no model: the Engine that builds a
 * model from its spec is in ./engine.ts, the layers a model is written against in ./backend.ts.
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
 * With a weight decay λ (TrainingConfig.weightDecay) the step is AdamW's (Loshchilov & Hutter, "Decoupled Weight
 * Decay Regularization", ICLR 2019; PyTorch's torch.optim.AdamW computes the same): w first becomes w * (1 - lr*λ),
 * then takes the step above. The decay is kept out of m and v, so it is not rescaled by Adam's per-weight step size.
 */
export const ADAM: AdamConstants = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Adam's constants (see ADAM). */
export interface AdamConstants {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}
