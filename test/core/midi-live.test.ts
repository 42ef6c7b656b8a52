// SPDX-License-Identifier: MIT
// Live MIDI: messages <-> note events, a played phrase -> a quantised clip, a take -> timed messages.
import { describe, expect, it } from 'vitest';
import {
  allNotesOffMessages,
  isAllNotesOff,
  noteEventOf,
  noteOffMessage,
  noteOnMessage,
  programChangeMessage,
  type LiveNoteEvent,
} from '../../src/core/midi/liveMessages';
import { barMs, downbeatMs, recordedClip, RecordingError } from '../../src/core/midi/recordSeed';
import { takeChannels, takeMessages, ticksToMs } from '../../src/core/midi/takeSchedule';
import { parseMidi } from '../../src/core/midi/readMidi';
import { writeMidi } from '../../src/core/midi/writeMidi';
import type { NoteSequence } from '../../src/core/music/NoteSequence';

const WALTZ = { numerator: 3, denominator: 4 };

describe('live MIDI messages', () => {
  it('reads note-on, note-off and note-on at velocity 0 as note events on their channel', () => {
    expect(noteEventOf([0x91, 60, 100], 5)).toEqual({ kind: 'on', pitch: 60, velocity: 100, channel: 1, timeMs: 5 });
    expect(noteEventOf([0x8f, 61, 40], 6)).toEqual({ kind: 'off', pitch: 61, velocity: 0, channel: 15, timeMs: 6 });
    expect(noteEventOf([0x90, 62, 0], 7)).toEqual({ kind: 'off', pitch: 62, velocity: 0, channel: 0, timeMs: 7 });
  });

  it('ignores clock, active sensing, controllers, program changes and truncated messages', () => {
    expect(noteEventOf([0xf8], 0)).toBeNull();
    expect(noteEventOf([0xfe], 0)).toBeNull();
    expect(noteEventOf([0xb0, 64, 127], 0)).toBeNull();
    expect(noteEventOf([0xc0, 5], 0)).toBeNull();
    expect(noteEventOf([0x90, 60], 0)).toBeNull();
  });

  it('writes note, program and all-notes-off messages', () => {
    expect(noteOnMessage(2, 64, 90)).toEqual([0x92, 64, 90]);
    expect(noteOnMessage(0, 64, 0)).toEqual([0x90, 64, 1]); // 0 would be a note-off
    expect(noteOnMessage(0, 64, 300)).toEqual([0x90, 64, 127]);
    expect(noteOffMessage(9, 36)).toEqual([0x89, 36, 0]);
    expect(programChangeMessage(3, 40)).toEqual([0xc3, 40]);
    expect(allNotesOffMessages([0, 1, 0])).toEqual([
      [0xb0, 64, 0],
      [0xb0, 123, 0],
      [0xb1, 64, 0],
      [0xb1, 123, 0],
    ]);
    expect(isAllNotesOff([0xb1, 123, 0])).toBe(true);
    expect(isAllNotesOff([0xb1, 64, 0])).toBe(false);
    expect(() => noteOnMessage(16, 60, 90)).toThrow(/channel must be an integer within \[0, 15\], got: 16/);
  });
});

/** A 3/4 phrase at 100 bpm (a quarter is 600 ms), played a little unevenly from `t0`: [pitch, beat, beats held]. */
const PHRASE: [number, number, number][] = [
  [67, 0, 1],
  [64, 1, 1],
  [64, 2, 1],
  [65, 3, 1],
  [62, 4, 1],
  [62, 5, 0.5],
  [60, 5.5, 0.5],
  [60, 6, 2],
];
const JITTER_MS = [12, -20, 20, -8, 15, 5, 10, -11];

function played(t0: number, bpm = 100): LiveNoteEvent[] {
  const beatMs = 60_000 / bpm;
  const events: LiveNoteEvent[] = [];
  PHRASE.forEach(([pitch, beat, beats], i) => {
    const on = t0 + beat * beatMs + JITTER_MS[i];
    // Released a little early, as a player does between notes.
    events.push({ kind: 'on', pitch, velocity: 70 + i, channel: 0, timeMs: on });
    events.push({ kind: 'off', pitch, velocity: 0, channel: 0, timeMs: on + beats * beatMs - 30 });
  });
  return events.sort((a, b) => a.timeMs - b.timeMs);
}

const expectedNotes = PHRASE.map(([pitch, beat, beats], i) => ({
  pitch,
  startTick: beat * 480,
  durationTicks: beats * 480,
  velocity: 70 + i,
}));

describe('recording a seed clip', () => {
  it('snaps a phrase played unevenly to the sixteenth grid, at the tempo and meter given', () => {
    const events = played(1000);
    const start = downbeatMs({ kind: 'first-note' }, events, 100, WALTZ)!;
    expect(start).toBe(1012);
    const { sequence, droppedBeforeStart } = recordedClip(events, {
      bpm: 100,
      meter: WALTZ,
      downbeatMs: start,
      stopMs: 7000,
      name: 'recorded',
    });
    expect(droppedBeforeStart).toBe(0);
    expect(sequence.tempos).toEqual([{ tick: 0, bpm: 100 }]);
    expect(sequence.timeSignatures).toEqual([{ tick: 0, numerator: 3, denominator: 4 }]);
    // The first note was 12 ms late: it is the downbeat, so every other note moves 12 ms earlier and still snaps home.
    expect(sequence.tracks[0].notes).toEqual(expectedNotes);
  });

  it('starts bar 1 after a count-in and leaves out what ended during it', () => {
    expect(barMs(100, WALTZ)).toBe(1800);
    expect(barMs(120, { numerator: 6, denominator: 8 })).toBe(1500);
    const armedAtMs = 500;
    const downbeat = downbeatMs({ kind: 'count-in', armedAtMs, bars: 1 }, [], 100, WALTZ)!;
    expect(downbeat).toBe(2300);
    const before: LiveNoteEvent[] = [
      { kind: 'on', pitch: 50, velocity: 80, channel: 0, timeMs: 900 }, // a stray note in the count-in
      { kind: 'off', pitch: 50, velocity: 0, channel: 0, timeMs: 1200 },
      { kind: 'on', pitch: 55, velocity: 80, channel: 0, timeMs: 2000 }, // early, still held at bar 1
    ];
    const events = [...before, ...played(downbeat)].sort((a, b) => a.timeMs - b.timeMs);
    const { sequence, droppedBeforeStart } = recordedClip(events, {
      bpm: 100,
      meter: WALTZ,
      downbeatMs: downbeat,
      stopMs: 9000,
      name: 'x',
    });
    expect(droppedBeforeStart).toBe(1);
    const notes = sequence.tracks[0].notes;
    // The early note starts on bar 1 and is held to the stop (never released): 9000 - 2300 ms = 11.17 beats -> 11.25.
    expect(notes.find((n) => n.pitch === 55)).toEqual({ pitch: 55, startTick: 0, durationTicks: 5400, velocity: 80 });
    // The phrase itself was played 12 ms late against the clicks; it snaps to the same notes.
    expect(notes.filter((n) => n.pitch !== 55)).toEqual(expectedNotes);
  });

  it('ends a held key pressed again, and keeps a quick tap a sixteenth long', () => {
    const e = (kind: 'on' | 'off', pitch: number, timeMs: number): LiveNoteEvent => ({
      kind,
      pitch,
      velocity: kind === 'on' ? 100 : 0,
      channel: 0,
      timeMs,
    });
    const { sequence } = recordedClip(
      [e('on', 60, 0), e('on', 60, 500), e('off', 60, 1000), e('on', 62, 1010), e('off', 62, 1020)],
      {
        bpm: 120,
        meter: { numerator: 4, denominator: 4 },
        downbeatMs: 0,
        stopMs: 2000,
        name: 'x',
      },
    );
    expect(sequence.tracks[0].notes.map((n) => [n.pitch, n.startTick, n.durationTicks])).toEqual([
      [60, 0, 480],
      [60, 480, 480],
      [62, 960, 120],
    ]);
  });

  it('says what went wrong when there is nothing to keep', () => {
    const early: LiveNoteEvent[] = [
      { kind: 'on', pitch: 60, velocity: 90, channel: 0, timeMs: 0 },
      { kind: 'off', pitch: 60, velocity: 0, channel: 0, timeMs: 200 },
    ];
    const options = { bpm: 100, meter: WALTZ, downbeatMs: 1800, stopMs: 4000, name: 'x' };
    expect(() => recordedClip(early, options)).toThrow(RecordingError);
    expect(() => recordedClip(early, options)).toThrow(/Every note was played during the count-in/);
    expect(() => recordedClip([], options)).toThrow(/Nothing was recorded/);
    expect(() => recordedClip(early, { ...options, bpm: 0 })).toThrow(/20 to 400 bpm/);
    expect(downbeatMs({ kind: 'first-note' }, [], 100, WALTZ)).toBeNull();
  });

  it('writes a MIDI clip that reads back with the same notes, tempo and meter', () => {
    const events = played(0);
    const { sequence } = recordedClip(events, { bpm: 100, meter: WALTZ, downbeatMs: 12, stopMs: 6000, name: 'clip' });
    const read = parseMidi(writeMidi(sequence), 'clip.mid');
    expect(read.tempos.map((t) => Math.round(t.bpm * 1000) / 1000)).toEqual([100]);
    expect(read.timeSignatures[0]).toMatchObject(WALTZ);
    expect(
      read.tracks[0].notes.map(({ pitch, startTick, durationTicks, velocity }) => ({
        pitch,
        startTick: (startTick * 480) / read.ppq,
        durationTicks: (durationTicks * 480) / read.ppq,
        velocity,
      })),
    ).toEqual(expectedNotes);
  });
});

function take(): NoteSequence {
  return {
    ppq: 480,
    name: 'take',
    tempos: [{ tick: 0, bpm: 100 }],
    timeSignatures: [{ tick: 0, ...WALTZ }],
    keySignatures: [],
    tracks: [
      {
        name: 'melody',
        program: 40,
        channel: 2,
        isPercussion: false,
        notes: [
          { pitch: 67, startTick: 0, durationTicks: 480, velocity: 90 },
          { pitch: 67, startTick: 480, durationTicks: 240, velocity: 60 },
          { pitch: 64, startTick: 720, durationTicks: 0, velocity: 60 }, // zero-length: skipped
          { pitch: 72, startTick: 960, durationTicks: 960, velocity: 127 },
        ],
      },
    ],
  };
}

describe('a take as timed messages', () => {
  it('converts ticks to milliseconds through the tempo map', () => {
    const seq = { ppq: 480, tempos: [{ tick: 0, bpm: 100 }] };
    expect(ticksToMs(seq, 480)).toBe(600);
    expect(ticksToMs({ ppq: 480, tempos: [] }, 480)).toBe(500); // no tempo: 120 bpm
    const change = {
      ppq: 480,
      tempos: [
        { tick: 0, bpm: 120 },
        { tick: 960, bpm: 60 },
      ],
    };
    expect(ticksToMs(change, 960)).toBe(1000);
    expect(ticksToMs(change, 1440)).toBe(2000);
  });

  it('sends the program first, then each note on and off at its time, releases before strikes', () => {
    expect(takeMessages(take())).toEqual([
      { timeMs: 0, data: [0xc2, 40] },
      { timeMs: 0, data: [0x92, 67, 90] },
      { timeMs: 600, data: [0x82, 67, 0] },
      { timeMs: 600, data: [0x92, 67, 60] },
      { timeMs: 900, data: [0x82, 67, 0] },
      { timeMs: 1200, data: [0x92, 72, 127] },
      { timeMs: 2400, data: [0x82, 72, 0] },
    ]);
    expect(takeChannels(take())).toEqual([2]);
  });
});
