// SPDX-License-Identifier: MIT
// Loop mode through the app's request (compose:generate's schema -> generation service) and export, read back by
// python3-mido: "loopStart" at tick 0 and "loopEnd" at N bars in the conductor track, CC111 at tick 0, every track's
// end of track at exactly N bars, no note past the loop point; the stored generation exports the same loop; the
// result carries the wrap scores; a take without loop mode has no markers.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { openLibrary } from '../../src/main/db/open';
import type { GenerationId } from '../../src/main/db/types';
import { exportGeneration } from '../../src/main/services/exportService';
import { bundledDefaultModelPath, generateFromRequest } from '../../src/main/services/generation';
import { composeResultSchema, generationRequestSchema } from '../../src/shared/dto';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LoopReadBack {
  ppq: number;
  tracks: {
    markers: [number, string][];
    controlChanges: [number, number, number][];
    endOfTrack: number;
    notes: [number, number, number][];
  }[];
}

function mido(bytes: Uint8Array, name: string): LoopReadBack {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return JSON.parse(
    execFileSync('/usr/bin/python3', [path.join(repoRoot, 'test/tools/mido_loop.py'), file], { encoding: 'utf8' }),
  ) as LoopReadBack;
}

describe('loop export', () => {
  it('a 3/4 loop of 4 bars, humanised: markers at 0 and 4 bars, end of track at 4 bars, nothing past it', async () => {
    const library = openLibrary(path.join(dir, 'loop.db'));
    const request = generationRequestSchema.strict().parse({
      model: 'default',
      seedNotes: [67, 71, 74],
      temperature: 1,
      bars: 4,
      variations: 2,
      randomSeed: 7,
      timeSignature: { numerator: 3, denominator: 4 },
      humanise: 1,
      loop: true,
    });
    const result = composeResultSchema.parse(
      await generateFromRequest(library, request, { defaultModelPath: bundledDefaultModelPath() }),
    );
    const loopTicks = 4 * 3 * 480;
    for (const v of result.variations) {
      expect(v.loop).toBeDefined();
      expect(v.loop!.wrapAfter).toBeGreaterThanOrEqual(v.loop!.wrapBefore);
      expect(v.tokens).toHaveLength(4 * 12);
      for (const n of v.notes) expect(n.startTick + n.durationTicks).toBeLessThanOrEqual(loopTicks);
      const stored = library.generations.getGeneration(Number(v.generationId) as GenerationId)!;
      expect(stored.request).toMatchObject({ loop: true, wrapScore: { before: v.loop!.wrapBefore } });
      const exported = exportGeneration(library, Number(v.generationId) as GenerationId, 'midi');
      const read = mido(exported.bytes, `loop-${v.index}.mid`);
      expect(read.ppq).toBe(480);
      expect(read.tracks[0].markers).toEqual([
        [0, 'loopStart'],
        [loopTicks, 'loopEnd'],
      ]);
      expect(read.tracks[1].controlChanges).toEqual([[0, 111, 0]]);
      for (const track of read.tracks) expect(track.endOfTrack).toBe(loopTicks);
      expect(read.tracks[1].notes.length).toBe(v.notes.length);
      for (const [, start, end] of read.tracks[1].notes) {
        expect(start).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThanOrEqual(loopTicks);
      }
      // Etude reads its own loop back: the same notes.
      const again = parseMidi(exported.bytes, 'loop.mid');
      expect(again.tracks[0].notes.map((n) => [n.pitch, n.startTick, n.durationTicks])).toEqual(
        v.notes.map((n) => [n.pitch, n.startTick, n.durationTicks]),
      );
    }
    library.close();
  });

  it('without loop mode: no wrap scores, no markers, the request as before', async () => {
    const library = openLibrary(path.join(dir, 'plain.db'));
    const request = generationRequestSchema.strict().parse({
      model: 'default',
      seedNotes: [60],
      temperature: 1,
      bars: 2,
      variations: 1,
      randomSeed: 7,
    });
    const result = await generateFromRequest(library, request, { defaultModelPath: bundledDefaultModelPath() });
    const [v] = result.variations;
    expect(v.loop).toBeUndefined();
    const stored = library.generations.getGeneration(Number(v.generationId) as GenerationId)!;
    expect(stored.request).not.toHaveProperty('loop');
    expect(stored.request).not.toHaveProperty('wrapScore');
    const read = mido(exportGeneration(library, Number(v.generationId) as GenerationId, 'midi').bytes, 'plain.mid');
    expect(read.tracks.flatMap((t) => t.markers)).toEqual([]);
    expect(read.tracks.flatMap((t) => t.controlChanges)).toEqual([]);
    library.close();
  });

  it('etude generate --loop writes loop files and prints the wrap scores; --loop-tries needs --loop', () => {
    const run = (args: string[]) =>
      spawnSync(
        process.execPath,
        [path.join(repoRoot, 'bin/etude.mjs'), '--data-dir', path.join(dir, 'cli'), ...args],
        {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, ETUDE_DEBUG: '' },
          timeout: 60_000,
        },
      );
    const out = path.join(dir, 'cli-out');
    const ok = run([
      'generate',
      'default',
      '--loop',
      '--loop-tries',
      '3',
      '--bars',
      '2',
      '--random-seed',
      '4',
      '--engine',
      'wasm',
      '--out',
      out,
    ]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/loop wrap -?\d+\.\d\d -> -?\d+\.\d\d \([0-3] endings tried\)/);
    const bytes = new Uint8Array(readFileSync(path.join(out, 'default-seed4-1.mid')));
    const read = mido(bytes, 'cli-loop.mid');
    expect(read.tracks[0].markers).toEqual([
      [0, 'loopStart'],
      [2 * 1920, 'loopEnd'],
    ]);
    for (const track of read.tracks) expect(track.endOfTrack).toBe(2 * 1920);
    const bad = run(['generate', 'default', '--loop-tries', '3']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--loop-tries needs --loop');
  });

  it('the contract takes loop as a boolean only', () => {
    const base = { model: 'default', seedNotes: [60], temperature: 1, bars: 2, variations: 1, randomSeed: 1 };
    expect(generationRequestSchema.strict().safeParse({ ...base, loop: true }).success).toBe(true);
    expect(generationRequestSchema.strict().safeParse({ ...base, loop: 'yes' }).success).toBe(false);
  });
});
