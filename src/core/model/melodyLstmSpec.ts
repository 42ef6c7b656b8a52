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
 * A velocity-aware model (`velocityBins` n >= 2, ./velocity.ts) adds n more rows to lstm_1/kernel (after the chord's):
 * the one-hot velocity bin of the latest note so far, the "velocity embedding" of the previous note; and a second
 * softmax head on the last LSTM's output, predicting the velocity bin of the note-on the token head predicts:
 *   velocity/kernel           (hidden, velocityBins)
 *   velocity/bias             (velocityBins)
 * placed after dense/bias, so every tensor before them keeps its shape, place and initial values. Without
 * `velocityBins` (every model before it; 0 is the same) nothing changes and such checkpoints load as before.
 */
import type { TensorShape } from '../engine/backend';
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
  /**
   * Velocity bins of a velocity-aware model (2..64); absent or 0: the model learns no dynamics. Set from the corpus
   * with velocityEdges and velocityCentres (./velocity.ts velocityBinning).
   */
  velocityBins?: number;
  /** velocityBins - 1 ascending MIDI velocities: a velocity v is in bin (number of edges <= v). */
  velocityEdges?: number[];
  /** The mean corpus velocity of each bin (1..127): what a generated note of that bin is written at. */
  velocityCentres?: number[];
}

/** Most velocity bins a spec may ask for: 64 (two MIDI velocities a bin). */
export const MAX_VELOCITY_BINS = 64;

/** Velocity bins of a spec (0: not velocity-aware). */
export function melodyVelocityBins(spec: Pick<MelodyLstmSpec, 'velocityBins'>): number {
  return spec.velocityBins ?? 0;
}

/** Width of a spec's per-step condition: chord chroma, then the velocity one-hot (0 without either). */
export function melodyConditionDim(spec: Pick<MelodyLstmSpec, 'chords' | 'velocityBins'>): number {
  return melodyChordDim(spec) + melodyVelocityBins(spec);
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
    const inDim = k === 1 ? spec.embeddingDim + melodyConditionDim(spec) : spec.hiddenSize;
    out.push({ name: `lstm_${k}/kernel`, shape: [inDim, 4 * spec.hiddenSize] });
    out.push({ name: `lstm_${k}/recurrent_kernel`, shape: [spec.hiddenSize, 4 * spec.hiddenSize] });
    out.push({ name: `lstm_${k}/bias`, shape: [4 * spec.hiddenSize] });
  }
  out.push({ name: 'dense/kernel', shape: [spec.hiddenSize, spec.vocabSize] });
  out.push({ name: 'dense/bias', shape: [spec.vocabSize] });
  const bins = melodyVelocityBins(spec);
  if (bins > 0) {
    out.push({ name: 'velocity/kernel', shape: [spec.hiddenSize, bins] });
    out.push({ name: 'velocity/bias', shape: [bins] });
  }
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
  return velocitySpecProblem(spec);
}

/** Why a spec's velocity fields are invalid (one sentence), or undefined (also when it has none). */
function velocitySpecProblem(spec: Record<string, unknown>): string | undefined {
  const bins = spec.velocityBins ?? 0;
  if (bins === 0) {
    const stray = ['velocityEdges', 'velocityCentres'].find((key) => spec[key] !== undefined);
    return stray ? `its ${stray} needs velocityBins (2..${MAX_VELOCITY_BINS})` : undefined;
  }
  if (typeof bins !== 'number' || !Number.isInteger(bins) || bins < 2 || bins > MAX_VELOCITY_BINS)
    return `its velocityBins must be 0 (off) or a whole number within [2, ${MAX_VELOCITY_BINS}], got: ${shown(bins)}`;
  const edges = spec.velocityEdges;
  if (
    !Array.isArray(edges) ||
    edges.length !== bins - 1 ||
    !edges.every((e, i) => typeof e === 'number' && e >= 1 && e <= 127 && (i === 0 || e >= (edges[i - 1] as number)))
  )
    return `its velocityEdges must be ${bins - 1} ascending velocities within [1, 127], got: ${shown(edges)}`;
  const centres = spec.velocityCentres;
  if (
    !Array.isArray(centres) ||
    centres.length !== bins ||
    !centres.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 1 && c <= 127)
  )
    return `its velocityCentres must be ${bins} whole velocities within [1, 127], got: ${shown(centres)}`;
  return undefined;
}
