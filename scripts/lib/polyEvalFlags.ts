// SPDX-License-Identifier: MIT
/**
 * eval:poly's own flags (scripts/eval-poly.ts), each read and checked once: the seeds, the kinds, the spec's sizes,
 * the training transpositions, the weight average's decay, the pitch range and the engine. A bad value is refused with the flag's
 * name and what it accepts.
 */
import type { PolyBenchmark } from '../../src/core/data/polyBenchmark';
import { soundingSpan, type PitchSpan } from '../../src/core/data/rollRange';
import type { PolyKind, PolyLstmSpec } from '../../src/core/model/polyLstmSpec';
import { isAverageDecay } from '../../src/core/training/weightAverage';
import { isWeightDecay } from '../../src/core/model/spec';
import { flag, num } from './polyEval';

/** Sizes and dropout a run sets on top of the kind's default spec (the spec's own check then judges them). */
export function specFlags(): Partial<PolyLstmSpec> {
  const widths = (name: string) => {
    const v = flag(name);
    return v === undefined ? undefined : v === '' || v === 'none' ? [] : v.split(',').map(Number);
  };
  const out: Partial<PolyLstmSpec> = {};
  if (flag('dropout') !== undefined) out.dropout = num('dropout', 0.5);
  const time = widths('time-sizes');
  if (time) out.timeSizes = time;
  const pitch = widths('pitch-sizes');
  if (pitch) out.pitchSizes = pitch;
  const down = widths('down-sizes');
  if (down) out.downSizes = down;
  if (flag('window') !== undefined) out.window = num('window', 0);
  if (flag('window-hidden') !== undefined) out.windowHidden = num('window-hidden', 0);
  if (flag('repeat-context') !== undefined) out.repeatContext = num('repeat-context', 0);
  return out;
}

/** The seeds each kind trains with: --seeds 1,2,3, else --seed N, else 1; whole numbers, none twice. */
export function seedsFromFlags(): number[] {
  const list = flag('seeds');
  const parts = list?.split(',').map((s) => s.trim());
  // Number('') is 0: an empty entry ("1,,3") must be refused, not read as seed 0.
  const seeds = parts === undefined ? [num('seed', 1)] : parts.map((s) => (s === '' ? NaN : Number(s)));
  for (const s of seeds)
    if (!Number.isSafeInteger(s) || s < 0)
      throw new Error(`--seeds must be whole numbers 0 or more, separated by commas, got: ${list ?? flag('seed')}`);
  if (new Set(seeds).size !== seeds.length) throw new Error(`--seeds names a seed twice: ${list}`);
  return seeds;
}

export interface TrainingShifts {
  /** K, the largest shift in semitones (0: none). */
  max: number;
  /** -K..K, as the training config's transpositions. */
  list: number[];
}

/**
 * The training transpositions (--transpose K): every piece of the training split also shifted by each whole number of
 * semitones in -K..K, a piece left out of a shift that would push a note out of the modelled range. Only training is
 * augmented; valid and test are scored as written, so the figures stay those of pieces not transposed.
 */
export function transposeShifts(): TrainingShifts {
  const max = num('transpose', 0);
  if (!Number.isInteger(max) || max < 0 || max > 12)
    throw new Error(`--transpose must be a whole number of semitones from 0 to 12, got: ${flag('transpose')}`);
  return { max, list: Array.from({ length: 2 * max + 1 }, (_, i) => i - max) };
}

/**
 * --average-decay D: keep a moving average of the weights, decay D per validation (src/core/training/weightAverage.ts),
 * validate it beside the weights and keep the better. Absent: no average.
 */
export function averageDecayFromFlags(): number | undefined {
  const given = flag('average-decay');
  if (given === undefined) return undefined;
  const decay = Number(given);
  if (!isAverageDecay(decay)) throw new Error(`--average-decay must be a number above 0 and below 1, got: ${given}`);
  return decay;
}

/**
 * --weight-decay X: AdamW's decoupled weight decay (src/core/engine/types.ts ADAM), within [0, 1]. Absent: plain Adam,
 * as every run before it.
 */
export function weightDecayFromFlags(): number | undefined {
  const given = flag('weight-decay');
  if (given === undefined) return undefined;
  const decay = given.trim() === '' ? Number.NaN : Number(given);
  if (!isWeightDecay(decay)) throw new Error(`--weight-decay must be a number within [0, 1], got: ${given}`);
  return decay;
}

export const PITCH_RANGE_MODES = ['train', 'full'] as const;
export type PitchRangeMode = (typeof PITCH_RANGE_MODES)[number];
export const isPitchRangeMode = (mode: string): mode is PitchRangeMode =>
  (PITCH_RANGE_MODES as readonly string[]).includes(mode);

/**
 * The pitches our models cover (--pitch-range): 'train' (the default), the keys the training split sounds, lowest to
 * highest; 'full', all 88. Our models run their LSTMs once per pitch, so JSB's 54 of 88 keys cost 61% of the work
 * per frame. Either way the test NLL is that of the whole 88-key frame: the keys outside the range are scored by the
 * Note 1-Gram fitted on train (polyMetrics.ts, rangedScorer). The peer always models all 88.
 */
export function pitchSpanFromFlags(bench: PolyBenchmark, mode: PitchRangeMode): PitchSpan {
  const full = { from: 0, count: bench.pitches };
  const span = mode === 'train' ? (soundingSpan(bench.train) ?? full) : full;
  const midi = (i: number) => bench.low + i;
  console.log(
    `pitch range of our models: MIDI ${midi(span.from)}..${midi(span.from + span.count - 1)}, ${span.count} of ${bench.pitches} keys` +
      (mode === 'train'
        ? ` (the keys the training split sounds; --pitch-range full for all ${bench.pitches}); the keys outside are scored by the Note 1-Gram fitted on train, so the test NLL is that of the whole ${bench.pitches}-key frame`
        : ''),
  );
  return span;
}

const POLY_KINDS: readonly PolyKind[] = ['biaxial-lstm', 'bi-lstm'];

/** The kinds to train (--kind K), else both, the baseline first. */
export function kindsFromFlags(): PolyKind[] {
  const given = flag('kind');
  if (given === undefined) return [...POLY_KINDS];
  const kind = POLY_KINDS.find((k) => k === given);
  if (!kind) throw new Error(`--kind must be ${POLY_KINDS.join(' or ')}, got: ${given}`);
  return [kind];
}

export const EVAL_ENGINES = ['wasm', 'webgpu'] as const;
export type EvalEngineName = (typeof EVAL_ENGINES)[number];

/**
 * The engine that trains and scores (--engine): wasm (the default, our WebAssembly SIMD engine on --threads threads)
 * or webgpu (a GPU through Dawn, or a software adapter, which the run's header line names as slow). Not part of a
 * saved run's settings: the models compute the same on both (test/core/poly.webgpu.test.ts), so a run started on
 * one engine may go on with the other.
 */
export function engineFromFlags(): EvalEngineName {
  const given = flag('engine') ?? 'wasm';
  const engine = EVAL_ENGINES.find((e) => e === given);
  if (!engine) throw new Error(`--engine must be ${EVAL_ENGINES.join(' or ')}, got: ${given}`);
  return engine;
}
