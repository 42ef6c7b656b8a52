// SPDX-License-Identifier: MIT
/**
 * The loopback studio: the same renderer and the same handlers as the Electron app, served to a
 * browser on this machine only.
 *
 * Security model (a local web server is reachable by every web page the user visits, through the
 * browser, and by every local user):
 * - binds loopback only (127.0.0.1, ::1, localhost); any other host is refused with a typed error;
 * - a fresh random 32-byte token per run; the first page load `/?token=...` sets an HttpOnly,
 *   SameSite=Strict cookie so assets load; any HTTP request without the cookie or token gets 403;
 * - the Host header must name the loopback address and our port (blocks DNS rebinding);
 * - the WebSocket at /ws needs the token (query or cookie) AND an Origin equal to our own origin
 *   (a foreign page could otherwise open a socket: browsers do not apply CORS to WebSockets);
 * - no CORS headers at all; a strict CSP and nosniff on every answer.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_IMPORT_TOTAL_BYTES } from '../shared/dto';
import { ERROR_CODES, fail } from '../shared/errors';
import type { EventName, WsMessage } from '../shared/ipc';
import { decodeWire, encodeWire } from '../shared/wire';
import { createHandlers, dispatch, forwardJobEvents, type HandlerServices } from '../main/ipc/handlers';
import { createAppServices } from '../main/services/app';
import { createStudioDoor } from './exportsDoor';

/** Refused: the studio only ever listens on this machine's loopback interface. */
export class StudioHostError extends Error {
  override name = 'StudioHostError';
  readonly code = 'STUDIO_HOST_NOT_LOOPBACK';
  constructor(readonly host: string) {
    super(
      `The studio refuses to listen on "${host}": it serves your library without a password to anything that can reach it, ` +
        `so it only binds to this machine (127.0.0.1, ::1 or localhost). Drop --host, or use one of those.`,
    );
  }
}

export interface StudioOptions {
  /** The data folder (library.db, exports/, logs/). */
  dataDir: string;
  /** 0 or absent = a free port. */
  port?: number;
  /** 127.0.0.1 (default), ::1 or localhost. */
  host?: string;
  /** The built renderer (default <repo>/out/renderer). */
  rendererDir?: string;
  /** Bundled resources (default <repo>/resources). */
  resourcesDir?: string;
  /** Use these services instead of opening the library in dataDir (tests). The studio does not close them. */
  services?: HandlerServices;
  /** Parse responses and events against the contract (default: on unless NODE_ENV=production). */
  validateResponses?: boolean;
}

export interface StudioHandle {
  /** The URL to open, token included. */
  url: string;
  /** The URL without the token (for logs). */
  origin: string;
  token: string;
  port: number;
  /** Closes sockets and the server, then the services the studio opened. Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
/** Cookies ignore ports: name the cookie per port so two studios on one machine do not evict each other. */
const cookieName = (port: number) => `etude_studio_${port}`;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// base64 grows bytes by 4/3; leave room for names and JSON.
const MAX_WS_MESSAGE_BYTES = Math.ceil((MAX_IMPORT_TOTAL_BYTES * 4) / 3) + 8 * 1024 * 1024;
/** Events kept for a client that has not said "ready" yet; beyond this the oldest progress is dropped. */
const MAX_QUEUED_EVENTS = 500;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.mid': 'audio/midi',
};

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(
    host
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1'),
  );
}

/** Starts the studio; resolves once it listens. @throws StudioHostError for a non-loopback host. */
export async function startStudio(options: StudioOptions): Promise<StudioHandle> {
  const host = (options.host ?? '127.0.0.1')
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (!isLoopbackHost(host)) throw new StudioHostError(options.host ?? '');
  // 'localhost' may resolve to a non-loopback address in a broken hosts file; bind the address itself.
  const bindAddress = host === 'localhost' ? '127.0.0.1' : host;
  const rendererDir = path.resolve(options.rendererDir ?? path.join(repoRoot, 'out/renderer'));
  const token = randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token);

  const ownServices = options.services === undefined;
  const services =
    options.services ??
    createAppServices({
      dataDir: options.dataDir,
      resourcesDir: options.resourcesDir ?? path.join(repoRoot, 'resources'),
    });
  // Warm the engine probe now (about 1.5 s: loads the engine and its threads) so the page's first app:info is quick.
  if (ownServices) void Promise.resolve(services.appInfo()).catch(() => {});
  const handlerOptions = { validateResponses: options.validateResponses };
  const handlers = createHandlers(services, createStudioDoor(options.dataDir), handlerOptions);

  let port = 0;
  const urlHost = bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;
  const ownHosts = () => new Set([`${urlHost}:${port}`, `localhost:${port}`]);
  const ownOrigins = () => new Set([...ownHosts()].map((h) => `http://${h}`));

  const tokenMatches = (candidate: string | null | undefined) => {
    if (!candidate) return false;
    const bytes = Buffer.from(candidate);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };
  const cookieToken = (req: IncomingMessage) => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === cookieName(port)) return rest.join('=');
    }
    return undefined;
  };

  const securityHeaders = (): Record<string, string> => ({
    'Content-Security-Policy':
      `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; ` +
      `connect-src 'self' ws://${urlHost}:${port} ws://localhost:${port}; img-src 'self' data: blob:; media-src 'self' blob:; ` +
      `font-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });

  const refuse = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(message);
  };

  const server = http.createServer((req, res) => {
    void serveHttp(req, res).catch((err) => {
      console.error('[studio] request failed', err);
      if (!res.headersSent) refuse(res, 500, 'Internal error; see the studio terminal.');
      else res.destroy();
    });
  });

  async function serveHttp(req: IncomingMessage, res: ServerResponse) {
    if (!ownHosts().has(String(req.headers.host ?? '').toLowerCase())) {
      return refuse(res, 403, 'Forbidden: wrong Host header.');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed.');
    const url = new URL(req.url ?? '/', `http://${urlHost}:${port}`);
    const queryToken = url.searchParams.get('token');
    const viaQuery = tokenMatches(queryToken);
    if (!viaQuery && !tokenMatches(cookieToken(req))) {
      return refuse(res, 403, 'Forbidden: open the URL with the token that `npm run studio` printed.');
    }
    const headers: Record<string, string> = securityHeaders();
    if (viaQuery) headers['Set-Cookie'] = `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;

    let relative = decodeURIComponent(url.pathname);
    if (relative === '/' || relative === '') relative = '/index.html';
    const filePath = path.resolve(rendererDir, '.' + relative);
    if (filePath !== rendererDir && !filePath.startsWith(rendererDir + path.sep)) {
      return refuse(res, 403, 'Forbidden: outside the renderer folder.');
    }
    let info;
    try {
      info = await stat(filePath);
    } catch {
      info = undefined;
    }
    if (!info?.isFile()) {
      if (relative === '/index.html') {
        return refuse(
          res,
          503,
          `The renderer is not built (no ${path.join(rendererDir, 'index.html')}). Run \`npm run build\` (bin/studio.mjs does it for you).`,
        );
      }
      return refuse(res, 404, 'Not found.');
    }
    headers['Content-Type'] = CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
    headers['Content-Length'] = String(info.size);
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    createReadStream(filePath).pipe(res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
  const clients = new Map<WebSocket, { ready: boolean; queue: WsMessage[] }>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', `http://${urlHost}:${port}`);
    if (url.pathname !== '/ws') return reject(404, 'Not Found');
    if (!ownHosts().has(String(req.headers.host ?? '').toLowerCase())) return reject(403, 'Forbidden');
    if (!ownOrigins().has(String(req.headers.origin ?? ''))) return reject(403, 'Forbidden');
    if (!tokenMatches(url.searchParams.get('token')) && !tokenMatches(cookieToken(req)))
      return reject(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (ws: WebSocket, message: WsMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeWire(message));
  };

  wss.on('connection', (ws: WebSocket) => {
    const state = { ready: false, queue: [] as WsMessage[] };
    clients.set(ws, state);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let request: { id?: unknown; channel?: unknown; payload?: unknown };
        try {
          if (isBinary) throw new Error('binary frames are not part of the protocol');
          request = decodeWire(data.toString()) as typeof request;
          if (!request || typeof request !== 'object') throw new Error('not an object');
        } catch (err) {
          send(ws, {
            id: -1,
            envelope: fail(ERROR_CODES.INVALID_PAYLOAD, `Unreadable message: ${(err as Error).message}`),
          });
          return;
        }
        if (request.channel === 'ready') {
          state.ready = true;
          for (const queued of state.queue.splice(0)) send(ws, queued);
          return;
        }
        const id = typeof request.id === 'number' ? request.id : -1;
        const envelope = await dispatch(handlers, request.channel, request.payload);
        send(ws, { id, envelope });
      })();
    });
  });

  const stopForwarding = forwardJobEvents(
    services,
    (event: EventName, payload: unknown) => {
      const message: WsMessage = { event, payload };
      for (const [ws, state] of clients) {
        if (state.ready) send(ws, message);
        else {
          state.queue.push(message);
          if (state.queue.length > MAX_QUEUED_EVENTS) {
            const dropAt = state.queue.findIndex((m) => 'event' in m && m.event === 'job:progress');
            state.queue.splice(dropAt >= 0 ? dropAt : 0, 1);
          }
        }
      }
    },
    handlerOptions,
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${urlHost}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopForwarding();
      for (const ws of clients.keys()) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownServices) await (services as HandlerServices & { close(): Promise<void> }).close();
    })());

  return { url: `${origin}/?token=${token}`, origin, token, port, close };
}
