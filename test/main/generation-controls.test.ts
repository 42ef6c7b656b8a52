// SPDX-License-Identifier: MIT
// Composer controls through the generation service and the CLI, read back by python3-mido: meter and tempo of the
// seed carried to the take (a 6/8 Nottingham jig with no tempo event -> 6/8 at 120 bpm; a 3/4 seed at 90 bpm -> 3/4 at
// 90), velocities (never 0, downbeats louder), the key lock as stored, and batches with index.csv / index.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { writeMidi } from '../../src/core/midi/writeMidi';
import { openLibrary } from '../../src/main/db/open';
import {
  bundledDefaultModelPath,
  generateFromLibrary,
  generateFromRequest,
  parseSeedArgument,
} from '../../src/main/services/generation';
import { generationRequestSchema, MAX_COMPOSE_VARIATIONS } from '../../src/shared/dto';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const jig = path.resolve(repoRoot, '../shared/data/nottingham/MIDI/ashover11.mid');
const waltzing = path.resolve(repoRoot, '../shared/data/seed-melodies/waltzing-matilda.mid');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-controls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface MidoReport {
  ppq: number;
  timeSignatures: [number, number][];
  tempos: number[];
  /** [absolute tick, pitch, velocity] of every note_on message, velocity 0 included. */
  noteOns: [number, number, number][];
}

/** What python3-mido reads: meters, tempos in bpm, and every note_on message as written. */
function mido(file: string): MidoReport {
  const script = [
    'import sys, json, mido',
    'm = mido.MidiFile(sys.argv[1])',
    'r = {"ppq": m.ticks_per_beat, "timeSignatures": [], "tempos": [], "noteOns": []}',
    'for t in m.tracks:',
    '    tick = 0',
    '    for x in t:',
    '        tick += x.time',
    '        if x.type == "time_signature": r["timeSignatures"].append([x.numerator, x.denominator])',
    '        if x.type == "set_tempo": r["tempos"].append(round(mido.tempo2bpm(x.tempo), 3))',
    '        if x.type == "note_on": r["noteOns"].append([tick, x.note, x.velocity])',
    'print(json.dumps(r))',
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' })) as MidoReport;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('meter, tempo and dynamics of generated takes', () => {
  it.skipIf(!existsSync(jig))(
    'a 6/8 jig with no tempo event as the seed: the take exports as 6/8 at 120 bpm',
    async () => {
      const library = openLibrary(path.join(dir, 'jig.db'));
      const result = await generateFromLibrary(library, {
        model: 'default',
        seed: parseSeedArgument(jig),
        temperature: 1,
        bars: 16,
        variations: 2,
        randomSeed: 3,
        engine: 'wasm',
      });
      expect(result.timeSignature).toEqual({ numerator: 6, denominator: 8 });
      expect(result.bpm).toBe(120);
      const downbeats: number[] = [];
      const offBeats: number[] = [];
      for (const v of result.variations) {
        expect(v.tokens).toHaveLength(16 * 12); // 16 bars of 12 sixteenths
        const file = path.join(dir, `jig-${v.index}.mid`);
        writeFileSync(file, v.midi);
        const read = mido(file);
        expect(read.timeSignatures).toEqual([[6, 8]]);
        expect(read.tempos).toEqual([120]);
        expect(read.noteOns.length).toBeGreaterThan(10);
        for (const [tick, , velocity] of read.noteOns) {
          expect(velocity).toBeGreaterThanOrEqual(1);
          const inBar = tick % (read.ppq * 3); // a 6/8 bar is three quarters
          if (inBar === 0) downbeats.push(velocity);
          else if (inBar % (read.ppq * 1.5) !== 0) offBeats.push(velocity);
        }
        const stored = library.generations.getGeneration(v.generationId)!;
        expect(stored.request).toMatchObject({ timeSignature: '6/8', bpm: 120, key: 'off' });
        // The jig's pickup (E5, an eighth before the first bar line) keeps its place: only whole bars of silence go.
        expect(v.tokens.slice(0, 12)).toEqual([129, 129, 129, 129, 129, 129, 129, 129, 129, 129, 76, 129]);
      }
      console.log(
        `6/8 jig seed: mean velocity on downbeats ${mean(downbeats).toFixed(1)} (${downbeats.length} notes), off the beat ${mean(offBeats).toFixed(1)} (${offBeats.length})`,
      );
      expect(downbeats.length).toBeGreaterThan(3);
      expect(mean(downbeats)).toBeGreaterThan(mean(offBeats));
      library.close();
    },
  );

  it('a 3/4 seed at 90 bpm keeps 3/4 and 90 bpm; a key lock is kept and stored', async () => {
    const seedFile = path.join(dir, 'waltz.mid');
    const notes = [60, 64, 67, 72, 67, 64, 65, 62, 59, 60, 64, 60].map((pitch, i) => ({
      pitch,
      startTick: i * 480,
      durationTicks: 480,
      velocity: 90,
    }));
    writeFileSync(
      seedFile,
      writeMidi({
        ppq: 480,
        name: 'waltz',
        tempos: [{ tick: 0, bpm: 90 }],
        timeSignatures: [{ tick: 0, numerator: 3, denominator: 4 }],
        keySignatures: [],
        tracks: [{ name: 'melody', program: 0, channel: 0, isPercussion: false, notes }],
      }),
    );
    const library = openLibrary(path.join(dir, 'waltz.db'));
    const result = await generateFromLibrary(library, {
      model: 'default',
      seed: parseSeedArgument(seedFile),
      temperature: 1.5,
      bars: 12,
      variations: 1,
      randomSeed: 8,
      key: { tonic: 'C', scale: 'major' },
      strictness: 1,
      humanise: 0.5,
      engine: 'wasm',
    });
    expect(result.suggestedKey).toEqual({ tonic: 'C', scale: 'major' });
    const [v] = result.variations;
    expect(v.tokens).toHaveLength(12 * 12);
    const file = path.join(dir, 'waltz-out.mid');
    writeFileSync(file, v.midi);
    const read = mido(file);
    expect(read.timeSignatures).toEqual([[3, 4]]);
    expect(read.tempos).toEqual([90]);
    for (const [, pitch, velocity] of read.noteOns) {
      expect(velocity).toBeGreaterThanOrEqual(1);
      expect([0, 2, 4, 5, 7, 9, 11]).toContain(pitch % 12);
    }
    // humanise moved some onsets off the sixteenth grid (120 ticks).
    expect(read.noteOns.some(([tick]) => tick % 120 !== 0)).toBe(true);
    expect(library.generations.getGeneration(v.generationId)!.request).toMatchObject({
      key: 'C major',
      strictness: 1,
      timeSignature: '3/4',
      bpm: 90,
      humanise: 0.5,
    });
    library.close();
  });
});

describe('etude generate: batches and the index', () => {
  it('writes deterministic names and index.csv / index.json with every file and its settings', () => {
    const outDir = path.join(dir, 'batch');
    const stdout = execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin/etude.mjs'),
        '--data-dir',
        path.join(dir, 'cli-data'),
        'generate',
        'default',
        '--seed-notes',
        'D4,F4,A4',
        '--variations',
        '12',
        '--bars',
        '2',
        '--meter',
        '3/4',
        '--key',
        'D dorian',
        '--strictness',
        '1',
        '--range',
        'C4-C6',
        '--random-seed',
        '77',
        '--engine',
        'wasm',
        '--out',
        outDir,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(stdout).toMatch(/Key: D dorian, strictness 1, range C4-C6 \(suggested: D minor\)/);
    const mids = readdirSync(outDir)
      .filter((f) => f.endsWith('.mid'))
      .sort();
    expect(mids).toEqual(Array.from({ length: 12 }, (_, i) => `default-seed77-${String(i + 1).padStart(2, '0')}.mid`));
    const csv = readFileSync(path.join(outDir, 'index.csv'), 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toBe(
      'file,model,seedNotes,temperature,key,strictness,range,randomSeed,variation,variationSeed,bars,form,meter,bpm,humanise,notes,generationId',
    );
    expect(csv).toHaveLength(13);
    expect(csv[1]).toMatch(
      /^default-seed77-01\.mid,default,"62,65,69",1,D dorian,1,C4-C6,77,1,\d+,2,off,3\/4,120,0,\d+,\d+$/,
    );
    const json = JSON.parse(readFileSync(path.join(outDir, 'index.json'), 'utf8')) as {
      files: { file: string; variationSeed: number; meter: string }[];
    };
    expect(json.files.map((f) => f.file)).toEqual(mids);
    expect(new Set(json.files.map((f) => f.variationSeed)).size).toBe(12);
    const read = mido(path.join(outDir, mids[0]));
    expect(read.timeSignatures).toEqual([[3, 4]]);
    // The lock travelled to the worker: every note of every take is in D dorian and within C4-C6.
    for (const f of mids)
      for (const [, pitch] of mido(path.join(outDir, f)).noteOns) {
        expect([2, 4, 5, 7, 9, 11, 0]).toContain(pitch % 12);
        expect(pitch).toBeGreaterThanOrEqual(60);
        expect(pitch).toBeLessThanOrEqual(84);
      }
  });
});

describe('etude compose on a folder', () => {
  it("keeps the seed piece's tempo and meter (110 bpm, 2/4)", () => {
    const folder = path.join(dir, 'folder');
    execFileSync('mkdir', ['-p', folder]);
    const piece = parseMidi(new Uint8Array(readFileSync(waltzing)), 'waltzing-matilda.mid');
    writeFileSync(
      path.join(folder, 'matilda-110.mid'),
      writeMidi({
        ...piece,
        tempos: [{ tick: 0, bpm: 110 }],
        timeSignatures: [{ tick: 0, numerator: 2, denominator: 4 }],
      }),
    );
    const outDir = path.join(dir, 'compose-out');
    const stdout = execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin/etude.mjs'),
        '--data-dir',
        path.join(dir, 'compose-data'),
        'compose',
        folder,
        '--out',
        outDir,
        '--epochs',
        '1',
        '--bars',
        '8',
        '--engine',
        'wasm',
      ],
      { encoding: 'utf8', timeout: 180_000 },
    );
    expect(stdout).toMatch(/from the first bar of matilda-110/);
    expect(stdout).toMatch(/Key: off; suggested: \w+ (major|minor)/);
    const [file] = readdirSync(outDir).filter((f) => f.endsWith('.mid'));
    const read = mido(path.join(outDir, file));
    expect(read.tempos).toEqual([110]);
    expect(read.timeSignatures).toEqual([[2, 4]]);
    expect(read.noteOns.every(([, , velocity]) => velocity >= 1)).toBe(true);
    expect(stdout).toMatch(/8 bars of 2\/4 at 110 bpm/);
  });
});

describe('continue my clip', () => {
  /** A 3/4 clip at 90 bpm: four bars of C-major quarters. */
  function writeClip(file: string): number[] {
    const pitches = [60, 64, 67, 72, 67, 64, 65, 62, 59, 60, 64, 60];
    writeFileSync(
      file,
      writeMidi({
        ppq: 480,
        name: 'clip',
        tempos: [{ tick: 0, bpm: 90 }],
        timeSignatures: [{ tick: 0, numerator: 3, denominator: 4 }],
        keySignatures: [],
        tracks: [
          {
            name: 'clip',
            program: 0,
            channel: 0,
            isPercussion: false,
            notes: pitches.map((pitch, i) => ({ pitch, startTick: i * 480, durationTicks: 480, velocity: 90 })),
          },
        ],
      }),
    );
    return pitches;
  }

  it('primes with the whole clip and continues in 3/4 at its tempo; --append starts with the clip', () => {
    const clip = path.join(dir, 'clip.mid');
    const pitches = writeClip(clip);
    const run = (outDir: string, extra: string[]) =>
      execFileSync(
        process.execPath,
        [
          path.join(repoRoot, 'bin/etude.mjs'),
          '--data-dir',
          path.join(dir, 'continue-data'),
          'generate',
          'default',
          '--continue',
          clip,
          '--bars',
          '4',
          '--random-seed',
          '9',
          '--engine',
          'wasm',
          '--out',
          outDir,
          ...extra,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
    const aloneOut = run(path.join(dir, 'alone'), []);
    expect(aloneOut).toMatch(/from all of clip\.mid/);
    expect(aloneOut).toMatch(/Key: C major, strictness 0\.9/);
    expect(aloneOut).toMatch(/4 bars of 3\/4 at 90 bpm/);
    run(path.join(dir, 'appended'), ['--append']);
    const alone = mido(path.join(dir, 'alone', 'default-seed9-1.mid'));
    const appended = mido(path.join(dir, 'appended', 'default-seed9-1.mid'));
    for (const read of [alone, appended]) {
      expect(read.timeSignatures).toEqual([[3, 4]]);
      expect(read.tempos).toEqual([90]);
    }
    // Appended: the clip's twelve notes first, in place, then the same continuation as the take on its own.
    const ons = (r: MidoReport) => r.noteOns.filter(([, , v]) => v > 0);
    expect(
      ons(appended)
        .slice(0, 12)
        .map(([tick, pitch]) => [tick, pitch]),
    ).toEqual(pitches.map((pitch, i) => [i * 480, pitch]));
    const clipTicks = 4 * 3 * 480;
    expect(
      ons(appended)
        .slice(12)
        .map(([tick, pitch]) => [tick - clipTicks, pitch]),
    ).toEqual(ons(alone).map(([tick, pitch]) => [tick, pitch]));
    expect(ons(alone).length).toBeGreaterThan(3);
    expect(ons(alone).every(([tick]) => tick < 4 * 1440)).toBe(true);
  });

  it('stores the whole clip as the seed, the continuation bars and the implied key', async () => {
    const clip = path.join(dir, 'clip2.mid');
    writeClip(clip);
    const library = openLibrary(path.join(dir, 'continue.db'));
    const result = await generateFromLibrary(library, {
      model: 'default',
      seed: { ...parseSeedArgument(clip), whole: true },
      temperature: 1,
      bars: 99, // ignored by a continuation
      variations: 1,
      randomSeed: 2,
      continuation: { bars: 2, append: false },
      engine: 'wasm',
    });
    const [v] = result.variations;
    expect(v.tokens).toHaveLength(2 * 12);
    expect(result.key).toEqual({ tonic: 'C', scale: 'major' });
    expect(library.generations.getGeneration(v.generationId)!.request).toMatchObject({
      seedTokens: expect.arrayContaining([60, 64, 67, 72]) as unknown,
      bars: 2,
      continuation: { bars: 2, append: false, clipBars: 4 },
      key: 'C major',
      strictness: 0.9,
    });
    // All 48 sixteenths of the clip, and the note-off that ends its last note.
    expect(
      (library.generations.getGeneration(v.generationId)!.request as { seedTokens: number[] }).seedTokens,
    ).toHaveLength(49);
    library.close();
  });
});

describe('continue my clip from the studio (compose:generate with continueClip)', () => {
  it('appends to the clip in its tempo, meter and key', async () => {
    const clip = path.join(dir, 'studio-clip.mid');
    writeFileSync(
      clip,
      writeMidi({
        ppq: 480,
        name: 'clip',
        tempos: [{ tick: 0, bpm: 90 }],
        timeSignatures: [{ tick: 0, numerator: 3, denominator: 4 }],
        keySignatures: [],
        tracks: [
          {
            name: 'clip',
            program: 0,
            channel: 0,
            isPercussion: false,
            notes: [62, 65, 69, 74, 69, 65].map((pitch, i) => ({
              pitch,
              startTick: i * 480,
              durationTicks: 480,
              velocity: 90,
            })),
          },
        ],
      }),
    );
    const request = generationRequestSchema.strict().parse({
      model: 'default',
      seedNotes: [60],
      temperature: 1,
      bars: 3,
      variations: 1,
      randomSeed: 4,
      continueClip: { bytes: new Uint8Array(readFileSync(clip)), name: 'studio-clip.mid', append: true },
    });
    const library = openLibrary(path.join(dir, 'studio-clip.db'));
    const result = await generateFromRequest(library, request, { defaultModelPath: bundledDefaultModelPath() });
    expect(result.key).toBe('D minor');
    const [v] = result.variations;
    expect(v.timeSignature).toEqual({ numerator: 3, denominator: 4 });
    expect(v.bpm).toBe(90);
    expect(v.tokens).toHaveLength((2 + 3) * 12); // the clip's two bars, then three more
    expect(v.notes.slice(0, 6).map((n) => [n.startTick, n.pitch])).toEqual(
      [62, 65, 69, 74, 69, 65].map((pitch, i) => [i * 480, pitch]),
    );
    expect(v.notes.length).toBeGreaterThan(6);
    library.close();
  });
});

describe('the compose contract', () => {
  const base = { model: 'default', seedNotes: [60], temperature: 1, bars: 4, randomSeed: 1 };
  it('takes up to 1000 variations and the controls, and rejects what is out of range', () => {
    expect(generationRequestSchema.strict().safeParse({ ...base, variations: MAX_COMPOSE_VARIATIONS }).success).toBe(
      true,
    );
    expect(MAX_COMPOSE_VARIATIONS).toBe(1000);
    expect(generationRequestSchema.strict().safeParse({ ...base, variations: 1001 }).success).toBe(false);
    const full = {
      ...base,
      variations: 2,
      key: 'D minor',
      strictness: 0.9,
      range: { low: 48, high: 84 },
      timeSignature: { numerator: 6, denominator: 8 },
      bpm: 96,
      humanise: 0.2,
    };
    expect(generationRequestSchema.strict().safeParse(full).success).toBe(true);
    expect(generationRequestSchema.strict().safeParse({ ...full, strictness: 1.2 }).success).toBe(false);
    expect(
      generationRequestSchema.strict().safeParse({ ...full, timeSignature: { numerator: 6, denominator: 6 } }).success,
    ).toBe(false);
  });
});
