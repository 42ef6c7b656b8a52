// SPDX-License-Identifier: MIT
/**
 * A time-signature map and the bar:beat positions it implies: where every bar and beat of a piece starts, for a piece
 * whose meter changes (4/4 -> 3/4 -> 6/8 ...). Pure functions over plain data; ticks + PPQ are the truth.
 *
 * Rules (the same as a MIDI file's and as MuseScore's reading of one):
 * - A change takes effect at its tick. Before the first change, and for an empty map, the meter is 4/4.
 * - Bars of a meter follow each other from its change; a change that falls inside a bar cuts that bar short and the new
 *   meter's first bar starts at the change (an irregular bar, as notation programs write it).
 * - The beat is one 1/denominator note, except in compound meters (6/8, 9/8, 12/8, 6/16 ...: numerator a multiple of
 *   3 above 3, denominator 8 or more), whose beats are dotted: three 1/denominator notes (6/8: two dotted quarters).
 */
import { sixteenthsPerBar, type Meter } from './meter';
import type { Ticks, TimeSignatureEvent } from './NoteSequence';

/** A normalised map: sorted by tick, one change per tick, the first at tick 0. Build one with {@link meterMapOf}. */
export type MeterMap = readonly TimeSignatureEvent[];

/** One bar of a map: 0-based index, where it starts and how long it is (a change inside it cuts it short). */
export interface BarLine {
  index: number;
  startTick: Ticks;
  lengthTicks: Ticks;
  meter: Meter;
}

/** A position as a musician counts it, all 0-based: bar, beat of that bar, and ticks into that beat. */
export interface BarBeat {
  bar: number;
  beat: number;
  tickInBeat: Ticks;
}

/** Thrown for a map or a position that does not make sense (non-positive ppq or meter, negative tick or bar). */
export class MeterMapError extends Error {
  override name = 'MeterMapError';
  readonly code = 'METER_MAP_INVALID' as const;
}

const COMMON: Meter = { numerator: 4, denominator: 4 };

/**
 * The normalised map of a list of time signatures (any order): sorted, the last of several at one tick kept (the one
 * in force, as in a MIDI file), a change that repeats the meter in force dropped, and 4/4 at tick 0 when the list is
 * empty or starts later.
 * @throws {MeterMapError} for a non-positive or non-integer numerator or denominator, or a negative tick.
 * @example meterMapOf([{ tick: 3840, numerator: 3, denominator: 4 }]) // [{0, 4/4}, {3840, 3/4}]
 */
export function meterMapOf(timeSignatures: readonly TimeSignatureEvent[]): TimeSignatureEvent[] {
  for (const s of timeSignatures) {
    if (!(Number.isInteger(s.numerator) && s.numerator > 0 && Number.isInteger(s.denominator) && s.denominator > 0))
      throw new MeterMapError(`a time signature must be positive integers, got: ${s.numerator}/${s.denominator}`);
    if (!(s.tick >= 0 && Number.isFinite(s.tick)))
      throw new MeterMapError(`a time signature must be at a tick >= 0, got: ${s.tick}`);
  }
  const sorted = timeSignatures
    .map((s, index) => ({ s, index }))
    .sort((a, b) => a.s.tick - b.s.tick || a.index - b.index)
    .map(({ s }) => ({ tick: s.tick, numerator: s.numerator, denominator: s.denominator }));
  const map: TimeSignatureEvent[] = [];
  for (const s of sorted) {
    if (map.length > 0 && map[map.length - 1].tick === s.tick) map[map.length - 1] = s;
    else map.push(s);
  }
  if (map.length === 0 || map[0].tick > 0) map.unshift({ tick: 0, ...COMMON });
  return map.filter((s, i) => i === 0 || !sameMeter(s, map[i - 1]));
}

/** Whether two meters are the same (3/4 and 6/8 are not). */
export function sameMeter(a: Meter, b: Meter): boolean {
  return a.numerator === b.numerator && a.denominator === b.denominator;
}

/** Ticks in a bar of `meter` at `ppq` (4/4 at 480: 1920; 6/8 at 480: 1440). */
export function barTicksOf(meter: Meter, ppq: number): Ticks {
  return (meter.numerator * 4 * ppq) / meter.denominator;
}

/** Compound meters (6/8, 9/8, 12/8, 6/16): beats are dotted, three 1/denominator notes each. */
export function isCompoundMeter(meter: Meter): boolean {
  return meter.denominator >= 8 && meter.numerator % 3 === 0 && meter.numerator > 3;
}

/** Ticks in a beat of `meter` at `ppq` (3/4: a quarter; 6/8: a dotted quarter, 720 at 480). */
export function beatTicksOf(meter: Meter, ppq: number): Ticks {
  return ((isCompoundMeter(meter) ? 3 : 1) * 4 * ppq) / meter.denominator;
}

/** Beats in a full bar of `meter` (4/4: 4, 6/8: 2, 5/4: 5, 7/8: 7). */
export function beatsPerBarOf(meter: Meter): number {
  return isCompoundMeter(meter) ? meter.numerator / 3 : meter.numerator;
}

/** The meter in force at `tick` (the last change at or before it). */
export function meterAt(map: MeterMap, tick: Ticks): Meter {
  const s = map[segmentAt(map, tick)];
  return s ? { numerator: s.numerator, denominator: s.denominator } : { ...COMMON };
}

/** The meter in force at the end of the map: the one a continuation goes on in. */
export function lastMeter(map: MeterMap): Meter {
  const s = map[map.length - 1];
  return s ? { numerator: s.numerator, denominator: s.denominator } : { ...COMMON };
}

/**
 * The bar that holds `tick` (ticks past the last change go on in its meter for ever).
 * @throws {MeterMapError} for a non-positive ppq or a negative tick.
 */
export function barAt(map: MeterMap, ppq: number, tick: Ticks): BarLine {
  checkPpq(ppq);
  if (!(tick >= 0)) throw new MeterMapError(`a position must be at a tick >= 0, got: ${tick}`);
  const normal = normalised(map);
  const i = segmentAt(normal, tick);
  let index = 0;
  for (let k = 0; k < i; k++) index += barsInSegment(normal, ppq, k);
  const s = normal[i];
  const length = barTicksOf(s, ppq);
  const inSegment = Math.floor((tick - s.tick) / length);
  const startTick = s.tick + inSegment * length;
  const next = i + 1 < normal.length ? normal[i + 1].tick : Infinity;
  return {
    index: index + inSegment,
    startTick,
    lengthTicks: Math.min(length, next - startTick),
    meter: { numerator: s.numerator, denominator: s.denominator },
  };
}

/**
 * Every bar from tick 0 up to `endTick` (the bars that start before it; at least one, so an empty piece has one bar).
 * @throws {MeterMapError} for a non-positive ppq.
 * @example barLines(meterMapOf([{ tick: 0, numerator: 3, denominator: 4 }]), 480, 2880).map((b) => b.startTick)
 *   // [0, 1440]
 */
export function barLines(map: MeterMap, ppq: number, endTick: Ticks): BarLine[] {
  checkPpq(ppq);
  const normal = normalised(map);
  const bars: BarLine[] = [];
  for (let i = 0; i < normal.length; i++) {
    const s = normal[i];
    const meter = { numerator: s.numerator, denominator: s.denominator };
    const length = barTicksOf(meter, ppq);
    const next = i + 1 < normal.length ? normal[i + 1].tick : Infinity;
    for (let start = s.tick; start < next && (start < endTick || bars.length === 0); start += length)
      bars.push({ index: bars.length, startTick: start, lengthTicks: Math.min(length, next - start), meter });
    if (next >= endTick && bars.length > 0) break;
  }
  return bars;
}

/**
 * The tick of every beat (bar lines included) from 0 up to `endTick`; a bar cut short by a change keeps the beats that
 * fit in it.
 */
export function beatTicks(map: MeterMap, ppq: number, endTick: Ticks): Ticks[] {
  const ticks: Ticks[] = [];
  for (const bar of barLines(map, ppq, endTick)) {
    const beat = beatTicksOf(bar.meter, ppq);
    for (let t = bar.startTick; t < bar.startTick + bar.lengthTicks && t < endTick; t += beat) ticks.push(t);
  }
  return ticks;
}

/**
 * Bar:beat of a tick (0-based), the beat being the meter's ({@link beatTicksOf}: dotted in compound meters).
 * @throws {MeterMapError} for a non-positive ppq or a negative tick.
 * @example tickToBarBeat(map, 480, 3840 + 960) // in 3/4 from 3840: { bar: 2, beat: 2, tickInBeat: 0 }
 */
export function tickToBarBeat(map: MeterMap, ppq: number, tick: Ticks): BarBeat {
  const bar = barAt(map, ppq, tick);
  const beat = beatTicksOf(bar.meter, ppq);
  const inBar = tick - bar.startTick;
  const beatIndex = Math.floor(inBar / beat);
  return { bar: bar.index, beat: beatIndex, tickInBeat: inBar - beatIndex * beat };
}

/**
 * The tick of a bar:beat position (0-based; `tickInBeat` default 0): the inverse of {@link tickToBarBeat}.
 * @throws {MeterMapError} for a negative bar or beat, or a beat past the end of its bar.
 */
export function barBeatToTick(map: MeterMap, ppq: number, position: Partial<BarBeat> & { bar: number }): Ticks {
  const { bar, beat = 0, tickInBeat = 0 } = position;
  if (!(Number.isInteger(bar) && bar >= 0 && Number.isInteger(beat) && beat >= 0))
    throw new MeterMapError(`a position needs a bar and beat >= 0, got: bar ${bar}, beat ${beat}`);
  const start = barStartTick(map, ppq, bar);
  const line = barAt(map, ppq, start);
  const tick = start + beat * beatTicksOf(line.meter, ppq) + tickInBeat;
  if (tick >= start + line.lengthTicks && beat > 0)
    throw new MeterMapError(
      `bar ${bar + 1} (${line.meter.numerator}/${line.meter.denominator}) has no beat ${beat + 1}`,
    );
  return tick;
}

/** The start tick of bar `bar` (0-based), bars past the last change going on in its meter. */
export function barStartTick(map: MeterMap, ppq: number, bar: number): Ticks {
  checkPpq(ppq);
  const normal = normalised(map);
  let remaining = bar;
  for (let i = 0; i < normal.length; i++) {
    const inSegment = barsInSegment(normal, ppq, i);
    if (remaining < inSegment) return normal[i].tick + remaining * barTicksOf(normal[i], ppq);
    remaining -= inSegment;
  }
  return 0; // unreachable: the last segment holds infinitely many bars
}

/** The first bar line at or after `tick` (the tick itself when a bar starts there). */
export function nextBarLine(map: MeterMap, ppq: number, tick: Ticks): Ticks {
  const bar = barAt(map, ppq, tick);
  return bar.startTick === tick ? tick : bar.startTick + bar.lengthTicks;
}

/**
 * For each of `count` grid steps of `stepTicks` ticks (step k at tick k * stepTicks), how many steps it lies after the
 * start of its bar: the bar/beat position a model reads (the 5th sixteenth of a 3/4 bar is 4, whatever came before).
 */
export function stepsIntoBar(map: MeterMap, ppq: number, stepTicks: Ticks, count: number): Int32Array {
  const out = new Int32Array(Math.max(0, count));
  if (count <= 0) return out;
  const bars = barLines(map, ppq, count * stepTicks);
  let b = 0;
  for (let k = 0; k < count; k++) {
    const tick = k * stepTicks;
    while (b + 1 < bars.length && bars[b + 1].startTick <= tick) b++;
    let start = bars[b].startTick;
    // Past the last bar listed: it goes on in its meter.
    if (tick >= start + bars[b].lengthTicks)
      start += Math.floor((tick - start) / bars[b].lengthTicks) * bars[b].lengthTicks;
    out[k] = Math.floor((tick - start) / stepTicks);
  }
  return out;
}

/** The map with every tick scaled from one PPQ to another (rounded to whole ticks), still normalised. */
export function rescaleMeterMap(map: MeterMap, fromPpq: number, toPpq: number): TimeSignatureEvent[] {
  checkPpq(fromPpq);
  checkPpq(toPpq);
  return meterMapOf(map.map((s) => ({ ...s, tick: Math.round((s.tick * toPpq) / fromPpq) })));
}

/** The map up to (not including) `endTick`, then `meter` from `endTick` on: a clip's map and its continuation's. */
export function continueMeterMap(map: MeterMap, endTick: Ticks, meter: Meter): TimeSignatureEvent[] {
  return meterMapOf([...map.filter((s) => s.tick < endTick), { tick: endTick, ...meter }]);
}

/**
 * A sequence's time-signature map on the sixteenth grid (ticks in sixteenths, i.e. at a PPQ of 4), or undefined when it
 * states no meter or one whose bar is not a whole number of sixteenths (then it is read as 4/4, as before maps).
 */
export function sixteenthMeterMap(sequence: {
  timeSignatures: readonly TimeSignatureEvent[];
  ppq: number;
}): TimeSignatureEvent[] | undefined {
  if (sequence.timeSignatures.length === 0) return undefined;
  try {
    const map = rescaleMeterMap(meterMapOf(sequence.timeSignatures), sequence.ppq, 4);
    for (const meter of map) sixteenthsPerBar(meter);
    return map;
  } catch {
    return undefined;
  }
}

function checkPpq(ppq: number): void {
  if (!(ppq > 0 && Number.isFinite(ppq))) throw new MeterMapError(`ppq must be a positive number, got: ${ppq}`);
}

/** Hand-built maps may be unsorted or start late: normalise once per call (maps are a few entries long). */
function normalised(map: MeterMap): MeterMap {
  const ok = map.length > 0 && map[0].tick === 0 && map.every((s, i) => i === 0 || s.tick > map[i - 1].tick);
  return ok ? map : meterMapOf(map);
}

function segmentAt(map: MeterMap, tick: Ticks): number {
  let i = 0;
  while (i + 1 < map.length && map[i + 1].tick <= tick) i++;
  return i;
}

/** Bars that start in segment i (the last one, cut short by the next change, included); the last segment: Infinity. */
function barsInSegment(map: MeterMap, ppq: number, i: number): number {
  if (i + 1 >= map.length) return Infinity;
  return Math.ceil((map[i + 1].tick - map[i].tick) / barTicksOf(map[i], ppq));
}
