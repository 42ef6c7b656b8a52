// SPDX-License-Identifier: MIT
// Chords through the services (what `etude train --chords` and `etude generate --chords "C G Am F" --bars-per-chord N`
// call): tiny chord-conditioned models, a melody-lstm and a biaxial-lstm, trained on 10 Nottingham tunes with chords
// inferred from their notes; takes follow a progression, list its changes and carry them as marker events that
// python3-mido reads; a model without chords refuses them, a bad symbol is named. Plumbing only: that chords steer
// is test/core/chords-steering.test.ts.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import { type Library } from '../../src/main/db';
import { generateFromLibrary } from '../../src/main/services/generation';
import type { GenerateRequest } from '../../src/main/services/generationRequest';
import { pieceChords, trainModel } from '../../src/main/services/training';
import { readGenerationFlags } from '../../src/cli/commands/generate';
import type { CliContext } from '../../src/cli/types';
import { generationRequestSchema } from '../../src/shared/dto';
import { openFolkLibrary, type FolkLibrary } from './helpers/folkLibrary';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let folk: FolkLibrary | undefined;
let dir: string;
let library: Library;

beforeAll(async () => {
  folk = await openFolkLibrary('etude-chords-');
  ({ dir, library } = folk);
  const common = { corpusName: 'Folk', engine: 'wasm' as const, threads: 1, inProcess: true };
  await trainModel(library, {
    ...common,
    modelName: 'melody-chords',
    spec: { embeddingDim: 8, hiddenSize: 16, layers: 1, window: 16, chords: 'chroma' },
    training: { epochs: 1, batchSize: 64 },
  });
  await trainModel(library, {
    ...common,
    modelName: 'poly-chords',
    kind: 'biaxial-lstm',
    spec: { timeSizes: [8], pitchSizes: [6], segment: 32, chords: 'chroma' },
    training: { epochs: 1, batchSize: 16 },
  });
  await trainModel(library, {
    ...common,
    modelName: 'melody-plain',
    spec: { embeddingDim: 8, hiddenSize: 16, layers: 1, window: 16 },
    training: { epochs: 1, batchSize: 64 },
  });
}, 300_000);

afterAll(() => {
  folk?.close();
});

function markers(bytes: Uint8Array): [number, string][] {
  const file = path.join(dir, 'take.mid');
  writeFileSync(file, bytes);
  const read = JSON.parse(
    execFileSync('/usr/bin/python3', [path.join(repoRoot, 'test/tools/mido_loop.py'), file], { encoding: 'utf8' }),
  ) as { tracks: { markers: [number, string][] }[] };
  return read.tracks.flatMap((t) => t.markers);
}

const request = (model: string): GenerateRequest => ({
  model,
  seed: { pitches: [60] },
  temperature: 1,
  bars: 6,
  variations: 2,
  randomSeed: 3,
  engine: 'wasm',
  chords: { progression: 'C G Am F', barsPerChord: 1 },
});

describe('chords through the services', () => {
  it('a model trained with chords stores chords: "chroma"; pieces get a chord per step from their notes', () => {
    for (const name of ['melody-chords', 'poly-chords']) {
      const row = library.models.getModelByName(name)!;
      expect(decodeCheckpoint(library.checkpoints.latestCheckpoint(row.id)!.data).spec.chords).toBe('chroma');
    }
    const piece = library.pieces.getPieceNotes(library.corpora.getCorpusByName('Folk')!.id)[0];
    const track = pieceChords(piece.sequence!, 256, 4);
    expect(track.filter((m) => m !== 0).length).toBeGreaterThan(200);
  });

  for (const model of ['melody-chords', 'poly-chords']) {
    it(`${model}: the takes follow "C G Am F", list the changes, and their MIDI carries them as markers`, async () => {
      const result = await generateFromLibrary(library, request(model));
      const ppq = result.variations[0].sequence.ppq;
      for (const v of result.variations) {
        expect(v.chords?.map((c) => `${c.symbol}@${c.tick / (4 * ppq)}`)).toEqual([
          'C@0',
          'G@1',
          'Am@2',
          'F@3',
          'C@4',
          'G@5',
        ]);
        expect(markers(v.midi)).toEqual(v.chords!.map((c) => [c.tick, c.symbol]));
        expect(library.generations.getGeneration(v.generationId)!.request).toMatchObject({
          chords: { progression: 'C G Am F', barsPerChord: 1 },
          chordChanges: v.chords,
        });
      }
      const twoBars = await generateFromLibrary(library, {
        ...request(model),
        chords: { progression: 'Am E', barsPerChord: 2 },
      });
      expect(twoBars.variations[0].chords!.map((c) => c.symbol)).toEqual(['Am', 'E', 'Am']);
    }, 120_000);
  }

  it('loop mode follows chords too: chord markers beside loopStart/loopEnd, within the loop', async () => {
    const result = await generateFromLibrary(library, {
      ...request('melody-chords'),
      bars: 4,
      variations: 1,
      loop: { tries: 2 },
    });
    const v = result.variations[0];
    expect(v.loop).toBeDefined();
    const ppq = v.sequence.ppq;
    expect(markers(v.midi)).toEqual([
      [0, 'loopStart'],
      [0, 'C'],
      [4 * ppq, 'G'],
      [8 * ppq, 'Am'],
      [12 * ppq, 'F'],
      [16 * ppq, 'loopEnd'],
    ]);
  }, 60_000);

  it('a model without chords refuses them; a bad symbol is named; takes without chords have no markers', async () => {
    await expect(generateFromLibrary(library, request('melody-plain'))).rejects.toThrow(
      /"melody-plain" was trained without chords/,
    );
    await expect(
      generateFromLibrary(library, { ...request('melody-chords'), chords: { progression: 'C H7 F' } }),
    ).rejects.toThrow(/"H7" is not a chord symbol/);
    const plain = await generateFromLibrary(library, { ...request('melody-plain'), chords: undefined });
    expect(plain.variations[0].chords).toBeUndefined();
    expect(markers(plain.variations[0].midi)).toEqual([]);
  }, 60_000);

  it('the CLI flags and the compose request take chords and name a bad symbol', () => {
    const ctx = { cwd: dir } as CliContext;
    expect(readGenerationFlags('generate', { chords: 'C G Am F', 'bars-per-chord': '2' }, ctx).chords).toEqual({
      progression: 'C G Am F',
      barsPerChord: 2,
    });
    expect(() => readGenerationFlags('generate', { chords: 'C Xyz' }, ctx)).toThrow(/--chords: "Xyz" is not a chord/);
    expect(() => readGenerationFlags('generate', { 'bars-per-chord': '2' }, ctx)).toThrow(/needs --chords/);
    const parsed = generationRequestSchema.safeParse({
      model: 'm',
      seedNotes: [60],
      temperature: 1,
      bars: 4,
      variations: 1,
      randomSeed: 1,
      chords: { progression: 'C G Am F', barsPerChord: 1 },
    });
    expect(parsed.success).toBe(true);
  });
});
