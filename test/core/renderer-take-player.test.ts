// SPDX-License-Identifier: MIT
// The MIDI-out player: messages handed to the port ahead of time with their timestamps; Stop silences everything,
// including what is already queued at the port.
import { describe, expect, it } from 'vitest';
import { LEAD_IN_MS, LOOKAHEAD_MS, TakePlayer, type PlayerClock } from '../../src/renderer/src/lib/midi/takePlayer';
import type { TimedMidiMessage } from '../../src/core/midi/takeSchedule';

/** A clock the test moves by hand; `every` callbacks run as time passes. */
function manualClock(startMs = 1000) {
  let now = startMs;
  const timers = new Map<number, { fn: () => void; ms: number; next: number }>();
  let id = 0;
  const clock: PlayerClock = {
    now: () => now,
    every: (fn, ms) => {
      timers.set(++id, { fn, ms, next: now + ms });
      return id;
    },
    cancel: (handle) => void timers.delete(handle as number),
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers.values()].filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      now = due.next;
      due.next += due.ms;
      due.fn();
    }
    now = end;
  };
  return { clock, advance, timerCount: () => timers.size };
}

const MESSAGES: TimedMidiMessage[] = [
  { timeMs: 0, data: [0xc0, 0] },
  { timeMs: 0, data: [0x90, 60, 100] },
  { timeMs: 500, data: [0x80, 60, 0] },
  { timeMs: 500, data: [0x90, 62, 90] },
  { timeMs: 1000, data: [0x80, 62, 0] },
  { timeMs: 2000, data: [0x90, 64, 80] },
  { timeMs: 3000, data: [0x80, 64, 0] },
];

function sinkLog() {
  const sent: { data: number[]; at: number | undefined; handedAt: number }[] = [];
  return {
    sent,
    sink: (now: () => number) => ({ send: (data: number[], at?: number) => sent.push({ data, at, handedAt: now() }) }),
  };
}

describe('TakePlayer', () => {
  it('hands every message over before it is due, stamped with its time, then ends', () => {
    const { clock, advance, timerCount } = manualClock();
    const log = sinkLog();
    let ended = 0;
    const player = new TakePlayer(log.sink(clock.now), MESSAGES, [0], () => ended++, clock);
    player.start();
    const start = 1000 + LEAD_IN_MS;
    advance(4000);
    expect(log.sent.map((m) => m.data)).toEqual(MESSAGES.map((m) => m.data));
    expect(log.sent.map((m) => m.at! - start)).toEqual(MESSAGES.map((m) => m.timeMs));
    for (const m of log.sent) {
      expect(m.handedAt).toBeLessThanOrEqual(m.at!);
      expect(m.at! - m.handedAt).toBeLessThanOrEqual(LOOKAHEAD_MS);
    }
    expect(ended).toBe(1);
    expect(player.playing).toBe(false);
    expect(timerCount()).toBe(0);
  });

  it('Stop releases the sounding note and sends All Notes Off now and after what is queued', () => {
    const { clock, advance } = manualClock();
    const log = sinkLog();
    const player = new TakePlayer(log.sink(clock.now), MESSAGES, [0, 1], () => {}, clock);
    player.start();
    advance(1900); // the note at 2000 ms (2100 on the clock) is already handed over, its note-off is not
    const before = log.sent.length;
    player.stop();
    const after = log.sent.slice(before);
    const now = 2900;
    const silence = [
      [0x80, 64, 0],
      [0xb0, 64, 0],
      [0xb0, 123, 0],
      [0xb1, 64, 0],
      [0xb1, 123, 0],
    ];
    expect(after.map((m) => m.data)).toEqual([...silence, ...silence]);
    expect(after.slice(0, 5).every((m) => m.at === undefined && m.handedAt === now)).toBe(true);
    expect(after.slice(5).every((m) => m.at === 1000 + LEAD_IN_MS + 2000 + 1)).toBe(true);
    advance(5000);
    expect(log.sent.length).toBe(before + 10);
    expect(player.playing).toBe(false);
  });

  it('uses the port clear() where it exists', () => {
    const { clock } = manualClock();
    let cleared = 0;
    const sent: number[][] = [];
    const player = new TakePlayer(
      { send: (d) => sent.push(d), clear: () => cleared++ },
      MESSAGES,
      [0],
      () => {},
      clock,
    );
    player.start();
    player.stop();
    expect(cleared).toBe(1);
    expect(sent.at(-1)).toEqual([0xb0, 123, 0]);
  });
});
