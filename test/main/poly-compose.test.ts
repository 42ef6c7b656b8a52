// SPDX-License-Identifier: MIT
// Polyphonic models through the door-neutral services (what `etude train --kind` and `etude generate` call): a tiny
// biaxial-lstm and bi-lstm trained on real folk-tune arrangements (melody + chords, ../shared/data/nottingham/MIDI),
// then composed with: takes on two staves split at middle C, reproducible from their seed, stored without tokens,
// degenerate takes re-sampled, read back by python3-mido as two tracks. Sizes are tiny so the file runs in seconds;
// what is checked is the plumbing and the promises, not the music.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatRoll, rollToNotes } from '../../src/core/encoding/rollFrames';
import { findRollDegeneracy } from '../../src/core/model/generatePoly';
import { chordSeedFrames } from '../../src/core/model/polySeed';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import { POLY_DEFAULT_RATE } from '../../src/core/model/polyLstmSpec';
import { GRAND_STAFF_SPLIT } from '../../src/core/model/takes';
import { type Library } from '../../src/main/db';
import { generateFromLibrary } from '../../src/main/services/generation';
import { evaluateModel, libraryCorpusMelodies } from '../../src/main/services/evaluation';
import { trainModel } from '../../src/main/services/training';
import { runGenerationInWorker } from '../../src/main/jobs/generationWorkerRunner';
import { MODEL_KINDS } from '../../src/core/model/registry';
import { modelKindSchema } from '../../src/shared/dto';
import { openFolkLibrary, type FolkLibrary } from './helpers/folkLibrary';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let folk: FolkLibrary | undefined;
let dir: string;
let library: Library;

beforeAll(async () => {
  folk = await openFolkLibrary('etude-poly-');
  ({ dir, library } = folk);
}, 60_000);

afterAll(() => {
  folk?.close();
});

const tiny = { timeSizes: [12], pitchSizes: [8], segment: 32 };

describe('polyphonic models through the services', () => {
  it('trains a biaxial-lstm on the corpus notes (every note, at sixteenths, in the corpus range) and a bi-lstm', async () => {
    const biaxial = await trainModel(library, {
      corpusName: 'Folk',
      modelName: 'poly-biaxial',
      kind: 'biaxial-lstm',
      spec: tiny,
      training: { epochs: 2, batchSize: 16 },
      engine: 'wasm',
      threads: 1,
      inProcess: true,
    });
    expect(biaxial.epochs).toBe(2);
    expect(Number.isFinite(biaxial.valLoss)).toBe(true);
    const row = library.models.getModelByName('poly-biaxial')!;
    const { spec, training } = decodeCheckpoint(library.checkpoints.latestCheckpoint(row.id)!.data);
    // A polyphonic model's own defaults (the rate measured on JSB, annealed), stored with it for a resume.
    const polyDefaults = { learningRate: POLY_DEFAULT_RATE, learningRateSchedule: 'anneal', batchSize: 16 };
    expect(biaxial.training).toMatchObject(polyDefaults);
    expect(training).toMatchObject(polyDefaults);
    expect(spec).toMatchObject({ kind: 'biaxial-lstm', stepsPerQuarter: 4, beatsPerBar: 16, timeSizes: [12] });
    if (spec.kind !== 'biaxial-lstm') throw new Error('unreachable');
    // The window covers every note of the corpus: nothing it holds is left out.
    const lowest = Math.min(
      ...library.pieces
        .getPieceNotes(row.corpusId!)
        .flatMap((p) => p.sequence!.tracks.flatMap((t) => t.notes.map((n) => n.pitch))),
    );
    expect(spec.lowPitch).toBeLessThanOrEqual(lowest);
    const bi = await trainModel(library, {
      corpusName: 'Folk',
      modelName: 'poly-bi',
      kind: 'bi-lstm',
      spec: { ...tiny, downSizes: [6], window: 4, windowHidden: 6, loss: 'weighted', onWeight: 3, repeatContext: 8 },
      training: { epochs: 1, batchSize: 16 },
      engine: 'wasm',
      threads: 1,
      inProcess: true,
    });
    expect(Number.isFinite(bi.loss)).toBe(true);
    // The weighted training loss and the repeat input are the model's settings, kept in its checkpoint (the bi-lstm
    // composes below, in the worker and on this thread, with the repeat input).
    const biRow = library.models.getModelByName('poly-bi')!;
    expect(decodeCheckpoint(library.checkpoints.latestCheckpoint(biRow.id)!.data).spec).toMatchObject({
      kind: 'bi-lstm',
      loss: 'weighted',
      onWeight: 3,
      repeatContext: 8,
    });
    // A melody size for a polyphonic model is a sentence, and no model row is left behind.
    await expect(
      trainModel(library, {
        corpusName: 'Folk',
        modelName: 'bad',
        kind: 'bi-lstm',
        spec: { hiddenSize: 8 },
        inProcess: true,
      }),
    ).rejects.toThrow(/hiddenSize is a size of the melody model/);
    await expect(
      trainModel(library, { corpusName: 'Folk', modelName: 'bad', spec: { loss: 'weighted' }, inProcess: true }),
    ).rejects.toThrow(/loss is a setting of the polyphonic models/);
    await expect(
      trainModel(library, { corpusName: 'Folk', modelName: 'bad', spec: { repeatContext: 8 }, inProcess: true }),
    ).rejects.toThrow(/repeatContext is a setting of the polyphonic models/);
    expect(library.models.getModelByName('bad')).toBeUndefined();
  }, 120_000);

  it('composes two-staff takes, reproducible from their seed, stored without tokens, read by mido as two tracks', async () => {
    const request = {
      model: 'poly-biaxial',
      seed: { pitches: [48, 60, 64, 67] },
      temperature: 1,
      bars: 4,
      variations: 3,
      randomSeed: 7,
      engine: 'wasm' as const,
    };
    const first = await generateFromLibrary(library, request);
    const again = await generateFromLibrary(library, request);
    const other = await generateFromLibrary(library, { ...request, randomSeed: 8 });
    const notesOf = (r: typeof first) =>
      r.variations.map((v) =>
        v.sequence.tracks.map((t) => t.notes.map((n) => `${n.pitch}@${n.startTick}+${n.durationTicks}`)),
      );
    expect(notesOf(again)).toEqual(notesOf(first));
    expect(notesOf(other)).not.toEqual(notesOf(first));
    for (const v of first.variations) {
      const [upper, lower] = v.sequence.tracks;
      expect([upper.name, lower.name]).toEqual(['Right hand', 'Left hand']);
      expect(upper.notes.every((n) => n.pitch >= GRAND_STAFF_SPLIT)).toBe(true);
      expect(lower.notes.every((n) => n.pitch < GRAND_STAFF_SPLIT)).toBe(true);
      expect(upper.notes.length + lower.notes.length).toBeGreaterThan(0);
      expect(v.sequence.totalTicks).toBe(4 * 4 * 480);
      // Every note has a velocity, never 0.
      for (const n of [...upper.notes, ...lower.notes]) expect(n.velocity).toBeGreaterThanOrEqual(1);
      const stored = library.generations.getGeneration(v.generationId)!;
      expect(stored.tokens).toBeNull();
      expect(stored.request).toMatchObject({ kind: 'biaxial-lstm', randomSeed: 7 });
    }
    // The seed chord opens the take: C3 C4 E4 G4 held for a quarter note.
    const opening = first.variations[0].sequence.tracks
      .flatMap((t) => t.notes)
      .filter((n) => n.startTick === 0)
      .map((n) => n.pitch)
      .sort((a, b) => a - b);
    expect(opening).toEqual(expect.arrayContaining([48, 60, 64, 67]));
    const file = path.join(dir, 'take.mid');
    writeFileSync(file, first.variations[0].midi);
    const dump = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(repoRoot, 'test/tools/mido_dump.py'), file], { encoding: 'utf8' }),
    ) as { tracks: { name: string; notes: number[][] }[] };
    const withNotes = dump.tracks.filter((t) => t.notes.length > 0);
    const count = first.variations[0].sequence.tracks.reduce((n, t) => n + t.notes.length, 0);
    expect(withNotes.reduce((n, t) => n + t.notes.length, 0)).toBe(count);
    expect(dump.tracks.map((t) => t.name)).toEqual(expect.arrayContaining(['Right hand', 'Left hand']));
  }, 120_000);

  it('the quality report measures a polyphonic model on every note of its takes against every note of the corpus', async () => {
    const e = await evaluateModel(library, { model: 'poly-biaxial', takes: 2, bars: 4, engine: 'wasm' });
    expect(e.corpusName).toBe('Folk');
    expect(e.corpusPieces).toBe(10);
    const perBar = (rows: typeof e.rows) => rows.find((r) => r.metric === 'notesPerBar')!;
    expect(perBar(e.rows).corpus!.count).toBe(10);
    expect(perBar(e.rows).takes!.count).toBe(2);
    // Every note: the arrangement (melody and chords) has more notes per bar than its melody lines alone.
    const melodyLines = libraryCorpusMelodies(library, 'Folk');
    const melodyNotesPerBar =
      melodyLines.reduce((n, m) => n + m.tracks[0].notes.length, 0) /
      melodyLines.reduce((n, m) => n + (m.totalTicks ?? 0) / 1920, 0);
    expect(perBar(e.rows).corpus!.mean).toBeGreaterThan(melodyNotesPerBar * 1.5);
    expect(e.pitchClassHistogram.takes.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  }, 120_000);

  it('runs in the generation worker as on this thread (same notes), loop mode included', async () => {
    const request = {
      model: 'poly-bi',
      seed: { pitches: [60] },
      temperature: 0.8,
      bars: 2,
      variations: 2,
      randomSeed: 3,
      engine: 'wasm' as const,
    };
    const here = await generateFromLibrary(library, request);
    const inWorker = await generateFromLibrary(library, request, { runner: runGenerationInWorker });
    const notesOf = (r: typeof here) => r.variations.map((v) => v.sequence.tracks.map((t) => t.notes.length));
    expect(notesOf(inWorker)).toEqual(notesOf(here));
    // Loop mode runs in the worker too (test/main/poly-controls.test.ts checks what it does).
    const looped = await generateFromLibrary(
      library,
      { ...request, loop: { tries: 2 } },
      { runner: runGenerationInWorker },
    );
    expect(looped.variations.every((v) => v.loop !== undefined)).toBe(true);
  }, 120_000);

  it('key lock, range and density steer a polyphonic take: no pitch outside C major at strictness 1', async () => {
    const request = {
      model: 'poly-biaxial',
      seed: { pitches: [60, 64, 67] },
      temperature: 1,
      bars: 4,
      variations: 3,
      randomSeed: 11,
      engine: 'wasm' as const,
    };
    const C_MAJOR = new Set([0, 2, 4, 5, 7, 9, 11]);
    const drawn = (r: Awaited<ReturnType<typeof generateFromLibrary>>) =>
      r.variations.flatMap((v) => v.sequence.tracks.flatMap((t) => t.notes.filter((n) => n.startTick >= 480)));
    const free = drawn(await generateFromLibrary(library, request));
    // The untrained tiny model plays every pitch: the lock has something to remove.
    expect(free.filter((n) => !C_MAJOR.has(n.pitch % 12)).length).toBeGreaterThan(10);
    const locked = await generateFromLibrary(library, {
      ...request,
      key: { tonic: 'C', scale: 'major' },
      range: { low: 48, high: 72 },
      strictness: 1,
    });
    const lockedNotes = drawn(locked);
    expect(lockedNotes.length).toBeGreaterThan(0);
    expect(lockedNotes.filter((n) => !C_MAJOR.has(n.pitch % 12))).toEqual([]);
    expect(lockedNotes.every((n) => n.pitch >= 48 && n.pitch <= 72)).toBe(true);
    // The take is written with the key's signature.
    expect(locked.variations[0].sequence.keySignatures).toEqual([{ tick: 0, key: 'C', scale: 'major' }]);
    const sparse = drawn(await generateFromLibrary(library, { ...request, density: -1 })).length;
    const busy = drawn(await generateFromLibrary(library, { ...request, density: 1 })).length;
    expect(busy).toBeGreaterThan(sparse * 1.5);
  }, 120_000);
});

it('the contract offers exactly the registered model kinds', () => {
  expect([...modelKindSchema.options]).toEqual(MODEL_KINDS.map((k) => k.kind));
});

describe('piano-roll frames and the degeneracy check', () => {
  const window = { lowPitch: 48, pitches: 24, stepsPerQuarter: 4 };

  it('a sequence rolls into the window and back to the same notes; notes outside are counted', () => {
    const notes = [
      { pitch: 48, startTick: 0, durationTicks: 480, velocity: 80 },
      { pitch: 64, startTick: 0, durationTicks: 240, velocity: 80 },
      { pitch: 67, startTick: 240, durationTicks: 720, velocity: 80 },
      { pitch: 90, startTick: 0, durationTicks: 120, velocity: 80 },
    ];
    const sequence = {
      ppq: 480,
      name: 't',
      tempos: [],
      timeSignatures: [],
      keySignatures: [],
      tracks: [{ name: 'a', program: 0, channel: 0, isPercussion: false, notes }],
    };
    const roll = flatRoll(sequence, window);
    expect(roll.frames).toBe(8);
    expect(roll.outOfRange).toBe(1);
    expect(rollToNotes(roll.values, window, 120).map((n) => [n.pitch, n.startTick, n.durationTicks])).toEqual([
      [48, 0, 480],
      [64, 0, 240],
      [67, 240, 720],
    ]);
  });

  it('a chord seed moves a pitch outside the window by octaves, and lasts a quarter note', () => {
    const frames = chordSeedFrames([36, 60, 84], window);
    expect(frames).toHaveLength(4 * 24);
    const first = frames.slice(0, 24).flatMap((v, p) => (v ? [48 + p] : []));
    expect(first).toEqual(
      [48, 60, 72 - 12 + 12]
        .slice(0, 2)
        .concat([72 - 12 + 12])
        .filter((p) => p < 72),
    );
  });

  it('no note, silence and one chord held on are degenerate; a moving part is not', () => {
    const P = 24;
    const bar = 16;
    const take = (fill: (t: number, p: number) => boolean, bars = 4) =>
      Uint8Array.from({ length: bars * bar * P }, (_, i) => (fill(Math.floor(i / P), i % P) ? 1 : 0));
    expect(
      findRollDegeneracy(
        take(() => false),
        P,
        0,
        bar,
        2,
      ),
    ).toBe('the take has no note');
    expect(
      findRollDegeneracy(
        take((t, p) => p === 12),
        P,
        0,
        bar,
        2,
      ),
    ).toMatch(/no new note for 4\.0 bars/);
    expect(
      findRollDegeneracy(
        take((t, p) => t < 8 && p === 3),
        P,
        0,
        bar,
        2,
      ),
    ).toMatch(/no new note for 4\.0 bars/);
    expect(
      findRollDegeneracy(
        take((t, p) => p === (t >> 2) % 12),
        P,
        0,
        bar,
        2,
      ),
    ).toBeUndefined();
  });
});
