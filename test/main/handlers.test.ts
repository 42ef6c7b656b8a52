// SPDX-License-Identifier: MIT
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createHandlers,
  dispatch,
  forwardJobEvents,
  type DoorAdapter,
  type Handlers,
} from '../../src/main/ipc/handlers';
import { createAppServices, type AppServices } from '../../src/main/services/app';
import { acquireTrainingLease } from '../../src/main/services/trainingLease';
import { createStudioDoor } from '../../src/studio/exportsDoor';
import { variationMusicXmlBytes } from '../../src/renderer/src/lib/util/exportMidi';
import { MAX_IMPORT_FILE_BYTES } from '../../src/shared/dto';
import type { EventPayload } from '../../src/shared/ipc';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataRoot = path.resolve(repoRoot, '../shared/data');
const matildaBytes = new Uint8Array(readFileSync(path.join(dataRoot, 'seed-melodies/waltzing-matilda.mid')));

let dataDir: string;
let services: AppServices;
let handlers: Handlers;
let logged: unknown[];

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-handlers-'));
  services = createAppServices({ dataDir, resourcesDir: path.join(dataDir, 'no-resources') });
  logged = [];
  handlers = createHandlers(services, createStudioDoor(dataDir), {
    validateResponses: true,
    logError: (_c, e) => logged.push(e),
  });
});

afterEach(async () => {
  await services.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitFinished(jobId: string): Promise<EventPayload<'job:finished'>> {
  const snapshot = await services.jobs.wait(jobId);
  return {
    jobId,
    kind: snapshot.kind,
    status: snapshot.status as 'done',
    result: snapshot.result,
    error: snapshot.error,
  };
}

describe('handlers reject malformed payloads with INVALID_PAYLOAD naming the field', () => {
  const cases: [string, unknown, RegExp][] = [
    ['library:corpusStats', { corpusName: '' }, /corpusName/],
    ['library:corpusStats', { corpusName: 42 }, /corpusName/],
    ['library:renameCorpus', { corpusName: 'a' }, /newName/],
    ['library:listPieces', { corpusName: 'a', limit: 100000 }, /limit/],
    ['library:importFiles', { corpusName: 'a', files: [] }, /files/],
    ['library:importFiles', { corpusName: 'a', files: [{ name: 'x.mid', bytes: 'not bytes' }] }, /files\.0\.bytes/],
    [
      'library:importFiles',
      { corpusName: 'a', files: [{ name: 'x.mid', bytes: new Uint8Array(MAX_IMPORT_FILE_BYTES + 1) }] },
      /files\.0\.bytes.*larger/,
    ],
    ['train:start', { corpusName: 'c', modelName: 'm', spec: { layers: 9 } }, /spec\.layers/],
    ['train:start', { corpusName: 'c', modelName: 'm', spec: { hiddenSize: 8, evil: true } }, /spec/],
    ['train:start', { corpusName: 'c', modelName: 'm', engine: 'cuda-please' }, /engine/],
    [
      'compose:generate',
      { model: 'default', seedNotes: [200], temperature: 1, bars: 4, variations: 1, randomSeed: 1 },
      /seedNotes\.0/,
    ],
    [
      'compose:generate',
      { model: 'default', seedNotes: [60], temperature: 1, bars: 4, variations: 1001, randomSeed: 1 },
      /variations/,
    ],
    ['job:cancel', {}, /jobId/],
    ['file:saveMidi', { bytes: new Uint8Array(), suggestedName: 'x' }, /bytes/],
    ['app:info', { extra: 1 }, /extra|Unrecognized/i],
    ['library:listCorpora', 'a string', /payload|object/i],
  ];
  it.each(cases.map(([c, p, f]) => [c, f.source, p, f] as const))(
    '%s (error names %s)',
    async (channel, _label, payload, field) => {
      const envelope = await dispatch(handlers, channel, payload);
      expect(envelope.ok).toBe(false);
      if (envelope.ok) return;
      expect(envelope.error.code).toBe('INVALID_PAYLOAD');
      expect(envelope.error.message).toContain(channel);
      expect(envelope.error.message).toMatch(field);
    },
  );

  it('an unknown channel answers UNKNOWN_CHANNEL, not an exception', async () => {
    const envelope = await dispatch(handlers, 'fs:readAnyFile', { path: '/etc/passwd' });
    expect(envelope).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  });
});

describe('handlers call services and map errors to codes', () => {
  it('a missing corpus is NOT_FOUND with a message naming it, and no stack trace', async () => {
    const envelope = await handlers['library:corpusStats']({ corpusName: 'Nope' });
    expect(envelope.ok).toBe(false);
    if (envelope.ok) return;
    expect(envelope.error.code).toBe('NOT_FOUND');
    expect(envelope.error.message).toContain('Nope');
    expect(JSON.stringify(envelope)).not.toMatch(/\n\s+at /);
  });

  it('library:importDialog is UNSUPPORTED in the studio door', async () => {
    const envelope = await handlers['library:importDialog']({ corpusName: 'x', mode: 'files' });
    expect(envelope).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED' } });
  });

  it('library:importDialog imports what the door chose', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'etude-chosen-'));
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path.join(folder, 'matilda.mid'), matildaBytes);
      writeFileSync(path.join(folder, 'notes.txt'), 'ignored in a folder');
      const door: DoorAdapter = {
        ...createStudioDoor(dataDir),
        door: 'electron',
        chooseImportPaths: async () => [folder],
      };
      const electronHandlers = createHandlers(services, door, { validateResponses: true });
      const envelope = await electronHandlers['library:importDialog']({ corpusName: 'Chosen', mode: 'folder' });
      expect(envelope.ok).toBe(true);
      if (!envelope.ok || !envelope.value.jobId) throw new Error('no job');
      const finished = await waitFinished(envelope.value.jobId);
      expect(finished.status).toBe('done');
      expect(finished.result).toMatchObject({ corpusName: 'Chosen', files: 1, imported: 1, failed: [] });
      const info = await electronHandlers['app:info']({});
      expect(info.ok && info.value.capabilities.importDialog).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('imports bytes, reports a broken file by name, lists, renames, deletes; events match the contract', async () => {
    const events: { event: string; payload: unknown }[] = [];
    const stop = forwardJobEvents(services, (event, payload) => events.push({ event, payload }), {
      validateResponses: true,
    });
    const broken = matildaBytes.slice(0, 40);
    const started = await handlers['library:importFiles']({
      corpusName: 'Folk',
      files: [
        { name: 'matilda.mid', relativePath: 'tunes/matilda.mid', bytes: matildaBytes },
        { name: 'again.mid', relativePath: 'tunes/again.mid', bytes: matildaBytes.slice() },
        { name: 'broken.mid', relativePath: 'tunes/broken.mid', bytes: broken },
        { name: 'readme.txt', bytes: new TextEncoder().encode('hello') },
      ],
    });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    const finished = await waitFinished(started.value.jobId);
    stop();
    expect(finished.status).toBe('done');
    const report = finished.result as {
      imported: number;
      duplicates: number;
      failed: { name: string; code: string }[];
    };
    expect(report.imported).toBe(1);
    expect(report.duplicates).toBe(1);
    expect(report.failed.map((f) => [f.name, f.code])).toEqual([
      ['tunes/broken.mid', 'MIDI_TRUNCATED'],
      ['readme.txt', 'UNSUPPORTED_FILE'],
    ]);
    expect(events.some((e) => e.event === 'job:progress')).toBe(true);
    expect(events.filter((e) => e.event === 'job:finished')).toHaveLength(1);

    const corpora = await handlers['library:listCorpora']({});
    expect(corpora).toMatchObject({ ok: true, value: [{ name: 'Folk', pieceCount: 1 }] });
    const pieces = await handlers['library:listPieces']({ corpusName: 'Folk' });
    expect(pieces.ok && pieces.value.pieces[0].name).toBe('matilda');
    const stats = await handlers['library:corpusStats']({ corpusName: 'Folk' });
    expect(stats.ok).toBe(true);
    if (stats.ok) {
      expect(stats.value.tokenHistogram).toHaveLength(130);
      expect(stats.value.tokenHistogram.reduce((a, b) => a + b, 0)).toBe(stats.value.totalSixteenths);
      expect(stats.value.pitchRange!.min).toBeLessThanOrEqual(stats.value.pitchRange!.max);
    }
    const renamed = await handlers['library:renameCorpus']({ corpusName: 'Folk', newName: 'Bush ballads' });
    expect(renamed).toMatchObject({ ok: true, value: { name: 'Bush ballads', pieceCount: 1 } });
    const deleted = await handlers['library:deleteCorpus']({ corpusName: 'Bush ballads' });
    expect(deleted.ok).toBe(true);
    expect(await handlers['library:listCorpora']({})).toEqual({ ok: true, value: [] });
  });

  it('file:saveMidi in the studio writes into <dataDir>/exports and never outside it', async () => {
    const first = await handlers['file:saveMidi']({ bytes: matildaBytes, suggestedName: '../../etc/evil name.mid' });
    const second = await handlers['file:saveMidi']({ bytes: matildaBytes, suggestedName: '../../etc/evil name.mid' });
    if (!first.ok || !second.ok) throw new Error('save failed');
    expect(path.dirname(first.value.path!)).toBe(path.join(dataDir, 'exports'));
    expect(path.basename(first.value.path!)).toBe('evil name.mid');
    expect(second.value.path).not.toBe(first.value.path);
    expect(readFileSync(first.value.path!)).toEqual(Buffer.from(matildaBytes));
  });

  it('file:saveMidi with format musicxml saves a take from the Compose card as .musicxml, numbered like MIDI', async () => {
    const take = [
      { pitch: 48, startTick: 0, durationTicks: 480, velocity: 80 },
      { pitch: 64, startTick: 0, durationTicks: 480, velocity: 80 },
      { pitch: 67, startTick: 480, durationTicks: 480, velocity: 80 },
    ];
    const bytes = variationMusicXmlBytes(take, 480, 96, 'chords', { numerator: 3, denominator: 4 });
    const text = new TextDecoder().decode(bytes);
    // A polyphonic take across middle C is written on a grand staff, in its meter and tempo.
    expect(text).toContain('<staves>2</staves>');
    expect(text).toContain('<beats>3</beats>');
    expect(text.match(/<note[ >]/g)!.filter(Boolean).length).toBeGreaterThanOrEqual(3);
    const first = await handlers['file:saveMidi']({ bytes, suggestedName: 'chords.mid', format: 'musicxml' });
    const second = await handlers['file:saveMidi']({ bytes, suggestedName: 'chords', format: 'musicxml' });
    if (!first.ok || !second.ok) throw new Error('save failed');
    expect(path.basename(first.value.path!)).toBe('chords.musicxml');
    expect(path.basename(second.value.path!)).toBe('chords-2.musicxml');
    expect(readFileSync(first.value.path!, 'utf8')).toBe(text);
    const bad = await handlers['file:saveMidi']({ bytes, suggestedName: 'x', format: 'pdf' });
    expect(bad.ok).toBe(false);
  });

  it('a response that drifts from the contract is INVALID_RESPONSE, not passed on', async () => {
    const drifting = createHandlers(
      { ...services, listCorpora: () => [{ id: 'one', name: 3 }] as never },
      createStudioDoor(dataDir),
      { validateResponses: true, logError: () => {} },
    );
    const envelope = await drifting['library:listCorpora']({});
    expect(envelope).toMatchObject({ ok: false, error: { code: 'INVALID_RESPONSE' } });
  });

  it('an unexpected error is INTERNAL with the channel in the message and is logged', async () => {
    const failing = createHandlers(
      {
        ...services,
        listModels: () => {
          throw new TypeError('boom');
        },
      },
      createStudioDoor(dataDir),
      { validateResponses: true, logError: (_c, e) => logged.push(e) },
    );
    const envelope = await failing['models:list']({});
    expect(envelope).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'models:list failed: boom' } });
    expect(logged).toHaveLength(1);
  });

  it('train:start answers a job at once, dedupes a second Start, refuses deleting the training model, cancels to "cancelled"', async () => {
    const trainingDir = mkdtempSync(path.join(os.tmpdir(), 'etude-train-stub-'));
    let seenRequest: unknown;
    const withTrainer = createAppServices({
      dataDir: trainingDir,
      resourcesDir: path.join(trainingDir, 'none'),
      probeEngine: async () => ({ name: 'wasm', threads: 1, description: 'stub' }),
      // Stands in for the worker-backed trainer: registers the model, reports progress, waits for cancel.
      trainer: async (library, request, job) => {
        seenRequest = request;
        // Like the real trainer, it holds the model's training lease while it runs: that is what every door checks.
        const model = library.models.createModel({
          name: request.modelName,
          spec: {},
          training: {},
          corpusId: null,
          engine: 'wasm',
        });
        const lease = acquireTrainingLease(library, model, 'a test trainer');
        try {
          job.onProgress({ phase: 'epoch', current: 0, total: 10, epoch: 1, epochs: 10 });
          await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve()));
          throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
        } finally {
          lease.release();
        }
      },
    });
    try {
      const train = createHandlers(withTrainer, createStudioDoor(trainingDir), { validateResponses: true });
      const first = await train['train:start']({ corpusName: 'Folk', modelName: 'Reels', training: { epochs: 10 } });
      const second = await train['train:start']({ corpusName: 'Folk', modelName: 'reels' });
      if (!first.ok || !second.ok) throw new Error('start failed');
      expect(second.value.jobId).toBe(first.value.jobId);
      // The work starts on a later turn of the event loop, after the answer.
      expect(seenRequest).toBeUndefined();
      await vi.waitFor(() => expect(seenRequest).toBeDefined());
      expect(seenRequest).toMatchObject({
        corpusName: 'Folk',
        modelName: 'Reels',
        engine: 'auto',
        spec: {},
        training: { epochs: 10 },
      });
      const models = await train['models:list']({});
      if (!models.ok) throw new Error('list failed');
      const reels = models.value.find((m) => m.name === 'Reels')!;
      expect(await train['models:delete']({ modelId: reels.id })).toMatchObject({ ok: false, error: { code: 'BUSY' } });
      expect(await train['job:cancel']({ jobId: first.value.jobId })).toEqual({ ok: true, value: { cancelled: true } });
      expect((await withTrainer.jobs.wait(first.value.jobId)).status).toBe('cancelled');
      expect(await train['models:delete']({ modelId: reels.id })).toEqual({ ok: true, value: { modelId: reels.id } });
      expect(await train['models:delete']({ modelId: reels.id })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await train['models:delete']({ modelId: 'default' })).toMatchObject({
        ok: false,
        error: { code: 'UNSUPPORTED' },
      });
    } finally {
      await withTrainer.close();
      rmSync(trainingDir, { recursive: true, force: true });
    }
  });

  it('app:info says the door, the data folder and whether the default model is there', async () => {
    const envelope = await handlers['app:info']({});
    expect(envelope.ok).toBe(true);
    if (!envelope.ok) return;
    expect(envelope.value).toMatchObject({
      door: 'studio',
      dataDir,
      defaultModelPresent: false,
      capabilities: { importDialog: false },
    });
    // No GPU package here, so 'auto' is our wasm engine, described in one sentence for the status bar.
    expect(envelope.value.engine).toMatchObject({ name: 'wasm' });
    expect(envelope.value.engine!.description.length).toBeGreaterThan(5);
    expect(envelope.value.engine!.threads).toBeGreaterThanOrEqual(1);
  });
});
