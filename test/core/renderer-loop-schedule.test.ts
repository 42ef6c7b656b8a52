// SPDX-License-Identifier: MIT
// Gapless audition of a loop take (src/renderer/src/lib/audio/loopSchedule.ts, what AudioEngine hands Tone's looping
// Transport): pass 2 starts exactly N bars after pass 1, and no note of a pass sounds past its loop point, a note held
// across it (an edit, or humanised timing) included.
import { describe, expect, it } from 'vitest';
import { takeSequence } from '../../src/core/model/takes';
import type { Note } from '../../src/core/music/NoteSequence';
import { loopNotes, loopSchedule, ticksToSeconds } from '../../src/renderer/src/lib/audio/loopSchedule';

const ppq = 480;
const bars = 4;
const loopTicks = bars * 4 * ppq;
const tokens = [
  ...[60, 129, 129, 129, 64, 129, 129, 129, 67, 129, 129, 129, 72, 129, 129, 129],
  ...[71, 129, 129, 129, 129, 129, 129, 129, 67, 129, 129, 129, 128, 129, 129, 129],
  ...[65, 129, 129, 129, 69, 129, 129, 129, 72, 129, 129, 129, 69, 129, 129, 129],
  ...[67, 129, 129, 129, 129, 129, 129, 129, 62, 129, 129, 129, 129, 129, 129, 129],
];
const take = takeSequence(tokens, {
  bpm: 96,
  timeSignature: { numerator: 4, denominator: 4 },
  humanise: 1,
  randomSeed: 11,
  name: 'loop',
}).tracks[0].notes;
// The composer drags the last note past the bar line in the piano roll.
const edited: Note[] = [...take.slice(0, -1), { ...take.at(-1)!, durationTicks: 2000 }];

describe('loop audition schedule', () => {
  it('pass 2 starts exactly N bars after pass 1; nothing of pass 1 ends after the loop point', () => {
    const bpm = 96;
    const events = loopSchedule(edited, { loopTicks, ppq, bpm, passes: 3 });
    const pass = (p: number) => events.filter((e) => e.pass === p);
    const barsSeconds = ticksToSeconds(loopTicks, ppq, bpm);
    expect(barsSeconds).toBeCloseTo(10, 12); // 16 quarters at 96 bpm
    for (const p of [1, 2]) {
      expect(pass(p)[0].startTick - pass(p - 1)[0].startTick).toBe(loopTicks);
      expect(pass(p)[0].startSeconds - pass(p - 1)[0].startSeconds).toBeCloseTo(barsSeconds, 9);
      expect(pass(p).length).toBe(pass(0).length);
    }
    for (const e of events) {
      expect(e.startTick).toBeGreaterThanOrEqual(e.pass * loopTicks);
      expect(e.endTick).toBeLessThanOrEqual((e.pass + 1) * loopTicks);
    }
    // The held note is cut at the loop point exactly: the next pass starts as it ends.
    const last = pass(0).at(-1)!;
    expect(last.endTick).toBe(loopTicks);
    expect(last.endSeconds).toBeCloseTo(pass(1)[0].startSeconds - pass(0)[0].startSeconds, 9);
  });

  it('loopNotes keeps notes inside the loop as they are and cuts the rest', () => {
    const inside: Note = { pitch: 60, startTick: 0, durationTicks: 480, velocity: 90 };
    const across: Note = { pitch: 62, startTick: 7000, durationTicks: 1000, velocity: 90 };
    const after: Note = { pitch: 64, startTick: loopTicks, durationTicks: 10, velocity: 90 };
    const early: Note = { pitch: 65, startTick: -5, durationTicks: 100, velocity: 90 };
    expect(loopNotes([across, after, inside, early], loopTicks)).toEqual([
      inside,
      { ...early, startTick: 0, durationTicks: 95 },
      { ...across, durationTicks: loopTicks - 7000 },
    ]);
    expect(() => loopSchedule([inside], { loopTicks: 0, ppq, bpm: 120, passes: 1 })).toThrow(RangeError);
  });
});
