// SPDX-License-Identifier: MIT
/**
 * Model specs: stored with every checkpoint, they decide which encoding and which network a
 * checkpoint means. Engines (our WebAssembly engine, tfjs on cpu / tfjs-node / tfjs-node-gpu)
 * only decide the speed, never the numbers' meaning.
 *
 * Weight layout (one format for every engine; Keras/tfjs-layers layout so the tfjs reference can
 * load it directly):
 *   embedding/embeddings      (vocab, embeddingDim)
 *   lstm_{k}/kernel           (inputDim, 4*hidden)    gate order along the last axis: i, f, c, o
 *   lstm_{k}/recurrent_kernel (hidden, 4*hidden)      same gate order
 *   lstm_{k}/bias             (4*hidden)              forget-gate slice initialised to 1 (Keras unit_forget_bias)
 *   dense/kernel              (hidden, vocab)
 *   dense/bias                (vocab)
 * k = 1..layers. All row-major float32.
 */

export type EncodingName = 'melody-130';

export interface MelodyLstmSpec {
  kind: 'melody-lstm';
  encoding: EncodingName;
  /** 130 for the thesis' melody encoding. */
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  layers: number;
  /** Dropout between LSTM layers and before the dense layer (0 = none, the thesis' setting). */
  dropout: number;
  /** Input tokens per training window; the target is the next token (thesis: 30). */
  window: number;
}

export type ModelSpec = MelodyLstmSpec;

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

/** The thesis' configuration: Embedding(130->256), LSTM(256) x2, Dense(130), window 30. 1,117,314 parameters. */
export const DEFAULT_MELODY_SPEC: MelodyLstmSpec = {
  kind: 'melody-lstm',
  encoding: 'melody-130',
  vocabSize: 130,
  embeddingDim: 256,
  hiddenSize: 256,
  layers: 2,
  dropout: 0,
  window: 30,
};

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

export interface TensorShape {
  name: string;
  shape: number[];
}

/** The named tensors of a spec, in the order they sit in the flat parameter buffer. */
export function melodyLstmTensors(spec: MelodyLstmSpec): TensorShape[] {
  const out: TensorShape[] = [{ name: 'embedding/embeddings', shape: [spec.vocabSize, spec.embeddingDim] }];
  for (let k = 1; k <= spec.layers; k++) {
    const inDim = k === 1 ? spec.embeddingDim : spec.hiddenSize;
    out.push({ name: `lstm_${k}/kernel`, shape: [inDim, 4 * spec.hiddenSize] });
    out.push({ name: `lstm_${k}/recurrent_kernel`, shape: [spec.hiddenSize, 4 * spec.hiddenSize] });
    out.push({ name: `lstm_${k}/bias`, shape: [4 * spec.hiddenSize] });
  }
  out.push({ name: 'dense/kernel', shape: [spec.hiddenSize, spec.vocabSize] });
  out.push({ name: 'dense/bias', shape: [spec.vocabSize] });
  return out;
}

export function parameterCount(spec: ModelSpec): number {
  return melodyLstmTensors(spec).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}
