// SPDX-License-Identifier: MIT
// `etude` is a shim (bin/etude.mjs) that runs the CLI in a child Node. SIGKILL of the shim must not leave that child
// training on: it notices the shim is gone, cancels like on Ctrl-C and exits within a second (bin/exit-with-parent.mjs).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const etude = path.join(repoRoot, 'bin', 'etude.mjs');
const seed = path.resolve(repoRoot, '../shared/data/seed-melodies/waltzing-matilda.mid');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-shim-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * Whether a process is still running. A process that has exited but whose exit status nobody collected yet (a zombie,
 * state Z in /proc/PID/stat) is not: once the shim is dead the orphan is handed to PID 1, which in some containers
 * collects exit statuses only every second or so.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Direct children of a pid, from /proc (Linux: where CI runs). */
function childrenOf(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim();
  return out ? out.split(/\s+/).map(Number) : [];
}

describe('etude shim', () => {
  it('SIGKILL of `etude train` leaves no Etude process after 2 s', async () => {
    execFileSync(process.execPath, [etude, '--data-dir', dataDir, 'import', seed, '--corpus', 'c'], { stdio: 'pipe' });
    const shim = spawn(
      process.execPath,
      [
        etude,
        '--data-dir',
        dataDir,
        'train',
        'c',
        '--model',
        'm',
        '--epochs',
        '1000',
        '--hidden',
        '96',
        '--embedding',
        '32',
        '--layers',
        '1',
        '--window',
        '8',
        '--batch',
        '4',
        '--engine',
        'wasm',
        '--threads',
        '1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const trainingStarted = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/epoch done/.test(output)) resolve();
      };
      shim.stdout.on('data', onData);
      shim.stderr.on('data', onData);
      shim.on('exit', (code) => reject(new Error(`etude train ended early (code ${code}):\n${output}`)));
    });
    const children: number[] = [];
    try {
      await trainingStarted;
      children.push(...childrenOf(shim.pid!));
      expect(children.length).toBe(1);
      expect(alive(children[0])).toBe(true);
      // The trainer is still at work (no error so far), so only the kill can end it.
      expect(output).not.toMatch(/etude: train:/);
      shim.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 2000));
      expect(alive(shim.pid!)).toBe(false);
      expect(alive(children[0])).toBe(false);
    } finally {
      shim.kill('SIGKILL');
      for (const pid of children) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    // The trainer stopped at a step boundary, so its last checkpoint is usable: `etude generate` reads it.
    const generated = execFileSync(
      process.execPath,
      [
        etude,
        '--data-dir',
        dataDir,
        'generate',
        'm',
        '--seed-notes',
        '60',
        '--bars',
        '2',
        '--out',
        path.join(dataDir, 'takes'),
      ],
      { encoding: 'utf8' },
    );
    expect(generated).toMatch(/\.mid/);
  }, 60_000);
});
