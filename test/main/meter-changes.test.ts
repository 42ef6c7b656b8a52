// SPDX-License-Identifier: MIT
// Meter changes within a file, end to end: a 4/4 -> 3/4 -> 6/8 -> 4/4 file written by python3-mido is imported
// (the piece keeps its map and its bars), exported as MIDI (read back by mido) and MusicXML (read by a small parser
// and by MuseScore 3 converting it to MIDI), and a clip that ends in 3/4 is continued in 3/4 at its tempo.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../../src/core/model/checkpoint';
import { initWeights } from '../../src/core/model/init';
import { polySpecForCorpus } from '../../src/core/model/polyLstmSpec';
import { DEFAULT_TRAINING, type ModelSpec } from '../../src/core/model/spec';
import { barLines, meterMapOf } from '../../src/core/music/meterMap';
import { openLibrary, type Library } from '../../src/main/db';
import { exportGeneration, exportPiece } from '../../src/main/services/exportService';
import { generateFromLibrary, parseSeedArgument } from '../../src/main/services/generation';
import { importPaths } from '../../src/main/services/importService';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-meters-'));
const MSCORE = ['/usr/bin/mscore3', '/usr/bin/musescore3'].find((p) => existsSync(p));
let library: Library;

/**
 * Writes a one-track file with python3-mido: per [numerator, denominator, bars] a time signature at its first bar,
 * and a short note on every beat (a dotted quarter in 6/8), at `bpm`.
 */
function writeWithMido(file: string, plan: [number, number, number][], bpm: number): void {
  const script = `
import sys, json, mido
plan, bpm, ppq = json.loads(sys.argv[2]), float(sys.argv[3]), 480
mid = mido.MidiFile(ticks_per_beat=ppq)
track = mido.MidiTrack(); mid.tracks.append(track)
track.append(mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(bpm), time=0))
events, tick, pitch = [], 0, 60
for num, den, bars in plan:
    events.append((tick, 1, 'ts', num, den))
    bar = num * ppq * 4 // den
    beat = ppq * 3 // 2 if den == 8 and num % 3 == 0 and num > 3 else ppq * 4 // den
    for b in range(bars):
        for k in range(bar // beat):
            events.append((tick + k * beat, 2, 'on', pitch, 0))
            events.append((tick + k * beat + beat // 2, 0, 'off', pitch, 0))
            pitch = 60 + (pitch - 59) % 12
        tick += bar
events.sort()
last = 0
for at, _, kind, a, b in events:
    dt, last = at - last, at
    if kind == 'ts': track.append(mido.MetaMessage('time_signature', numerator=a, denominator=b, time=dt))
    elif kind == 'on': track.append(mido.Message('note_on', note=a, velocity=90, time=dt))
    else: track.append(mido.Message('note_off', note=a, velocity=0, time=dt))
mid.save(sys.argv[1])
`;
  execFileSync('/usr/bin/python3', ['-c', script, file, JSON.stringify(plan), String(bpm)]);
}

/** [tick at 480 ppq, numerator, denominator] of every time_signature message, and the tempos, as mido reads them. */
function midoMeters(file: string): { meters: [number, number, number][]; bpms: number[] } {
  const script = `
import sys, json, mido
m = mido.MidiFile(sys.argv[1])
meters, bpms = [], []
for t in m.tracks:
    tick = 0
    for x in t:
        tick += x.time
        if x.type == 'time_signature': meters.append([tick * 480 // m.ticks_per_beat, x.numerator, x.denominator])
        if x.type == 'set_tempo': bpms.append(round(mido.tempo2bpm(x.tempo), 3))
print(json.dumps({'meters': sorted(meters), 'bpms': bpms}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' })) as {
    meters: [number, number, number][];
    bpms: number[];
  };
}

/** The measures of a MusicXML part (first part) with the <time> each one states, if any. */
function musicXmlMeasures(xml: string): { number: number; time?: string }[] {
  const part = /<part id="[^"]+">([\s\S]*?)<\/part>/.exec(xml)![1];
  return [...part.matchAll(/<measure number="(\d+)"[^>]*>([\s\S]*?)<\/measure>/g)].map((m) => {
    const time = /<time>\s*<beats>(\d+)<\/beats>\s*<beat-type>(\d+)<\/beat-type>\s*<\/time>/.exec(m[2]);
    return { number: Number(m[1]), ...(time ? { time: `${time[1]}/${time[2]}` } : {}) };
  });
}

/** MuseScore 3's reading of a MusicXML file, converted to MIDI and read by mido. */
function museScoreMeters(xml: Uint8Array, name: string): [number, number, number][] {
  const input = path.join(dir, `${name}.musicxml`);
  const output = path.join(dir, `${name}-mscore.mid`);
  writeFileSync(input, xml);
  execFileSync(MSCORE!, ['-o', output, input], {
    env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' },
    stdio: 'ignore',
    timeout: 60_000,
  });
  return midoMeters(output).meters;
}

const CHANGES: [number, number, number][] = [
  [4, 4, 2],
  [3, 4, 2],
  [6, 8, 2],
  [4, 4, 1],
];

beforeAll(async () => {
  library = openLibrary(path.join(dir, 'library.db'));
  writeWithMido(path.join(dir, 'changes.mid'), CHANGES, 100);
  await importPaths(library, [path.join(dir, 'changes.mid')], { corpusName: 'Meters' });
});
afterAll(() => {
  library.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a file whose meter changes 4/4 -> 3/4 -> 6/8 -> 4/4', () => {
  it('is imported with its map: the piece has 7 bars, starting where the file puts them', () => {
    const { sequence } = exportPiece(library, 'Meters', 'changes', 'midi');
    expect(sequence.timeSignatures.map((s) => [s.tick, s.numerator, s.denominator])).toEqual([
      [0, 4, 4],
      [3840, 3, 4],
      [6720, 6, 8],
      [9600, 4, 4],
    ]);
    const end = Math.max(...sequence.tracks.flatMap((t) => t.notes.map((n) => n.startTick + n.durationTicks)));
    const bars = barLines(meterMapOf(sequence.timeSignatures), sequence.ppq, end);
    expect(bars.map((b) => b.startTick)).toEqual([0, 1920, 3840, 5280, 6720, 8160, 9600]);
    // Every note the file has (4+4 + 3+3 + 2+2 + 4 beats) starts on a beat of its own bar.
    expect(sequence.tracks[0].notes).toHaveLength(22);
  });

  it('exports as MIDI with a time_signature at each change, as mido reads it', () => {
    const exported = exportPiece(library, 'Meters', 'changes', 'midi');
    const file = path.join(dir, 'piece.mid');
    writeFileSync(file, exported.bytes);
    expect(midoMeters(file).meters).toEqual([
      [0, 4, 4],
      [3840, 3, 4],
      [6720, 6, 8],
      [9600, 4, 4],
    ]);
  });

  it.skipIf(!MSCORE)('exports as MusicXML with <time> at measures 1, 3, 5 and 7 (and MuseScore reads them)', () => {
    const exported = exportPiece(library, 'Meters', 'changes', 'musicxml', { staves: 'auto', detectChords: false });
    const measures = musicXmlMeasures(Buffer.from(exported.bytes).toString('utf8'));
    expect(measures).toHaveLength(7);
    expect(measures.filter((m) => m.time).map((m) => [m.number, m.time])).toEqual([
      [1, '4/4'],
      [3, '3/4'],
      [5, '6/8'],
      [7, '4/4'],
    ]);
    expect(museScoreMeters(exported.bytes, 'piece')).toEqual([
      [0, 4, 4],
      [3840, 3, 4],
      [6720, 6, 8],
      [9600, 4, 4],
    ]);
  });
});

describe('continuing a clip that ends in 3/4', () => {
  const clip = path.join(dir, 'clip.mid');
  const continueClip = (append: boolean, randomSeed: number) =>
    generateFromLibrary(library, {
      model: 'default',
      seed: { ...parseSeedArgument(clip), whole: true },
      temperature: 1,
      bars: 99, // a continuation counts its own bars
      variations: 1,
      randomSeed,
      continuation: { bars: 4, append },
      engine: 'wasm',
    });

  it('continues in 3/4 at the clip tempo: 4 bars of 3/4 on its own', async () => {
    writeWithMido(
      clip,
      [
        [4, 4, 2],
        [3, 4, 2],
      ],
      90,
    );
    const result = await continueClip(false, 5);
    expect(result.timeSignature).toEqual({ numerator: 3, denominator: 4 });
    expect(result.bpm).toBe(90);
    const [take] = result.variations;
    expect(take.sequence.timeSignatures).toEqual([{ tick: 0, numerator: 3, denominator: 4 }]);
    expect(take.sequence.totalTicks).toBe(4 * 1440);
    expect(take.tokens).toHaveLength(4 * 12);
    const file = path.join(dir, 'alone.mid');
    writeFileSync(file, take.midi);
    expect(midoMeters(file)).toEqual({ meters: [[0, 3, 4]], bpms: [90] });
  });

  it('appended, keeps the clip bar lines (2 of 4/4, 2 of 3/4) then 4 more of 3/4, in MIDI and MusicXML', async () => {
    const result = await continueClip(true, 5);
    const [take] = result.variations;
    expect(take.sequence.timeSignatures).toEqual([
      { tick: 0, numerator: 4, denominator: 4 },
      { tick: 3840, numerator: 3, denominator: 4 },
    ]);
    const end = 3840 + 2 * 1440 + 4 * 1440;
    expect(take.sequence.totalTicks).toBe(end);
    expect(take.tokens).toHaveLength(end / 120);
    // The clip's 14 notes stay where they were; the continuation starts on the bar line after the clip.
    const notes = take.sequence.tracks[0].notes;
    expect(notes.slice(0, 14).map((n) => n.startTick)).toEqual([
      0, 480, 960, 1440, 1920, 2400, 2880, 3360, 3840, 4320, 4800, 5280, 5760, 6240,
    ]);
    expect(notes.every((n) => n.startTick + n.durationTicks <= end)).toBe(true);
    const stored = library.generations.getGeneration(take.generationId)!.request as Record<string, unknown>;
    expect(stored).toMatchObject({ bars: 8, timeSignature: '3/4', meterMap: ['0:4/4', '32:3/4'] });
    expect(stored.continuation).toMatchObject({ clipBars: 4 });

    const midi = exportGeneration(library, take.generationId, 'midi');
    const file = path.join(dir, 'appended.mid');
    writeFileSync(file, midi.bytes);
    expect(midoMeters(file)).toEqual({
      meters: [
        [0, 4, 4],
        [3840, 3, 4],
      ],
      bpms: [90],
    });
    const xml = exportGeneration(library, take.generationId, 'musicxml', { staves: 'auto', detectChords: false });
    const measures = musicXmlMeasures(Buffer.from(xml.bytes).toString('utf8'));
    expect(measures).toHaveLength(8);
    expect(measures.filter((m) => m.time).map((m) => [m.number, m.time])).toEqual([
      [1, '4/4'],
      [3, '3/4'],
    ]);
    if (MSCORE)
      expect(museScoreMeters(xml.bytes, 'appended')).toEqual([
        [0, 4, 4],
        [3840, 3, 4],
      ]);
  });

  it('says so on the command line: 8 bars of 4/4 -> 3/4', () => {
    const stdout = execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin/etude.mjs'),
        '--data-dir',
        path.join(dir, 'cli-data'),
        'generate',
        'default',
        '--continue',
        clip,
        '--bars',
        '4',
        '--append',
        '--engine',
        'wasm',
        '--out',
        path.join(dir, 'cli-takes'),
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(stdout).toMatch(/8 bars of 4\/4 -> 3\/4 at 90 bpm/);
  });
});

describe('a polyphonic continuation of a clip that ends in 3/4', () => {
  it('keeps the clip bar lines, goes on in 3/4 for the bars asked, and carries the map', async () => {
    // An untrained tiny bi-lstm over C3..C6 at sixteenths: what it draws does not matter, where the bars go does.
    const spec = polySpecForCorpus(
      'bi-lstm',
      { lowPitch: 48, pitches: 37 },
      {
        timeSizes: [8],
        pitchSizes: [6],
        downSizes: [4],
        windowHidden: 4,
      },
    );
    const checkpointPath = path.join(dir, 'poly.etude-ckpt');
    writeFileSync(
      checkpointPath,
      encodeCheckpoint({
        formatVersion: 1,
        spec: spec as unknown as ModelSpec,
        training: DEFAULT_TRAINING,
        epoch: 1,
        step: 1,
        metrics: {},
        weights: initWeights(spec as unknown as ModelSpec, 4),
        engine: 'wasm',
        createdAt: 0,
      }),
    );
    const clip = path.join(dir, 'poly-clip.mid');
    writeWithMido(
      clip,
      [
        [4, 4, 2],
        [3, 4, 2],
      ],
      90,
    );
    const run = (append: boolean) =>
      generateFromLibrary(
        library,
        {
          model: 'default',
          seed: { ...parseSeedArgument(clip), whole: true },
          temperature: 1,
          bars: 99,
          variations: 1,
          randomSeed: 3,
          continuation: { bars: 3, append },
          maxRetries: 0,
          engine: 'wasm',
        },
        { defaultModelPath: checkpointPath },
      );
    const alone = await run(false);
    expect(alone.timeSignature).toEqual({ numerator: 3, denominator: 4 });
    expect(alone.bpm).toBe(90);
    expect(alone.variations[0].sequence.timeSignatures).toEqual([{ tick: 0, numerator: 3, denominator: 4 }]);
    expect(alone.variations[0].sequence.totalTicks).toBe(3 * 1440);
    const appended = await run(true);
    const take = appended.variations[0].sequence;
    expect(take.timeSignatures).toEqual([
      { tick: 0, numerator: 4, denominator: 4 },
      { tick: 3840, numerator: 3, denominator: 4 },
    ]);
    expect(take.totalTicks).toBe(3840 + 2 * 1440 + 3 * 1440);
    const file = path.join(dir, 'poly-appended.mid');
    writeFileSync(file, appended.variations[0].midi);
    expect(midoMeters(file).meters).toEqual([
      [0, 4, 4],
      [3840, 3, 4],
    ]);
  });
});
