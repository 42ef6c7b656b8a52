// SPDX-License-Identifier: MIT
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGlobalArgs } from '../../src/cli/etude';
import { createProgressBar, describeProgress } from '../../src/cli/progressBar';
import { UsageError } from '../../src/cli/types';
import { DataDirError, ensureDataDir, libraryPath, resolveDataDir } from '../../src/main/services/paths';

describe('resolveDataDir', () => {
  const home = '/home/ada';
  it('follows each OS convention', () => {
    expect(
      resolveDataDir({
        env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' },
        platform: 'win32',
        homeDir: 'C:\\Users\\ada',
      }),
    ).toBe('C:\\Users\\ada\\AppData\\Roaming\\Etude');
    expect(resolveDataDir({ env: {}, platform: 'darwin', homeDir: '/Users/ada' })).toBe(
      '/Users/ada/Library/Application Support/Etude',
    );
    expect(resolveDataDir({ env: {}, platform: 'linux', homeDir: home })).toBe('/home/ada/.local/share/etude');
    expect(resolveDataDir({ env: { XDG_DATA_HOME: '/data/xdg' }, platform: 'linux', homeDir: home })).toBe(
      '/data/xdg/etude',
    );
    // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    expect(resolveDataDir({ env: { XDG_DATA_HOME: 'relative' }, platform: 'linux', homeDir: home })).toBe(
      '/home/ada/.local/share/etude',
    );
  });

  it('flag beats ETUDE_DATA_DIR beats the OS default; relative overrides resolve against cwd', () => {
    expect(resolveDataDir({ env: { ETUDE_DATA_DIR: '/env/dir' }, platform: 'linux', homeDir: home })).toBe('/env/dir');
    expect(
      resolveDataDir({ flag: '/flag/dir', env: { ETUDE_DATA_DIR: '/env/dir' }, platform: 'linux', homeDir: home }),
    ).toBe('/flag/dir');
    expect(resolveDataDir({ flag: 'rel', env: {}, platform: 'linux', homeDir: home })).toBe(path.resolve('rel'));
    expect(libraryPath('/x')).toBe(path.join('/x', 'library.db'));
  });

  it('creates the folder on first run and refuses a file in its place', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'etude-paths-'));
    try {
      const nested = path.join(dir, 'a', 'b');
      expect(ensureDataDir(nested)).toBe(nested);
      expect(statSync(nested).isDirectory()).toBe(true);
      const file = path.join(dir, 'file');
      writeFileSync(file, 'x');
      expect(() => ensureDataDir(file)).toThrow(DataDirError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseGlobalArgs', () => {
  it('takes --data-dir anywhere and leaves command flags to the command', () => {
    expect(parseGlobalArgs(['--data-dir', '/d', 'import', 'x', '--corpus', 'c'])).toMatchObject({
      dataDir: '/d',
      commandName: 'import',
      commandArgs: ['x', '--corpus', 'c'],
    });
    expect(parseGlobalArgs(['stats', 'Folk', '--data-dir=/e'])).toMatchObject({
      dataDir: '/e',
      commandName: 'stats',
      commandArgs: ['Folk'],
    });
    expect(parseGlobalArgs(['--version']).version).toBe(true);
    expect(parseGlobalArgs(['import', '--help']).commandArgs).toEqual(['--help']);
    expect(() => parseGlobalArgs(['--data-dir'])).toThrow(UsageError);
    expect(() => parseGlobalArgs(['--frob', 'import'])).toThrow(/unknown flag "--frob"/);
  });
});

describe('progress bar', () => {
  function fakeStream(isTTY: boolean) {
    const writes: string[] = [];
    return {
      writes,
      stream: { columns: 60, isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream,
    };
  }

  it('describes training progress with every metric it has', () => {
    expect(
      describeProgress({
        phase: 'epoch',
        current: 5,
        total: 10,
        epoch: 2,
        epochs: 3,
        loss: 1.23456,
        etaMs: 65_000,
        engine: 'wasm',
      }),
    ).toBe('epoch epoch 2/3 5/10 (50%) loss 1.2346 ETA 1m05s [wasm]');
  });

  it('terminal: redraws one line in place, throttled, clipped to the width, cleared at the end', () => {
    const { writes, stream } = fakeStream(true);
    let t = 0;
    const bar = createProgressBar({ stream, interactive: true, now: () => t });
    bar.update({
      phase: 'importing',
      current: 0,
      total: 100,
      detail: 'a-very-long-file-name-that-will-not-fit-in-sixty-columns.mid',
    });
    t = 10;
    bar.update({ phase: 'importing', current: 1, total: 100 }); // throttled
    t = 100;
    bar.update({ phase: 'importing', current: 50, total: 100 });
    bar.done();
    expect(writes).toHaveLength(3);
    for (const w of writes) expect(w.startsWith('\r')).toBe(true);
    expect(writes[0].length).toBeLessThanOrEqual(60);
    expect(writes[1]).toContain('[############------------] importing 50/100 (50%)');
    expect(writes[2].trim()).toBe('');
  });

  it('pipes: plain lines at most once a second, and on phase changes', () => {
    const { writes, stream } = fakeStream(false);
    let t = 0;
    const bar = createProgressBar({ stream, interactive: false, now: () => t });
    bar.update({ phase: 'scanning', current: 0, total: 0 });
    bar.update({ phase: 'importing', current: 1, total: 10 });
    t = 500;
    bar.update({ phase: 'importing', current: 2, total: 10 });
    t = 1200;
    bar.update({ phase: 'importing', current: 9, total: 10 });
    bar.done();
    expect(writes).toEqual(['scanning\n', 'importing 1/10 (10%)\n', 'importing 9/10 (90%)\n']);
  });
});
