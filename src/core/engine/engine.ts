// SPDX-License-Identifier: MIT
/**
 * The engine contract the doors and the training loop hold: an Engine builds a TrainableModel of any registered model
 * kind from its spec. It sits above the model registry (an engine builds models), while ./types.ts, the data models
 * and engines exchange (weights, batches, decoders), and ./backend.ts, the layer interface, sit below the models.
 */
import type { ModelSpec, TrainingConfig } from '../model/spec';
import type { Batch, Decoder, EngineInfo, NamedWeights, OptimizerState } from './types';

export interface TrainableModel {
  readonly spec: ModelSpec;
  readonly engine: EngineInfo;
  /** One optimizer step on a batch; returns the mean cross-entropy (nats) before the update. */
  trainStep(batch: Batch): Promise<number>;
  /**
   * The learning rate of the steps that follow (a schedule's hook: the training loop or a benchmark sets it between
   * steps). Adam's moments are kept.
   * @throws RangeError when `rate` is not a finite number above 0.
   */
  setLearningRate(rate: number): void;
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

export interface Engine {
  readonly info: EngineInfo;
  /** Builds a model; with no weights, initialises them from `training.randomSeed` (Glorot uniform, orthogonal recurrent, zero bias with forget 1). */
  createModel(
    spec: ModelSpec,
    training: Pick<TrainingConfig, 'learningRate' | 'clipNorm' | 'randomSeed' | 'weightDecay'>,
    weights?: NamedWeights,
  ): Promise<TrainableModel>;
  dispose(): Promise<void>;
}
