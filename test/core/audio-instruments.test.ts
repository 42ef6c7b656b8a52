// SPDX-License-Identifier: MIT
// Which GM program sounds on which track of a take: the bundled list and the per-track mapping.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BUNDLED_INSTRUMENTS,
  DEFAULT_PROGRAM,
  instrumentLabel,
  isBundledProgram,
  programsForTracks,
  takeTrackOf,
} from '../../src/core/audio/instruments';
import { loadSoundBank } from '../../src/core/audio/renderMidi';
import { parseMidi } from '../../src/core/midi/readMidi';
import { variationLoopMidiBytes, variationMidiBytes } from '../../src/renderer/src/lib/util/exportMidi';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('programsForTracks', () => {
  it('gives every track the piano until the user picks another instrument', () => {
    expect(programsForTracks(1, [])).toEqual([DEFAULT_PROGRAM]);
    expect(programsForTracks(2, [])).toEqual([0, 0]);
  });

  it("keeps each track's own choice: strings on the right hand, bass on the left", () => {
    expect(programsForTracks(2, [48, 32])).toEqual([48, 32]);
    expect(programsForTracks(2, [undefined, 32])).toEqual([0, 32]);
    expect(programsForTracks(2, [73])).toEqual([73, 0]);
  });

  it('drops choices past the track count (a melody after a polyphonic take kept two)', () => {
    expect(programsForTracks(1, [24, 48])).toEqual([24]);
  });

  it('plays the piano instead of a program the SoundFont does not hold (it would be silent)', () => {
    expect(programsForTracks(1, [30])).toEqual([0]);
    expect(isBundledProgram(30)).toBe(false);
    expect(instrumentLabel(30)).toBe('Program 30');
  });

  it('refuses a track count outside one MIDI channel a track', () => {
    expect(() => programsForTracks(0, [])).toThrow(/trackCount must be an integer in \[1, 16\], got: 0/);
    expect(() => programsForTracks(17, [])).toThrow(RangeError);
  });
});

describe("a take's tracks and their programs in its MIDI (what playback, Save MIDI and Save WAV use)", () => {
  const notes = [
    { pitch: 72, startTick: 0, durationTicks: 480, velocity: 90 },
    { pitch: 48, startTick: 0, durationTicks: 960, velocity: 70 },
    { pitch: 60, startTick: 480, durationTicks: 480, velocity: 90 },
  ];

  it("puts a polyphonic take's right hand (middle C up) on track 0 and its left hand on track 1", () => {
    expect(notes.map((n) => takeTrackOf(n.pitch, true))).toEqual([0, 1, 0]);
    expect(notes.map((n) => takeTrackOf(n.pitch, false))).toEqual([0, 0, 0]);
  });

  it("writes each staff's instrument as its track's program", () => {
    const poly = parseMidi(variationMidiBytes(notes, 480, 100, 'take', undefined, true, [], [48, 32]), 'p.mid');
    expect(poly.tracks.map((t) => [t.name, t.program, t.notes.map((n) => n.pitch)])).toEqual([
      ['Right hand', 48, [72, 60]],
      ['Left hand', 32, [48]],
    ]);
    const melody = parseMidi(variationMidiBytes(notes, 480, 100, 'take', undefined, false, [], [24]), 'm.mid');
    expect(melody.tracks.map((t) => t.program)).toEqual([24]);
    const loop = parseMidi(variationLoopMidiBytes(notes, 480, 100, 'take', 1920, undefined, false, [], [73]), 'l.mid');
    expect(loop.tracks.map((t) => t.program)).toEqual([73]);
    // No choice yet: the piano.
    expect(parseMidi(variationMidiBytes(notes, 480, 100, 'take'), 'd.mid').tracks[0]!.program).toBe(0);
  });
});

describe('the bundled SoundFont', () => {
  it('holds a bank-0 preset for every program the instrument select offers, and only those', async () => {
    const bank = await loadSoundBank(readFileSync(path.join(repoRoot, 'resources/soundfont/etude-gm.sf3')));
    const programs = bank.presets.filter((p) => p.bankMSB === 0 && !p.isGMGSDrum).map((p) => p.program);
    expect([...programs].sort((a, b) => a - b)).toEqual(BUNDLED_INSTRUMENTS.map((i) => i.program));
    expect(instrumentLabel(0)).toBe('Acoustic grand piano');
  });
});
