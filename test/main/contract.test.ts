// SPDX-License-Identifier: MIT
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandlers, type HandlerServices } from '../../src/main/ipc/handlers';
import { apiFromBridge, createWsBridge, type WebSocketLike } from '../../src/renderer/src/lib/api/client';
import { bytesSchema } from '../../src/shared/dto';
import { ApiError, type Envelope } from '../../src/shared/errors';
import {
  CALL_NAMES,
  EVENT_NAMES,
  IPC_EVENT_CHANNEL,
  IPC_READY_CHANNEL,
  calls,
  type EtudeBridge,
} from '../../src/shared/ipc';
import { decodeWire, encodeWire } from '../../src/shared/wire';

// A minimal stand-in for the `electron` module: only preload and electronIpc import it, and only
// these few functions. The Electron binary is not installed here, so the real module cannot load.
const fakeElectron = vi.hoisted(() => {
  const exposed: Record<string, unknown> = {};
  const rendererListeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const mainHandlers = new Map<string, (event: unknown, payload: unknown) => unknown>();
  const mainListeners = new Map<string, (event: unknown) => void>();
  return {
    exposed,
    rendererListeners,
    mainHandlers,
    mainListeners,
    invoke: vi.fn(async (channel: string, payload: unknown) => ({ ok: true, value: { channel, payload } })),
    send: vi.fn(),
    module: {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
      ipcRenderer: {
        invoke: (channel: string, payload: unknown) => fakeElectron.invoke(channel, payload),
        send: (channel: string) => fakeElectron.send(channel),
        on: (channel: string, fn: (...args: unknown[]) => void) => {
          if (!rendererListeners.has(channel)) rendererListeners.set(channel, new Set());
          rendererListeners.get(channel)!.add(fn);
        },
        removeListener: (channel: string, fn: (...args: unknown[]) => void) =>
          rendererListeners.get(channel)?.delete(fn),
      },
      ipcMain: {
        handle: (channel: string, fn: (event: unknown, payload: unknown) => unknown) => mainHandlers.set(channel, fn),
        removeHandler: (channel: string) => mainHandlers.delete(channel),
        on: (channel: string, fn: (event: unknown) => void) => mainListeners.set(channel, fn),
        removeListener: (channel: string) => mainListeners.delete(channel),
      },
    },
  };
});
vi.mock('electron', () => fakeElectron.module);

describe('the contract', () => {
  it('names every call and event domain:verb, with a zod request and response', () => {
    const required = [
      'app:info',
      'library:listCorpora',
      'library:corpusStats',
      'library:renameCorpus',
      'library:deleteCorpus',
      'library:listPieces',
      'library:importFiles',
      'library:importDialog',
      'train:start',
      'job:cancel',
      'job:list',
      'models:list',
      'models:delete',
      'models:export',
      'models:import',
      'compose:generate',
      'generations:list',
      'generations:saveFavourite',
      'file:saveMidi',
      'file:startDrag',
    ];
    expect(CALL_NAMES).toEqual(expect.arrayContaining(required));
    for (const name of CALL_NAMES) {
      expect(name).toMatch(/^[a-z]+:[a-z][A-Za-z]*$/);
      expect(typeof calls[name].request.safeParse).toBe('function');
      expect(typeof calls[name].response.safeParse).toBe('function');
    }
    expect(EVENT_NAMES.sort()).toEqual(['job:finished', 'job:progress']);
  });

  it('has a handler for every call and nothing else', () => {
    const handlers = createHandlers({} as HandlerServices, {
      door: 'studio',
      saveMidi: async () => null,
      chooseSaveTarget: async () => null,
      startDrag: async () => false,
    });
    expect(Object.keys(handlers).sort()).toEqual([...CALL_NAMES].sort());
  });

  it('fills documented defaults when parsing requests', () => {
    const parsed = calls['train:start'].request.parse({ corpusName: ' Folk ', modelName: 'm' });
    expect(parsed).toEqual({ corpusName: 'Folk', modelName: 'm', spec: {}, training: {}, engine: 'auto' });
    expect(calls['library:listPieces'].request.parse({ corpusName: 'a' })).toEqual({
      corpusName: 'a',
      offset: 0,
      limit: 200,
    });
  });

  it('accepts Buffer and Uint8Array as bytes, nothing else', () => {
    expect(bytesSchema.safeParse(new Uint8Array(3)).success).toBe(true);
    expect(bytesSchema.safeParse(Buffer.from('abc')).success).toBe(true);
    expect(bytesSchema.safeParse([1, 2, 3]).success).toBe(false);
    expect(bytesSchema.safeParse(new Uint16Array(3)).success).toBe(false);
    expect(bytesSchema.safeParse({ 0: 1, length: 1 }).success).toBe(false);
  });
});

describe('the WebSocket wire codec', () => {
  it('round-trips nested bytes exactly (empty, odd sizes, 1 MiB random, Buffer)', () => {
    const big = new Uint8Array(randomBytes(1024 * 1024 + 3));
    const value = {
      id: 7,
      channel: 'library:importFiles',
      payload: {
        files: [
          { name: 'a', bytes: new Uint8Array() },
          { name: 'b', bytes: new Uint8Array([0, 255, 128]) },
          { name: 'c', bytes: big },
        ],
        buf: Buffer.from('hi'),
      },
    };
    const decoded = decodeWire(encodeWire(value)) as typeof value;
    expect(decoded.payload.files[0].bytes).toEqual(new Uint8Array());
    expect(decoded.payload.files[1].bytes).toEqual(new Uint8Array([0, 255, 128]));
    expect(decoded.payload.files[2].bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(Buffer.from(decoded.payload.files[2].bytes), Buffer.from(big))).toBe(0);
    expect(decoded.payload.buf).toEqual(new Uint8Array(Buffer.from('hi')));
    expect(decoded.id).toBe(7);
  });

  it('leaves ordinary objects alone', () => {
    const value = { a: [1, 'x', null], b: { c: true }, $bytes: 'not alone' };
    expect(decodeWire(encodeWire(value))).toEqual(value);
  });
});

describe('the renderer client over a bridge', () => {
  function fakeBridge(answer: (channel: string, payload: unknown) => Promise<Envelope<unknown>>) {
    const listeners = new Map<string, Set<(p: unknown) => void>>();
    const bridge: EtudeBridge & { emit(event: string, payload: unknown): void; readyCalls: number } = {
      readyCalls: 0,
      call: ((channel: string, payload: unknown) => answer(channel, payload)) as EtudeBridge['call'],
      on: ((event: string, listener: (p: unknown) => void) => {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(listener);
        return () => listeners.get(event)!.delete(listener);
      }) as EtudeBridge['on'],
      ready() {
        bridge.readyCalls++;
      },
      emit(event, payload) {
        for (const l of listeners.get(event) ?? []) l(payload);
      },
    };
    return bridge;
  }

  it('returns values, throws ApiError with the code, and times out with TIMEOUT', async () => {
    const bridge = fakeBridge(async (channel) => {
      if (channel === 'library:listCorpora') return { ok: true, value: [] };
      if (channel === 'models:list') return new Promise(() => {});
      return { ok: false, error: { code: 'NOT_FOUND', message: 'No corpus named "x"' } };
    });
    const api = apiFromBridge(bridge, 'electron', 50);
    expect(await api.call('library:listCorpora', {})).toEqual([]);
    const err = await api.call('library:corpusStats', { corpusName: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'No corpus named "x"' });
    await expect(api.call('models:list', {})).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('runJob sees a job that finished before its { jobId } answer arrived, and sends ready once', async () => {
    const bridge = fakeBridge(async () => {
      // The job's events come first, then the answer: the order a fast job can produce.
      bridge.emit('job:progress', {
        jobId: 'j1',
        kind: 'import',
        progress: { phase: 'importing', current: 1, total: 1 },
      });
      bridge.emit('job:finished', { jobId: 'j1', kind: 'import', status: 'done', result: { imported: 1 } });
      return { ok: true, value: { jobId: 'j1' } };
    });
    const api = apiFromBridge(bridge, 'electron');
    const progress: unknown[] = [];
    const finished = await api.runJob(
      'library:importFiles',
      { corpusName: 'c', files: [{ name: 'a.mid', bytes: new Uint8Array(1) }] },
      { onProgress: (p) => progress.push(p) },
    );
    expect(finished).toMatchObject({ jobId: 'j1', status: 'done' });
    expect(progress).toHaveLength(1);
    api.on('job:progress', () => {});
    await Promise.resolve();
    expect(bridge.readyCalls).toBe(1);
  });
});

describe('runJob when the finished event is lost', () => {
  it('learns the outcome from job:list instead of waiting forever', async () => {
    vi.useFakeTimers();
    try {
      let listed = 0;
      const bridge: EtudeBridge = {
        call: (async (channel: string) => {
          if (channel === 'train:start') return { ok: true, value: { jobId: 't1' } };
          listed++;
          return {
            ok: true,
            value: [
              {
                id: 't1',
                kind: 'train',
                title: 't',
                status: 'failed',
                startedAt: 1,
                error: { code: 'ENGINE_UNAVAILABLE', message: 'no' },
              },
            ],
          };
        }) as EtudeBridge['call'],
        on: (() => () => {}) as EtudeBridge['on'],
        ready: () => {},
      };
      const api = apiFromBridge(bridge, 'studio');
      const outcome = api.runJob('train:start', { corpusName: 'c', modelName: 'm' });
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await outcome).toEqual({
        jobId: 't1',
        kind: 'train',
        status: 'failed',
        error: { code: 'ENGINE_UNAVAILABLE', message: 'no' },
      });
      expect(listed).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the WebSocket bridge reconnects', () => {
  /** A scripted socket: the test opens, closes and answers it by hand. */
  class FakeSocket implements WebSocketLike {
    static all: FakeSocket[] = [];
    readyState = 0;
    sent: unknown[] = [];
    onopen: ((ev: never) => void) | null = null;
    onclose: ((ev: never) => void) | null = null;
    onerror: ((ev: never) => void) | null = null;
    onmessage: ((ev: never) => void) | null = null;
    constructor() {
      FakeSocket.all.push(this);
    }
    send(data: string) {
      this.sent.push(decodeWire(data));
    }
    close() {
      this.drop(1000);
    }
    open() {
      this.readyState = 1;
      (this.onopen as (ev: unknown) => void)?.({});
    }
    drop(code = 1006) {
      this.readyState = 3;
      (this.onclose as (ev: { code: number; reason: string }) => void)?.({ code, reason: '' });
    }
    answer(id: number, value: unknown) {
      (this.onmessage as (ev: { data: string }) => void)?.({ data: encodeWire({ id, envelope: { ok: true, value } }) });
    }
  }

  it('fails in-flight calls with TRANSPORT_CLOSED, queues new ones until the next socket opens, and re-sends ready', async () => {
    FakeSocket.all = [];
    const statuses: string[] = [];
    const bridge = createWsBridge({
      url: 'ws://x/ws',
      createSocket: () => new FakeSocket(),
      reconnectDelayMs: 1,
      onStatus: (s) => statuses.push(s),
    });
    const first = FakeSocket.all[0];
    first.open();
    bridge.ready();
    expect(first.sent).toEqual([{ id: 0, channel: 'ready', payload: {} }]);

    const inFlight = bridge.call('library:listCorpora', {});
    first.drop();
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'TRANSPORT_CLOSED' } });

    const queued = bridge.call('job:list', {});
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(2));
    const second = FakeSocket.all[1];
    expect(second.sent).toEqual([]);
    second.open();
    expect(second.sent).toEqual([
      { id: 0, channel: 'ready', payload: {} },
      { id: 2, channel: 'job:list', payload: {} },
    ]);
    second.answer(2, []);
    expect(await queued).toEqual({ ok: true, value: [] });
    expect(statuses).toEqual(['connecting', 'open', 'closed', 'connecting', 'open']);
    bridge.close();
    expect(await bridge.call('job:list', {})).toMatchObject({ ok: false, error: { code: 'TRANSPORT_CLOSED' } });
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('gives up after maxReconnectAttempts failed connects and answers queued calls', async () => {
    FakeSocket.all = [];
    const bridge = createWsBridge({
      url: 'ws://x/ws',
      createSocket: () => new FakeSocket(),
      reconnectDelayMs: 1,
      maxReconnectAttempts: 3,
    });
    const waiting = bridge.call('job:list', {});
    for (let attempt = 0; attempt < 3; attempt++) {
      await vi.waitFor(() => expect(FakeSocket.all.length).toBe(attempt + 1));
      FakeSocket.all[attempt].drop();
    }
    expect(await waiting).toMatchObject({ ok: false, error: { code: 'TRANSPORT_CLOSED' } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(FakeSocket.all).toHaveLength(3);
  });
});

describe('preload', () => {
  beforeEach(() => {
    fakeElectron.invoke.mockClear();
    fakeElectron.send.mockClear();
  });

  it('exposes exactly call/on/ready as window.etude and nothing of ipcRenderer', async () => {
    await import('../../src/preload/index');
    expect(Object.keys(fakeElectron.exposed)).toEqual(['etude']);
    const etude = fakeElectron.exposed.etude as EtudeBridge;
    expect(Object.keys(etude).sort()).toEqual(['call', 'on', 'ready']);

    expect(await etude.call('library:listCorpora', {})).toEqual({
      ok: true,
      value: { channel: 'library:listCorpora', payload: {} },
    });
    const refused = await etude.call('shell:openExternal' as never, {} as never);
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(fakeElectron.invoke).toHaveBeenCalledTimes(1);
    expect(() => etude.on('anything' as never, () => {})).toThrow(/Unknown event/);

    const seen: unknown[] = [];
    const stop = etude.on('job:finished', (p) => seen.push(p));
    const deliver = (name: string, payload: unknown) => {
      for (const fn of fakeElectron.rendererListeners.get(IPC_EVENT_CHANNEL) ?? []) fn({}, name, payload);
    };
    deliver('job:progress', { jobId: 'a' });
    deliver('job:finished', { jobId: 'a' });
    stop();
    deliver('job:finished', { jobId: 'b' });
    expect(seen).toEqual([{ jobId: 'a' }]);
    etude.ready();
    expect(fakeElectron.send).toHaveBeenCalledWith(IPC_READY_CHANNEL);
  });
});

describe('Electron IPC registration', () => {
  it('registers every call, refuses other senders, and queues events until ready', async () => {
    const { registerElectronIpc } = await import('../../src/main/ipc/electronIpc');
    const sent: unknown[][] = [];
    const mainFrame = {};
    const webContents = { mainFrame, send: (...args: unknown[]) => sent.push(args), on: () => {} };
    const win = { webContents, isDestroyed: () => false };
    let jobListener: ((e: { event: string; payload: unknown }) => void) | undefined;
    const services = {
      listCorpora: () => [],
      subscribeJobEvents: (l: typeof jobListener) => {
        jobListener = l;
        return () => (jobListener = undefined);
      },
    } as unknown as HandlerServices;
    const unregister = registerElectronIpc({
      services,
      door: {
        door: 'electron',
        saveMidi: async () => null,
        chooseSaveTarget: async () => null,
        startDrag: async () => false,
      },
      getWindow: () => win as never,
      validateResponses: true,
    });
    expect([...fakeElectron.mainHandlers.keys()].sort()).toEqual([...CALL_NAMES].sort());

    const ours = { sender: webContents, senderFrame: mainFrame };
    const stranger = { sender: { mainFrame: {} }, senderFrame: {} };
    const subframe = { sender: webContents, senderFrame: {} };
    const handle = fakeElectron.mainHandlers.get('library:listCorpora')!;
    expect(await handle(ours, {})).toEqual({ ok: true, value: [] });
    expect(await handle(stranger, {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await handle(subframe, {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await fakeElectron.mainHandlers.get('library:corpusStats')!(ours, { corpusName: 7 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PAYLOAD' },
    });

    const finished = { jobId: 'j', kind: 'import', status: 'done' };
    jobListener!({ event: 'job:finished', payload: finished });
    expect(sent).toEqual([]);
    fakeElectron.mainListeners.get(IPC_READY_CHANNEL)!(stranger);
    expect(sent).toEqual([]);
    fakeElectron.mainListeners.get(IPC_READY_CHANNEL)!(ours);
    expect(sent).toEqual([[IPC_EVENT_CHANNEL, 'job:finished', finished]]);
    jobListener!({
      event: 'job:progress',
      payload: { jobId: 'j', kind: 'import', progress: { phase: 'x', current: 1, total: 2 } },
    });
    expect(sent).toHaveLength(2);

    unregister();
    expect(fakeElectron.mainHandlers.size).toBe(0);
    expect(jobListener).toBeUndefined();
  });
});

describe('engine names', () => {
  it('the contract offers exactly the engines the core can select (one list cannot drift from the other)', async () => {
    const { ENGINE_CHOICES } = await import('../../src/core/engine/select');
    const { engineChoiceSchema } = await import('../../src/shared/dto');
    expect([...engineChoiceSchema.options].sort()).toEqual([...ENGINE_CHOICES].sort());
  });
});
