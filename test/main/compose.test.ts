// SPDX-License-Identifier: MIT
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const waltzing = path.resolve(repoRoot, '../shared/data/seed-melodies/waltzing-matilda.mid');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-compose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('etude compose (CLI child process)', () => {
  it('imports waltzing-matilda.mid, fine-tunes the bundled model for 1 epoch, and writes MIDI that python3 + mido reads', () => {
    const outDir = path.join(dir, 'out');
    const stdout = execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin/etude.mjs'),
        '--data-dir',
        path.join(dir, 'data'),
        'compose',
        waltzing,
        '--out',
        outDir,
        '--epochs',
        '1',
        '--variations',
        '2',
        '--bars',
        '8',
        '--random-seed',
        '5',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(stdout).toMatch(/Imported into "compose-waltzing-matilda": 1 new/);
    expect(stdout).toMatch(/Fine-tuned the default model as/);
    expect(stdout).toMatch(/Engine: /);
    const files = readdirSync(outDir).filter((f) => f.endsWith('.mid'));
    expect(files).toHaveLength(2);
    for (const f of files) {
      // mido: count note-ons with velocity > 0 and read the tempo.
      const report = execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          'import sys, mido\nm = mido.MidiFile(sys.argv[1])\nons = [x for t in m.tracks for x in t if x.type == "note_on" and x.velocity > 0]\ntempos = [x.tempo for t in m.tracks for x in t if x.type == "set_tempo"]\nprint(len(ons), round(mido.tempo2bpm(tempos[0])) if tempos else 0, m.ticks_per_beat)',
          path.join(outDir, f),
        ],
        { encoding: 'utf8' },
      ).trim();
      const [noteOns, bpm, ppq] = report.split(' ').map(Number);
      expect(noteOns).toBeGreaterThan(4);
      expect(bpm).toBeGreaterThan(20);
      expect(ppq).toBe(480);
    }
  });
});
