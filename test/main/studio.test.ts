// SPDX-License-Identifier: MIT
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  apiFromBridge,
  createWsBridge,
  type EtudeApi,
  type WebSocketLike,
} from '../../src/renderer/src/lib/api/client';
import { ApiError } from '../../src/shared/errors';
import { importReportSchema } from '../../src/shared/dto';
import type { EventPayload } from '../../src/shared/ipc';
import { startStudio, type StudioHandle } from '../../src/studio/server';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataRoot = path.resolve(repoRoot, '../shared/data');
const matildaBytes = new Uint8Array(readFileSync(path.join(dataRoot, 'seed-melodies/waltzing-matilda.mid')));
const nottinghamDir = path.join(dataRoot, 'nottingham/MIDI');

let dataDir: string;
let studio: StudioHandle;
let api: EtudeApi;

/** The renderer's own client code, over the `ws` package's WebSocket (Node 20 has no global WebSocket). */
function connect(): EtudeApi {
  const bridge = createWsBridge({
    url: `ws://127.0.0.1:${studio.port}/ws?token=${studio.token}`,
    createSocket: (url) => new WebSocket(url, { origin: studio.origin }) as unknown as WebSocketLike,
  });
  return apiFromBridge(bridge, 'studio', 60_000, () => bridge.close());
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-studio-'));
  // The studio opens its own services on the data folder, exactly as `npm run studio` does.
  studio = await startStudio({
    dataDir,
    rendererDir: path.join(dataDir, 'no-renderer'),
    resourcesDir: path.join(dataDir, 'no-resources'),
  });
  api = connect();
});

afterAll(async () => {
  api?.close();
  await studio?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('round trip over the studio WebSocket with the renderer client', () => {
  it('app:info and an empty library', async () => {
    const info = await api.call('app:info', {});
    expect(info.door).toBe('studio');
    expect(info.dataDir).toBe(dataDir);
    expect(info.capabilities.importDialog).toBe(false);
    expect(await api.call('library:listCorpora', {})).toEqual([]);
  });

  it('typed errors arrive as ApiError with the code', async () => {
    const failure = await api.call('library:corpusStats', { corpusName: 'Missing' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ code: 'NOT_FOUND' });
    const invalid = await api.call('library:importFiles', { corpusName: 'x', files: [] }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'INVALID_PAYLOAD' });
    const unsupported = await api
      .call('library:importDialog', { corpusName: 'x', mode: 'folder' })
      .catch((e: unknown) => e);
    expect(unsupported).toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('imports MIDI bytes: progress events arrive, the job finishes with a report, the corpus lists the piece', async () => {
    const progress: EventPayload<'job:progress'>[] = [];
    let jobId = '';
    const finished = await api.runJob(
      'library:importFiles',
      {
        corpusName: 'Seeds',
        files: [
          { name: 'waltzing-matilda.mid', relativePath: 'seeds/waltzing-matilda.mid', bytes: matildaBytes },
          { name: 'empty.mid', relativePath: 'seeds/empty.mid', bytes: new Uint8Array() },
        ],
      },
      { onStarted: (id) => (jobId = id), onProgress: (p) => progress.push(p) },
    );
    if (!finished) throw new Error('no job started');
    expect(finished.jobId).toBe(jobId);
    expect(finished.status).toBe('done');
    expect(finished.kind).toBe('import');
    const report = importReportSchema.parse(finished.result);
    expect(report).toMatchObject({ corpusName: 'Seeds', files: 2, imported: 1, duplicates: 0 });
    expect(report.failed).toEqual([expect.objectContaining({ name: 'seeds/empty.mid', code: 'MIDI_EMPTY' })]);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.jobId === jobId && p.kind === 'import')).toBe(true);

    const corpora = await api.call('library:listCorpora', {});
    expect(corpora).toEqual([expect.objectContaining({ name: 'Seeds', pieceCount: 1 })]);
    const pieces = await api.call('library:listPieces', { corpusName: 'Seeds' });
    expect(pieces.total).toBe(1);
    expect(pieces.pieces[0]).toMatchObject({ name: 'waltzing-matilda', format: 'midi' });
    expect(pieces.pieces[0].sixteenths).toBeGreaterThan(16);
    const jobs = await api.call('job:list', {});
    expect(jobs.find((j) => j.id === jobId)).toMatchObject({ status: 'done', kind: 'import' });
  });

  it('bytes survive the wire exactly: a saved MIDI file equals what was sent', async () => {
    const { path: saved } = await api.call('file:saveMidi', { bytes: matildaBytes, suggestedName: 'matilda' });
    expect(saved).toBe(path.join(dataDir, 'exports', 'matilda.mid'));
    expect(new Uint8Array(readFileSync(saved!))).toEqual(matildaBytes);
  });

  it('a larger upload (200 Nottingham files) imports with ordered progress; a 1000-file upload can be cancelled', async () => {
    const { readdirSync } = await import('node:fs');
    const names = readdirSync(nottinghamDir)
      .filter((n) => n.endsWith('.mid'))
      .sort()
      .slice(0, 200);
    const files = names.map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(nottinghamDir, name))) }));
    const progress: number[] = [];
    const finished = await api.runJob(
      'library:importFiles',
      { corpusName: 'Nottingham', files },
      { onProgress: (p) => progress.push(p.progress.current) },
    );
    expect(finished?.status).toBe('done');
    expect(progress.at(-1)).toBe(200);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const report = importReportSchema.parse(finished!.result);
    expect(report.files).toBe(200);
    expect(report.imported + report.duplicates + report.failed.length).toBe(200);
    expect(report.imported).toBeGreaterThan(150);

    // A bigger upload into a new corpus, cancelled at its first progress event: ends 'cancelled', not 'failed'.
    const many = readdirSync(nottinghamDir)
      .filter((n) => n.endsWith('.mid'))
      .sort()
      .slice(0, 1000);
    const manyFiles = many.map((name) => ({
      name,
      bytes: new Uint8Array(readFileSync(path.join(nottinghamDir, name))),
    }));
    let secondId = '';
    let cancelAnswer: Promise<{ cancelled: boolean }> | undefined;
    const ending = api.runJob(
      'library:importFiles',
      { corpusName: 'Cancelled', files: manyFiles },
      {
        onStarted: (id) => (secondId = id),
        onProgress: () => (cancelAnswer ??= api.call('job:cancel', { jobId: secondId })),
      },
    );
    const cancelled = await ending;
    expect(await cancelAnswer).toEqual({ cancelled: true });
    expect(cancelled?.status).toBe('cancelled');
    expect(await api.call('job:cancel', { jobId: secondId })).toEqual({ cancelled: false });
    // What was committed before the cancel stays; it is less than everything.
    const [partial] = (await api.call('library:listCorpora', {})).filter((c) => c.name === 'Cancelled');
    expect(partial?.pieceCount ?? 0).toBeLessThan(1000);
  });

  it('a second client gets the events too, and events wait for "ready"', async () => {
    const other = connect();
    try {
      const finishedSeen = new Promise<string>((resolve) => other.on('job:finished', (e) => resolve(e.jobId)));
      // on() sends ready in a microtask; a call round trip makes sure the server has it.
      await other.call('app:info', {});
      const finished = await api.runJob('library:importFiles', {
        corpusName: 'Seeds',
        files: [{ name: 'again.mid', bytes: matildaBytes }],
      });
      expect(await finishedSeen).toBe(finished?.jobId);
    } finally {
      other.close();
    }
  });

  it('a call after the server closes fails with TRANSPORT_CLOSED instead of hanging', async () => {
    const local = await startStudio({
      dataDir: mkdtempSync(path.join(os.tmpdir(), 'etude-studio-close-')),
      resourcesDir: path.join(dataDir, 'none'),
    });
    const bridge = createWsBridge({
      url: `ws://127.0.0.1:${local.port}/ws?token=${local.token}`,
      createSocket: (url) => new WebSocket(url, { origin: local.origin }) as unknown as WebSocketLike,
      maxReconnectAttempts: 2,
      reconnectDelayMs: 20,
    });
    const client = apiFromBridge(bridge, 'studio', 10_000, () => bridge.close());
    expect(await client.call('library:listCorpora', {})).toEqual([]);
    await local.close();
    const failure = await client.call('library:listCorpora', {}).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'TRANSPORT_CLOSED' });
    client.close();
  });
});
