// SPDX-License-Identifier: MIT
/**
 * The renderer's typed API, derived from the contract in src/shared/ipc.ts.
 *
 *   const api = createApi();
 *   const corpora = await api.call('library:listCorpora', {});   // typed; throws ApiError { code, message }
 *   const stop = api.on('job:progress', (p) => ...);              // returns unsubscribe
 *
 * In Electron it talks to `window.etude` (preload). In a browser served by the loopback studio it
 * opens a WebSocket to /ws on the page's own origin, with the token from the first page load
 * (?token=...), kept in sessionStorage so reloads keep working; it reconnects when the socket drops.
 * No Node imports here.
 */
import { ApiError, ERROR_CODES, type Envelope } from '../../../../shared/errors';
import {
  isEventName,
  type CallName,
  type CallRequest,
  type CallResponse,
  type EtudeBridge,
  type EventName,
  type EventPayload,
  type WsMessage,
} from '../../../../shared/ipc';
import { decodeWire, encodeWire } from '../../../../shared/wire';

export { ApiError };

export interface EtudeApi {
  /** Resolves with the typed response, or rejects with an ApiError carrying the code. */
  call<C extends CallName>(channel: C, payload: CallRequest<C>): Promise<CallResponse<C>>;
  /** Subscribes to an event; returns an unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /**
   * Tells main the renderer listens: events main queued until now are delivered. Called
   * automatically after the first `on()` (in a microtask, so subscriptions made together all see them).
   */
  ready(): void;
  /**
   * Starts a job and resolves with its job:finished payload (null when the user cancelled a dialog
   * so no job started). Listens BEFORE calling, so a job that finishes before its { jobId } answer
   * arrives is not missed. Rejects with ApiError only when the call itself fails; a failed or
   * cancelled job resolves with status 'failed' / 'cancelled'.
   */
  runJob<C extends JobCallName>(
    channel: C,
    payload: CallRequest<C>,
    handlers?: { onStarted?: (jobId: string) => void; onProgress?: (p: EventPayload<'job:progress'>) => void },
  ): Promise<EventPayload<'job:finished'> | null>;
  /** 'electron' (preload bridge) or 'studio' (WebSocket). */
  readonly transport: 'electron' | 'studio';
  /** Closes the WebSocket (no-op in Electron). */
  close(): void;
}

/** Calls that answer { jobId }. */
export type JobCallName = {
  [C in CallName]: CallResponse<C> extends { jobId: string | null } ? C : never;
}[CallName];

declare global {
  interface Window {
    etude?: EtudeBridge;
  }
}

/**
 * The browser globals this module uses, typed locally so the file also compiles (and is tested)
 * under the Node tsconfig, which has no DOM lib.
 */
interface BrowserGlobals {
  window?: { etude?: EtudeBridge };
  location: { search: string; pathname: string; hash: string; protocol: string; host: string };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  history: { state: unknown; replaceState(state: unknown, unused: string, url: string): void };
  WebSocket: new (url: string) => WebSocketLike;
}
const browser = globalThis as unknown as BrowserGlobals;

export interface CreateApiOptions {
  /** A bridge to use instead of window.etude / the WebSocket (tests, fakes). */
  bridge?: EtudeBridge;
  /** Reject a call that has no answer after this long (default 10 minutes; generation can be slow). */
  callTimeoutMs?: number;
}

/** Picks window.etude when preload provided it, else the studio WebSocket on this page's origin. */
export function createApi(options: CreateApiOptions = {}): EtudeApi {
  if (options.bridge) return apiFromBridge(options.bridge, 'electron', options.callTimeoutMs);
  const preload = browser.window?.etude;
  if (preload) return apiFromBridge(preload, 'electron', options.callTimeoutMs);
  const url = studioSocketUrl();
  const bridge = createWsBridge({ url, createSocket: (u) => new browser.WebSocket(u) });
  return apiFromBridge(bridge, 'studio', options.callTimeoutMs, () => bridge.close());
}

/** How often runJob checks job:list in case its job:finished event was lost (a socket gap). */
const JOB_POLL_MS = 5000;

/** Wraps any bridge (preload, WebSocket, a test fake) as the throwing, typed API. */
export function apiFromBridge(
  bridge: EtudeBridge,
  transport: 'electron' | 'studio',
  callTimeoutMs = 10 * 60_000,
  close: () => void = () => {},
): EtudeApi {
  let readySent = false;
  const sendReady = () => {
    if (readySent) return;
    readySent = true;
    bridge.ready();
  };
  const api: EtudeApi = {
    transport,
    close,
    ready: sendReady,
    async runJob(channel, payload, handlers = {}) {
      let jobId: string | null | undefined;
      const early: EventPayload<'job:progress'>[] = [];
      let resolveFinished!: (e: EventPayload<'job:finished'>) => void;
      const finished = new Promise<EventPayload<'job:finished'>>((resolve) => (resolveFinished = resolve));
      let earlyFinished: EventPayload<'job:finished'>[] = [];
      let poll: ReturnType<typeof setInterval> | undefined;
      const stopProgress = api.on('job:progress', (p) => {
        if (jobId === undefined) early.push(p);
        else if (p.jobId === jobId) handlers.onProgress?.(p);
      });
      const stopFinished = api.on('job:finished', (e) => {
        if (jobId === undefined) earlyFinished.push(e);
        else if (e.jobId === jobId) resolveFinished(e);
      });
      try {
        const answer = (await api.call(channel, payload)) as { jobId: string | null };
        jobId = answer.jobId;
        if (jobId === null) return null;
        handlers.onStarted?.(jobId);
        for (const p of early) if (p.jobId === jobId) handlers.onProgress?.(p);
        const done = earlyFinished.find((e) => e.jobId === jobId);
        earlyFinished = [];
        if (done) return done;
        // An event lost while a studio socket reconnected must not leave us waiting forever: ask now and then.
        const id = jobId;
        poll = setInterval(() => {
          api.call('job:list', {}).then(
            (jobs) => {
              const job = jobs.find((j) => j.id === id);
              if (job && job.status !== 'running') {
                resolveFinished({
                  jobId: job.id,
                  kind: job.kind,
                  status: job.status,
                  ...(job.result !== undefined ? { result: job.result } : {}),
                  ...(job.error ? { error: job.error } : {}),
                });
              }
            },
            () => {},
          );
        }, JOB_POLL_MS);
        return await finished;
      } finally {
        clearInterval(poll);
        stopProgress();
        stopFinished();
      }
    },
    async call(channel, payload) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ApiError({
                code: ERROR_CODES.TIMEOUT,
                message: `${channel} did not answer within ${Math.round(callTimeoutMs / 1000)} s`,
              }),
            ),
          callTimeoutMs,
        );
      });
      try {
        const envelope = await Promise.race([bridge.call(channel, payload), timeout]);
        if (envelope.ok) return envelope.value;
        throw new ApiError(envelope.error);
      } catch (err) {
        if (err instanceof ApiError) throw err;
        // Electron rejects invoke() with only the message of a thrown error (electron/electron#24427).
        throw new ApiError({
          code: ERROR_CODES.INTERNAL,
          message: `${channel} failed: ${err instanceof Error ? err.message : String(err)}`,
        });
      } finally {
        clearTimeout(timer);
      }
    },
    on(event, listener) {
      const unsubscribe = bridge.on(event, listener);
      queueMicrotask(sendReady);
      return unsubscribe;
    },
  };
  return api;
}

const TOKEN_KEY = 'etude.studioToken';

/** ws://host/ws?token=... for this page; the token comes from ?token= on first load, then sessionStorage. */
export function studioSocketUrl(): string {
  const { location, sessionStorage, history } = browser;
  const params = new URLSearchParams(location.search);
  let token = params.get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    // Keep the token out of the address bar, history and screenshots.
    params.delete('token');
    const rest = params.toString();
    history.replaceState(history.state, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
  } else {
    token = sessionStorage.getItem(TOKEN_KEY);
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/** The part of the browser WebSocket API we use (the `ws` package's client offers it too, for tests). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // `never` parameters let both the DOM WebSocket and `ws` fit; our handlers annotate what they read.
  onopen: ((ev: never) => void) | null;
  onclose: ((ev: never) => void) | null;
  onerror: ((ev: never) => void) | null;
  onmessage: ((ev: never) => void) | null;
}

export interface WsBridgeOptions {
  url: string;
  createSocket: (url: string) => WebSocketLike;
  /** First reconnect delay; doubles up to maxReconnectDelayMs. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Stop trying after this many failed connects in a row (the server is gone or refuses us). */
  maxReconnectAttempts?: number;
  /** Called when the connection state changes (for a status indicator). */
  onStatus?: (status: 'connecting' | 'open' | 'closed') => void;
}

const OPEN = 1;

/**
 * A bridge over the studio WebSocket. Calls made while (re)connecting wait for the socket; calls
 * in flight when it drops fail with TRANSPORT_CLOSED rather than being sent twice (train:start and
 * library:importFiles are not idempotent). After a reconnect, `ready` is sent again.
 */
export function createWsBridge(options: WsBridgeOptions): EtudeBridge & { close(): void } {
  const baseDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 5000;
  const maxAttempts = options.maxReconnectAttempts ?? 20;
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const inFlight = new Map<number, (envelope: Envelope<unknown>) => void>();
  let waiting: Array<() => void> = [];
  let nextId = 1;
  let socket: WebSocketLike | undefined;
  let failures = 0;
  let closedByUs = false;
  let wantReady = false;
  let gaveUp = false;

  const closedEnvelope = (message: string): Envelope<never> => ({
    ok: false,
    error: { code: ERROR_CODES.TRANSPORT_CLOSED, message },
  });

  const connect = () => {
    options.onStatus?.('connecting');
    const ws = options.createSocket(options.url);
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      failures = 0;
      options.onStatus?.('open');
      if (wantReady) ws.send(encodeWire({ id: 0, channel: 'ready', payload: {} }));
      const queued = waiting;
      waiting = [];
      for (const send of queued) send();
    };
    ws.onmessage = (ev: { data: unknown }) => {
      let message: WsMessage;
      try {
        message = decodeWire(String(ev.data)) as WsMessage;
      } catch {
        return; // Not ours; the server only sends encodeWire text.
      }
      if ('id' in message) {
        const resolve = inFlight.get(message.id);
        inFlight.delete(message.id);
        resolve?.(message.envelope);
      } else if (isEventName(message.event)) {
        for (const listener of listeners.get(message.event) ?? []) {
          try {
            (listener as (p: unknown) => void)(message.payload);
          } catch (err) {
            console.error(`A ${message.event} listener failed`, err);
          }
        }
      }
    };
    ws.onerror = () => {
      // onclose follows; reconnecting happens there.
    };
    ws.onclose = (ev: { code: number; reason: string }) => {
      if (socket === ws) socket = undefined;
      for (const [id, resolve] of inFlight) {
        inFlight.delete(id);
        resolve(
          closedEnvelope(
            `The connection to the studio server closed before it answered (${ev.code}${ev.reason ? `: ${ev.reason}` : ''}). Check that \`npm run studio\` is still running, then retry.`,
          ),
        );
      }
      options.onStatus?.('closed');
      if (closedByUs) return;
      if (!opened) failures++;
      if (failures >= maxAttempts) {
        gaveUp = true;
        const queued = waiting;
        waiting = [];
        for (const send of queued) send();
        return;
      }
      const delay = Math.min(maxDelay, baseDelay * 2 ** Math.max(0, failures - 1));
      setTimeout(() => {
        if (!closedByUs) connect();
      }, delay);
    };
  };
  connect();

  return {
    call(channel, payload) {
      return new Promise((resolve) => {
        const send = () => {
          if (closedByUs || gaveUp || !socket || socket.readyState !== OPEN) {
            resolve(
              closedEnvelope(
                `Could not reach the studio server for ${channel}: the connection is closed. Restart \`npm run studio\` and open the URL it prints.`,
              ),
            );
            return;
          }
          const id = nextId++;
          inFlight.set(id, resolve as (e: Envelope<unknown>) => void);
          socket.send(encodeWire({ id, channel, payload }));
        };
        if (socket && socket.readyState === OPEN) send();
        else if (closedByUs || gaveUp) send();
        else waiting.push(send);
      });
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => {
        set.delete(listener as (payload: never) => void);
      };
    },
    ready() {
      wantReady = true;
      if (socket && socket.readyState === OPEN) socket.send(encodeWire({ id: 0, channel: 'ready', payload: {} }));
    },
    close() {
      closedByUs = true;
      socket?.close(1000, 'client closed');
    },
  };
}
