// SPDX-License-Identifier: MIT
// 'compose:regenerate' through the contract (request parsed in main, response validated) on the bundled model, the
// engine in the generation worker as the app runs it: notes outside the selection come back exactly as sent, the
// selection's are new, the same request answers the same notes; bad payloads are refused before anything runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers, dispatch, type Handlers } from '../../src/main/ipc/handlers';
import { createAppServices, type AppServices } from '../../src/main/services/app';
import { createStudioDoor } from '../../src/studio/exportsDoor';
import { regenerateRequestSchema, type RegenerateResultDto } from '../../src/shared/regenerate';
import { encodeCheckpoint } from '../../src/core/model/checkpoint';
import { initWeights } from '../../src/core/model/init';
import { DEFAULT_TRAINING, type ModelSpec } from '../../src/core/model/spec';
import { regenerateSelection } from '../../src/main/services/infillGeneration';
import { runGeneration } from '../../src/main/services/generation';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let services: AppServices;
let handlers: Handlers;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'etude-regenerate-'));
  services = createAppServices({ dataDir: dir, resourcesDir: path.join(repoRoot, 'resources') });
  handlers = createHandlers(services, createStudioDoor(dir), { validateResponses: true });
});
afterAll(async () => {
  await services?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ppq = 480;
const bar = 4 * ppq;
// Eight bars of quarter notes up and down a C major scale, velocities that say which note is which.
const SCALE = [60, 62, 64, 65, 67, 69, 71, 72];
const notes = Array.from({ length: 32 }, (_, i) => ({
  pitch: SCALE[i % 8 < 4 ? i % 8 : 11 - (i % 8)],
  startTick: i * ppq,
  durationTicks: ppq,
  velocity: 40 + i,
}));
const request = { model: 'default', notes, ppq, bars: 8, fromBar: 3, toBar: 5, temperature: 1, randomSeed: 5 };

describe('compose:regenerate', () => {
  it('regenerates only the selected bars, the same way for the same seed', async () => {
    const envelope = await dispatch(handlers, 'compose:regenerate', request);
    expect(envelope.ok, JSON.stringify(envelope)).toBe(true);
    const result = (envelope as { ok: true; value: RegenerateResultDto }).value;
    const outside = (list: typeof notes) => list.filter((n) => n.startTick < 3 * bar || n.startTick >= 5 * bar);
    const inside = (list: typeof notes) => list.filter((n) => n.startTick >= 3 * bar && n.startTick < 5 * bar);
    expect(outside(result.notes)).toEqual(outside(notes));
    expect(inside(result.notes)).not.toEqual(inside(notes));
    expect(inside(result.notes).length).toBeGreaterThan(0);
    for (const n of inside(result.notes)) expect(n.startTick + n.durationTicks).toBeLessThanOrEqual(5 * bar);
    expect(result.tokens).toHaveLength(128);
    expect(result.seam).not.toBeNull();
    expect(result.candidates).toBe(12);
    const again = await dispatch(handlers, 'compose:regenerate', request);
    expect(again).toEqual(envelope);
  }, 60_000);

  it('refuses a selection that is empty, reversed, beyond the take or not a number', async () => {
    for (const bad of [
      { fromBar: 3, toBar: 3 },
      { fromBar: 4, toBar: 2 },
      { fromBar: 3, toBar: 9 },
      { fromBar: 0, toBar: 2 },
      { fromBar: Number.NaN, toBar: 4 },
      { fromBar: 1.5, toBar: 4 },
      { ppq: 6 },
      { temperature: 0 },
      { extra: true },
      { pitches: { low: 72, high: 60 } },
      { pitches: { low: 60, high: 128 } },
      { generationId: '' },
    ]) {
      const envelope = await dispatch(handlers, 'compose:regenerate', { ...request, ...bad });
      expect(envelope, JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    }
    const missing = await dispatch(handlers, 'compose:regenerate', { ...request, model: '999' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const noTake = await dispatch(handlers, 'compose:regenerate', { ...request, generationId: '999' });
    expect(noTake).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('regenerates a polyphonic take: notes of other pitches come back as sent', async () => {
    const spec = {
      kind: 'biaxial-lstm',
      encoding: 'piano-roll-128',
      lowPitch: 60,
      pitches: 6,
      beatsPerBar: 2,
      timeSizes: [5, 4],
      pitchSizes: [4, 3],
      downSizes: [],
      window: 0,
      windowHidden: 0,
      dropout: 0,
      segment: 5,
    } as unknown as ModelSpec;
    const file = path.join(dir, 'poly.etude-ckpt');
    writeFileSync(
      file,
      encodeCheckpoint({
        formatVersion: 1,
        spec,
        training: DEFAULT_TRAINING,
        epoch: 1,
        step: 1,
        metrics: {},
        weights: initWeights(spec, 3),
        engine: 'wasm',
        createdAt: 0,
      }),
    );
    const result = await regenerateSelection(
      services.library,
      regenerateRequestSchema.parse({ ...request, pitches: { low: 62, high: 64 } }),
      { defaultModelPath: file, runner: runGeneration },
    );
    const others = (list: typeof notes) => list.filter((n) => n.pitch < 62 || n.pitch > 64);
    expect(others(result.notes)).toEqual(others(notes));
    expect(result.tokens).toEqual([]);
    // A range outside the model's pitches (60..65) is a sentence.
    await expect(
      regenerateSelection(
        services.library,
        regenerateRequestSchema.parse({ ...request, pitches: { low: 80, high: 90 } }),
        { defaultModelPath: file, runner: runGeneration },
      ),
    ).rejects.toThrow(/lies outside the pitches this model plays \(60-65\)/);
  });
});
