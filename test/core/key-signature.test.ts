// SPDX-License-Identifier: MIT
// A take locked to a key is written with that key's signature (the modes with their parent major's), so a notation
// program spells its notes as the composer expects; python3-mido reads the signature back from the written file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeMidi } from '../../src/core/midi/writeMidi';
import { takeSequence } from '../../src/core/model/takes';
import { keySignatureOf, parseScaleKey } from '../../src/core/music/scales';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('key signature of a locked take', () => {
  it('majors and minors keep their tonic; modes take their parent major', () => {
    const sig = (text: string) => keySignatureOf(parseScaleKey(text)!);
    expect(sig('G major')).toEqual({ key: 'G', scale: 'major' });
    expect(sig('E minor')).toEqual({ key: 'E', scale: 'minor' });
    expect(sig('A harmonic minor')).toEqual({ key: 'A', scale: 'minor' });
    expect(sig('D dorian')).toEqual({ key: 'C', scale: 'major' });
    expect(sig('E phrygian')).toEqual({ key: 'C', scale: 'major' });
    expect(sig('F lydian')).toEqual({ key: 'C', scale: 'major' });
    expect(sig('A mixolydian')).toEqual({ key: 'D', scale: 'major' });
    expect(sig('Bb major pentatonic')).toEqual({ key: 'Bb', scale: 'major' });
    expect(sig('F# blues')).toEqual({ key: 'F#', scale: 'minor' });
  });

  it('is written into the MIDI file (read back by python3-mido), and absent when nothing is locked', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'etude-keysig-'));
    try {
      const tokens = [62, 129, 64, 129, 65, 129, 67, 129, 128];
      const keysOf = (key: ReturnType<typeof parseScaleKey>) => {
        const sequence = takeSequence(tokens, {
          bpm: 120,
          timeSignature: { numerator: 4, denominator: 4 },
          randomSeed: 1,
          name: 't',
          key,
        });
        const file = path.join(dir, 'take.mid');
        writeFileSync(file, writeMidi(sequence));
        const dump = JSON.parse(
          execFileSync('/usr/bin/python3', [path.join(repoRoot, 'test/tools/mido_dump.py'), file], {
            encoding: 'utf8',
          }),
        ) as { keySignatures: [number, string][] };
        return dump.keySignatures;
      };
      expect(keysOf(parseScaleKey('A mixolydian'))).toEqual([[0, 'D']]);
      expect(keysOf(parseScaleKey('B minor'))).toEqual([[0, 'Bm']]);
      expect(keysOf(null)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
