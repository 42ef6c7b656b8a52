// SPDX-License-Identifier: MIT
/**
 * The melody LSTM written with TensorFlow.js ops: the reference every other engine is held to, and the path to
 * native TensorFlow (tfjs-node / tfjs-node-gpu) where a user has it.
 *
 * Model (the thesis'): Embedding(vocab -> E) -> LSTM(H, all steps) x (layers-1) -> LSTM(H, last step) -> Dense(vocab),
 * sparse softmax cross-entropy on the token after the window. Weights are tf.Variables named and shaped exactly as
 * melodyLstmTensors(spec) (Keras layout, gate order i, f, c, o; recurrent activation sigmoid, cell activation tanh), so
 * NamedWeights move 1:1 between this model, the wasm engine and the checkpoint file.
 *
 * Written with plain ops instead of tfjs-layers so the same function serves training (tf.variableGrads) and the batch-1
 * stateful decoder, and so Adam can follow the shared ADAM constants exactly and expose its moments for checkpoints.
 * Every tensor is created inside tf.tidy or disposed explicitly: tf.memory().numTensors is unchanged after a step.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ADAM,
  type Batch,
  type Decoder,
  type EngineInfo,
  type NamedWeights,
  type OptimizerState,
  type TrainableModel,
} from '../engine/types';
import { melodyLstmTensors, type ModelSpec, type TrainingConfig } from './spec';
import { assertWeightsMatchSpec } from './checkpoint';

type Vars = Record<string, tf.Variable>;

/** Splits the packed gate pre-activations z (B, 4H) into i, f, c, o and returns the new (h, c). */
function lstmCell(z: tf.Tensor2D, cPrev: tf.Tensor2D, hidden: number): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const [zi, zf, zc, zo] = tf.split(z, [hidden, hidden, hidden, hidden], 1) as tf.Tensor2D[];
  const c = tf.add(tf.mul(tf.sigmoid(zf), cPrev), tf.mul(tf.sigmoid(zi), tf.tanh(zc))) as tf.Tensor2D;
  const h = tf.mul(tf.sigmoid(zo), tf.tanh(c)) as tf.Tensor2D;
  return { h, c };
}

/**
 * Forward pass over a batch of windows; returns the logits of the token after each window (B, vocab).
 * `dropoutSeed` switches dropout on (training only); undefined = inference.
 */
function forwardWindows(spec: ModelSpec, vars: Vars, inputs: tf.Tensor2D, dropoutSeed?: number): tf.Tensor2D {
  const [batch, time] = inputs.shape;
  const H = spec.hiddenSize;
  let seq = tf.gather(vars['embedding/embeddings'], inputs) as tf.Tensor3D; // (B, T, E)
  let last: tf.Tensor2D | undefined;
  for (let k = 1; k <= spec.layers; k++) {
    const inDim = seq.shape[2];
    const kernel = vars[`lstm_${k}/kernel`]; // (in, 4H)
    const recurrent = vars[`lstm_${k}/recurrent_kernel`]; // (H, 4H)
    const bias = vars[`lstm_${k}/bias`]; // (4H)
    // All input projections at once: one matmul instead of T small ones.
    const projected = tf.reshape(tf.add(tf.matMul(tf.reshape(seq, [batch * time, inDim]), kernel), bias), [
      batch,
      time,
      4 * H,
    ]) as tf.Tensor3D;
    const steps = tf.unstack(projected, 1) as tf.Tensor2D[]; // T x (B, 4H)
    let h = tf.zeros([batch, H]) as tf.Tensor2D;
    let c = tf.zeros([batch, H]) as tf.Tensor2D;
    const outputs: tf.Tensor2D[] = [];
    for (let t = 0; t < time; t++) {
      const next = lstmCell(tf.add(steps[t], tf.matMul(h, recurrent)) as tf.Tensor2D, c, H);
      h = next.h;
      c = next.c;
      if (k < spec.layers) outputs.push(h);
    }
    if (k < spec.layers) {
      seq = tf.stack(outputs, 1) as tf.Tensor3D;
      if (dropoutSeed !== undefined && spec.dropout > 0)
        seq = tf.dropout(seq, spec.dropout, undefined, dropoutSeed + k) as tf.Tensor3D;
    } else {
      last = h;
    }
  }
  if (dropoutSeed !== undefined && spec.dropout > 0)
    last = tf.dropout(last!, spec.dropout, undefined, dropoutSeed) as tf.Tensor2D;
  return tf.add(tf.matMul(last!, vars['dense/kernel']), vars['dense/bias']) as tf.Tensor2D;
}

/** Mean sparse softmax cross-entropy in nats. */
function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, vocab: number): tf.Scalar {
  const logProbs = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(logProbs, tf.oneHot(targets, vocab)), 1))) as tf.Scalar;
}

/** Options for the tfjs model (the engine fills them in). */
export interface TfjsModelOptions {
  spec: ModelSpec;
  training: Pick<TrainingConfig, 'learningRate' | 'clipNorm' | 'randomSeed'>;
  weights: NamedWeights;
  engine: EngineInfo;
}

/** A TrainableModel over tf ops on whatever tfjs backend is active (cpu, tensorflow). */
export class TfjsMelodyModel implements TrainableModel {
  readonly spec: ModelSpec;
  readonly engine: EngineInfo;
  private readonly training: TfjsModelOptions['training'];
  private readonly vars: Vars = {};
  private readonly m: Vars = {};
  private readonly v: Vars = {};
  private optimizerStep = 0;
  private disposed = false;

  constructor(options: TfjsModelOptions) {
    this.spec = options.spec;
    this.engine = options.engine;
    this.training = options.training;
    assertWeightsMatchSpec(this.spec, options.weights);
    for (const t of melodyLstmTensors(this.spec)) {
      this.vars[t.name] = ownedVariable(
        tf.tensor(options.weights[t.name], t.shape, 'float32'),
        true,
        `${t.name}#${uniqueSuffix()}`,
      );
      this.m[t.name] = ownedVariable(tf.zeros(t.shape), false);
      this.v[t.name] = ownedVariable(tf.zeros(t.shape), false);
    }
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('This tfjs model was disposed; create a new one from its checkpoint.');
  }

  private batchTensors(batch: Batch): { inputs: tf.Tensor2D; targets: tf.Tensor1D } {
    const window = batch.inputs.length / batch.batchSize;
    return {
      inputs: tf.tensor2d(batch.inputs, [batch.batchSize, window], 'int32'),
      targets: tf.tensor1d(batch.targets, 'int32'),
    };
  }

  private lossFn(batch: Batch, dropoutSeed?: number): () => tf.Scalar {
    return () => {
      const { inputs, targets } = this.batchTensors(batch);
      return crossEntropy(forwardWindows(this.spec, this.vars, inputs, dropoutSeed), targets, this.spec.vocabSize);
    };
  }

  async trainStep(batch: Batch): Promise<number> {
    this.checkAlive();
    const names = melodyLstmTensors(this.spec).map((t) => t.name);
    const dropoutSeed = this.spec.dropout > 0 ? this.training.randomSeed * 1_000_003 + this.optimizerStep : undefined;
    const step = this.optimizerStep + 1;
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        this.lossFn(batch, dropoutSeed),
        names.map((n) => this.vars[n]),
      );
      // Global-norm clip: g *= clipNorm / max(norm, clipNorm).
      let scale: tf.Scalar = tf.scalar(1);
      if (this.training.clipNorm > 0) {
        const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[this.vars[n].name])))));
        scale = tf.div(this.training.clipNorm, tf.maximum(norm, this.training.clipNorm));
      }
      const lrT = this.training.learningRate;
      const c1 = 1 - Math.pow(ADAM.beta1, step);
      const c2 = 1 - Math.pow(ADAM.beta2, step);
      for (const n of names) {
        const g = tf.mul(grads[this.vars[n].name], scale);
        const m = tf.add(tf.mul(this.m[n], ADAM.beta1), tf.mul(g, 1 - ADAM.beta1));
        const v = tf.add(tf.mul(this.v[n], ADAM.beta2), tf.mul(tf.square(g), 1 - ADAM.beta2));
        this.m[n].assign(m);
        this.v[n].assign(v);
        const update = tf.div(tf.mul(tf.div(m, c1), lrT), tf.add(tf.sqrt(tf.div(v, c2)), ADAM.epsilon));
        this.vars[n].assign(tf.sub(this.vars[n], update));
      }
      return value;
    });
    this.optimizerStep = step;
    const out = (await loss.data())[0];
    loss.dispose();
    return out;
  }

  async computeGradients(batch: Batch): Promise<{ loss: number; grads: NamedWeights }> {
    this.checkAlive();
    const names = melodyLstmTensors(this.spec).map((t) => t.name);
    const { value, grads } = tf.variableGrads(
      this.lossFn(batch),
      names.map((n) => this.vars[n]),
    );
    const out: NamedWeights = {};
    for (const n of names) {
      out[n] = (await grads[this.vars[n].name].data()) as Float32Array;
      grads[this.vars[n].name].dispose();
    }
    const loss = (await value.data())[0];
    value.dispose();
    return { loss, grads: out };
  }

  async evaluate(batch: Batch): Promise<number> {
    this.checkAlive();
    const loss = tf.tidy(this.lossFn(batch));
    const out = (await loss.data())[0];
    loss.dispose();
    return out;
  }

  getWeights(): NamedWeights {
    this.checkAlive();
    return readVars(this.vars);
  }

  setWeights(weights: NamedWeights): void {
    this.checkAlive();
    assertWeightsMatchSpec(this.spec, weights);
    writeVars(this.spec, this.vars, weights);
  }

  getOptimizerState(): OptimizerState {
    this.checkAlive();
    return { step: this.optimizerStep, m: readVars(this.m), v: readVars(this.v) };
  }

  setOptimizerState(state: OptimizerState): void {
    this.checkAlive();
    assertWeightsMatchSpec(this.spec, state.m, 'optimizer first moments');
    assertWeightsMatchSpec(this.spec, state.v, 'optimizer second moments');
    writeVars(this.spec, this.m, state.m);
    writeVars(this.spec, this.v, state.v);
    this.optimizerStep = state.step;
  }

  createDecoder(): Decoder {
    this.checkAlive();
    return new TfjsDecoder(this.spec, this.vars);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const group of [this.vars, this.m, this.v]) for (const t of Object.values(group)) t.dispose();
  }
}

/** A variable initialised from `initial`, which is then disposed (tf.variable keeps its own reference). */
function ownedVariable(initial: tf.Tensor, trainable: boolean, name?: string): tf.Variable {
  const v = tf.variable(initial, trainable, name);
  initial.dispose();
  return v;
}

let suffixCounter = 0;
/** tfjs variable names must be unique in the process; several models may live side by side. */
const uniqueSuffix = () => (++suffixCounter).toString(36);

function readVars(vars: Vars): NamedWeights {
  const out: NamedWeights = {};
  for (const [name, t] of Object.entries(vars)) out[name] = t.dataSync() as Float32Array;
  return out;
}

function writeVars(spec: ModelSpec, vars: Vars, values: NamedWeights): void {
  for (const t of melodyLstmTensors(spec)) {
    tf.tidy(() => vars[t.name].assign(tf.tensor(values[t.name], t.shape, 'float32')));
  }
}

/**
 * The thesis' generation model: batch 1, one token in, LSTM state carried between calls. It reads the model's live
 * variables, so it always uses the current weights.
 */
class TfjsDecoder implements Decoder {
  private h: tf.Tensor2D[] = [];
  private c: tf.Tensor2D[] = [];

  constructor(
    private readonly spec: ModelSpec,
    private readonly vars: Vars,
  ) {
    this.reset();
  }

  reset(): void {
    this.disposeState();
    for (let k = 0; k < this.spec.layers; k++) {
      this.h.push(tf.zeros([1, this.spec.hiddenSize]));
      this.c.push(tf.zeros([1, this.spec.hiddenSize]));
    }
  }

  step(token: number): Float32Array {
    if (!Number.isInteger(token) || token < 0 || token >= this.spec.vocabSize)
      throw new RangeError(`Decoder token must be an integer within [0, ${this.spec.vocabSize - 1}], got: ${token}`);
    const H = this.spec.hiddenSize;
    const { logits, h, c } = tf.tidy(() => {
      let x = tf.gather(this.vars['embedding/embeddings'], tf.tensor1d([token], 'int32')) as tf.Tensor2D; // (1, E)
      const hs: tf.Tensor2D[] = [];
      const cs: tf.Tensor2D[] = [];
      for (let k = 1; k <= this.spec.layers; k++) {
        const z = tf.add(
          tf.add(
            tf.matMul(x, this.vars[`lstm_${k}/kernel`]),
            tf.matMul(this.h[k - 1], this.vars[`lstm_${k}/recurrent_kernel`]),
          ),
          this.vars[`lstm_${k}/bias`],
        ) as tf.Tensor2D;
        const next = lstmCell(z, this.c[k - 1], H);
        hs.push(next.h);
        cs.push(next.c);
        x = next.h;
      }
      return { logits: tf.add(tf.matMul(x, this.vars['dense/kernel']), this.vars['dense/bias']), h: hs, c: cs };
    });
    this.disposeState();
    this.h = h;
    this.c = c;
    const out = logits.dataSync() as Float32Array;
    logits.dispose();
    return out;
  }

  private disposeState(): void {
    for (const t of [...this.h, ...this.c]) t.dispose();
    this.h = [];
    this.c = [];
  }

  dispose(): void {
    this.disposeState();
  }
}
