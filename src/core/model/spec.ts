// SPDX-License-Identifier: MIT
/**
 * Model specs: stored with every checkpoint, they decide which network (`kind`, see ./registry.ts) and which encoding
 * (`encoding`, see ../encoding/registry.ts) a checkpoint means. Engines (our WebAssembly engine, tfjs on cpu /
 * tfjs-node / tfjs-node-gpu) only decide the speed, never the numbers' meaning. Each kind states its weight layout
 * where its spec is defined (melody-lstm: ./melodyLstmSpec.ts). What needs the registry to answer (a spec's tensors,
 * its parameter count, whether it can be trained) lives in ./registry.ts, so that this file, which every model
 * imports, imports no model.
 */
import { isScheduleName, SCHEDULE_NAMES, type ScheduleName } from '../training/schedule';
import { isAverageDecay } from '../training/weightAverage';
import { shown } from '../util/shown';
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
  /**
   * How the rate moves over the planned steps (epochs x steps per epoch): 'constant', or 'anneal', learningRate held
   * for the first 40% and then lowered by a half cosine to 5% of it (../training/schedule.ts). Absent (checkpoints
   * before it): constant.
   */
  learningRateSchedule?: ScheduleName;
  /**
   * Weight averaging (../training/weightAverage.ts): after every validation the average of the weights moves by
   * (1 − this) towards them and is validated too; the better of the two is the run's best. Absent: no average.
   */
  weightAverageDecay?: number;
  /**
   * AdamW's decoupled weight decay λ (../engine/types.ts ADAM): every step first shrinks each weight by
   * 1 − learningRate·λ, a pull towards zero that Adam's per-weight scaling does not undo, against a model that
   * memorises its pieces. Within [0, 1]; absent or 0: plain Adam.
   */
  weightDecay?: number;
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
  learningRateSchedule: 'constant',
};

export type { TensorShape } from '../engine/backend';

/**
 * The most trainable parameters a model may have: 150 M (600 MB of float32 weights, about 2.4 GB with gradients and
 * the two Adam moments). The largest model the app and the CLI offer (embedding and hidden 2048, 4 layers) has 135 M;
 * the limit stops a spec whose fields are each within bounds from asking an engine for tens of gigabytes.
 */
export const MAX_TRAINED_PARAMETERS = 150_000_000;

/**
 * The bounds of every training setting: [min, max, whole number?]. The CLI's flags and the contract's
 * trainingOverridesSchema (src/shared/dto.ts) say the same; learningRate must also be above 0.
 */
export const TRAINING_LIMITS: Readonly<
  Record<
    Exclude<keyof TrainingConfig, 'transpositions' | 'learningRateSchedule' | 'weightAverageDecay' | 'weightDecay'>,
    [number, number, boolean]
  >
> = {
  batchSize: [1, 4096, true],
  learningRate: [0, 1, false],
  epochs: [1, 1000, true],
  validationFraction: [0, 0.5, false],
  earlyStoppingPatience: [0, 100, true],
  clipNorm: [0, 1000, false],
  randomSeed: [0, 2 ** 32 - 1, true],
};

/** A usable TrainingConfig.weightDecay: a number within [0, 1] (so 1 − learningRate·λ never goes below 0). */
export function isWeightDecay(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1;
}

/**
 * Why `training` is not a usable training configuration (one sentence naming the setting), or undefined. Keys it does
 * not know are left alone (a checkpoint from another version may record more).
 */
export function trainingConfigProblem(training: Record<string, unknown>): string | undefined {
  for (const [key, [min, max, integer]] of Object.entries(TRAINING_LIMITS)) {
    const v = training[key];
    const inRange =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (!integer || Number.isInteger(v)) &&
      (key === 'learningRate' ? v > min : v >= min) &&
      v <= max;
    if (!inRange) {
      const range = key === 'learningRate' ? `above ${min} and at most ${max}` : `within [${min}, ${max}]`;
      return `its ${key} must be ${integer ? 'a whole number' : 'a number'} ${range}, got: ${shown(v)}`;
    }
  }
  const shifts = training.transpositions;
  if (
    !Array.isArray(shifts) ||
    shifts.length > 49 ||
    !shifts.every((t) => typeof t === 'number' && Number.isInteger(t) && t >= -24 && t <= 24)
  )
    return `its transpositions must list at most 49 whole numbers of semitones within [-24, 24], got: ${shown(shifts)}`;
  const schedule = training.learningRateSchedule;
  if (schedule !== undefined && !isScheduleName(schedule))
    return `its learningRateSchedule must be ${SCHEDULE_NAMES.join(' or ')}, got: ${shown(schedule)}`;
  const decay = training.weightAverageDecay;
  if (decay !== undefined && !isAverageDecay(decay))
    return `its weightAverageDecay must be a number above 0 and below 1, got: ${shown(decay)}`;
  // The average is kept to be compared with the weights on the validation pieces; with none it could never compose.
  if (decay !== undefined && training.validationFraction === 0)
    return 'its weight average needs validation pieces to be weighed against the weights: set validationFraction above 0, or train without the average';
  const weightDecay = training.weightDecay;
  if (weightDecay !== undefined && !isWeightDecay(weightDecay))
    return `its weightDecay must be a number within [0, 1], got: ${shown(weightDecay)}`;
  return undefined;
}
