// SPDX-License-Identifier: MIT
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStudioArgs } from '../../src/studio/main';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'etude-studio-cli-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('studio command line', () => {
  it('parses flags and rejects unknown ones with one line', () => {
    expect(parseStudioArgs(['--port', '8123', '--data-dir=/x', '--host', '::1'])).toEqual({
      help: false,
      port: 8123,
      dataDir: '/x',
      host: '::1',
    });
    expect(() => parseStudioArgs(['--port', 'abc'])).toThrow(/--port/);
    expect(() => parseStudioArgs(['--open-to-world'])).toThrow(/unknown option --open-to-world/);
  });

  it('bin/studio.mjs prints the URL with a token, serves the page, and stops cleanly on SIGINT', async () => {
    const rendererDir = path.join(tmp, 'renderer');
    mkdirSync(rendererDir, { recursive: true });
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Etude studio</title>');
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/studio.mjs'),
        '--port',
        '0',
        '--data-dir',
        path.join(tmp, 'data'),
        '--renderer-dir',
        rendererDir,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 30 s; stderr: ${stderr}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const match = /Open: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43})/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Etude studio');
    expect((await fetch(url.replace(/\?token=.*/, ''))).status).toBe(403);

    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stderr).toBe('');
  });

  it('refuses a non-loopback --host with one line and exit code 1', async () => {
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/studio.mjs'),
        '--host',
        '0.0.0.0',
        '--data-dir',
        path.join(tmp, 'data2'),
        '--renderer-dir',
        tmp,
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/refuses to listen on "0\.0\.0\.0"/);
  });
});
