// SPDX-License-Identifier: MIT
/**
 * The thesis' melody model's spec: its fields, its default, its named tensors and their validation. Weight layout
 * (Keras/tfjs-layers layout, one format for every engine):
 *   embedding/embeddings      (vocab, embeddingDim)
 *   lstm_{k}/kernel           (inputDim, 4*hidden)    gate order along the last axis: i, f, c, o
 *   lstm_{k}/recurrent_kernel (hidden, 4*hidden)      same gate order
 *   lstm_{k}/bias             (4*hidden)              forget-gate slice initialised to 1 (Keras unit_forget_bias)
 *   dense/kernel              (hidden, vocab)
 *   dense/bias                (vocab)
 * k = 1..layers. All row-major float32.
 * A chord-conditioned model (`chords: 'chroma'`) reads [embedding | chord chroma (12)] into its first LSTM, so its
 * lstm_1/kernel is (embeddingDim + 12, 4*hidden): the first embeddingDim rows for the token, the last 12 for the chord
 * of the step being predicted (../music/chords.ts). Without `chords` (every model before it) nothing changes.
 */
import type { TensorShape } from './spec';
import { CHORD_DIM } from '../music/chords';
import { shown } from '../util/shown';

export interface MelodyLstmSpec {
  kind: 'melody-lstm';
  encoding: 'melody-130';
  /** 130 for the thesis' melody encoding. */
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  layers: number;
  /** Dropout between LSTM layers and before the dense layer (0 = none, the thesis' setting). */
  dropout: number;
  /** Input tokens per training window; the target is the next token (thesis: 30). */
  window: number;
  /** 'chroma': the chord of every step is an input (see the file header); absent: no chord input. */
  chords?: 'chroma';
}

/** Width of a spec's chord input (0 without one). */
export function melodyChordDim(spec: Pick<MelodyLstmSpec, 'chords'>): number {
  return spec.chords === 'chroma' ? CHORD_DIM : 0;
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

/** The named tensors of a spec, in the order they sit in the flat parameter buffer. */
export function melodyLstmTensors(spec: MelodyLstmSpec): TensorShape[] {
  const out: TensorShape[] = [{ name: 'embedding/embeddings', shape: [spec.vocabSize, spec.embeddingDim] }];
  for (let k = 1; k <= spec.layers; k++) {
    const inDim = k === 1 ? spec.embeddingDim + melodyChordDim(spec) : spec.hiddenSize;
    out.push({ name: `lstm_${k}/kernel`, shape: [inDim, 4 * spec.hiddenSize] });
    out.push({ name: `lstm_${k}/recurrent_kernel`, shape: [spec.hiddenSize, 4 * spec.hiddenSize] });
    out.push({ name: `lstm_${k}/bias`, shape: [4 * spec.hiddenSize] });
  }
  out.push({ name: 'dense/kernel', shape: [spec.hiddenSize, spec.vocabSize] });
  out.push({ name: 'dense/bias', shape: [spec.vocabSize] });
  return out;
}

/**
 * Why `spec` is not a valid melody-lstm spec (one sentence naming the field), or undefined when it is one.
 * Sizes are bounded so that a damaged or hostile spec cannot ask an engine for terabytes.
 */
export function melodyLstmSpecProblem(spec: Record<string, unknown>): string | undefined {
  if (spec.encoding !== 'melody-130')
    return `a melody-lstm model reads the melody-130 encoding, not ${JSON.stringify(spec.encoding)}`;
  const limits = { vocabSize: 4096, embeddingDim: 4096, hiddenSize: 4096, layers: 16, window: 4096 } as const;
  for (const [key, max] of Object.entries(limits)) {
    const v = spec[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
      return `its ${key} must be an integer within [1, ${max}], got: ${shown(v)}`;
  }
  const dropout = spec.dropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    return `its dropout must be within [0, 1), got: ${shown(dropout)}`;
  if (spec.chords !== undefined && spec.chords !== 'chroma')
    return `its chords must be "chroma" (the chord of every step is an input) or absent, got: ${shown(spec.chords)}`;
  return undefined;
}
