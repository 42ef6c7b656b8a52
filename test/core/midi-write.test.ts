// SPDX-License-Identifier: MIT
// writeMidi checked by two independent readers (python3-mido and midicsv) and by our own reader.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { MidiWriteError, writeMidi } from '../../src/core/midi/writeMidi';
import type { NoteSequence, Track } from '../../src/core/music/NoteSequence';

const testDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(testDir, '../..');
const workDir = mkdtempSync(path.join(tmpdir(), 'etude-midi-write-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const lead: Track = {
  name: 'Lead',
  program: 40,
  channel: 0,
  isPercussion: false,
  notes: [
    { pitch: 64, startTick: 0, durationTicks: 240, velocity: 1 },
    // Same pitch again where the first ends: the off must come before the next on.
    { pitch: 64, startTick: 240, durationTicks: 720, velocity: 127 },
    { pitch: 67, startTick: 240, durationTicks: 120, velocity: 64 },
    { pitch: 71, startTick: 1000, durationTicks: 1, velocity: 90 },
    { pitch: 76, startTick: 1920, durationTicks: 3840, velocity: 100 },
  ],
};
const bass: Track = {
  name: 'Bass',
  program: 33,
  channel: 2,
  isPercussion: false,
  notes: [
    { pitch: 40, startTick: 0, durationTicks: 1440, velocity: 70 },
    { pitch: 47, startTick: 1440, durationTicks: 480, velocity: 71 },
  ],
};
const drums: Track = {
  name: 'Drums',
  program: 0,
  channel: 9,
  isPercussion: true,
  notes: [
    { pitch: 36, startTick: 0, durationTicks: 60, velocity: 110 },
    { pitch: 42, startTick: 480, durationTicks: 60, velocity: 50 },
  ],
};
const sequence: NoteSequence = {
  ppq: 480,
  name: 'Write test',
  tempos: [
    { tick: 0, bpm: 96 },
    { tick: 1920, bpm: 150 },
  ],
  timeSignatures: [
    { tick: 0, numerator: 6, denominator: 8 },
    { tick: 3840, numerator: 4, denominator: 4 },
  ],
  keySignatures: [
    { tick: 0, key: 'E', scale: 'minor' },
    { tick: 1920, key: 'Bb', scale: 'major' },
  ],
  tracks: [lead, bass, drums],
};

function writeToFile(seq: NoteSequence, name: string): string {
  const file = path.join(workDir, name);
  writeFileSync(file, writeMidi(seq));
  return file;
}

interface MidoDump {
  type: number;
  ppq: number;
  tracks: { name: string; programs: number[][]; notes: number[][] }[];
  tempos: number[][];
  timeSignatures: number[][];
  keySignatures: [number, string][];
}

/** The parts of `midicsv` output we check: header, maps and FIFO-paired notes per track. */
function readMidicsv(file: string) {
  const csv = execFileSync('midicsv', [file], { encoding: 'utf8' });
  const result = {
    format: -1,
    division: -1,
    tempos: [] as number[][],
    timeSignatures: [] as number[][],
    keySignatures: [] as [number, number, string][],
    notesByTrack: new Map<number, number[][]>(),
  };
  const open = new Map<string, { start: number; velocity: number }[]>();
  for (const line of csv.split('\n')) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length < 3) continue;
    const track = Number(fields[0]);
    const tick = Number(fields[1]);
    const kind = fields[2];
    if (kind === 'Header') {
      result.format = Number(fields[3]);
      result.division = Number(fields[5]);
    } else if (kind === 'Tempo') {
      result.tempos.push([tick, Number(fields[3])]);
    } else if (kind === 'Time_signature') {
      result.timeSignatures.push([tick, Number(fields[3]), 2 ** Number(fields[4])]);
    } else if (kind === 'Key_signature') {
      result.keySignatures.push([tick, Number(fields[3]), fields[4].replace(/"/g, '')]);
    } else if (kind === 'Note_on_c' || kind === 'Note_off_c') {
      const [channel, pitch, velocity] = fields.slice(3, 6).map(Number);
      const key = `${track}/${channel}/${pitch}`;
      const queue = open.get(key) ?? [];
      open.set(key, queue);
      if (kind === 'Note_on_c' && velocity > 0) {
        queue.push({ start: tick, velocity });
      } else {
        const opened = queue.shift();
        if (opened) {
          const notes = result.notesByTrack.get(track) ?? [];
          result.notesByTrack.set(track, notes);
          notes.push([channel, pitch, opened.start, tick - opened.start, opened.velocity]);
        }
      }
    }
  }
  for (const notes of result.notesByTrack.values()) notes.sort((a, b) => a[2] - b[2] || a[1] - b[1]);
  return result;
}

const expectedNotes = (track: Track): number[][] =>
  track.notes
    .map((note) => [
      track.isPercussion ? 9 : track.channel,
      note.pitch,
      note.startTick,
      note.durationTicks,
      note.velocity,
    ])
    .sort((a, b) => a[2] - b[2] || a[1] - b[1]);

describe('writeMidi', () => {
  const file = writeToFile(sequence, 'write-test.mid');

  it('is read back by python3-mido with the same tempo, signatures, programs and notes', () => {
    const dump = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(repoRoot, 'test/tools/mido_dump.py'), file], { encoding: 'utf8' }),
    ) as MidoDump;
    expect(dump.type).toBe(1);
    expect(dump.ppq).toBe(480);
    expect(dump.tracks.map((track) => track.name)).toEqual(['Write test', 'Lead', 'Bass', 'Drums']);
    // 96 bpm = 625,000 µs and 150 bpm = 400,000 µs per quarter, exactly.
    expect(dump.tempos).toEqual([
      [0, 625000],
      [1920, 400000],
    ]);
    expect(dump.timeSignatures).toEqual([
      [0, 6, 8],
      [3840, 4, 4],
    ]);
    expect(dump.keySignatures).toEqual([
      [0, 'Em'],
      [1920, 'Bb'],
    ]);
    expect(dump.tracks[1].programs).toEqual([[0, 40]]);
    expect(dump.tracks[2].programs).toEqual([[2, 33]]);
    expect(dump.tracks[1].notes).toEqual(expectedNotes(lead));
    expect(dump.tracks[2].notes).toEqual(expectedNotes(bass));
    expect(dump.tracks[3].notes).toEqual(expectedNotes(drums));
  });

  it('is read back by midicsv with the same header, maps and notes', () => {
    const csv = readMidicsv(file);
    expect(csv.format).toBe(1);
    expect(csv.division).toBe(480);
    expect(csv.tempos).toEqual([
      [0, 625000],
      [1920, 400000],
    ]);
    expect(csv.timeSignatures).toEqual([
      [0, 6, 8],
      [3840, 4, 4],
    ]);
    expect(csv.keySignatures).toEqual([
      [0, 1, 'minor'],
      [1920, -2, 'major'],
    ]);
    expect(csv.notesByTrack.get(2)).toEqual(expectedNotes(lead));
    expect(csv.notesByTrack.get(3)).toEqual(expectedNotes(bass));
    expect(csv.notesByTrack.get(4)).toEqual(expectedNotes(drums));
  });

  it('round-trips through parseMidi unchanged', () => {
    const back = parseMidi(readFileSync(file), 'write-test.mid');
    const sortedTrack = (track: Track): Track => ({
      ...track,
      notes: [...track.notes].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch),
    });
    expect(back).toEqual({ ...sequence, tracks: sequence.tracks.map(sortedTrack) });
  });

  it('round-trips every top-level Nottingham file through parseMidi (notes, maps, programs)', () => {
    const folder = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');
    const names = readdirSync(folder).filter((name) => name.endsWith('.mid'));
    expect(names.length).toBeGreaterThan(1000);
    const differing: string[] = [];
    for (const name of names) {
      const original = parseMidi(readFileSync(path.join(folder, name)), name);
      const back = parseMidi(writeMidi(original), name);
      if (JSON.stringify(back) !== JSON.stringify(original)) differing.push(name);
    }
    // Same-pitch notes that overlap on one channel are ambiguous in MIDI itself: a nested pair
    // (a long note around a short one) reads back FIFO-paired. Allow only those files.
    for (const name of differing) {
      const original = parseMidi(readFileSync(path.join(folder, name)), name);
      expect(hasNestedSamePitchNotes(original), `${name} changed without nested same-pitch notes`).toBe(true);
    }
    console.info(
      `write->read round trip: ${names.length - differing.length} of ${names.length} identical; nested same-pitch overlaps: ${differing.join(', ') || 'none'}`,
    );
  });

  it('rejects what MIDI cannot hold with MidiWriteError', () => {
    expect(() => writeMidi({ ...sequence, ppq: 0 })).toThrow(MidiWriteError);
    const badPitch: NoteSequence = {
      ...sequence,
      tracks: [{ ...lead, notes: [{ pitch: 128, startTick: 0, durationTicks: 1, velocity: 1 }] }],
    };
    expect(() => writeMidi(badPitch)).toThrowError(/pitch must be an integer within \[0, 127\], got: 128/);
    expect(() => writeMidi({ ...sequence, tempos: [{ tick: 0, bpm: 0 }] })).toThrow(MidiWriteError);
    expect(() => writeMidi({ ...sequence, timeSignatures: [{ tick: 0, numerator: 3, denominator: 6 }] })).toThrowError(
      /3\/6/,
    );
    expect(() => writeMidi({ ...sequence, keySignatures: [{ tick: 0, key: 'H', scale: 'major' }] })).toThrow(
      MidiWriteError,
    );
    try {
      writeMidi({
        ...sequence,
        tracks: [{ ...lead, notes: [{ pitch: 60, startTick: -1, durationTicks: 1, velocity: 1 }] }],
      });
      expect.unreachable('negative tick accepted');
    } catch (error) {
      expect((error as MidiWriteError).code).toBe('MIDI_WRITE_INVALID');
    }
  });
});

function hasNestedSamePitchNotes(seq: NoteSequence): boolean {
  return seq.tracks.some((track) =>
    track.notes.some((outer) =>
      track.notes.some(
        (inner) =>
          inner !== outer &&
          inner.pitch === outer.pitch &&
          inner.startTick > outer.startTick &&
          inner.startTick + inner.durationTicks < outer.startTick + outer.durationTicks,
      ),
    ),
  );
}
