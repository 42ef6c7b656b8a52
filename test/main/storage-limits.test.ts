// SPDX-License-Identifier: MIT
// A full disk and a read-only data folder, for real: a size-limited tmpfs (mount -t tmpfs -o size=...) holds the
// library. The user sees one sentence (the CLI's one line) and the library file is byte for byte what it was.
// Mounting needs root (CI runs as root); elsewhere the tests fail, saying why (never a silent skip).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibrary } from '../../src/main/db';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataRoot = path.resolve(repoRoot, '../shared/data');
const shim = path.join(repoRoot, 'bin/etude.mjs');

let work: string;
const mounted: string[] = [];

function run(cmd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Mounts a tmpfs of `size` at a new folder; undefined when this machine does not let us (not root, no tmpfs). */
function mountTmpfs(name: string, size: string): string | undefined {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  if (run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).code !== 0) return undefined;
  mounted.push(dir);
  return dir;
}

const etude = (dataDir: string, ...args: string[]) => run(process.execPath, [shim, '--data-dir', dataDir, ...args]);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

let canMount = false;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'etude-storage-'));
  const probe = mountTmpfs('probe', '1m');
  canMount = probe !== undefined;
});
afterAll(() => {
  for (const dir of mounted.reverse()) run('umount', [dir]);
  rmSync(work, { recursive: true, force: true });
});

const NO_MOUNT =
  'cannot mount a tmpfs here: run this suite as root (CI does), or with CAP_SYS_ADMIN, so that a size-limited and a read-only filesystem can be made';

describe('storage limits (tmpfs; needs root to mount)', () => {
  it('a full disk: one sentence, the library unchanged and intact', () => {
    if (!canMount) throw new Error(NO_MOUNT);
    const disk = mountTmpfs('full', '1m')!;
    const dataDir = path.join(disk, 'data');
    const first = etude(dataDir, 'import', path.join(dataRoot, 'seed-melodies'), '--corpus', 'Seeds');
    expect(first.code, first.stderr).toBe(0);
    const library = path.join(dataDir, 'library.db');
    const before = sha256(library);
    // ~1,000 folk tunes do not fit in what is left of 1 MB.
    const full = etude(dataDir, 'import', path.join(dataRoot, 'nottingham/MIDI/melody'), '--corpus', 'Folk');
    expect(full.code).toBe(1);
    const lines = full.stderr.split('\n').filter((l) => l.startsWith('etude:'));
    expect(lines).toEqual([
      `etude: import: The disk that holds the library (${dataDir}) is full, so this import could not be stored and the library is as it was; free some space and try again.`,
    ]);
    expect(sha256(library)).toBe(before);
    // The same library still lists what it had, and passes SQLite's integrity check (checked on a copy: the full
    // disk has no room for the check's own journal).
    const listed = etude(dataDir, 'corpora');
    expect(listed.stdout).toMatch(/Seeds\s+176/);
    expect(listed.stdout).not.toContain('Folk');
    const copy = path.join(work, 'full-copy.db');
    copyFileSync(library, copy);
    const lib = openLibrary(copy);
    try {
      expect(lib.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      lib.close();
    }
  }, 120_000);

  it('a read-only data folder: one sentence for reading and for writing, the library unchanged', () => {
    if (!canMount) throw new Error(NO_MOUNT);
    const disk = mountTmpfs('ro', '16m')!;
    const dataDir = path.join(disk, 'data');
    expect(etude(dataDir, 'import', path.join(dataRoot, 'seed-melodies'), '--corpus', 'Seeds').code).toBe(0);
    const library = path.join(dataDir, 'library.db');
    const before = sha256(library);
    expect(run('mount', ['-o', 'remount,ro', disk]).code).toBe(0);
    const sentence = `The data folder ${dataDir} is read-only, so Etude cannot use its library there (nothing was changed); make it writable, or choose another folder with --data-dir or ETUDE_DATA_DIR.`;
    for (const args of [
      ['import', path.join(dataRoot, 'seed-melodies/waltzing-matilda.mid'), '--corpus', 'More'],
      ['corpora'],
    ]) {
      const r = etude(dataDir, ...args);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('etude:'))).toEqual([`etude: ${args[0]}: ${sentence}`]);
    }
    expect(sha256(library)).toBe(before);
  }, 120_000);
});
