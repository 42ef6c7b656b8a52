// SPDX-License-Identifier: MIT
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLibrary, type Library } from '../../src/main/db/open';
import { trainModel } from '../../src/main/services/training';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import { CancelledError, type JobProgress } from '../../src/core/jobs/progress';
import { seedMelodyPieces } from './helpers/seedPieces';

/** A library with a corpus of `count` seed melodies (each cut to 300 sixteenths to keep epochs short). */
function libraryWithSeedCorpus(dir: string, corpusName: string, count: number): Library {
  const library = openLibrary(path.join(dir, 'library.db'));
  const corpus = library.corpora.createCorpus(corpusName);
  library.pieces.insertPieces(corpus.id, seedMelodyPieces(count, 300));
  return library;
}

const tinySpec = { embeddingDim: 8, hiddenSize: 16, layers: 2, window: 8 };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir() {
  const d = mkdtempSync(path.join(os.tmpdir(), 'etude-train-'));
  dirs.push(d);
  return d;
}

describe('trainModel service (worker thread, tiny spec E8/H16/window 8 on 20 seed melodies, for speed)', () => {
  it('trains in a worker, stores a checkpoint per epoch, and resumes to a larger epoch count', async () => {
    const library = libraryWithSeedCorpus(tempDir(), 'seeds', 20);
    const events: JobProgress[] = [];
    const result = await trainModel(
      library,
      {
        corpusName: 'seeds',
        modelName: 'tiny',
        spec: tinySpec,
        training: { epochs: 2, batchSize: 64, learningRate: 0.01 },
        engine: 'wasm',
        threads: 1,
      },
      { onProgress: (p) => events.push(p) },
    );
    expect(result.epochs).toBe(2);
    expect(result.engine.name).toBe('wasm');
    expect(result.valLoss).toBeGreaterThan(0);
    expect(result.validWindows).toBeGreaterThan(0);
    expect(events.some((e) => e.phase === 'epoch' && e.engine === 'wasm')).toBe(true);
    const model = library.models.getModelByName('tiny')!;
    expect(model.status).toBe('ready');
    expect(library.checkpoints.listCheckpoints(model.id).map((c) => c.epoch)).toEqual([1, 2]);
    const latest = decodeCheckpoint(library.checkpoints.latestCheckpoint(model.id)!.data);
    expect(latest.epoch).toBe(2);
    expect(latest.spec).toMatchObject({ kind: 'melody-lstm', hiddenSize: 16 });
    expect(latest.optimizer!.step).toBe(result.steps);

    const resumed = await trainModel(library, {
      corpusName: 'seeds',
      modelName: 'tiny',
      training: { epochs: 3 },
      engine: 'wasm',
      threads: 1,
      resume: true,
    });
    expect(resumed.epochs).toBe(3);
    expect(resumed.steps).toBe(result.steps * 1.5);
    const after = decodeCheckpoint(library.checkpoints.latestCheckpoint(model.id)!.data);
    expect(after.epoch).toBe(3);
    expect(after.metrics.lossHistory).toHaveLength(3);
    expect(after.metrics.lossHistory!.slice(0, 2)).toEqual(latest.metrics.lossHistory);
    library.close();
  });

  it('cancels within a second, keeping the model (status cancelled) and what was stored', async () => {
    const library = libraryWithSeedCorpus(tempDir(), 'seeds', 20);
    const controller = new AbortController();
    let abortedAt = 0;
    const run = trainModel(
      library,
      {
        corpusName: 'seeds',
        modelName: 'c',
        spec: tinySpec,
        training: { epochs: 50, batchSize: 16 },
        engine: 'wasm',
        threads: 1,
      },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'epoch' && p.epoch === 2 && !abortedAt) {
            abortedAt = Date.now();
            controller.abort();
          }
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    const model = library.models.getModelByName('c')!;
    expect(model.status).toBe('cancelled');
    expect(decodeCheckpoint(library.checkpoints.latestCheckpoint(model.id)!.data).epoch).toBe(1);
    library.close();
  });

  it('an in-memory library (which a worker cannot open) still gets its checkpoints: the parent stores the bytes', async () => {
    const library = openLibrary(':memory:');
    const corpus = library.corpora.createCorpus('seeds');
    library.pieces.insertPieces(corpus.id, seedMelodyPieces(10, 300));
    const result = await trainModel(library, {
      corpusName: 'seeds',
      modelName: 'mem',
      spec: tinySpec,
      training: { epochs: 2, batchSize: 64 },
      engine: 'wasm',
      threads: 1,
    });
    const model = library.models.getModelByName('mem')!;
    const stored = library.checkpoints.listCheckpoints(model.id);
    expect(stored.map((c) => c.epoch)).toEqual([1, 2]);
    expect(result.checkpointId).toBe(stored[1].id);
    expect(decodeCheckpoint(library.checkpoints.latestCheckpoint(model.id)!.data).epoch).toBe(2);
    library.close();
  });

  it('keeps only the newest checkpoints when the worker stores them (pruned in the worker)', async () => {
    const library = libraryWithSeedCorpus(tempDir(), 'seeds', 10);
    const result = await trainModel(library, {
      corpusName: 'seeds',
      modelName: 'p',
      spec: tinySpec,
      training: { epochs: 5, batchSize: 64, earlyStoppingPatience: 0 },
      engine: 'wasm',
      threads: 1,
    });
    const model = library.models.getModelByName('p')!;
    const stored = library.checkpoints.listCheckpoints(model.id);
    expect(stored.map((c) => c.epoch)).toEqual([3, 4, 5]);
    expect(result.checkpointId).toBe(stored[2].id);
    expect(model.metrics).toMatchObject({ epoch: 5 });
    library.close();
  });

  it('refuses an unknown corpus, a taken model name and a resume without checkpoints, with typed errors', async () => {
    const library = libraryWithSeedCorpus(tempDir(), 'seeds', 3);
    await expect(trainModel(library, { corpusName: 'nope', modelName: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    library.models.createModel({ name: 'taken', spec: {}, training: {}, corpusId: null, engine: 'wasm' });
    await expect(trainModel(library, { corpusName: 'seeds', modelName: 'taken' })).rejects.toMatchObject({
      code: 'NAME_TAKEN',
    });
    await expect(trainModel(library, { corpusName: 'seeds', modelName: 'Default' })).rejects.toMatchObject({
      code: 'NAME_RESERVED',
    });
    await expect(trainModel(library, { corpusName: 'seeds', modelName: 'taken', resume: true })).rejects.toMatchObject({
      code: 'TRAINING_NOTHING_TO_RESUME',
    });
    await expect(
      trainModel(library, { corpusName: 'seeds', modelName: 'w', spec: { window: 400 }, engine: 'wasm', threads: 1 }),
    ).rejects.toMatchObject({ code: 'TRAINING_NO_WINDOWS' });
    // A new model that failed before its first checkpoint leaves no row behind (the name stays free).
    expect(library.models.getModelByName('w')).toBeUndefined();
    library.close();
    // A weight average with no validation piece to weigh it on: one piece, so the split holds none back.
    const single = libraryWithSeedCorpus(tempDir(), 'one', 1);
    await expect(
      trainModel(single, {
        corpusName: 'one',
        modelName: 'averaged',
        training: { weightAverageDecay: 0.5, epochs: 1 },
        engine: 'wasm',
        threads: 1,
      }),
    ).rejects.toMatchObject({
      code: 'TRAINING_NO_VALID_WINDOWS',
      message: expect.stringMatching(/gives no validation window .* the weight average needs one/),
    });
    expect(single.models.getModelByName('averaged')).toBeUndefined();
    single.close();
  });

  it('trains with AdamW when asked: the decay is kept with every checkpoint and a resume, and the weights end smaller', async () => {
    const library = libraryWithSeedCorpus(tempDir(), 'seeds', 20);
    const run = (modelName: string, training: Record<string, number>, resume = false) =>
      trainModel(library, {
        corpusName: 'seeds',
        modelName,
        ...(resume ? { resume } : { spec: tinySpec }),
        training: { batchSize: 64, learningRate: 0.01, ...training },
        engine: 'wasm',
        threads: 1,
      });
    const latestOf = (name: string) =>
      decodeCheckpoint(library.checkpoints.latestCheckpoint(library.models.getModelByName(name)!.id)!.data);
    const sumOfSquares = (name: string) =>
      Object.values(latestOf(name).weights).reduce((s, w) => s + w.reduce((a, x) => a + x * x, 0), 0);
    await run('plain', { epochs: 1 });
    await run('decayed', { epochs: 1, weightDecay: 0.5 });
    expect(latestOf('plain').training.weightDecay).toBeUndefined();
    expect(latestOf('decayed').training.weightDecay).toBe(0.5);
    // The same seed, data and steps: only the decay differs, and at 0.01 x 0.5 per step it pulls the weights in.
    expect(sumOfSquares('decayed')).toBeLessThan(0.9 * sumOfSquares('plain'));
    await run('decayed', { epochs: 2 }, true);
    expect(latestOf('decayed').epoch).toBe(2);
    expect(latestOf('decayed').training.weightDecay).toBe(0.5);
    library.close();
  });
});
