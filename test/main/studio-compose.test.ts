// SPDX-License-Identifier: MIT
// The whole studio loop over the WebSocket with the renderer's client: import -> train a tiny model
// (worker thread, real engine) -> compose with it -> keep a favourite. A reduced spec (hidden 16,
// 1 layer, 1 epoch) keeps it to seconds; the full-size model is exercised by the training tests.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  apiFromBridge,
  createWsBridge,
  type EtudeApi,
  type WebSocketLike,
} from '../../src/renderer/src/lib/api/client';
import { CHECKPOINT_FORMAT_VERSION, encodeCheckpoint } from '../../src/core/model/checkpoint';
import { initWeights } from '../../src/core/model/init';
import { DEFAULT_MELODY_SPEC, DEFAULT_TRAINING } from '../../src/core/model/spec';
import { composeResultSchema, trainResultSchema, type GenerationRequestDto } from '../../src/shared/dto';
import type { EventPayload } from '../../src/shared/ipc';
import { startStudio, type StudioHandle } from '../../src/studio/server';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nottinghamDir = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');

let dataDir: string;
let studio: StudioHandle;
let api: EtudeApi;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-compose-'));
  // A stand-in for the bundled model, so this test does not depend on the shipped file: untrained, tiny.
  const resourcesDir = path.join(dataDir, 'resources');
  mkdirSync(path.join(resourcesDir, 'default-model'), { recursive: true });
  const spec = { ...DEFAULT_MELODY_SPEC, embeddingDim: 8, hiddenSize: 8, layers: 1 };
  const checkpoint = encodeCheckpoint({
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    spec,
    training: DEFAULT_TRAINING,
    corpus: { id: 1, name: 'JSB soprano (stand-in)' },
    epoch: 0,
    step: 0,
    metrics: {},
    weights: initWeights(spec, 1),
    engine: 'test',
    createdAt: 1_700_000_000_000,
  });
  writeFileSync(path.join(resourcesDir, 'default-model', 'default.etude-ckpt'), checkpoint);
  studio = await startStudio({ dataDir, rendererDir: path.join(dataDir, 'none'), resourcesDir });
  const bridge = createWsBridge({
    url: `ws://127.0.0.1:${studio.port}/ws?token=${studio.token}`,
    createSocket: (url) => new WebSocket(url, { origin: studio.origin }) as unknown as WebSocketLike,
  });
  api = apiFromBridge(bridge, 'studio', 120_000, () => bridge.close());
});

/** compose:generate is a job: start it, wait for job:finished, parse its result. */
async function compose(request: GenerationRequestDto, progress: EventPayload<'job:progress'>[] = []) {
  const finished = await api.runJob('compose:generate', request, { onProgress: (p) => progress.push(p) });
  expect(finished?.error).toBeUndefined();
  expect(finished?.status).toBe('done');
  expect(finished?.kind).toBe('generate');
  return composeResultSchema.parse(finished!.result);
}

afterAll(async () => {
  api?.close();
  await studio?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('import, train a tiny model with live progress, compose 3 variations, keep one (reduced spec: hidden 16, 1 layer, 1 epoch)', async () => {
  const names = ['ashover1.mid', 'ashover2.mid', 'ashover3.mid', 'ashover4.mid', 'ashover5.mid', 'ashover6.mid'];
  const files = names.map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(nottinghamDir, name))) }));
  const imported = await api.runJob('library:importFiles', { corpusName: 'Ashover', files });
  expect(imported?.status).toBe('done');

  const progress: EventPayload<'job:progress'>[] = [];
  const trained = await api.runJob(
    'train:start',
    {
      corpusName: 'Ashover',
      modelName: 'Tiny',
      spec: { embeddingDim: 16, hiddenSize: 16, layers: 1, window: 16 },
      training: { epochs: 1, batchSize: 32, validationFraction: 0.2, randomSeed: 3 },
      engine: 'auto',
      threads: 1,
    },
    { onProgress: (p) => progress.push(p) },
  );
  expect(trained?.error).toBeUndefined();
  expect(trained?.status).toBe('done');
  const result = trainResultSchema.parse(trained!.result);
  expect(result.modelName).toBe('Tiny');
  expect(progress.length).toBeGreaterThan(0);
  expect(progress.some((p) => p.progress.engine !== undefined || p.progress.loss !== undefined)).toBe(true);

  const models = await api.call('models:list', {});
  const tiny = models.find((m) => m.name === 'Tiny');
  expect(tiny).toMatchObject({ status: 'ready', builtin: false, corpusName: 'Ashover' });

  const request = { model: tiny!.id, seedNotes: [60, 64, 67], temperature: 1, bars: 2, variations: 3, randomSeed: 11 };
  const composeProgress: EventPayload<'job:progress'>[] = [];
  const composed = await compose(request, composeProgress);
  expect(composed.variations).toHaveLength(3);
  // Progress per variation: the job said it was on each of the three.
  const said = new Set(composeProgress.filter((p) => p.progress.phase === 'generating').map((p) => p.progress.current));
  expect([...said].sort()).toEqual([0, 1, 2]);
  expect(composeProgress.every((p) => p.progress.total === 3)).toBe(true);
  for (const v of composed.variations) {
    expect(v.tokens.length).toBeGreaterThanOrEqual(32);
    expect(v.notes.length).toBeGreaterThan(0);
    expect(v.ppq).toBeGreaterThan(0);
  }
  // Same request, same notes (the random seed is part of the request).
  const again = await compose(request);
  expect(again.variations.map((v) => v.tokens)).toEqual(composed.variations.map((v) => v.tokens));

  const kept = await api.call('generations:saveFavourite', {
    generationId: composed.variations[1].generationId,
    name: 'Second try',
  });
  expect(kept).toMatchObject({ name: 'Second try', favourite: true, modelName: 'Tiny' });
  const favourites = await api.call('generations:list', { favouritesOnly: true });
  expect(favourites.map((g) => g.id)).toEqual([composed.variations[1].generationId]);
  expect(favourites[0].tokens).toEqual(composed.variations[1].tokens);
  const all = await api.call('generations:list', { modelId: tiny!.id });
  expect(all).toHaveLength(6);
});

it('lists the bundled default model (a tiny stand-in checkpoint) with its spec and composes with it', async () => {
  const info = await api.call('app:info', {});
  expect(info.defaultModelPresent).toBe(true);
  const [first] = await api.call('models:list', {});
  expect(first).toMatchObject({
    id: 'default',
    builtin: true,
    status: 'ready',
    corpusName: 'JSB soprano (stand-in)',
    createdAt: 1_700_000_000_000,
  });
  expect(first.spec).toMatchObject({ kind: 'melody-lstm', vocabSize: 130, hiddenSize: 8 });
  const composed = await compose({
    model: 'default',
    seedNotes: [67],
    temperature: 0.8,
    bars: 2,
    variations: 2,
    randomSeed: 5,
  });
  expect(composed.variations).toHaveLength(2);
  expect(composed.variations.every((v) => v.tokens.length >= 32)).toBe(true);
  expect(composed.modelName).toBeTruthy();
});
