// SPDX-License-Identifier: MIT
// Learnt dynamics through the services (what `etude train --velocity` and `etude generate` call): 30 generated 4/4
// melodies whose downbeats are loud (~110) and whose other notes are soft (~60), with noise, imported as MIDI; a tiny
// velocity-aware melody model trained on them for a few epochs writes takes whose downbeats are clearly louder than
// their other notes (Etude's default dynamics give a downbeat only +16, so a model that ignored velocity would fail),
// every velocity within [1, 127]; humanise still jitters them. A corpus without velocities, or with only one, and bad
// bin counts are refused with a sentence.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMidi } from '../../src/core/midi/writeMidi';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import type { MelodyLstmSpec } from '../../src/core/model/melodyLstmSpec';
import type { Note, NoteSequence } from '../../src/core/music/NoteSequence';
import { createRng } from '../../src/core/util/random';
import { openLibrary, type Library } from '../../src/main/db';
import { generateFromLibrary } from '../../src/main/services/generation';
import type { GenerateRequest } from '../../src/main/services/generationRequest';
import { importPaths } from '../../src/main/services/importService';
import { regenerateSelection } from '../../src/main/services/infillGeneration';
import { trainModel } from '../../src/main/services/training';

const PPQ = 480;
const SIXTEENTH = PPQ / 4;
/** One bar's onsets and lengths in sixteenths: dotted quarter, eighth, quarter, quarter. */
const BAR = [
  [0, 6],
  [6, 2],
  [8, 4],
  [12, 4],
] as const;

/** A 4/4 melody of `bars` bars: downbeats at velocity `loud` +- noise, every other note at `soft` +- noise. */
function melody(seed: number, bars: number, loud = 110, soft = 60, noise = 8): NoteSequence {
  const rng = createRng(seed);
  const notes: Note[] = [];
  for (let bar = 0; bar < bars; bar++)
    for (const [at, length] of BAR)
      notes.push({
        pitch: 60 + [0, 2, 4, 5, 7, 9, 11, 12][rng.int(8)],
        startTick: (bar * 16 + at) * SIXTEENTH,
        durationTicks: length * SIXTEENTH,
        velocity: Math.round((at === 0 ? loud : soft) + rng.uniform(-noise, noise)),
      });
  return {
    ppq: PPQ,
    name: `tune ${seed}`,
    tempos: [{ tick: 0, bpm: 120 }],
    timeSignatures: [{ tick: 0, numerator: 4, denominator: 4 }],
    keySignatures: [],
    tracks: [{ name: 'melody', program: 0, channel: 0, isPercussion: false, notes }],
  };
}

let dir: string;
let library: Library;
const common = { engine: 'wasm' as const, threads: 1, inProcess: true };
const tiny = { embeddingDim: 16, hiddenSize: 32, layers: 1, window: 32 };

function writeTunes(prefix: string, count: number, loud?: number, soft?: number, noise?: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const file = path.join(dir, `${prefix}-${i}.mid`);
    writeFileSync(file, writeMidi(melody(i + 1, 8, loud, soft, noise)));
    return file;
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'etude-velocity-'));
  library = openLibrary(path.join(dir, 'library.db'), { onSlowQuery: () => {} });
  await importPaths(library, writeTunes('accented', 30), { corpusName: 'Accented' });
  await trainModel(library, {
    ...common,
    corpusName: 'Accented',
    modelName: 'dynamics',
    spec: { ...tiny, velocityBins: 8 },
    training: { epochs: 10, batchSize: 32, learningRate: 0.01, validationFraction: 0.1 },
  });
  await trainModel(library, {
    ...common,
    corpusName: 'Accented',
    modelName: 'no-dynamics',
    spec: tiny,
    training: { epochs: 10, batchSize: 32, learningRate: 0.01, validationFraction: 0.1 },
  });
}, 300_000);

afterAll(() => {
  library?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The seed: the first two bars of a tune outside the corpus. The melody encoding has no bar lines, so the model knows
 * where the downbeats are only from the rhythm it continues; a lone seed note would leave the bar's phase to chance.
 */
const SEED_STEPS = 32;
const request: GenerateRequest = {
  model: 'dynamics',
  seed: { midi: writeMidi(melody(99, 2)), name: 'opening', bars: 2 },
  temperature: 0.8,
  bars: 8,
  variations: 6,
  randomSeed: 11,
  engine: 'wasm',
};

/**
 * Mean velocity of the generated notes (after the seed) on downbeats and of the others, over every take; `all` lists
 * every note's velocity, the seed's included (their velocities are drawn by the model too).
 */
function accentMeans(takes: { sequence: NoteSequence }[]): { downbeat: number; other: number; all: number[] } {
  const down: number[] = [];
  const other: number[] = [];
  const all: number[] = [];
  for (const { sequence } of takes)
    for (const n of sequence.tracks[0].notes) {
      const step = Math.round(n.startTick / (sequence.ppq / 4));
      all.push(n.velocity);
      if (step >= SEED_STEPS) (step % 16 === 0 ? down : other).push(n.velocity);
    }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { downbeat: mean(down), other: mean(other), all };
}

describe('learnt dynamics', () => {
  it('the spec stores 8 bins with edges and centres from the corpus (soft and loud apart)', () => {
    const row = library.models.getModelByName('dynamics')!;
    const spec = decodeCheckpoint(library.checkpoints.latestCheckpoint(row.id)!.data).spec as MelodyLstmSpec;
    expect(spec.velocityBins).toBe(8);
    expect(spec.velocityEdges).toHaveLength(7);
    expect(Math.min(...spec.velocityCentres!)).toBeLessThan(70);
    expect(Math.max(...spec.velocityCentres!)).toBeGreaterThan(100);
  });

  it('takes put the corpus accents on the downbeats: downbeats clearly louder, every velocity within [1, 127]', async () => {
    const result = await generateFromLibrary(library, request);
    const { downbeat, other, all } = accentMeans(result.variations);
    console.log(`learnt dynamics: downbeat mean ${downbeat.toFixed(1)}, other notes ${other.toFixed(1)}`);
    expect(downbeat).toBeGreaterThan(95);
    expect(other).toBeLessThan(75);
    // Etude's default rule gives a downbeat at most ~+22 over any other note: the learnt gap is far wider.
    expect(downbeat - other).toBeGreaterThan(30);
    for (const v of all) expect(v >= 1 && v <= 127).toBe(true);
    // The same request twice: the same velocities (the velocity draws are seeded too).
    const again = await generateFromLibrary(library, request);
    expect(again.variations.map((v) => v.sequence.tracks[0].notes.map((n) => n.velocity))).toEqual(
      result.variations.map((v) => v.sequence.tracks[0].notes.map((n) => n.velocity)),
    );
    // Humanise jitters the learnt velocities (within +-12 at 1) and keeps the accents.
    const humanised = await generateFromLibrary(library, { ...request, humanise: 1 });
    const h = accentMeans(humanised.variations);
    expect(h.all).not.toEqual(all);
    expect(h.downbeat - h.other).toBeGreaterThan(25);
    for (const v of h.all) expect(v >= 1 && v <= 127).toBe(true);
    // The same corpus without --velocity: the default dynamics, which these thresholds tell apart.
    const plain = accentMeans((await generateFromLibrary(library, { ...request, model: 'no-dynamics' })).variations);
    console.log(`default dynamics: downbeat mean ${plain.downbeat.toFixed(1)}, other notes ${plain.other.toFixed(1)}`);
    expect(plain.other > 75 || plain.downbeat - plain.other < 30).toBe(true);
  }, 120_000);

  it('a form and a loop write learnt velocities too: each note at one of the bins, loud and soft ones', async () => {
    // Their tokens are drawn piecewise, then the velocities over the finished take (src/core/model/velocity.ts
    // drawVelocities). A tiny model loses the bar in a long form, so only the velocities themselves are checked here.
    const row = library.models.getModelByName('dynamics')!;
    const spec = decodeCheckpoint(library.checkpoints.latestCheckpoint(row.id)!.data).spec as MelodyLstmSpec;
    for (const extra of [{ form: 'AABA', bars: 32 }, { loop: {} }] as const) {
      const result = await generateFromLibrary(library, { ...request, variations: 2, ...extra });
      const { all } = accentMeans(result.variations);
      for (const v of all) expect(spec.velocityCentres).toContain(v);
      expect(all.some((v) => v > 100) && all.some((v) => v < 70)).toBe(true);
    }
  }, 120_000);

  it('regenerating bars of a take keeps the learnt velocities outside the selection', async () => {
    const take = (await generateFromLibrary(library, { ...request, variations: 1 })).variations[0].sequence;
    const notes = take.tracks[0].notes;
    const result = await regenerateSelection(library, {
      model: 'dynamics',
      notes,
      ppq: take.ppq,
      bars: 8,
      fromBar: 4,
      toBar: 6,
      temperature: 0.8,
      randomSeed: 5,
      candidates: 2,
    });
    const outside = (n: { startTick: number }) => n.startTick < 4 * 16 * (take.ppq / 4);
    expect(result.notes.filter(outside).map((n) => n.velocity)).toEqual(notes.filter(outside).map((n) => n.velocity));
    for (const n of result.notes) expect(n.velocity >= 1 && n.velocity <= 127).toBe(true);
  }, 60_000);

  it('refuses, with a sentence, a corpus without velocity data, a corpus of one velocity, and bad bin counts', async () => {
    const json = path.join(dir, 'rolls.json');
    writeFileSync(
      json,
      JSON.stringify({ train: [[[60], [62], [64], [65], [67], [65], [64], [62]]], valid: [], test: [] }),
    );
    await importPaths(library, [json], { corpusName: 'Rolls', stepsPerQuarter: 1 });
    await expect(
      trainModel(library, { ...common, corpusName: 'Rolls', modelName: 'r', spec: { ...tiny, velocityBins: 8 } }),
    ).rejects.toThrow(
      /^The corpus "Rolls" has no note velocities to learn dynamics from \(its pieces are token melodies or piano rolls\); import MIDI files into a corpus to learn dynamics, or train without --velocity\.$/,
    );
    await importPaths(library, writeTunes('flat', 3, 100, 100, 0), { corpusName: 'Flat' });
    await expect(
      trainModel(library, { ...common, corpusName: 'Flat', modelName: 'f', spec: { ...tiny, velocityBins: 8 } }),
    ).rejects.toThrow(/^Every melody note of the corpus "Flat" has velocity 100, so there are no dynamics to learn/);
    for (const velocityBins of [1, 500, 2.5])
      await expect(
        trainModel(library, { ...common, corpusName: 'Accented', modelName: 'b', spec: { ...tiny, velocityBins } }),
      ).rejects.toThrow(/^Cannot learn dynamics: velocity bins must be a whole number within \[2, 64\]/);
    await expect(
      trainModel(library, {
        ...common,
        corpusName: 'Accented',
        modelName: 'p',
        kind: 'biaxial-lstm',
        spec: { velocityBins: 8 },
      }),
    ).rejects.toThrow(/is an option of the melody model for now/);
    // Nothing was left behind by the refusals.
    expect(['r', 'f', 'b', 'p'].map((name) => library.models.getModelByName(name))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  }, 60_000);
});
