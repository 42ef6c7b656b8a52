// SPDX-License-Identifier: MIT
/**
 * Meter on the sixteenth grid: how long a bar is, and how strong each sixteenth of it is (for accents).
 */
import type { TimeSignatureEvent } from './NoteSequence';

export type Meter = Pick<TimeSignatureEvent, 'numerator' | 'denominator'>;

export const COMMON_TIME: Meter = { numerator: 4, denominator: 4 };

/** Thrown for a meter the sixteenth grid cannot hold. */
export class MeterError extends Error {
  override name = 'MeterError';
  readonly code = 'METER_INVALID' as const;
}

/**
 * Sixteenths in a bar of numerator/denominator: numerator * 16 / denominator (4/4: 16, 3/4: 12, 6/8: 12, 5/4: 20,
 * 2/4: 8).
 * @throws {MeterError} when that is not a whole number of sixteenths (e.g. 3/32) or the meter is malformed.
 */
export function sixteenthsPerBar(meter: Meter): number {
  const { numerator, denominator } = meter;
  const steps = (numerator * 16) / denominator;
  if (!Number.isInteger(numerator) || numerator < 1 || !Number.isInteger(denominator) || !Number.isInteger(steps))
    throw new MeterError(`${numerator}/${denominator} is not a whole number of sixteenths per bar`);
  return steps;
}

/** Compound meters (6/8, 9/8, 12/8): beats are dotted, three eighths each. */
function isCompound(meter: Meter): boolean {
  return meter.denominator >= 8 && meter.numerator % 3 === 0 && meter.numerator > 3;
}

/**
 * How strong sixteenth `step` of a bar is: 3 the downbeat, 2 a secondary strong beat (beat 3 of 4/4, the third dotted
 * beat of 12/8, beat 4 of 5/4 as 3+2), 1 any other beat (6/8's second dotted quarter, 3/4's beats 2 and 3), 0 off the beat.
 */
export function metricWeight(step: number, meter: Meter): number {
  const bar = sixteenthsPerBar(meter);
  const s = ((step % bar) + bar) % bar;
  if (s === 0) return 3;
  const beat = isCompound(meter) ? 6 : 16 / meter.denominator;
  if (s % beat !== 0) return 0;
  const beatIndex = s / beat;
  const beats = bar / beat;
  // Even numbers of beats (4/4, 6/8's two, 12/8's four) have a secondary accent half way; 5/4 is 3+2.
  if (beats % 2 === 0 && beats >= 4 && beatIndex === beats / 2) return 2;
  if (meter.numerator === 5 && !isCompound(meter) && beatIndex === 3) return 2;
  return 1;
}
