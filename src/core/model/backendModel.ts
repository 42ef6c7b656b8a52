// SPDX-License-Identifier: MIT
/**
 * The one TrainableModel: any registered model kind over any backend. It owns the ParameterSet, asks the model's
 * network for forward and backward passes, and runs clip + Adam through the backend, so neither the engines nor the
 * models repeat the training step.
 */
import type { Backend, ParameterSet, Scope, Tensor } from '../engine/backend';
import {
  ADAM,
  type Batch,
  type Decoder,
  type NamedWeights,
  type OptimizerState,
  type EngineInfo,
} from '../engine/types';
import type { TrainableModel } from '../engine/engine';
import { createRng, type Rng } from '../util/random';
import type { ModelDefinition, Network } from './definition';
import { ModelInputError } from './errors';
import type { ModelSpec, TrainingConfig } from './spec';

/** The training settings a model needs (the rest of TrainingConfig belongs to the training loop). */
export type ModelTraining = Pick<TrainingConfig, 'learningRate' | 'clipNorm' | 'randomSeed' | 'weightDecay'>;

/** Dropout draws from its own stream, seeded apart from the weight initialisation's so it never shifts it. */
const DROPOUT_SEED_SALT = 0x5bd1e995;

/**
 * A TrainableModel of any registered kind on any backend: one optimizer step is the network's forward and backward,
 * then the backend's global-norm clip and Adam (AdamW with training.weightDecay). Dropout masks come from createRng(randomSeed ^ salt), so a run is
 * reproducible on one engine for a given seed.
 */
export class BackendModel implements TrainableModel {
  readonly spec: ModelSpec;
  private readonly backend: Backend;
  private readonly set: ParameterSet;
  private readonly setScope: Scope;
  private readonly net: Network;
  private readonly training: ModelTraining;
  private learningRate: number;
  private readonly dropoutRng: Rng;
  private adamSteps = 0;
  private disposed = false;

  /**
   * @throws ModelInputError WEIGHTS_SHAPE_MISMATCH when `weights` do not fit the spec.
   */
  constructor(
    backend: Backend,
    definition: ModelDefinition,
    spec: ModelSpec,
    training: ModelTraining,
    weights: NamedWeights,
  ) {
    this.backend = backend;
    this.spec = spec;
    this.training = training;
    this.learningRate = training.learningRate;
    this.dropoutRng = createRng(training.randomSeed ^ DROPOUT_SEED_SALT);
    const tensors = definition.tensors(spec);
    checkNamed(tensors, weights, 'Initial weights:');
    const { result, scope } = backend.scope(() => backend.parameters(tensors));
    this.set = result;
    this.setScope = scope;
    this.net = definition.createNetwork(backend, spec, this.set);
    this.writeNamed(this.set.params, weights);
  }

  get engine(): EngineInfo {
    return this.backend.info;
  }

  private check(): void {
    if (this.disposed)
      throw new ModelInputError('MODEL_DISPOSED', 'This model was disposed; create a new one from its checkpoint.');
  }

  private readonly uniform = () => this.dropoutRng.next();

  async trainStep(batch: Batch): Promise<number> {
    this.check();
    const work = async () => {
      const loss = this.net.forward(batch, this.uniform);
      this.net.backward();
      this.backend.clipByGlobalNorm(this.set, this.training.clipNorm);
      this.adamSteps++;
      this.backend.adamStep(this.set, this.adamSteps, this.learningRate, ADAM, this.training.weightDecay ?? 0);
      this.net.parametersChanged();
      return (await this.backend.read(loss))[0];
    };
    return this.backend.runStep ? this.backend.runStep(work) : work();
  }

  setLearningRate(rate: number): void {
    if (!(Number.isFinite(rate) && rate > 0))
      throw new RangeError(`The learning rate must be a finite number above 0, got: ${rate}`);
    this.learningRate = rate;
  }

  async computeGradients(batch: Batch): Promise<{ loss: number; grads: NamedWeights }> {
    this.check();
    const loss = this.net.forward(batch, this.uniform);
    this.net.backward();
    const grads = await this.readNamed(this.set.grads);
    return { loss: (await this.backend.read(loss))[0], grads };
  }

  async evaluate(batch: Batch): Promise<number> {
    this.check();
    return (await this.backend.read(this.net.forward(batch)))[0];
  }

  async getWeights(): Promise<NamedWeights> {
    this.check();
    return this.readNamed(this.set.params);
  }

  setWeights(weights: NamedWeights): void {
    this.check();
    checkNamed(this.set.tensors, weights, 'setWeights:');
    this.writeNamed(this.set.params, weights);
  }

  async getOptimizerState(): Promise<OptimizerState> {
    this.check();
    return { step: this.adamSteps, m: await this.readNamed(this.set.m), v: await this.readNamed(this.set.v) };
  }

  setOptimizerState(state: OptimizerState): void {
    this.check();
    checkNamed(this.set.tensors, state.m, 'Optimizer state m:');
    checkNamed(this.set.tensors, state.v, 'Optimizer state v:');
    this.writeNamed(this.set.m, state.m);
    this.writeNamed(this.set.v, state.v);
    this.adamSteps = state.step;
  }

  createDecoder(): Decoder {
    this.check();
    return this.net.createDecoder();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.net.release();
    this.setScope.release();
  }

  private async readNamed(group: Readonly<Record<string, Tensor>>): Promise<NamedWeights> {
    const out: NamedWeights = {};
    for (const t of this.set.tensors) out[t.name] = await this.backend.read(group[t.name]);
    return out;
  }

  private writeNamed(group: Readonly<Record<string, Tensor>>, values: NamedWeights): void {
    for (const t of this.set.tensors) this.backend.write(group[t.name], values[t.name]);
    if (group === this.set.params) this.net.parametersChanged();
  }
}

/** Throws ModelInputError WEIGHTS_SHAPE_MISMATCH naming the first tensor that is missing or the wrong size. */
function checkNamed(
  tensors: readonly { name: string; shape: readonly number[] }[],
  values: NamedWeights,
  what: string,
): void {
  for (const t of tensors) {
    const v = values[t.name];
    const length = t.shape.reduce((a, b) => a * b, 1);
    if (!v || v.length !== length)
      throw new ModelInputError(
        'WEIGHTS_SHAPE_MISMATCH',
        `${what} tensor ${t.name} has ${v ? v.length : 'no'} values; the spec needs ${length} (shape ${t.shape.join('x')}). Use weights made for this model spec.`,
      );
  }
}
