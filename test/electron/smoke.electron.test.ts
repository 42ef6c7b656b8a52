// SPDX-License-Identifier: MIT
// The only test that starts the real desktop app: `npm run test:electron` (under Xvfb where there is no display).
// It needs the Electron binary, which cannot be downloaded on our CI machines, so it is not part of `npm test`;
// where the binary is missing it fails and says how to get it. Everything it touches besides Electron itself
// (handlers, services, contract, window options) is tested in plain Node by `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const electronDir = path.join(repoRoot, 'node_modules/electron');

function electronBinary(): string | undefined {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const exe = path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : undefined;
}

const executablePath = electronBinary();
describe('Electron smoke: the app starts, window.etude answers app:info', () => {
  it('opens one sandboxed window whose preload bridge reaches main', async () => {
    if (!executablePath) {
      throw new Error(
        'The Electron binary is not installed: run `node node_modules/electron/install.js` once online (or `npm start`), then `npm run rebuild:electron`.',
      );
    }
    if (!existsSync(path.join(repoRoot, 'out/main/index.js'))) {
      const built = spawnSync(
        process.execPath,
        [path.join(repoRoot, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
        { cwd: repoRoot },
      );
      expect(built.status).toBe(0);
    }
    const { _electron } = await import('playwright-core');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-electron-'));
    const app = await _electron.launch({
      executablePath,
      args: [repoRoot],
      env: { ...process.env, ETUDE_DATA_DIR: dataDir } as Record<string, string>,
    });
    try {
      const page = await app.firstWindow();
      const info = await page.evaluate(() =>
        (window as unknown as { etude: { call(c: string, p: unknown): Promise<unknown> } }).etude.call('app:info', {}),
      );
      expect(info).toMatchObject({ ok: true, value: { door: 'electron', dataDir } });
      // No Node in the page.
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
