// SPDX-License-Identifier: MIT
// CI's share of `npm run test:fuzz`: a few hundred mutated MIDI files through the importer, with the same verdict
// (no crash, no slow file, every rejection coded and explained, every salvaged cut exactly the notes before it);
// and the fuzzer's own oracle and mutations, shown able to fail.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMidiSalvaging } from '../../src/core/midi/readMidi';
import { createRng } from '../../src/core/util/random';
import {
  DEFAULT_DATA_DIR,
  MUTATIONS,
  checkSalvage,
  midiFilesUnder,
  mutate,
  runFuzz,
  summaryLines,
} from '../../scripts/fuzz-midi';

describe('MIDI fuzz through the importer', () => {
  it('400 mutated inputs (and every 10th through importPaths): no problem', async () => {
    const summary = await runFuzz({ count: 400, seed: 7, importEvery: 10 });
    expect(summary.problems, summaryLines(summary).join('\n')).toEqual([]);
    expect(summary.inputs).toBe(400);
    expect(summary.originals).toBeGreaterThan(1000);
    // Every mutation ran, and the run saw all three outcomes.
    for (const m of MUTATIONS) {
      const c = summary.byMutation[m];
      expect(c.accepted + c.salvaged + c.rejected, m).toBe(50);
    }
    expect(summary.byMutation.truncate.salvaged).toBeGreaterThan(25);
    expect(summary.salvageChecked).toBe(summary.byMutation.truncate.salvaged);
    expect(summary.byMutation['random-file'].rejected).toBe(50);
    expect(summary.library.files).toBe(40);
    expect(summary.library.imported + summary.library.failed).toBe(40);
    expect(summary.slowest.ms).toBeLessThan(1000);
    expect(summaryLines(summary).at(-1)).toMatch(/PASS$/);
  });

  it('the salvage oracle fails a sequence that lost a note or holds one the file has not', () => {
    const file = midiFilesUnder(path.join(DEFAULT_DATA_DIR, 'nottingham/MIDI/melody'))[5];
    const whole = new Uint8Array(readFileSync(file));
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
    const { sequence, salvage } = parseMidiSalvaging(cut, 'cut.mid');
    expect(salvage).toBeDefined();
    expect(checkSalvage(whole, sequence, salvage!)).toBeUndefined();
    const track = sequence.tracks.find((t) => t.notes.length > 2)!;
    const dropped = track.notes.shift()!;
    expect(checkSalvage(whole, sequence, salvage!)).toMatch(/ends before the cut but was not kept/);
    track.notes.unshift({ ...dropped, pitch: (dropped.pitch + 1) % 128 }, dropped);
    expect(checkSalvage(whole, sequence, salvage!)).toMatch(/the whole file has no such note/);
  });

  it('mutations change the bytes as named, reproducibly for a seed', () => {
    const whole = new Uint8Array(readFileSync(midiFilesUnder(DEFAULT_DATA_DIR)[0]));
    const a = mutate(whole, 'truncate', createRng(3));
    expect(a.bytes).toEqual(whole.subarray(0, a.cutAt));
    expect(mutate(whole, 'truncate', createRng(3))).toEqual(a);
    const flipped = mutate(whole, 'bit-flips', createRng(4)).bytes;
    expect(flipped.length).toBe(whole.length);
    expect(flipped).not.toEqual(whole);
    expect(mutate(whole, 'duplicate-run', createRng(5)).bytes.length).toBeGreaterThan(whole.length);
    expect(mutate(whole, 'delete-run', createRng(6)).bytes.length).toBeLessThan(whole.length);
    const edited = mutate(whole, 'chunk-length', createRng(8)).bytes;
    expect(edited.length).toBe(whole.length);
    expect(edited).not.toEqual(whole);
  });
});
