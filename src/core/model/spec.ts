// SPDX-License-Identifier: MIT
/**
 * Model specs: stored with every checkpoint, they decide which network (`kind`, see ./registry.ts) and which encoding
 * (`encoding`, see ../encoding/registry.ts) a checkpoint means. Engines (our WebAssembly engine, tfjs on cpu /
 * tfjs-node / tfjs-node-gpu) only decide the speed, never the numbers' meaning. Each kind states its weight layout
 * where its spec is defined (melody-lstm: ./melodyLstmSpec.ts).
 */
import { getModelDefinition } from './registry';
import type { MelodyLstmSpec } from './melodyLstmSpec';
import type { PolyLstmSpec } from './polyLstmSpec';

export { DEFAULT_MELODY_SPEC, melodyLstmTensors, type MelodyLstmSpec } from './melodyLstmSpec';
export type { PolyLstmSpec } from './polyLstmSpec';

/**
 * Every model Etude can build, discriminated by `kind`, each registered in ./registry.ts: the melody LSTM (tokens in,
 * softmax out) and the polyphonic models (piano roll in, per-pitch Bernoulli out, ./polyLstmSpec.ts).
 */
export type ModelSpec = MelodyLstmSpec | PolyLstmSpec;

/** Is this spec one of the polyphonic (piano-roll) kinds? */
export function isPolySpec(spec: ModelSpec): spec is PolyLstmSpec {
  return spec.encoding === 'piano-roll-128';
}

/** The model kinds, e.g. 'melody-lstm'. */
export type ModelKind = ModelSpec['kind'];

/** The encodings a spec may name (see ../encoding/registry.ts). */
export type EncodingName = ModelSpec['encoding'];

export interface TrainingConfig {
  batchSize: number;
  learningRate: number;
  epochs: number;
  /** Fraction of pieces (not windows) held out for validation. */
  validationFraction: number;
  /** Stop when validation loss has not improved for this many epochs (0 = never). */
  earlyStoppingPatience: number;
  /** Transpose each piece by these semitone offsets as augmentation ([] = none). */
  transpositions: number[];
  /** Global-norm gradient clip (0 = none). */
  clipNorm: number;
  randomSeed: number;
}

export const DEFAULT_TRAINING: TrainingConfig = {
  batchSize: 64,
  learningRate: 0.001,
  epochs: 10,
  validationFraction: 0.1,
  earlyStoppingPatience: 3,
  transpositions: [],
  clipNorm: 5,
  randomSeed: 1,
};

/** One named parameter tensor of a model: its name in checkpoints and its row-major shape. */
export interface TensorShape {
  name: string;
  shape: number[];
}

/** The named tensors of any spec, in the order of its flat parameter buffer (asks the model registry). */
export function modelTensors(spec: ModelSpec): TensorShape[] {
  return getModelDefinition(spec.kind).tensors(spec);
}

/** Trainable parameters of any spec (asks the model registry). */
export function parameterCount(spec: ModelSpec): number {
  return modelTensors(spec).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}
