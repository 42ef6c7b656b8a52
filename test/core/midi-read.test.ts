// SPDX-License-Identifier: MIT
// parseMidi on hand-made fixtures (test/fixtures/midi/NOTES.md): exact notes, maps and error codes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MidiParseError, type MidiErrorCode } from '../../src/core/midi/errors';
import { parseMidi } from '../../src/core/midi/readMidi';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/midi');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(fixtures, name)));

function codeOf(bytes: Uint8Array, sourceName = 'input.mid'): MidiErrorCode | 'no error' {
  try {
    parseMidi(bytes, sourceName);
    return 'no error';
  } catch (error) {
    expect(error).toBeInstanceOf(MidiParseError);
    return (error as MidiParseError).code;
  }
}

/** A format-0 file around one track body. */
function smf(trackBody: number[], options: { division?: number; tracks?: number } = {}): Uint8Array {
  const division = options.division ?? 480;
  const length = trackBody.length;
  return new Uint8Array([
    ...[0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, options.tracks ?? 1, division >> 8, division & 0xff],
    ...[0x4d, 0x54, 0x72, 0x6b, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff],
    ...trackBody,
  ]);
}
const oneNote = [0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0xff, 0x2f, 0x00];

describe('parseMidi reads what the fixtures hold', () => {
  it('reads maps, tracks, programs and channels of a format-1 file', () => {
    const seq = parseMidi(fixture('melody-offgrid.mid'), 'fixtures/melody-offgrid.mid');
    expect(seq.ppq).toBe(96);
    expect(seq.name).toBe('Off-grid melody');
    expect(seq.tempos).toEqual([{ tick: 0, bpm: 100 }]);
    expect(seq.timeSignatures).toEqual([{ tick: 0, numerator: 3, denominator: 4 }]);
    expect(seq.keySignatures).toEqual([{ tick: 0, key: 'D', scale: 'major' }]);
    expect(
      seq.tracks.map((track) => [track.name, track.channel, track.program, track.isPercussion, track.notes.length]),
    ).toEqual([
      ['Flute', 0, 73, false, 6],
      ['Bass', 1, 32, false, 4],
      ['Drums', 9, 0, true, 6],
    ]);
    // Velocity-0 note-ons end notes; sorted by start, then pitch.
    expect(seq.tracks[0].notes).toEqual([
      { pitch: 62, startTick: 3, durationTicks: 42, velocity: 80 },
      { pitch: 66, startTick: 46, durationTicks: 49, velocity: 80 },
      { pitch: 69, startTick: 98, durationTicks: 52, velocity: 80 },
      { pitch: 57, startTick: 100, durationTicks: 40, velocity: 80 },
      { pitch: 74, startTick: 143, durationTicks: 57, velocity: 80 },
      { pitch: 73, startTick: 264, durationTicks: 46, velocity: 80 },
    ]);
    expect(seq.tracks[0].rests).toBeUndefined();
    expect(seq.totalTicks).toBeUndefined();
  });

  it('applies the note rule: running status, stray offs, zero-length dropped, FIFO overlaps, unclosed notes end at end of track', () => {
    const seq = parseMidi(fixture('running-status.mid'), '/some/dir/running-status.mid');
    expect(seq.name).toBe('running-status');
    expect(seq.tempos).toEqual([{ tick: 0, bpm: 120 }]);
    expect(seq.tracks).toHaveLength(1);
    expect(seq.tracks[0].program).toBe(5);
    expect(seq.tracks[0].notes).toEqual([
      { pitch: 60, startTick: 0, durationTicks: 480, velocity: 100 },
      { pitch: 64, startTick: 0, durationTicks: 480, velocity: 80 },
      { pitch: 69, startTick: 480, durationTicks: 480, velocity: 80 },
      { pitch: 69, startTick: 720, durationTicks: 720, velocity: 81 },
      { pitch: 72, startTick: 1440, durationTicks: 960, velocity: 112 },
    ]);
  });

  it('splits a track that uses two channels into two tracks', () => {
    const body = [
      0x00, 0x90, 60, 100, 0x00, 0x91, 48, 90, 0x60, 0x80, 60, 0, 0x00, 0x81, 48, 0, 0x00, 0xff, 0x2f, 0x00,
    ];
    const seq = parseMidi(smf(body), 'two-channels.mid');
    expect(seq.tracks.map((track) => [track.channel, track.notes.map((note) => note.pitch)])).toEqual([
      [0, [60]],
      [1, [48]],
    ]);
  });

  it('reads track names as UTF-8, falling back to Latin-1, without trailing NULs', () => {
    const named = (nameBytes: number[]) =>
      parseMidi(smf([0x00, 0xff, 0x03, nameBytes.length, ...nameBytes, ...oneNote]), 'named.mid').name;
    expect(named([...new TextEncoder().encode('Étude für Klavier')])).toBe('Étude für Klavier');
    expect(named([0x43, 0x61, 0x66, 0xe9])).toBe('Café');
    expect(named([0x41, 0x00, 0x00])).toBe('A');
  });

  it('keeps the last of several time signatures at one tick (the one in force)', () => {
    const body = [
      ...[0x00, 0xff, 0x58, 0x04, 3, 2, 24, 8],
      ...[0x00, 0xff, 0x58, 0x04, 2, 2, 24, 8],
      ...[0x00, 0xff, 0x59, 0x02, 0xfd, 0x01], // 3 flats, minor: C minor
      ...oneNote,
    ];
    const seq = parseMidi(smf(body), 'signatures.mid');
    expect(seq.timeSignatures).toEqual([{ tick: 0, numerator: 2, denominator: 4 }]);
    expect(seq.keySignatures).toEqual([{ tick: 0, key: 'C', scale: 'minor' }]);
  });
});

describe('parseMidi fails with a specific code', () => {
  it('MIDI_EMPTY for zero bytes', () => {
    expect(codeOf(new Uint8Array(0))).toBe('MIDI_EMPTY');
  });

  it('MIDI_NOT_MIDI for text, a WAV header and a 3-byte file', () => {
    expect(codeOf(new TextEncoder().encode('X:1\nT:A tune\nK:G\n'))).toBe('MIDI_NOT_MIDI');
    expect(codeOf(new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000WAVEfmt '))).toBe('MIDI_NOT_MIDI');
    expect(codeOf(new Uint8Array([0x4d, 0x54, 0x68]))).toBe('MIDI_NOT_MIDI');
  });

  it('MIDI_TRUNCATED when the file is cut in the header, in a chunk, or before a declared track', () => {
    const whole = fixture('melody-offgrid.mid');
    expect(codeOf(whole.subarray(0, 10))).toBe('MIDI_TRUNCATED');
    expect(codeOf(whole.subarray(0, 30))).toBe('MIDI_TRUNCATED');
    expect(codeOf(whole.subarray(0, whole.length - 1))).toBe('MIDI_TRUNCATED');
    expect(codeOf(smf(oneNote, { tracks: 2 }))).toBe('MIDI_TRUNCATED');
  });

  it('MIDI_SMPTE for SMPTE time division', () => {
    expect(codeOf(fixture('smpte.mid'))).toBe('MIDI_SMPTE');
  });

  it('MIDI_NO_NOTES for a tempo map without notes, and for notes that never sound', () => {
    expect(codeOf(fixture('tempo-only.mid'))).toBe('MIDI_NO_NOTES');
    expect(codeOf(smf([0x00, 0x90, 60, 100, 0x00, 0x80, 60, 0, 0x00, 0xff, 0x2f, 0x00]))).toBe('MIDI_NO_NOTES');
  });

  it('MIDI_UNREADABLE for malformed events and header values, with the reason in the message', () => {
    // A data byte with no running status to repeat.
    expect(codeOf(smf([0x00, 60, 100, 0x00, 0xff, 0x2f, 0x00]))).toBe('MIDI_UNREADABLE');
    // A meta event longer than its track.
    expect(codeOf(smf([0x00, 0xff, 0x03, 0x40, 0x41]))).toBe('MIDI_UNREADABLE');
    // Division 0.
    expect(codeOf(smf(oneNote, { division: 0 }))).toBe('MIDI_UNREADABLE');
    try {
      parseMidi(smf([0x00, 60, 100]), 'songs/broken.mid');
      expect.unreachable('parseMidi accepted a data byte without status');
    } catch (error) {
      const parseError = error as MidiParseError;
      expect(parseError.name).toBe('MidiParseError');
      expect(parseError.source).toBe('songs/broken.mid');
      expect(parseError.message).toContain('songs/broken.mid');
      expect(parseError.message).toContain('track 1');
    }
  });

  it('accepts a valid minimal file (the helpers above build real MIDI)', () => {
    expect(codeOf(smf(oneNote))).toBe('no error');
    expect(parseMidi(smf(oneNote), 'one.mid').tracks[0].notes).toEqual([
      { pitch: 60, startTick: 0, durationTicks: 96, velocity: 100 },
    ]);
  });
});
