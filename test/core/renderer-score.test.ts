import { describe, expect, it } from 'vitest';
import {
  accidentalsInBars,
  barLengthTicks,
  ledgerLineSteps,
  noteTypeFor,
  restsInLine,
  spellPitch,
  staffStep,
  stepToY,
} from '../../src/renderer/src/lib/score/staff';

describe('treble staff positions', () => {
  it('puts the lines at E4 G4 B4 D5 F5 and C4 on the first ledger line below', () => {
    expect([64, 67, 71, 74, 77].map((p) => staffStep(p))).toEqual([0, 2, 4, 6, 8]);
    expect(staffStep(60)).toBe(-2);
    expect(ledgerLineSteps(staffStep(60))).toEqual([-2]);
    expect(ledgerLineSteps(staffStep(62))).toEqual([]); // D4 hangs below the staff
    expect(ledgerLineSteps(staffStep(57))).toEqual([-2, -4]); // A3
    expect(ledgerLineSteps(staffStep(81))).toEqual([10]); // A5
    expect(ledgerLineSteps(staffStep(84))).toEqual([10, 12]); // C6
    expect(ledgerLineSteps(staffStep(72))).toEqual([]); // C5
  });

  it('puts a sharp on the same step as its natural and a flat on the step above', () => {
    expect(staffStep(61)).toBe(staffStep(60));
    expect(staffStep(61, 'flats')).toBe(staffStep(62));
    expect(spellPitch(70, 'flats')).toEqual({ letter: 6, alteration: -1, octave: 4 });
    expect(spellPitch(70)).toEqual({ letter: 5, alteration: 1, octave: 4 });
  });

  it('maps steps to y with half a line gap per step, upwards', () => {
    expect(stepToY(0, 100, 10)).toBe(100);
    expect(stepToY(8, 100, 10)).toBe(60);
    expect(stepToY(-2, 100, 10)).toBe(110);
  });
});

describe('accidentals with the in-bar carry rule', () => {
  const bar = barLengthTicks(480);
  it('prints a sharp once per bar, a natural to cancel it, and resets at the bar line', () => {
    const notes = [
      { pitch: 61, startTick: 0 }, // C#4: sharp
      { pitch: 61, startTick: 480 }, // C#4 again: carried
      { pitch: 60, startTick: 960 }, // C4: natural cancels
      { pitch: 73, startTick: 1200 }, // C#5: different octave, needs its own sharp
      { pitch: 61, startTick: bar }, // next bar: sharp again
      { pitch: 60, startTick: bar + 480 }, // C4 in a fresh bar after C#: natural
    ];
    expect(accidentalsInBars(notes, bar)).toEqual(['sharp', null, 'natural', 'sharp', 'sharp', 'natural']);
  });

  it('prints nothing for plain naturals and flats with flat spelling', () => {
    expect(
      accidentalsInBars(
        [
          { pitch: 60, startTick: 0 },
          { pitch: 64, startTick: 1 },
        ],
        bar,
      ),
    ).toEqual([null, null]);
    expect(accidentalsInBars([{ pitch: 70, startTick: 0 }], bar, 'flats')).toEqual(['flat']);
  });
});

describe('durations approximated by note types', () => {
  it('chooses the longest symbol that fits', () => {
    const ppq = 480;
    expect(noteTypeFor(1920, ppq)).toMatchObject({ name: 'whole', dotted: false });
    expect(noteTypeFor(1440, ppq)).toMatchObject({ name: 'half', dotted: true });
    expect(noteTypeFor(480, ppq)).toMatchObject({ name: 'quarter', dotted: false });
    expect(noteTypeFor(720, ppq)).toMatchObject({ name: 'quarter', dotted: true });
    expect(noteTypeFor(600, ppq)).toMatchObject({ name: 'quarter', dotted: false }); // 5 sixteenths
    expect(noteTypeFor(120, ppq)).toMatchObject({ name: 'sixteenth' });
    expect(noteTypeFor(0, ppq)).toMatchObject({ name: 'sixteenth' });
    expect(noteTypeFor(4000, ppq)).toMatchObject({ name: 'whole' });
    expect(barLengthTicks(480, 3, 4)).toBe(1440);
  });
});

describe('rests for silences', () => {
  const ppq = 480;
  const bar = barLengthTicks(ppq);
  it('marks silences before and between notes with the approximated type', () => {
    const notes = [
      { startTick: 480, durationTicks: 480 }, // a quarter rest before
      { startTick: 960 + 240, durationTicks: 240 }, // an eighth rest between
      { startTick: 1440 + 120, durationTicks: 360 }, // a sixteenth rest between
    ];
    expect(restsInLine(notes, ppq, bar).map((r) => [r.startTick, r.type.name, r.type.dotted])).toEqual([
      [0, 'quarter', false],
      [960, 'eighth', false],
      [1440, 'sixteenth', false],
    ]);
  });

  it('splits a silence at the bar line and ignores slop shorter than a sixteenth', () => {
    const notes = [
      { startTick: 0, durationTicks: 960 },
      { startTick: bar + 960, durationTicks: 480 }, // half of bar 1 + half of bar 2 silent
      { startTick: bar + 1440 + 30, durationTicks: 100 }, // 30 ticks of slop: no rest
    ];
    expect(restsInLine(notes, ppq, bar).map((r) => [r.startTick, r.type.name])).toEqual([
      [960, 'half'],
      [bar, 'half'],
    ]);
  });
});
