// SPDX-License-Identifier: MIT
// `etude regenerate` (bin/etude.mjs as a child process) on the bundled model: bars 4-5 of an 8-bar melody are drawn
// again, every note outside them is kept, the seam scores are printed, the same seed writes the same file; a selection
// from bar 1 or past the end, or a pitch range for a melody model, is a one-line usage error (exit 2).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { writeMidi } from '../../src/core/midi/writeMidi';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shim = path.join(repoRoot, 'bin/etude.mjs');
let work: string;

const SCALE = [60, 62, 64, 65, 67, 69, 71, 72];
const notes = Array.from({ length: 32 }, (_, i) => ({
  pitch: SCALE[i % 8 < 4 ? i % 8 : 11 - (i % 8)],
  startTick: i * 480,
  durationTicks: 480,
  velocity: 40 + i,
}));

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'etude-cli-regen-'));
  writeFileSync(
    path.join(work, 'take.mid'),
    writeMidi({
      name: 'take',
      ppq: 480,
      tempos: [{ tick: 0, bpm: 100 }],
      timeSignatures: [{ tick: 0, numerator: 4, denominator: 4 }],
      keySignatures: [],
      tracks: [{ name: 'Melody', program: 0, channel: 0, isPercussion: false, notes }],
    }),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function etude(args: string[]) {
  const r = spawnSync(process.execPath, [shim, '--data-dir', path.join(work, 'data'), ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, ETUDE_DEBUG: '' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const read = (file: string) =>
  parseMidi(new Uint8Array(readFileSync(path.join(work, file))), file).tracks.flatMap((t) =>
    t.notes.map(({ pitch, startTick, durationTicks }) => ({ pitch, startTick, durationTicks })),
  );

describe('etude regenerate', () => {
  it('redraws bars 4-5 only, says the seam scores, and repeats itself for a seed', () => {
    const a = etude(['regenerate', 'take.mid', '--bars', '4-5', '--seed', '3', '--out', 'a.mid']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(
      /regenerated bars 4-5 of 8: 12 candidates, kept #\d+; seam -?\d+\.\d{3} \(left-to-right -?\d+\.\d{3}\)/,
    );
    const bar = 1920;
    const out = read('a.mid');
    const plain = notes.map(({ pitch, startTick, durationTicks }) => ({ pitch, startTick, durationTicks }));
    const outside = (list: typeof plain) => list.filter((n) => n.startTick < 3 * bar || n.startTick >= 5 * bar);
    const inside = (list: typeof plain) => list.filter((n) => n.startTick >= 3 * bar && n.startTick < 5 * bar);
    expect(outside(out)).toEqual(outside(plain));
    expect(inside(out)).not.toEqual(inside(plain));
    expect(etude(['regenerate', 'take.mid', '--bars', '4-5', '--seed', '3', '--out', 'b.mid']).code).toBe(0);
    expect(readFileSync(path.join(work, 'b.mid'))).toEqual(readFileSync(path.join(work, 'a.mid')));
  }, 60_000);

  it('refuses bar 1 and bars past the end in one line', () => {
    const first = etude(['regenerate', 'take.mid', '--bars', '1-2']);
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/bar 1 cannot be regenerated/);
    const past = etude(['regenerate', 'take.mid', '--bars', '7-9']);
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/has 8 bars/);
    // A pitch range selects notes of a polyphonic take: the bundled melody model refuses it; a bad range is a sentence.
    const pitches = etude(['regenerate', 'take.mid', '--bars', '4-5', '--pitches', 'C4-B5']);
    expect(pitches.code).toBe(2);
    expect(pitches.stderr).toMatch(/a melody model regenerates whole bars/);
    const bad = etude(['regenerate', 'take.mid', '--bars', '4-5', '--pitches', 'B5-C4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--pitches: "B5-C4": the low pitch B5 is above C4/);
  }, 60_000);

  it('refuses a file whose meter changes, naming the change and its bar, in one line', () => {
    writeFileSync(
      path.join(work, 'changes.mid'),
      writeMidi({
        name: 'changes',
        ppq: 480,
        tempos: [{ tick: 0, bpm: 100 }],
        timeSignatures: [
          { tick: 0, numerator: 4, denominator: 4 },
          { tick: 3840, numerator: 3, denominator: 4 },
        ],
        keySignatures: [],
        tracks: [{ name: 'Melody', program: 0, channel: 0, isPercussion: false, notes }],
      }),
    );
    const r = etude(['regenerate', 'changes.mid', '--bars', '4-5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/changes meter \(4\/4 -> 3\/4 at bar 3\); regenerating bars works on files in one meter/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});
