// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import {
  barAt,
  barBeatToTick,
  barLines,
  barStartTick,
  beatTicks,
  beatTicksOf,
  beatsPerBarOf,
  continueMeterMap,
  lastMeter,
  meterAt,
  meterMapOf,
  MeterMapError,
  nextBarLine,
  rescaleMeterMap,
  stepsIntoBar,
  tickToBarBeat,
} from '../../src/core/music/meterMap';

const PPQ = 480;
// 2 bars of 4/4 (0..3840), 2 of 3/4 (..6720), 2 of 6/8 (..9600), then 4/4.
const MAP = meterMapOf([
  { tick: 6720, numerator: 6, denominator: 8 },
  { tick: 0, numerator: 4, denominator: 4 },
  { tick: 3840, numerator: 3, denominator: 4 },
  { tick: 9600, numerator: 4, denominator: 4 },
]);

describe('meter map', () => {
  it('normalises: sorted, last per tick wins, 4/4 before the first change, repeats dropped', () => {
    expect(MAP.map((s) => `${s.tick}:${s.numerator}/${s.denominator}`)).toEqual([
      '0:4/4',
      '3840:3/4',
      '6720:6/8',
      '9600:4/4',
    ]);
    expect(meterMapOf([])).toEqual([{ tick: 0, numerator: 4, denominator: 4 }]);
    expect(
      meterMapOf([
        { tick: 960, numerator: 2, denominator: 4 },
        { tick: 960, numerator: 5, denominator: 4 },
        { tick: 3360, numerator: 5, denominator: 4 },
      ]),
    ).toEqual([
      { tick: 0, numerator: 4, denominator: 4 },
      { tick: 960, numerator: 5, denominator: 4 },
    ]);
    expect(() => meterMapOf([{ tick: 0, numerator: 0, denominator: 4 }])).toThrow(MeterMapError);
  });

  it('puts the bar lines where the map says, across 4/4 -> 3/4 -> 6/8 -> 4/4', () => {
    const bars = barLines(MAP, PPQ, 11520);
    expect(bars.map((b) => b.startTick)).toEqual([0, 1920, 3840, 5280, 6720, 8160, 9600]);
    expect(bars.map((b) => `${b.meter.numerator}/${b.meter.denominator}`)).toEqual([
      '4/4',
      '4/4',
      '3/4',
      '3/4',
      '6/8',
      '6/8',
      '4/4',
    ]);
    expect(barLines(MAP, PPQ, 0)).toHaveLength(1);
    expect(barStartTick(MAP, PPQ, 5)).toBe(8160);
    expect(barStartTick(MAP, PPQ, 9)).toBe(9600 + 3 * 1920);
    expect(barAt(MAP, PPQ, 5279)).toMatchObject({ index: 2, startTick: 3840, lengthTicks: 1440 });
    expect(barAt(MAP, PPQ, 20000).index).toBe(6 + Math.floor((20000 - 9600) / 1920));
  });

  it('groups compound meters in dotted quarters', () => {
    expect(beatTicksOf({ numerator: 6, denominator: 8 }, PPQ)).toBe(720);
    expect(beatsPerBarOf({ numerator: 6, denominator: 8 })).toBe(2);
    expect(beatsPerBarOf({ numerator: 12, denominator: 8 })).toBe(4);
    expect(beatTicksOf({ numerator: 3, denominator: 8 }, PPQ)).toBe(240);
    expect(beatTicksOf({ numerator: 5, denominator: 4 }, PPQ)).toBe(480);
    expect(tickToBarBeat(MAP, PPQ, 6720 + 720 + 240)).toEqual({ bar: 4, beat: 1, tickInBeat: 240 });
    expect(beatTicks(MAP, PPQ, 9600).filter((t) => t >= 6720)).toEqual([6720, 7440, 8160, 8880]);
  });

  it('maps ticks to bar:beat and back', () => {
    expect(tickToBarBeat(MAP, PPQ, 0)).toEqual({ bar: 0, beat: 0, tickInBeat: 0 });
    expect(tickToBarBeat(MAP, PPQ, 3840 + 960 + 10)).toEqual({ bar: 2, beat: 2, tickInBeat: 10 });
    for (const tick of [0, 1, 1919, 1920, 3840, 5281, 6720, 7439, 9600, 12345])
      expect(barBeatToTick(MAP, PPQ, tickToBarBeat(MAP, PPQ, tick))).toBe(tick);
    expect(() => barBeatToTick(MAP, PPQ, { bar: 2, beat: 3 })).toThrow(/bar 3 \(3\/4\) has no beat 4/);
  });

  it('cuts a bar short where a change falls inside it', () => {
    const map = meterMapOf([{ tick: 2400, numerator: 3, denominator: 4 }]);
    const bars = barLines(map, PPQ, 2400 + 1440 * 2);
    expect(bars.map((b) => [b.startTick, b.lengthTicks])).toEqual([
      [0, 1920],
      [1920, 480],
      [2400, 1440],
      [3840, 1440],
    ]);
    expect(nextBarLine(map, PPQ, 2000)).toBe(2400);
    expect(nextBarLine(map, PPQ, 3840)).toBe(3840);
  });

  it('gives every grid step its place in its bar', () => {
    const steps = stepsIntoBar(MAP, PPQ, 120, 7 * 16);
    expect(Array.from(steps.slice(30, 34))).toEqual([14, 15, 0, 1]); // 4/4 -> 3/4 at step 32
    expect(steps[32 + 11]).toBe(11);
    expect(steps[32 + 12]).toBe(0);
    expect(steps[56]).toBe(0); // 6/8 at step 56
    expect(steps[56 + 12]).toBe(0);
    expect(steps[80 + 17]).toBe(1); // 4/4 from step 80, then its second bar
  });

  it('finds the meter in force, the last meter, and continues and rescales a map', () => {
    expect(meterAt(MAP, 5000)).toEqual({ numerator: 3, denominator: 4 });
    expect(meterAt(MAP, 6720)).toEqual({ numerator: 6, denominator: 8 });
    expect(lastMeter(MAP)).toEqual({ numerator: 4, denominator: 4 });
    const clip = meterMapOf([{ tick: 3840, numerator: 3, denominator: 4 }]);
    expect(continueMeterMap(clip, 6720, lastMeter(clip))).toEqual(clip);
    expect(continueMeterMap(MAP, 6720, { numerator: 2, denominator: 4 }).at(-1)).toEqual({
      tick: 6720,
      numerator: 2,
      denominator: 4,
    });
    expect(rescaleMeterMap(MAP, 480, 96).map((s) => s.tick)).toEqual([0, 768, 1344, 1920]);
  });
});
