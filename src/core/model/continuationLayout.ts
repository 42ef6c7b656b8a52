// SPDX-License-Identifier: MIT
/**
 * Where a continuation of a clip goes when the clip's meter changes: the clip's own bar lines (its time-signature map)
 * up to the bar line after its last note, then `bars` bars of the clip's LAST meter (or the one the request names).
 * Counted in grid steps (sixteenths for melodies, a model's frames for polyphonic takes): the map is given with ticks
 * in steps, i.e. at a PPQ of `stepsPerQuarter`.
 */
import type { Meter } from '../music/meter';
import {
  barAt,
  barLines,
  barTicksOf,
  continueMeterMap,
  lastMeter,
  meterMapOf,
  nextBarLine,
  stepsIntoBar,
  type MeterMap,
} from '../music/meterMap';
import type { TimeSignatureEvent } from '../music/NoteSequence';
import { GenerationError } from './generate';

export interface ContinuationLayout {
  /** The meter the continuation is written in (the clip's last, unless the request names one). */
  meter: Meter;
  /** Steps in a bar of `meter`. */
  stepsPerBar: number;
  /** The bar line after the clip's last step, in steps: where the continuation starts. */
  clipEndStep: number;
  /** Bars of the clip on its own map (a bar cut short by a change counts as one). */
  clipBars: number;
  /** Length of clip + continuation in steps. */
  totalSteps: number;
  /** The map of clip + continuation, ticks in steps (the clip's map, then `meter` from clipEndStep). */
  map: TimeSignatureEvent[];
  /** Every step's place in its bar over `totalSteps` (../music/meterMap.ts stepsIntoBar): a model's beat input. */
  barPositions: Int32Array;
}

/**
 * The layout of a continuation of `clipSteps` steps of a clip whose map is `clipMap` (ticks in steps) by `bars` bars.
 * @throws GenerationError GENERATION_BAD_LENGTH when a bar of the meter is not a whole number of steps (3/8 on
 *   quarter-note frames).
 */
export function continuationLayout(
  clipMap: MeterMap,
  stepsPerQuarter: number,
  clipSteps: number,
  bars: number,
  meter?: Meter,
): ContinuationLayout {
  const map = meterMapOf(clipMap);
  const continued = meter ?? lastMeter(map);
  const stepsPerBar = barTicksOf(continued, stepsPerQuarter);
  if (!Number.isInteger(stepsPerBar) || stepsPerBar < 1)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      `A bar of ${continued.numerator}/${continued.denominator} is not a whole number of this model's steps (${stepsPerQuarter} a quarter note); pick another meter.`,
    );
  // The bar line at or after the clip's end (an empty clip still has its first bar).
  const clipEndStep = Math.ceil(nextBarLine(map, stepsPerQuarter, Math.max(1, clipSteps)));
  const clipBars = barAt(map, stepsPerQuarter, clipEndStep - 1).index + 1;
  const totalSteps = clipEndStep + bars * stepsPerBar;
  const takeMap = continueMeterMap(map, clipEndStep, continued);
  return {
    meter: continued,
    stepsPerBar,
    clipEndStep,
    clipBars,
    totalSteps,
    map: takeMap,
    barPositions: stepsIntoBar(takeMap, stepsPerQuarter, 1, totalSteps),
  };
}

/** Bars of a map over `steps` steps (ticks in steps at `stepsPerQuarter`). */
export function barCountOf(map: MeterMap, stepsPerQuarter: number, steps: number): number {
  return barLines(map, stepsPerQuarter, steps).length;
}
