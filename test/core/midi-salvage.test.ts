// SPDX-License-Identifier: MIT
// A MIDI file cut short (a half-finished download) gives the notes before the damage, with a report of what was lost:
// every salvaged note is one the whole file has (same channel, pitch, start, length), every note of a whole track is
// kept, and in the track the file ends in, every note that ended before the cut is kept and none after it.
// The oracle is the strict parser (held to python3-mido on every Nottingham file by midi-vs-mido.test.ts), applied to
// the whole file track by track.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MidiParseError } from '../../src/core/midi/errors';
import { parseMidi, parseMidiSalvaging } from '../../src/core/midi/readMidi';
import { readChunks, scanTrack } from '../../src/core/midi/smf';
import { writeMidi } from '../../src/core/midi/writeMidi';
import { createRng } from '../../src/core/util/random';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nottingham = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');

type Key = string;
const key = (n: { channel: number; pitch: number; startTick: number; durationTicks: number }): Key =>
  `${n.channel}:${n.pitch}:${n.startTick}:${n.durationTicks}`;

/** The whole file's notes per track chunk, by the strict parser. */
function notesPerTrack(bytes: Uint8Array): { notes: { k: Key; end: number }[] }[] {
  return readChunks(bytes, 'whole').tracks.map((body, i) => ({
    notes: scanTrack(body, i, 'whole').notes.map((n) => ({ k: key(n), end: n.startTick + n.durationTicks })),
  }));
}

function multiset(keys: Key[]): Map<Key, number> {
  const m = new Map<Key, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Checks one cut of one file; returns the number of notes salvaged (0 when refused as MIDI_TRUNCATED). */
function checkCut(whole: Uint8Array, cutAt: number, perTrack = notesPerTrack(whole)): number {
  let result: ReturnType<typeof parseMidiSalvaging>;
  try {
    result = parseMidiSalvaging(whole.subarray(0, cutAt), 'cut.mid');
  } catch (error) {
    expect(error).toBeInstanceOf(MidiParseError);
    expect((error as MidiParseError).code).toBe('MIDI_TRUNCATED');
    return 0;
  }
  const { sequence, salvage } = result;
  const salvaged: Key[] = [];
  for (const track of sequence.tracks)
    for (const n of track.notes) salvaged.push(key({ channel: track.channel, ...n }));
  if (!salvage) {
    // Nothing musical was cut (e.g. only padding after the last declared track): the whole file's notes.
    expect(multiset(salvaged)).toEqual(multiset(perTrack.flatMap((t) => t.notes.map((n) => n.k))));
    return salvaged.length;
  }
  expect(salvage.message).toContain('cut.mid');
  const cutTrack = salvage.cutInTrack - 1;
  const have = multiset(salvaged);
  const must: Key[] = [];
  const may: Key[] = [];
  perTrack.forEach((t, i) => {
    if (i < cutTrack) must.push(...t.notes.map((n) => n.k));
    else if (i === cutTrack)
      for (const n of t.notes) {
        if (n.end < salvage.cutTick) must.push(n.k);
        else if (n.end === salvage.cutTick) may.push(n.k);
      }
  });
  const mustSet = multiset(must);
  for (const [k, count] of mustSet) expect(have.get(k) ?? 0, `note ${k} ended before the cut`).toBe(count);
  const allowed = multiset([...must, ...may]);
  for (const [k, count] of have)
    expect(count, `note ${k} is not one the whole file has before the cut`).toBeLessThanOrEqual(allowed.get(k) ?? 0);
  return salvaged.length;
}

const files = readdirSync(nottingham)
  .filter((n) => n.endsWith('.mid'))
  .sort();

describe('salvaging MIDI files cut short', () => {
  it('every cut of one real file, byte by byte: notes before the cut, and more of them the later the cut', () => {
    const whole = new Uint8Array(readFileSync(path.join(nottingham, files[7])));
    const perTrack = notesPerTrack(whole);
    let previous = 0;
    let salvagedSome = 0;
    for (let cut = 14; cut <= whole.length; cut++) {
      const n = checkCut(whole, cut, perTrack);
      expect(n).toBeGreaterThanOrEqual(previous);
      previous = n;
      if (n > 0) salvagedSome++;
    }
    expect(salvagedSome).toBeGreaterThan(whole.length / 2);
    // Cut at its very end, the file is whole again: the same notes as the strict parser.
    const full = parseMidi(whole, 'whole');
    expect(previous).toBe(full.tracks.reduce((s, t) => s + t.notes.length, 0));
  });

  it('random cuts of 60 real files', () => {
    const rng = createRng(77);
    for (let i = 0; i < 60; i++) {
      const whole = new Uint8Array(readFileSync(path.join(nottingham, files[(i * 53) % files.length])));
      for (let j = 0; j < 5; j++) checkCut(whole, 14 + rng.int(whole.length - 14));
    }
  });

  it('the report says what was lost, in words; the strict parser still refuses the same bytes', () => {
    const whole = new Uint8Array(readFileSync(path.join(nottingham, files[3])));
    const cut = whole.subarray(0, Math.floor(whole.length * 0.7));
    const { salvage } = parseMidiSalvaging(cut, 'half.mid');
    expect(salvage).toBeDefined();
    expect(salvage!.message).toMatch(
      /^half\.mid: the file was cut short in track \d+ of \d+; kept the \d+ notes before the cut/,
    );
    expect(() => parseMidi(cut, 'half.mid')).toThrow(/cut short/);
  });

  it("names the bar of the cut by the file's own meter map (3/4 after two bars of 4/4)", () => {
    const notes = Array.from({ length: 20 }, (_, i) => ({
      pitch: 60 + (i % 5),
      startTick: i * 480,
      durationTicks: 240,
      velocity: 90,
    }));
    const whole = writeMidi({
      name: 'm',
      ppq: 480,
      tempos: [],
      timeSignatures: [
        { tick: 0, numerator: 4, denominator: 4 },
        { tick: 3840, numerator: 3, denominator: 4 },
      ],
      keySignatures: [],
      tracks: [{ name: 'm', program: 0, channel: 0, isPercussion: false, notes }],
    });
    const cut = whole.subarray(0, whole.length - 20);
    const { sequence, salvage } = parseMidiSalvaging(cut, 'meters.mid');
    // The last complete event lies in bar 6 of 4/4 x2 then 3/4 (8160..9600 ticks); plain 4/4 would call it bar 5.
    expect(salvage!.cutTick).toBeGreaterThanOrEqual(8160);
    expect(salvage!.cutTick).toBeLessThan(9600);
    expect(Math.floor(salvage!.cutTick / 1920) + 1).toBe(5);
    expect(sequence.timeSignatures).toHaveLength(2);
    expect(salvage!.message).toMatch(/\(up to about bar 6\)/);
  });

  it('a header cut short, or a cut before any complete note, is refused with MIDI_TRUNCATED', () => {
    const whole = new Uint8Array(readFileSync(path.join(nottingham, files[3])));
    for (const n of [10, 13, 22]) {
      expect(() => parseMidiSalvaging(whole.subarray(0, n), 'tiny.mid')).toThrow(MidiParseError);
      try {
        parseMidiSalvaging(whole.subarray(0, n), 'tiny.mid');
      } catch (error) {
        expect((error as MidiParseError).code).toBe('MIDI_TRUNCATED');
      }
    }
  });
});
