// SPDX-License-Identifier: MIT
/**
 * The input every bar-based measure works on: the notes of a take or a piece (all tracks
 * together, so melody and polyphonic material are measured alike) plus what is needed to find
 * the bar lines (PPQ and the time-signature map).
 */
import type { Note, NoteSequence, Ticks, TimeSignatureEvent } from '../music/NoteSequence';
import { AnalysisError } from './errors';

/** A length or position in bars (fractional; each bar counts 1 whatever its meter). */
export type Bars = number;

/** Notes plus their bar grid. Plain data; build one with {@link passageOf}. */
export interface Passage {
  /** Sorted by startTick, then pitch. */
  notes: readonly Note[];
  /** Ticks per quarter note, > 0. */
  ppq: number;
  /** Sorted by tick; empty means 4/4 throughout. */
  timeSignatures: readonly TimeSignatureEvent[];
  /**
   * End of the passage in ticks. Trailing silence up to here counts (an empty last bar of a
   * 16-bar take is an empty bar). Never before the last note's end.
   */
  endTick: Ticks;
}

/** One bar of a passage's grid. */
export interface Bar {
  startTick: Ticks;
  /** Length in ticks (from the time signature in force; a meter change cuts a bar short). */
  lengthTicks: Ticks;
}

/**
 * Flatten a sequence into a {@link Passage}: the notes of every non-percussion track, sorted by
 * start then pitch; drums carry no pitch and are left out unless asked for.
 * `endTick` is `sequence.totalTicks` when set and not shorter than the notes, else the last
 * note's end.
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT when `ppq` is not a positive number.
 */
export function passageOf(sequence: NoteSequence, options: { includePercussion?: boolean } = {}): Passage {
  const notes = sequence.tracks
    .filter((track) => options.includePercussion || !track.isPercussion)
    .flatMap((track) => track.notes);
  return makePassage(notes, sequence.ppq, sequence.timeSignatures, sequence.totalTicks);
}

/**
 * Build a {@link Passage} from bare notes (any order; they are copied and sorted).
 * @param ppq ticks per quarter note, > 0
 * @param timeSignatures sorted by tick; empty = 4/4
 * @param endTick optional end beyond the last note (see {@link Passage.endTick})
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT when `ppq` is not a positive number, a time
 *   signature has a non-positive numerator or denominator, or a note has a pitch outside 0..127
 *   or a negative or non-finite start or duration.
 */
export function makePassage(
  notes: readonly Note[],
  ppq: number,
  timeSignatures: readonly TimeSignatureEvent[] = [],
  endTick?: Ticks,
): Passage {
  if (!(ppq > 0) || !Number.isFinite(ppq)) {
    throw new AnalysisError('ANALYSIS_BAD_INPUT', `ppq must be a positive number, got: ${ppq}`);
  }
  for (const signature of timeSignatures) {
    if (!(signature.numerator > 0) || !(signature.denominator > 0)) {
      throw new AnalysisError(
        'ANALYSIS_BAD_INPUT',
        `a time signature needs a positive numerator and denominator, got: ${signature.numerator}/${signature.denominator} at tick ${signature.tick}`,
      );
    }
  }
  for (const note of notes) {
    const ticksOk =
      note.startTick >= 0 && note.durationTicks >= 0 && Number.isFinite(note.startTick + note.durationTicks);
    if (!Number.isInteger(note.pitch) || note.pitch < 0 || note.pitch > 127 || !ticksOk) {
      throw new AnalysisError(
        'ANALYSIS_BAD_INPUT',
        `a note needs a pitch within [0, 127] and a start and duration >= 0, got: pitch ${note.pitch}, start ${note.startTick}, duration ${note.durationTicks}`,
      );
    }
  }
  const sorted = [...notes].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
  let lastEnd = 0;
  for (const note of sorted) lastEnd = Math.max(lastEnd, note.startTick + note.durationTicks);
  return {
    notes: sorted,
    ppq,
    timeSignatures: [...timeSignatures].sort((a, b) => a.tick - b.tick),
    endTick: Math.max(lastEnd, endTick ?? 0),
  };
}

/** Ticks in one bar of `numerator/denominator` at `ppq` (4/4 at 480 ppq = 1920). */
export function barLengthTicks(ppq: number, numerator: number, denominator: number): Ticks {
  return (numerator * ppq * 4) / denominator;
}

/**
 * The bar grid of a passage, from tick 0 to its end (at least one bar, so an empty passage has
 * one empty bar). A time signature takes effect at its tick; when that tick falls inside a bar,
 * the bar is cut short there and the new meter's bars start at it.
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT for a non-positive ppq or meter (hand-built passages).
 */
export function barsOf(passage: Passage): Bar[] {
  // A hand-built Passage skips makePassage's checks; a zero-length bar would never end the loop.
  if (
    !(barLengthTicks(passage.ppq, 4, 4) > 0) ||
    passage.timeSignatures.some((s) => !(s.numerator > 0 && s.denominator > 0))
  ) {
    throw new AnalysisError(
      'ANALYSIS_BAD_INPUT',
      `bars need a positive ppq and time signatures, got ppq ${passage.ppq}`,
    );
  }
  const bars: Bar[] = [];
  const signatures = passage.timeSignatures;
  let meterIndex = -1;
  let lengthTicks = barLengthTicks(passage.ppq, 4, 4);
  let tick = 0;
  while (bars.length === 0 || tick < passage.endTick) {
    while (meterIndex + 1 < signatures.length && signatures[meterIndex + 1].tick <= tick) {
      meterIndex++;
      const signature = signatures[meterIndex];
      lengthTicks = barLengthTicks(passage.ppq, signature.numerator, signature.denominator);
    }
    const nextChange = meterIndex + 1 < signatures.length ? signatures[meterIndex + 1].tick : Infinity;
    const end = Math.min(tick + lengthTicks, nextChange);
    bars.push({ startTick: tick, lengthTicks: end - tick });
    tick = end;
  }
  return bars;
}

/**
 * Position of a tick on the bar grid as a fractional bar count: bar index + the fraction of that
 * bar already passed. Distances between positions are lengths in bars even across meter changes.
 * Ticks past the last bar extend it at the last bar's length.
 */
export function barPosition(bars: readonly Bar[], tick: Ticks): Bars {
  let low = 0;
  let high = bars.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (bars[mid].startTick <= tick) low = mid;
    else high = mid - 1;
  }
  const bar = bars[low];
  return low + (tick - bar.startTick) / bar.lengthTicks;
}

/** Index of the bar that holds `tick` (the last bar for ticks past the end). */
export function barIndexAt(bars: readonly Bar[], tick: Ticks): number {
  return Math.min(bars.length - 1, Math.floor(barPosition(bars, tick)));
}
