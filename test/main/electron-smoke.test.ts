// SPDX-License-Identifier: MIT
// The only test that starts the real desktop app. It needs the Electron binary, which cannot be
// downloaded on our CI machines: there it is skipped, and its name says so. Everything it touches
// besides Electron itself (handlers, services, contract) is tested in plain Node elsewhere.
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
const title = executablePath
  ? 'Electron smoke: the app starts, window.etude answers app:info'
  : 'Electron smoke (SKIPPED: the Electron binary is not installed here; run `node node_modules/electron/install.js` once online)';

describe.skipIf(!executablePath)(title, () => {
  it('opens one sandboxed window whose preload bridge reaches main', async () => {
    if (!existsSync(path.join(repoRoot, 'out/main/index.js'))) {
      const built = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: repoRoot });
      expect(built.status).toBe(0);
    }
    const { _electron } = await import('playwright-core');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-electron-'));
    const app = await _electron.launch({ executablePath, args: [repoRoot], env: { ...process.env, ETUDE_DATA_DIR: dataDir } as Record<string, string> });
    try {
      const page = await app.firstWindow();
      const info = await page.evaluate(() => (window as unknown as { etude: { call(c: string, p: unknown): Promise<unknown> } }).etude.call('app:info', {}));
      expect(info).toMatchObject({ ok: true, value: { door: 'electron', dataDir } });
      // No Node in the page.
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
