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
} from '../../src/core/audio/instruments';
import { loadSoundBank } from '../../src/core/audio/renderMidi';

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

describe('the bundled SoundFont', () => {
  it('holds a bank-0 preset for every program the instrument select offers, and only those', async () => {
    const bank = await loadSoundBank(readFileSync(path.join(repoRoot, 'resources/soundfont/etude-gm.sf3')));
    const programs = bank.presets.filter((p) => p.bankMSB === 0 && !p.isGMGSDrum).map((p) => p.program);
    expect([...programs].sort((a, b) => a - b)).toEqual(BUNDLED_INSTRUMENTS.map((i) => i.program));
    expect(instrumentLabel(0)).toBe('Acoustic grand piano');
  });
});
