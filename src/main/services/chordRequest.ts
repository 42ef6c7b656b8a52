// SPDX-License-Identifier: MIT
/**
 * Chords asked of a take (`etude generate MODEL --chords "C G Am F" --bars-per-chord 1`, the compose request's
 * `chords`): a progression repeated over the take, `barsPerChord` bars a chord, from the take's first output bar. The
 * model hears the chord of every step (src/core/model/generate.ts, generatePoly.ts); the take's MIDI carries each
 * chord change as a marker meta event (FF 06) with its symbol, and the take lists them for the screens.
 */
import { GenerationError } from '../../core/model/generate';
import type { ModelSpec } from '../../core/model/spec';
import {
  ChordSymbolError,
  chordTrackOf,
  parseProgression,
  progressionSpans,
  type ChordSpan,
} from '../../core/music/chords';

export interface ChordRequest {
  /** Symbols separated by spaces, commas or bars, e.g. "C G Am F". */
  progression: string;
  /** Bars each chord lasts (default 1). */
  barsPerChord?: number;
}

/** A take's chords: the chord of every step (12-bit masks) and the spans from the output's first step. */
export interface ChordPlan {
  track: number[];
  spans: ChordSpan[];
}

/** A chord as the take shows and writes it: its symbol at a tick of the take. */
export interface TakeChord {
  tick: number;
  symbol: string;
}

/**
 * The chord plan of a request over `total` steps of `stepsPerBar`, the progression starting at step `from`; undefined
 * without chords.
 * @throws GenerationError GENERATION_UNSUPPORTED for a model trained without chords, GENERATION_BAD_CHORDS naming a
 *   symbol that cannot be read or a bad bars-per-chord
 */
export function chordPlanOf(
  chords: ChordRequest | undefined,
  spec: ModelSpec,
  modelName: string,
  stepsPerBar: number,
  from: number,
  total: number,
): ChordPlan | undefined {
  if (!chords) return undefined;
  if (spec.chords !== 'chroma')
    throw new GenerationError(
      'GENERATION_UNSUPPORTED',
      `The model "${modelName}" was trained without chords, so it cannot follow a chord progression; train one with chords (etude train CORPUS --model NAME --chords) or leave the chords out.`,
    );
  const barsPerChord = chords.barsPerChord ?? 1;
  if (!Number.isInteger(barsPerChord) || barsPerChord < 1 || barsPerChord > 64)
    throw new GenerationError(
      'GENERATION_BAD_CHORDS',
      `bars per chord must be a whole number within [1, 64], got: ${String(barsPerChord)}`,
    );
  let symbols;
  try {
    symbols = parseProgression(chords.progression);
  } catch (err) {
    if (err instanceof ChordSymbolError) throw new GenerationError('GENERATION_BAD_CHORDS', err.message);
    throw err;
  }
  const spans = progressionSpans(symbols, barsPerChord * stepsPerBar, Math.max(0, total - from)).map((s) => ({
    ...s,
    startStep: s.startStep + from,
  }));
  return { track: Array.from(chordTrackOf(spans, total)), spans };
}

/** The chord changes of a plan as ticks of the output (which starts at step `outputFrom`). */
export function takeChords(plan: ChordPlan | undefined, outputFrom: number, ticksPerStep: number): TakeChord[] {
  if (!plan) return [];
  return plan.spans
    .filter((s) => s.startStep >= outputFrom)
    .map((s) => ({ tick: Math.round((s.startStep - outputFrom) * ticksPerStep), symbol: s.symbol }));
}
