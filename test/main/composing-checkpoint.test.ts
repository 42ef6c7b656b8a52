// SPDX-License-Identifier: MIT
// A model composes with its best epoch on valid, not its newest (src/main/services/composingCheckpoint.ts): pruning
// keeps that checkpoint, generation and export read it, and where the weight average was the better, the average's
// weights are what compose. Then a real run with weight averaging, through the training service.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpointHeader,
  type Checkpoint,
  type CheckpointMetrics,
} from '../../src/core/model/checkpoint';
import { decodeModelFile } from '../../src/core/model/modelFile';
import { openLibrary, type Library } from '../../src/main/db/open';
import type { CheckpointId, CheckpointSummary, ModelId } from '../../src/main/db/types';
import {
  composingCheckpointId,
  composingEpochOf,
  pruneKeepingComposing,
} from '../../src/main/services/composingCheckpoint';
import { generateFromLibrary, loadModelCheckpoint } from '../../src/main/services/generation';
import type { GenerateRequest } from '../../src/main/services/generationRequest';
import { exportModel, importModel } from '../../src/main/services/modelTransfer';
import { listLibraryModels } from '../../src/main/services/models';
import { trainModel } from '../../src/main/services/training';
import { seedMelodyPieces } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = decodeCheckpoint(
  new Uint8Array(readFileSync(path.join(repoRoot, 'test/fixtures/models/melody-3layer-dropout.etude-ckpt'))),
);
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-composing-'));
const etude = path.join(repoRoot, 'bin/etude.mjs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fixture's weights with every value scaled: another model of the same shape that composes other notes. */
const scaled = (factor: number) =>
  Object.fromEntries(Object.entries(fixture.weights).map(([name, w]) => [name, w.map((x) => x * factor)]));

/** A library holding one model, `name`, with the given checkpoints stored in order. */
function libraryWith(file: string, name: string, checkpoints: Checkpoint[]): { library: Library; modelId: ModelId } {
  const library = openLibrary(path.join(dir, file));
  const model = library.models.createModel({
    name,
    spec: fixture.spec,
    training: fixture.training,
    corpusId: null,
    engine: 'wasm',
    status: 'ready',
  });
  for (const c of checkpoints)
    library.checkpoints.saveCheckpoint({
      modelId: model.id,
      epoch: c.epoch,
      step: c.step,
      data: encodeCheckpoint(c),
      metrics: c.metrics,
    });
  return { library, modelId: model.id };
}

const at = (epoch: number, metrics: CheckpointMetrics, extra: Partial<Checkpoint> = {}): Checkpoint => ({
  ...fixture,
  epoch,
  step: epoch * 10,
  metrics,
  weights: scaled(0.4 + 0.3 * epoch),
  ...extra,
});

const request = (model: string): GenerateRequest => ({
  model,
  seed: { pitches: [67, 71, 74] },
  temperature: 0.9,
  bars: 4,
  variations: 2,
  randomSeed: 99,
  engine: 'wasm',
});

const notesOf = (r: Awaited<ReturnType<typeof generateFromLibrary>>) =>
  r.variations.map((v) =>
    v.sequence.tracks.flatMap((t) => t.notes.map((n) => [n.pitch, n.startTick, n.durationTicks])),
  );

describe('the checkpoint a model composes with', () => {
  it('is the one the newest names as best on valid, else the newest', () => {
    const summary = (id: number, epoch: number, metrics: CheckpointMetrics | null): CheckpointSummary => ({
      id: id as CheckpointId,
      modelId: 1 as ModelId,
      epoch,
      step: epoch,
      sha256: '',
      sizeBytes: 1,
      metrics,
      createdAt: 0,
    });
    expect(composingCheckpointId([])).toBeUndefined();
    const run = [summary(7, 3, { bestEpoch: 3 }), summary(8, 4, { bestEpoch: 3 }), summary(9, 5, { bestEpoch: 3 })];
    expect(composingCheckpointId(run)).toBe(7);
    // No validation, no best: the newest. A best that was pruned (an older library): the newest.
    expect(composingCheckpointId([summary(1, 1, {}), summary(2, 2, null)])).toBe(2);
    const pruned = [summary(8, 4, { bestEpoch: 2, valLoss: 3.1 }), summary(9, 5, { bestEpoch: 2, valLoss: 3.2 })];
    expect(composingCheckpointId(pruned)).toBe(9);
    // What the Models table and `etude models` show is what composes: there the newest, with its own valid loss.
    expect(composingEpochOf(pruned)).toEqual({ epoch: 5, average: false, valLoss: 3.2 });
    expect(
      composingEpochOf([summary(7, 3, { bestEpoch: 3, bestValLoss: 2.5, bestIsAverage: true, valLoss: 2.6 })]),
    ).toEqual({ epoch: 3, average: true, valLoss: 2.5 });
    expect(composingEpochOf([])).toBeUndefined();
  });

  it('survives pruning, and generation and export read it rather than the newest', async () => {
    // Valid fell to epoch 2, then rose for three epochs (an early-stopped run): epoch 2 composes.
    const metrics = (epoch: number): CheckpointMetrics => ({ bestEpoch: Math.min(epoch, 2), bestValLoss: 1 });
    const { library, modelId } = libraryWith(
      'library.db',
      'Stopped',
      [1, 2, 3, 4, 5].map((e) => at(e, metrics(e))),
    );
    const other = libraryWith('epoch2.db', 'Epoch2', [at(2, metrics(2))]);
    const newest = libraryWith('epoch5.db', 'Epoch5', [at(5, { bestEpoch: 5, bestValLoss: 1 })]);
    try {
      pruneKeepingComposing(library, modelId, 2);
      expect(library.checkpoints.listCheckpoints(modelId).map((c) => c.epoch)).toEqual([2, 4, 5]);
      expect(loadModelCheckpoint(library, 'Stopped').epoch).toBe(2);
      const composed = await generateFromLibrary(library, request('Stopped'));
      expect(composed.checkpointId).toBe(library.checkpoints.listCheckpoints(modelId)[0].id);
      expect(notesOf(composed)).toEqual(notesOf(await generateFromLibrary(other.library, request('Epoch2'))));
      expect(notesOf(composed)).not.toEqual(notesOf(await generateFromLibrary(newest.library, request('Epoch5'))));
      const file = decodeModelFile(exportModel(library, 'Stopped', '0.1.0').bytes, 'exported');
      expect(readCheckpointHeader(file.checkpoint).epoch).toBe(2);
      // `etude models` says so, as a trained model's row records it (its last epoch's metrics).
      library.models.updateModel(modelId, { metrics: { ...metrics(5), epoch: 5, valLoss: 1.2 } });
      const listed = execFileSync(process.execPath, [etude, '--data-dir', dir, 'models'], { encoding: 'utf8' });
      expect(listed).toMatch(/^Stopped {2}ready {2}epochs 5 .* {2}composes with epoch 2 \(its best on validation\)$/m);
    } finally {
      for (const l of [library, other.library, newest.library]) l.close();
    }
  });

  it('composes with the weight average where that was the best, and with the weights where they were', async () => {
    const average = scaled(0.8);
    const averaged = libraryWith('avg.db', 'Averaged', [
      at(3, { bestEpoch: 3, bestValLoss: 1, bestIsAverage: true }, { average }),
    ]);
    const notAveraged = libraryWith('raw.db', 'Raw', [
      at(3, { bestEpoch: 3, bestValLoss: 1, bestIsAverage: false }, { average }),
    ]);
    const plainAverage = libraryWith('plain.db', 'Plain', [
      at(3, { bestEpoch: 3, bestValLoss: 1 }, { weights: average }),
    ]);
    const plainWeights = libraryWith('plainw.db', 'PlainW', [at(3, { bestEpoch: 3, bestValLoss: 1 })]);
    try {
      const fromAverage = notesOf(await generateFromLibrary(averaged.library, request('Averaged')));
      expect(fromAverage).toEqual(notesOf(await generateFromLibrary(plainAverage.library, request('Plain'))));
      const fromWeights = notesOf(await generateFromLibrary(notAveraged.library, request('Raw')));
      expect(fromWeights).toEqual(notesOf(await generateFromLibrary(plainWeights.library, request('PlainW'))));
      expect(fromAverage).not.toEqual(fromWeights);
      // Exported and imported, it composes with the average there too, and the Models list says so.
      const imported = openLibrary(path.join(dir, 'imported.db'));
      try {
        importModel(imported, exportModel(averaged.library, 'Averaged', '0.1.0').bytes);
        expect(listLibraryModels(imported).find((m) => m.name === 'Averaged')?.composesWith).toEqual({
          epoch: 3,
          average: true,
          valLoss: 1,
        });
        expect(notesOf(await generateFromLibrary(imported, request('Averaged')))).toEqual(fromAverage);
      } finally {
        imported.close();
      }
    } finally {
      for (const l of [averaged, notAveraged, plainAverage, plainWeights]) l.library.close();
    }
  });
});

describe('training with weight averaging (tiny melody model, worker thread)', () => {
  it('stores the average with every checkpoint, goes on averaging after a resume, and says which epoch composes', async () => {
    const library = openLibrary(path.join(dir, 'train.db'));
    const corpus = library.corpora.createCorpus('seeds');
    library.pieces.insertPieces(corpus.id, seedMelodyPieces(12, 300));
    const options = {
      corpusName: 'seeds',
      modelName: 'avg',
      spec: { embeddingDim: 8, hiddenSize: 16, layers: 2, window: 8 },
      engine: 'wasm' as const,
      threads: 1,
    };
    try {
      const first = await trainModel(library, {
        ...options,
        training: { epochs: 2, batchSize: 64, learningRate: 0.01, earlyStoppingPatience: 0, weightAverageDecay: 0.5 },
      });
      const model = library.models.getModelByName('avg')!;
      const [one, two] = library.checkpoints
        .listCheckpoints(model.id)
        .map((c) => decodeCheckpoint(library.checkpoints.getCheckpoint(c.id)!.data));
      expect(two.training.weightAverageDecay).toBe(0.5);
      expect(two.metrics.averageValLossHistory).toHaveLength(2);
      // The first epoch's weights start the average; the second moves it halfway to the new weights.
      expect(one.average).toEqual(one.weights);
      // A value that moved between the epochs (an unused token's embedding never does, and would prove nothing).
      let [name, i, moved] = ['', 0, 0];
      for (const [n, w] of Object.entries(two.weights))
        w.forEach((x, j) => {
          if (Math.abs(x - one.weights[n][j]) > moved) [name, i, moved] = [n, j, Math.abs(x - one.weights[n][j])];
        });
      expect(moved).toBeGreaterThan(1e-3);
      expect(two.average![name][i]).toBeCloseTo(0.5 * one.weights[name][i] + 0.5 * two.weights[name][i], 6);
      expect(first.composesWith).toEqual({
        epoch: two.metrics.bestEpoch,
        valLoss: two.metrics.bestValLoss,
        average: two.metrics.bestIsAverage,
      });

      const resumed = await trainModel(library, { ...options, spec: {}, training: { epochs: 3 }, resume: true });
      expect(resumed.epochs).toBe(3);
      const three = decodeCheckpoint(library.checkpoints.latestCheckpoint(model.id)!.data);
      expect(three.metrics.averageValLossHistory).toHaveLength(3);
      // Resumed from the stored average, not restarted from epoch 3's weights.
      expect(three.average![name][i]).toBeCloseTo(0.5 * two.average![name][i] + 0.5 * three.weights[name][i], 6);
      expect(loadModelCheckpoint(library, 'avg').epoch).toBe(three.metrics.bestEpoch);
    } finally {
      library.close();
    }
  });

  it('refuses a decay outside (0, 1), or an average with no validation pieces, before anything is stored', async () => {
    const library = openLibrary(path.join(dir, 'refuse.db'));
    library.corpora.createCorpus('seeds');
    try {
      await expect(
        trainModel(library, {
          corpusName: 'seeds',
          modelName: 'bad',
          training: { weightAverageDecay: 1 },
          engine: 'wasm',
          threads: 1,
        }),
      ).rejects.toThrow('its weightAverageDecay must be a number above 0 and below 1, got: 1');
      await expect(
        trainModel(library, {
          corpusName: 'seeds',
          modelName: 'bad',
          training: { weightAverageDecay: 0.5, validationFraction: 0 },
          engine: 'wasm',
          threads: 1,
        }),
      ).rejects.toThrow('its weight average needs validation pieces to be weighed against the weights');
      expect(library.models.getModelByName('bad')).toBeUndefined();
    } finally {
      library.close();
    }
  });
});
