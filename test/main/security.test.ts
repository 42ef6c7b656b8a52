// SPDX-License-Identifier: MIT
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createAppServices, type AppServices } from '../../src/main/services/app';
import { StudioHostError, startStudio, type StudioHandle } from '../../src/studio/server';

let dataDir: string;
let rendererDir: string;
let services: AppServices;
let studio: StudioHandle;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-security-'));
  rendererDir = path.join(dataDir, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(
    path.join(rendererDir, 'index.html'),
    '<!doctype html><title>Etude</title><script type="module" src="/assets/app.js"></script>',
  );
  writeFileSync(path.join(rendererDir, 'assets/app.js'), 'console.log("etude")');
  writeFileSync(path.join(dataDir, 'secret.txt'), 'not for the browser');
  services = createAppServices({ dataDir, resourcesDir: path.join(dataDir, 'none') });
  studio = await startStudio({ dataDir, rendererDir, services });
});

afterAll(async () => {
  await studio.close();
  await services.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request, so the test controls Host/Cookie exactly (fetch forbids setting Host). */
function request(pathAndQuery: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: studio.port,
        path: pathAndQuery,
        method: 'GET',
        headers: { Host: `127.0.0.1:${studio.port}`, ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resolves 'open' or the HTTP status the upgrade was refused with. */
function tryWebSocket(
  url: string,
  origin: string | undefined,
  headers: Record<string, string> = {},
): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { ...(origin ? { origin } : {}), headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => resolve(-1));
  });
}

describe('studio HTTP', () => {
  it('refuses requests without the token or with a wrong one (403)', async () => {
    expect((await request('/')).status).toBe(403);
    expect((await request('/assets/app.js')).status).toBe(403);
    expect((await request('/?token=wrong')).status).toBe(403);
    expect((await request(`/?token=${studio.token.slice(0, -1)}`)).status).toBe(403);
    expect((await request('/', { Cookie: `etude_studio_${studio.port}=guess` })).status).toBe(403);
  });

  it('the token sets an HttpOnly SameSite=Strict cookie that then loads assets', async () => {
    const first = await request(`/?token=${studio.token}`);
    expect(first.status).toBe(200);
    expect(first.body).toContain('<title>Etude</title>');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0];
    const asset = await request('/assets/app.js', { Cookie: pair });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });

  it('sends a strict CSP, nosniff and no CORS headers', async () => {
    const answer = await request(`/?token=${studio.token}`, { Origin: 'https://evil.example' });
    expect(answer.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(answer.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a foreign Host header even with the token (DNS rebinding)', async () => {
    expect((await request(`/?token=${studio.token}`, { Host: `evil.example:${studio.port}` })).status).toBe(403);
  });

  it('never serves files outside the renderer folder', async () => {
    const answer = await request(`/..%2Fsecret.txt?token=${studio.token}`);
    expect([403, 404]).toContain(answer.status);
    expect(answer.body).not.toContain('not for the browser');
    const dotted = await request(`/../secret.txt?token=${studio.token}`);
    expect(dotted.body).not.toContain('not for the browser');
  });

  it('answers 405 to anything but GET/HEAD', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: studio.port,
          path: `/?token=${studio.token}`,
          method: 'POST',
          headers: { Host: `127.0.0.1:${studio.port}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('x');
    });
    expect(status).toBe(405);
  });
});

describe('studio WebSocket', () => {
  const wsUrl = (token?: string) =>
    `ws://127.0.0.1:${studio.port}/ws${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;

  it('opens with the token and our own Origin (both loopback spellings)', async () => {
    expect(await tryWebSocket(wsUrl(studio.token), studio.origin)).toBe('open');
    expect(await tryWebSocket(wsUrl(studio.token), `http://localhost:${studio.port}`)).toBe('open');
  });

  it('refuses a missing or wrong token', async () => {
    expect(await tryWebSocket(wsUrl(), studio.origin)).toBe(403);
    expect(await tryWebSocket(wsUrl('wrong'), studio.origin)).toBe(403);
  });

  it('refuses a foreign or missing Origin even with the right token', async () => {
    expect(await tryWebSocket(wsUrl(studio.token), 'https://evil.example')).toBe(403);
    expect(await tryWebSocket(wsUrl(studio.token), `http://127.0.0.1:${studio.port + 1}`)).toBe(403);
    expect(await tryWebSocket(wsUrl(studio.token), 'null')).toBe(403);
    expect(await tryWebSocket(wsUrl(studio.token), undefined)).toBe(403);
  });

  it("accepts the cookie instead of the query token, but not another port's cookie", async () => {
    expect(
      await tryWebSocket(wsUrl(), studio.origin, { Cookie: `etude_studio_${studio.port + 1}=${studio.token}` }),
    ).toBe(403);
    expect(await tryWebSocket(wsUrl(), studio.origin, { Cookie: `etude_studio_${studio.port}=${studio.token}` })).toBe(
      'open',
    );
  });
});

describe('studio bind address', () => {
  const lanAddress = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  it.each(['0.0.0.0', '::', '192.168.1.20', 'example.com', ...(lanAddress ? [lanAddress] : [])])(
    'refuses %s with a typed error',
    async (host) => {
      const attempt = startStudio({ dataDir, rendererDir, services, host });
      await expect(attempt).rejects.toBeInstanceOf(StudioHostError);
      await expect(attempt).rejects.toMatchObject({ code: 'STUDIO_HOST_NOT_LOOPBACK' });
    },
  );

  it('binds localhost to the loopback address', async () => {
    const local = await startStudio({ dataDir, rendererDir, services, host: 'localhost' });
    try {
      expect(local.origin).toBe(`http://127.0.0.1:${local.port}`);
    } finally {
      await local.close();
    }
  });
});
