// SPDX-License-Identifier: MIT
// Loop mode, forms and regenerating a selection for polyphonic takes (src/core/model/polyLoop.ts, polyForm.ts,
// polyInfill.ts), on a tiny biaxial-lstm trained on 10 real folk-tune arrangements (../shared/data/nottingham/MIDI)
// through the services, and the take's key lock honoured by regeneration for melody and polyphonic takes.
// Sizes are tiny so the file runs in a minute or two; what is checked is the promises, not the music.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import type { Engine, TrainableModel } from '../../src/core/engine/engine';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import { planForm } from '../../src/core/model/form';
import { generatePolyphonic } from '../../src/core/model/generatePoly';
import { generatePolyForm, measurePolyForm } from '../../src/core/model/polyForm';
import { infillPoly } from '../../src/core/model/polyInfill';
import { isPolyDecoder, type PolyDecoder } from '../../src/core/model/polyLstm';
import { polyLoopRefiner, polyWrapScore } from '../../src/core/model/polyLoop';
import { chordSeedFrames } from '../../src/core/model/polySeed';
import type { PolyLstmSpec } from '../../src/core/model/spec';
import { type Library } from '../../src/main/db';
import { generateFromLibrary, runGeneration } from '../../src/main/services/generation';
import type { EngineRunRequest } from '../../src/main/services/generationRequest';
import { parseProgression } from '../../src/core/music/chords';
import { regenerateSelection } from '../../src/main/services/infillGeneration';
import { rollWindowOf } from '../../src/main/services/polyGeneration';
import { trainModel } from '../../src/main/services/training';
import { regenerateRequestSchema } from '../../src/shared/regenerate';
import { openFolkLibrary, type FolkLibrary } from './helpers/folkLibrary';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let folk: FolkLibrary | undefined;
let dir: string;
let library: Library;
let engine: Engine;
let model: TrainableModel;
let decoder: PolyDecoder;
let spec: PolyLstmSpec;

const C_MAJOR = new Set([0, 2, 4, 5, 7, 9, 11]);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

beforeAll(async () => {
  folk = await openFolkLibrary('etude-polyctl-');
  ({ dir, library } = folk);
  await trainModel(library, {
    corpusName: 'Folk',
    modelName: 'tiny-poly',
    kind: 'biaxial-lstm',
    spec: { timeSizes: [16], pitchSizes: [8], segment: 32 },
    training: { epochs: 8, batchSize: 16, learningRate: 0.01 },
    engine: 'wasm',
    threads: 1,
    inProcess: true,
  });
  const row = library.models.getModelByName('tiny-poly')!;
  const ckpt = decodeCheckpoint(library.checkpoints.latestCheckpoint(row.id)!.data);
  if (ckpt.spec.kind !== 'biaxial-lstm') throw new Error('expected a biaxial-lstm');
  spec = ckpt.spec;
  engine = await createWasmEngine({ threads: 1 });
  model = await engine.createModel(ckpt.spec, ckpt.training, ckpt.weights);
  const d = model.createDecoder();
  if (!isPolyDecoder(d)) throw new Error('expected a polyphonic decoder');
  decoder = d;
}, 180_000);

afterAll(async () => {
  decoder?.dispose();
  model?.dispose();
  await engine?.dispose();
  folk?.close();
});

const seedFrames = () => chordSeedFrames([48, 60, 64, 67], rollWindowOf(spec));
const BAR = 16;

describe('loop mode for polyphonic takes', () => {
  it('re-draws the last bar for a better wrap than the take as drawn, on average over 6 seeds', async () => {
    const off: number[] = [];
    const on: number[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const options = {
        seedFrames: seedFrames(),
        bars: 4,
        framesPerBar: BAR,
        temperature: 1,
        variations: 1,
        randomSeed: seed,
      };
      const [plain] = await generatePolyphonic(decoder, options);
      const [looped] = await generatePolyphonic(decoder, {
        ...options,
        refine: polyLoopRefiner(decoder, { temperature: 1, framesPerBar: BAR }),
      });
      const plainWrap = (await polyWrapScore(decoder, plain.frames, { framesPerBar: BAR })).wrap;
      // Loop mode keeps the take before its last bar and scores the take as drawn as loop off does.
      expect(looped.frames.subarray(0, 3 * BAR * spec.pitches)).toEqual(
        plain.frames.subarray(0, 3 * BAR * spec.pitches),
      );
      expect(looped.frames.length).toBe(4 * BAR * spec.pitches);
      expect(looped.loop!.wrapBefore).toBeCloseTo(plainWrap, 6);
      expect(looped.loop!.wrapAfter).toBeGreaterThanOrEqual(plainWrap);
      off.push(plainWrap);
      on.push(looped.loop!.wrapAfter);
    }
    console.log(`poly wrap score over seeds 1..6: loop off ${mean(off).toFixed(3)}, loop on ${mean(on).toFixed(3)}`);
    expect(mean(on)).toBeGreaterThan(mean(off));
  }, 180_000);

  it('through the services: exactly N bars, loop markers and CC111 (read by mido), wrap scores stored', async () => {
    const result = await generateFromLibrary(library, {
      model: 'tiny-poly',
      seed: { pitches: [48, 60, 64, 67] },
      temperature: 1,
      bars: 4,
      variations: 2,
      randomSeed: 5,
      engine: 'wasm',
      loop: { tries: 4 },
    });
    const loopTicks = 4 * 4 * 480;
    for (const v of result.variations) {
      expect(v.loop).toBeDefined();
      expect(v.sequence.totalTicks).toBe(loopTicks);
      const notes = v.sequence.tracks.flatMap((t) => t.notes);
      expect(notes.length).toBeGreaterThan(0);
      for (const n of notes) expect(n.startTick + n.durationTicks).toBeLessThanOrEqual(loopTicks);
      const file = path.join(dir, `loop-${v.index}.mid`);
      writeFileSync(file, v.midi);
      const read = JSON.parse(
        execFileSync('/usr/bin/python3', [path.join(repoRoot, 'test/tools/mido_loop.py'), file], { encoding: 'utf8' }),
      ) as {
        tracks: { markers: [number, string][]; controlChanges: [number, number, number][]; endOfTrack: number }[];
      };
      const markers = read.tracks.flatMap((t) => t.markers);
      expect(markers).toEqual(
        expect.arrayContaining([
          [0, 'loopStart'],
          [loopTicks, 'loopEnd'],
        ]),
      );
      expect(read.tracks.flatMap((t) => t.controlChanges).some(([tick, cc]) => tick === 0 && cc === 111)).toBe(true);
      for (const t of read.tracks) expect(t.endOfTrack).toBe(loopTicks);
      const stored = library.generations.getGeneration(v.generationId)!.request as Record<string, unknown>;
      expect(stored).toMatchObject({ loop: true, wrapScore: { before: v.loop!.wrapBefore, after: v.loop!.wrapAfter } });
    }
  }, 120_000);
});

describe('forms for polyphonic takes', () => {
  it('AABA over 32 bars: A sections more alike than A and B, no repeat a copy', async () => {
    const sections = planForm('AABA', 32);
    const takes = await generatePolyForm(decoder, {
      seedFrames: seedFrames(),
      sections,
      framesPerBar: BAR,
      temperature: 1,
      variations: 3,
      randomSeed: 1,
    });
    const same: number[] = [];
    const different: number[] = [];
    for (const take of takes) {
      const s = measurePolyForm(take.frames, rollWindowOf(spec), sections, BAR);
      same.push(s.sameLetter);
      different.push(s.differentLetter);
      expect(s.copies).toBe(0);
      // No repeat equals its first A frame for frame.
      const P = spec.pitches;
      const section = (i: number) =>
        take.frames.subarray(sections[i].startBar * BAR * P, (sections[i].startBar + 8) * BAR * P);
      for (const i of [1, 3]) expect(section(i)).not.toEqual(section(0));
      // A repeat opens with its first A's opening bar.
      expect(section(1).subarray(0, BAR * P)).toEqual(section(0).subarray(0, BAR * P));
    }
    console.log(`poly AABA 32 bars, 3 takes: A-vs-A ${mean(same).toFixed(3)}, A-vs-B ${mean(different).toFixed(3)}`);
    expect(mean(same)).toBeGreaterThan(mean(different));
  }, 180_000);

  it('through the services: the form is stored and the take is its bars long', async () => {
    const result = await generateFromLibrary(library, {
      model: 'tiny-poly',
      seed: { pitches: [48, 60, 64, 67] },
      temperature: 1,
      bars: 33,
      variations: 1,
      randomSeed: 2,
      engine: 'wasm',
      form: 'AAB',
    });
    expect(result.form).toBe('AAB');
    expect(result.variations[0].sequence.totalTicks).toBe(33 * 4 * 480);
    expect(library.generations.getGeneration(result.variations[0].generationId)!.request).toMatchObject({
      form: 'AAB',
    });
    await expect(
      generateFromLibrary(library, {
        model: 'tiny-poly',
        seed: { pitches: [60] },
        temperature: 1,
        bars: 32,
        variations: 1,
        randomSeed: 2,
        form: 'AABA',
        loop: {},
      }),
    ).rejects.toThrow(/Loop mode and a form both decide how the take ends/);
  }, 120_000);
});

describe('regenerating bars x pitches of a polyphonic take', () => {
  it('changes only the selected cells and seams better than left to right, on average over 6 seeds', async () => {
    const [take] = await generatePolyphonic(decoder, {
      seedFrames: seedFrames(),
      bars: 6,
      framesPerBar: BAR,
      temperature: 1,
      variations: 1,
      randomSeed: 9,
    });
    const P = spec.pitches;
    const range = { low: 55, high: 76 };
    const seams: number[] = [];
    const plain: number[] = [];
    let changed = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const r = await infillPoly(decoder, take.frames, {
        fromBar: 2,
        toBar: 4,
        framesPerBar: BAR,
        lowPitch: spec.lowPitch,
        pitchRange: range,
        temperature: 1,
        randomSeed: seed,
        candidates: 8,
      });
      for (let t = 0; t < r.frames.length / P; t++)
        for (let p = 0; p < P; p++) {
          const inside =
            t >= 2 * BAR && t < 4 * BAR && spec.lowPitch + p >= range.low && spec.lowPitch + p <= range.high;
          if (!inside) expect(r.frames[t * P + p]).toBe(take.frames[t * P + p]);
          else if (r.frames[t * P + p] !== take.frames[t * P + p]) changed++;
        }
      seams.push(r.seam);
      plain.push(r.seamLeftToRight);
      expect(r.candidateSeams[r.kept]).toBe(r.seam);
    }
    console.log(
      `poly infill seam over seeds 1..6: left to right ${mean(plain).toFixed(3)}, infill ${mean(seams).toFixed(3)}`,
    );
    expect(changed).toBeGreaterThan(0);
    expect(mean(seams)).toBeGreaterThan(mean(plain));
  }, 180_000);

  it('through compose:regenerate: notes outside the bars or pitches come back as sent; the take lock holds', async () => {
    const taken = await generateFromLibrary(library, {
      model: 'tiny-poly',
      seed: { pitches: [48, 60, 64, 67] },
      temperature: 1,
      bars: 6,
      variations: 1,
      randomSeed: 12,
      engine: 'wasm',
      key: { tonic: 'C', scale: 'major' },
      strictness: 1,
    });
    const take = taken.variations[0];
    const bar = 4 * 480;
    // Notes with pitches outside C major in the bars to regenerate, so an unlocked draw has something to keep.
    const chromatic = Array.from({ length: 32 }, (_, i) => ({
      pitch: 61 + ((i * 5) % 12),
      startTick: 2 * bar + i * 120,
      durationTicks: 120,
      velocity: 70,
    }));
    const notes = [...take.sequence.tracks.flatMap((t) => t.notes), ...chromatic]
      .map((n) => ({ pitch: n.pitch, startTick: n.startTick, durationTicks: n.durationTicks, velocity: n.velocity }))
      .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
    const pitches = { low: 60, high: 83 };
    const base = { model: 'tiny-poly', notes, ppq: 480, bars: 6, fromBar: 2, toBar: 4, temperature: 1, pitches };
    const selected = (n: { pitch: number; startTick: number }) =>
      n.pitch >= 60 && n.pitch <= 83 && n.startTick >= 2 * bar && n.startTick < 4 * bar;
    // Notes of other pitches are never touched; notes of the selected pitches wholly outside the bars come back too
    // (those across a bar line of the selection are cut there).
    const otherPitches = (list: typeof notes) => list.filter((n) => n.pitch < 60 || n.pitch > 83);
    const outsideBars = (list: typeof notes) =>
      list.filter((n) => n.startTick + n.durationTicks <= 2 * bar || n.startTick >= 4 * bar);
    const expectKept = (result: typeof notes) => {
      expect(otherPitches(result)).toEqual(otherPitches(notes));
      expect(result).toEqual(expect.arrayContaining(outsideBars(notes)));
    };
    let unlockedOutside = 0;
    for (let seed = 1; seed <= 3; seed++) {
      const locked = await regenerateSelection(
        library,
        regenerateRequestSchema.parse({ ...base, randomSeed: seed, generationId: String(take.generationId) }),
      );
      expectKept(locked.notes);
      expect(locked.notes.filter(selected).filter((n) => !C_MAJOR.has(n.pitch % 12))).toEqual([]);
      expect(locked.seam).not.toBeNull();
      const unlocked = await regenerateSelection(library, regenerateRequestSchema.parse({ ...base, randomSeed: seed }));
      expectKept(unlocked.notes);
      unlockedOutside += unlocked.notes.filter(selected).filter((n) => !C_MAJOR.has(n.pitch % 12)).length;
    }
    // Without the take's lock the same request draws pitches outside C major: the lock is what removed them.
    expect(unlockedOutside).toBeGreaterThan(0);
  }, 180_000);
});

describe('regenerating bars of a melody take honours its lock', () => {
  it('no pitch outside C major in the regenerated bars at strictness 1; without the lock there are some', async () => {
    const taken = await generateFromLibrary(library, {
      model: 'default',
      seed: { pitches: [60, 64, 67] },
      temperature: 1,
      bars: 8,
      variations: 1,
      randomSeed: 3,
      key: { tonic: 'C', scale: 'major' },
      strictness: 1,
    });
    const generationId = String(taken.variations[0].generationId);
    const bar = 4 * 480;
    // A chromatic line (every pitch class) around the selection, so the model is led outside C major.
    const notes = Array.from({ length: 64 }, (_, i) => ({
      pitch: 60 + ((i * 7) % 12),
      startTick: i * 240,
      durationTicks: 240,
      velocity: 70,
    }));
    const base = { model: 'default', notes, ppq: 480, bars: 8, fromBar: 3, toBar: 5, temperature: 1.2 };
    const inside = (n: { startTick: number }) => n.startTick >= 3 * bar && n.startTick < 5 * bar;
    let unlockedOutside = 0;
    for (let seed = 1; seed <= 3; seed++) {
      const locked = await regenerateSelection(
        library,
        regenerateRequestSchema.parse({ ...base, randomSeed: seed, generationId }),
      );
      expect(locked.notes.filter(inside).length).toBeGreaterThan(0);
      expect(locked.notes.filter(inside).filter((n) => !C_MAJOR.has(n.pitch % 12))).toEqual([]);
      const unlocked = await regenerateSelection(library, regenerateRequestSchema.parse({ ...base, randomSeed: seed }));
      unlockedOutside += unlocked.notes.filter(inside).filter((n) => !C_MAJOR.has(n.pitch % 12)).length;
    }
    expect(unlockedOutside).toBeGreaterThan(0);
    // A pitch range is for polyphonic takes: a melody take refuses it with a sentence.
    await expect(
      regenerateSelection(
        library,
        regenerateRequestSchema.parse({ ...base, randomSeed: 1, pitches: { low: 60, high: 72 } }),
      ),
    ).rejects.toThrow(/a melody take regenerates whole bars/);
  }, 180_000);
});

describe('regenerating bars of a take that followed chords', () => {
  it("the take's stored progression is heard again: the chord of every frame goes to the engine", async () => {
    await trainModel(library, {
      corpusName: 'Folk',
      modelName: 'tiny-poly-chords',
      kind: 'biaxial-lstm',
      spec: { timeSizes: [8], pitchSizes: [4], segment: 32, chords: 'chroma' },
      training: { epochs: 1, batchSize: 16 },
      engine: 'wasm',
      threads: 1,
      inProcess: true,
    });
    const taken = await generateFromLibrary(library, {
      model: 'tiny-poly-chords',
      seed: { pitches: [48, 60, 64, 67] },
      temperature: 1,
      bars: 4,
      variations: 1,
      randomSeed: 4,
      engine: 'wasm',
      chords: { progression: 'C G Am F' },
    });
    const take = taken.variations[0];
    const sent: EngineRunRequest[] = [];
    const notes = take.sequence.tracks
      .flatMap((t) => t.notes)
      .map(({ pitch, startTick, durationTicks, velocity }) => ({ pitch, startTick, durationTicks, velocity }))
      .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
    const request = {
      model: 'tiny-poly-chords',
      notes,
      ppq: 480,
      bars: 4,
      fromBar: 1,
      toBar: 3,
      temperature: 1,
      randomSeed: 1,
    };
    const runner = (r: EngineRunRequest, job: Parameters<typeof runGeneration>[1]) => {
      sent.push(r);
      return runGeneration(r, job);
    };
    await regenerateSelection(
      library,
      regenerateRequestSchema.parse({ ...request, generationId: String(take.generationId) }),
      { runner },
    );
    const [C, G, Am, F] = parseProgression('C G Am F').map((c) => c.mask);
    const track = sent[0].chords!;
    expect(track).toHaveLength(4 * BAR);
    expect([track[0], track[BAR], track[2 * BAR], track[3 * BAR + 5]]).toEqual([C, G, Am, F]);
    // Without the take, no chords are heard.
    await regenerateSelection(library, regenerateRequestSchema.parse(request), { runner });
    expect(sent[1].chords).toBeUndefined();
  }, 120_000);
});
