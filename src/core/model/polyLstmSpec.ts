// SPDX-License-Identifier: MIT
/**
 * The polyphonic models' spec (kinds 'biaxial-lstm' and 'bi-lstm', networks in ./polyLstm.ts), their named tensors and
 * the features both read from the previous frame. Weight layout (row-major float32, gate order i, f, c, o):
 *   lstm_time_{k}/kernel, /recurrent_kernel, /bias        the time-axis stack, k = 1..timeSizes.length
 *   lstm_back_1/...                                       bi-lstm only: the backward-in-time pass over the window
 *   lstm_down_{k}/...                                     bi-lstm only: the high-to-low pitch stack, k = 1..downSizes.length
 *   lstm_pitch_{k}/...                                    the low-to-high pitch stack, k = 1..pitchSizes.length
 *   dense/kernel (last pitch width, 1), dense/bias (1)    one logit per pitch
 *
 * The training loss (`loss`, the thesis' "redesigned loss that avoids meaningless, empty or degenerate results",
 * ../../../../shared/SEED.md):
 *   absent or 'bce'  the plain frame cross-entropy: the sum over pitches of the Bernoulli log-losses, i.e. the exact
 *                    -log P(frame | past frames), the benchmark's measure.
 *   'weighted'       each pitch that SOUNDS in the data frame counts `onWeight` times (default 2), each silent one
 *                    once: the positive-class weight of weighted binary cross-entropy for imbalanced multi-label
 *                    targets (PyTorch's BCEWithLogitsLoss pos_weight), applied through the layer interface's weighted
 *                    sigmoidBce (../engine/backend.ts).
 * Why: a piano roll is mostly zeros (JSB: about 4 of 88 pitches sound per frame), so the plain loss is first lowered
 * by pushing every pitch's probability down; a small or briefly trained model then draws frames in which no pitch
 * fires, and each empty frame it feeds back makes the next one likelier to be empty. With weight w a pitch's optimum
 * moves from its data frequency pi to w*pi / (w*pi + 1 - pi): a deliberate bias toward sounding, which lowers the
 * share of empty generated frames and costs exact likelihood. The weighted loss drives training steps only (the
 * training loss they report is the weighted one); validation and test scoring always use the plain likelihood, so
 * test NLL compares across losses. `npm run eval:loss` prints both effects side by side.
 * A chord-conditioned model (`chords: 'chroma'`) has 12 more time-axis features per pitch (frameFeatures: the chord of
 * the predicted frame relative to the pitch), so its lstm_time_1 and lstm_back_1 kernels have 12 more rows; batches
 * then carry [beat one-hot | chord chroma] as their condition. Without `chords` nothing changes. A spec with the repeat
 * input (`repeatContext`, ./repeatMatch.ts) has 3 more such features and rows, and its batches' condition ends with the
 * candidate frame and its run (polyConditionDim).
 */
import type { TensorShape } from '../engine/backend';
import { CHORD_DIM } from '../music/chords';
import type { ScheduleName } from '../training/schedule';
import { shown } from '../util/shown';

export type PolyKind = 'biaxial-lstm' | 'bi-lstm';

export interface PolyLstmSpec {
  kind: PolyKind;
  /** Frames are piano-roll rows; the model sees the `pitches` pitches from `lowPitch` (the benchmark: 21, 88). */
  encoding: 'piano-roll-128';
  lowPitch: number;
  pitches: number;
  /** Frames per bar for the beat one-hot input (4 = quarter-note frames in 4/4); 0 = no beat input. */
  beatsPerBar: number;
  /**
   * Frames per quarter note: 4 (sixteenths) for a model trained on a library corpus, whose pieces are rolled at
   * sixteenths; absent for the benchmark models, whose frames are the JSON file's own (quarter notes: 1).
   */
  stepsPerQuarter?: number;
  /** Time-axis LSTM widths (Johnson 2017: 300, 300). */
  timeSizes: number[];
  /** Low-to-high pitch-axis LSTM widths (Johnson 2017: 100, 50). */
  pitchSizes: number[];
  /** bi-lstm: the high-to-low pitch-axis widths, reading past-frame context only; [] for biaxial-lstm. */
  downSizes: number[];
  /**
   * bi-lstm: the backward-in-time pass, an LSTM of `windowHidden` units run from the newest to the oldest of the
   * `window` frames before the one predicted (features as the time stack's); 0 and 0 for biaxial-lstm.
   */
  window: number;
  windowHidden: number;
  /** Dropout on the time-axis outputs, in training only. */
  dropout: number;
  /** Frames per training segment. */
  segment: number;
  /** The training loss (see the header): absent = 'bce', the plain frame cross-entropy (every older checkpoint). */
  loss?: 'bce' | 'weighted';
  /** 'weighted' only: the weight of a sounding pitch's log-loss, a silent one's being 1 (absent = DEFAULT_ON_WEIGHT). */
  onWeight?: number;
  /** 'chroma': the chord of every frame is an input (see the file header and frameFeatures); absent: none. */
  chords?: 'chroma';
  /**
   * The repeat input (./repeatMatch.ts): frames of context matched to find where the piece played the same frames
   * before; the frame that followed them then is an input of the time stack (frameFeatures). Absent or 0: none.
   */
  repeatContext?: number;
}

/** Width of a spec's chord input (0 without one). */
export function polyChordDim(spec: Pick<PolyLstmSpec, 'chords'>): number {
  return spec.chords === 'chroma' ? CHORD_DIM : 0;
}

/** Width of a spec's repeat condition per frame: the candidate frame and its run (0 without the repeat input). */
export function polyRepeatDim(spec: Pick<PolyLstmSpec, 'repeatContext' | 'pitches'>): number {
  return spec.repeatContext ? spec.pitches + 1 : 0;
}

/** Width of a batch's condition per frame: [beat one-hot | chord chroma | repeat candidate frame, run]. */
export function polyConditionDim(
  spec: Pick<PolyLstmSpec, 'beatsPerBar' | 'chords' | 'repeatContext' | 'pitches'>,
): number {
  return spec.beatsPerBar + polyChordDim(spec) + polyRepeatDim(spec);
}

/**
 * The repeat input's context for a model of a library corpus ("Learn repeats" on the Train screen): 16 sixteenths,
 * one bar of 4/4, so a match is a whole bar heard before.
 */
export const POLY_REPEAT_CONTEXT = 16;

/** The weight of a sounding pitch under the weighted loss when the spec names none. */
export const DEFAULT_ON_WEIGHT = 2;

/** Johnson's (2017) biaxial sizes, the peer's (shared bench/torch_biaxial_baseline.py): 1.34 M parameters over 88 pitches. */
export const DEFAULT_BIAXIAL_SPEC: PolyLstmSpec = {
  kind: 'biaxial-lstm',
  encoding: 'piano-roll-128',
  lowPitch: 21,
  pitches: 88,
  beatsPerBar: 4,
  timeSizes: [300, 300],
  pitchSizes: [100, 50],
  downSizes: [],
  window: 0,
  windowHidden: 0,
  dropout: 0.5,
  segment: 32,
};

export const DEFAULT_BI_LSTM_SPEC: PolyLstmSpec = {
  ...DEFAULT_BIAXIAL_SPEC,
  kind: 'bi-lstm',
  timeSizes: [200, 200],
  downSizes: [100],
  window: 8,
  windowHidden: 64,
  pitchSizes: [100, 50],
};

/**
 * Segments per batch of a polyphonic model unless the user says otherwise. Every segment runs the time axis once per
 * pitch, so a batch holds segments x frames x pitches LSTM steps: the melody model's 64 would ask the WebAssembly
 * engine for more than its 1 GiB on a corpus of 40 pitches (measured: `etude train --kind bi-lstm` on 20 Nottingham
 * tunes asked for 1,135 MiB at 64, and 1,058 MiB at 8 segments of 64 frames). 4 segments of 32 frames (Johnson's and the peer's batch) fit.
 */
export const POLY_DEFAULT_BATCH = 4;

/**
 * Adam's rate for a polyphonic model unless the user says otherwise, the peak of the 'anneal' schedule
 * (POLY_DEFAULT_SCHEDULE). Chosen on JSB's valid split (README, "Polyphony: the benchmark"): bi-lstm, seed 1, 24
 * minutes on 1 thread, valid 7.23 after 3 epochs at 0.0025 against 8.18 at a constant 0.001 (the melody model's rate,
 * and the peer's) and 8.23 at 0.001 annealed.
 */
export const POLY_DEFAULT_RATE = 0.0025;

/** How a polyphonic model's rate moves over its planned epochs by default: held, then annealed (../training/schedule.ts). */
export const POLY_DEFAULT_SCHEDULE = 'anneal' satisfies ScheduleName;

/**
 * The spec a new polyphonic model of a library corpus starts from: sixteenth-note frames (the grid pieces are rolled
 * at), a beat input of one bar of 4/4 (16 frames), the corpus' own pitch range, and sizes a 2-core machine trains in
 * minutes on a small corpus (Johnson's 300/300 + 100/50 remain a flag away). `overrides` wins over all of it.
 */
export function polySpecForCorpus(
  kind: PolyKind,
  range: { lowPitch: number; pitches: number },
  overrides: Partial<PolyLstmSpec> = {},
): PolyLstmSpec {
  const base = kind === 'bi-lstm' ? DEFAULT_BI_LSTM_SPEC : DEFAULT_BIAXIAL_SPEC;
  return {
    ...base,
    lowPitch: range.lowPitch,
    pitches: range.pitches,
    stepsPerQuarter: 4,
    beatsPerBar: 16,
    timeSizes: [128, 128],
    pitchSizes: [64, 32],
    ...(kind === 'bi-lstm' ? { downSizes: [64], window: 8, windowHidden: 32 } : {}),
    segment: 32,
    ...overrides,
    kind,
    encoding: 'piano-roll-128',
  };
}

/**
 * The pitch range a polyphonic model of a corpus covers: its lowest to highest note, widened to at least two octaves
 * around their middle and kept within MIDI 0..127.
 */
export function corpusPitchRange(low: number, high: number): { lowPitch: number; pitches: number } {
  let lo = Math.max(0, Math.min(low, high));
  let hi = Math.min(127, Math.max(low, high));
  while (hi - lo + 1 < 24) {
    if (lo > 0) lo--;
    if (hi - lo + 1 < 24 && hi < 127) hi++;
  }
  return { lowPitch: lo, pitches: hi - lo + 1 };
}

/** Features of one pitch read from the previous frame (see frameFeatures). */
export function featureCount(spec: Pick<PolyLstmSpec, 'beatsPerBar' | 'chords' | 'repeatContext'>): number {
  return 1 + 12 + 25 + 12 + spec.beatsPerBar + polyChordDim(spec) + (spec.repeatContext ? REPEAT_FEATURES : 0);
}

/** Time-axis features of the repeat input per pitch (frameFeatures). */
const REPEAT_FEATURES = 3;

function lstmTensors(prefix: string, sizes: readonly number[], inDim: number): TensorShape[] {
  const out: TensorShape[] = [];
  let d = inDim;
  sizes.forEach((h, i) => {
    out.push({ name: `${prefix}_${i + 1}/kernel`, shape: [d, 4 * h] });
    out.push({ name: `${prefix}_${i + 1}/recurrent_kernel`, shape: [h, 4 * h] });
    out.push({ name: `${prefix}_${i + 1}/bias`, shape: [4 * h] });
    d = h;
  });
  return out;
}

/** Width of the time-axis output per pitch: [backward-in-time window pass (bi-lstm) | time stack]. */
export function timeWidth(spec: PolyLstmSpec): number {
  return spec.windowHidden + spec.timeSizes[spec.timeSizes.length - 1];
}

/** Input width of the low-to-high pitch stack: time output, high-to-low output (bi-lstm), next-lower pitch. */
export function pitchInputWidth(spec: PolyLstmSpec): number {
  return timeWidth(spec) + (spec.downSizes.at(-1) ?? 0) + 1;
}

export function polyLstmTensors(spec: PolyLstmSpec): TensorShape[] {
  return [
    ...lstmTensors('lstm_time', spec.timeSizes, featureCount(spec)),
    ...lstmTensors('lstm_back', spec.windowHidden ? [spec.windowHidden] : [], featureCount(spec)),
    ...lstmTensors('lstm_down', spec.downSizes, timeWidth(spec)),
    ...lstmTensors('lstm_pitch', spec.pitchSizes, pitchInputWidth(spec)),
    { name: 'dense/kernel', shape: [spec.pitchSizes[spec.pitchSizes.length - 1], 1] },
    { name: 'dense/bias', shape: [1] },
  ];
}

/** Why `spec` is not a valid polyphonic spec (one sentence naming the field), or undefined. */
export function polyLstmSpecProblem(spec: Record<string, unknown>): string | undefined {
  if (spec.encoding !== 'piano-roll-128')
    return `a ${String(spec.kind)} model reads the piano-roll-128 encoding, not ${JSON.stringify(spec.encoding)}`;
  const ints = {
    lowPitch: [0, 127],
    pitches: [1, 128],
    beatsPerBar: [0, 64],
    segment: [1, 4096],
    window: [0, 256],
    repeatContext: [0, 64],
    windowHidden: [0, 4096],
  } as const;
  for (const [key, [lo, hi]] of Object.entries(ints)) {
    const v = spec[key];
    if (key === 'repeatContext' && v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
      return `its ${key} must be an integer within [${lo}, ${hi}], got: ${shown(v)}`;
  }
  const spq = spec.stepsPerQuarter;
  if (spq !== undefined && (typeof spq !== 'number' || !Number.isInteger(spq) || spq < 1 || spq > 16))
    return `its stepsPerQuarter must be an integer within [1, 16], got: ${JSON.stringify(spq)}`;
  if ((spec.lowPitch as number) + (spec.pitches as number) > 128)
    return `its pitches ${String(spec.lowPitch)}..${(spec.lowPitch as number) + (spec.pitches as number) - 1} must stay within MIDI 0..127`;
  for (const key of ['timeSizes', 'pitchSizes', 'downSizes'] as const) {
    const v = spec[key];
    const min = key === 'downSizes' ? 0 : 1;
    if (
      !Array.isArray(v) ||
      v.length < min ||
      v.length > 8 ||
      !v.every((h) => Number.isInteger(h) && h >= 1 && h <= 4096)
    )
      return `its ${key} must list ${min}..8 integer widths within [1, 4096], got: ${shown(v)}`;
  }
  if (
    spec.kind === 'biaxial-lstm' &&
    ((spec.downSizes as number[]).length > 0 || spec.window !== 0 || spec.windowHidden !== 0)
  )
    return 'a biaxial-lstm is unidirectional: its downSizes must be [] and its window and windowHidden 0';
  if ((spec.window === 0) !== (spec.windowHidden === 0))
    return 'its window and windowHidden must both be 0 (no backward-in-time pass) or both at least 1';
  if (spec.kind === 'bi-lstm' && (spec.downSizes as number[]).length === 0)
    return 'a bi-lstm needs a high-to-low pitch stack: list at least one width in downSizes';
  const dropout = spec.dropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    return `its dropout must be within [0, 1), got: ${shown(dropout)}`;
  if (spec.loss !== undefined && spec.loss !== 'bce' && spec.loss !== 'weighted')
    return `its loss must be 'bce' or 'weighted', got: ${shown(spec.loss)}`;
  const on = spec.onWeight;
  if (on !== undefined && (typeof on !== 'number' || !(on > 0 && on <= 100)))
    return `its onWeight must be a number within (0, 100], got: ${shown(on)}`;
  if (on !== undefined && spec.loss !== 'weighted')
    return "its onWeight weighs the weighted loss only: set its loss to 'weighted' as well";
  if (spec.chords !== undefined && spec.chords !== 'chroma')
    return `its chords must be "chroma" (the chord of every frame is an input) or absent, got: ${shown(spec.chords)}`;
  return undefined;
}

/**
 * The time-axis input of every pitch, read from the previous frame `prev` (P values, 0/1) for the frame at absolute
 * index `frameIndex`, written to out[offset + p*stride .. + F) for p = 0..P-1 (Johnson 2017, section 3.1):
 *   [0]       pitch position, scaled to [-1, 1]
 *   [1..12]   pitch class one-hot
 *   [13..37]  prev's on/off at p-12 .. p+12 (0 beyond the range)
 *   [38..49]  how many notes of each pitch class prev holds, rotated so that feature j counts class (pc + j) mod 12
 *   [50..]    beat: one-hot of frameIndex mod beatsPerBar
 *   [50+beatsPerBar .. +12)  chord-conditioned specs only: the chord of the predicted frame (`chordMask`, 12-bit
 *             pitch-class mask) rotated like the counts: feature j = 1 when class (pc + j) mod 12 is a chord tone, so
 *             j = 0 says "this pitch is a chord tone" and the tied weights read every chord relative to the pitch
 *   [then 3]  repeat-input specs only (`repeatContext`), from `repeat` at `repeatOffset` (P + 1 values, ./repeatMatch.ts
 *             writeRepeatInput): whether the candidate frame sounds this pitch, whether there is a candidate, and
 *             how long the match behind it is (run / REPEAT_RUN_CAP), the last two the same for every pitch
 */
export function frameFeatures(
  spec: Pick<PolyLstmSpec, 'lowPitch' | 'pitches' | 'beatsPerBar' | 'chords' | 'repeatContext'>,
  prev: ArrayLike<number>,
  prevOffset: number,
  frameIndex: number,
  out: Float32Array,
  offset: number,
  stride: number,
  chordMask = 0,
  repeat?: ArrayLike<number>,
  repeatOffset = 0,
): void {
  const chordAt = 50 + spec.beatsPerBar;
  const withChords = polyChordDim(spec) > 0;
  const repeatAt = chordAt + polyChordDim(spec);
  const run = spec.repeatContext && repeat ? repeat[repeatOffset + spec.pitches] : 0;
  const P = spec.pitches;
  const classCounts = new Float64Array(12);
  for (let q = 0; q < P; q++) if (prev[prevOffset + q] > 0) classCounts[(spec.lowPitch + q) % 12]++;
  const half = P > 1 ? (P - 1) / 2 : 1;
  for (let p = 0; p < P; p++) {
    const o = offset + p * stride;
    const pc = (spec.lowPitch + p) % 12;
    out[o] = (p - (P - 1) / 2) / half;
    for (let j = 0; j < 12; j++) out[o + 1 + j] = j === pc ? 1 : 0;
    for (let d = -12; d <= 12; d++) {
      const q = p + d;
      out[o + 25 + d] = q >= 0 && q < P && prev[prevOffset + q] > 0 ? 1 : 0;
    }
    for (let j = 0; j < 12; j++) out[o + 38 + j] = classCounts[(pc + j) % 12];
    for (let j = 0; j < spec.beatsPerBar; j++) out[o + 50 + j] = frameIndex % spec.beatsPerBar === j ? 1 : 0;
    if (withChords) for (let j = 0; j < 12; j++) out[o + chordAt + j] = (chordMask >> ((pc + j) % 12)) & 1;
    if (spec.repeatContext) {
      out[o + repeatAt] = run > 0 && repeat![repeatOffset + p] > 0 ? 1 : 0;
      out[o + repeatAt + 1] = run > 0 ? 1 : 0;
      out[o + repeatAt + 2] = run;
    }
  }
}
