// SPDX-License-Identifier: MIT
/**
 * "Which model is training" lives in the library, not in one process: `etude train` runs in a child process (the
 * bin/etude.mjs shim and its Node child, in their own process group) while this process opens the same library
 * through the studio's services and handlers. The studio lists the model as training and refuses to delete it; a
 * second `etude` process refuses `models delete` with the same sentence; once the trainer has ended, delete works.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openLibrary } from '../../src/main/db';
import { createHandlers } from '../../src/main/ipc/handlers';
import { createAppServices } from '../../src/main/services/app';
import { createStudioDoor } from '../../src/studio/exportsDoor';
import { seedMelodies, tokenMelodyPiece } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const etude = path.join(repoRoot, 'bin/etude.mjs');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-two-processes-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs `etude ARGS` to its end; answers exit code and output. */
function runEtude(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [etude, '--data-dir', dataDir, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`etude ${args.join(' ')} did not end within 60 s; stderr: ${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Signals the trainer's whole process group (the shim and the Node child it spawned). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

describe('a training started by `etude train` in another process', () => {
  it('shows as training in the studio, which refuses to delete it, and so does the CLI, with the same message', async () => {
    // One long piece: no validation split (so no early stop) and epochs long enough to outlast the checks.
    const seedLibrary = openLibrary(path.join(dataDir, 'library.db'));
    const corpus = seedLibrary.corpora.createCorpus('Folk');
    seedLibrary.pieces.insertPieces(corpus.id, [tokenMelodyPiece('all', 'h-all', seedMelodies.flat().slice(0, 8000))]);
    seedLibrary.close();

    const trainer = spawn(
      process.execPath,
      [
        etude,
        '--data-dir',
        dataDir,
        'train',
        'Folk',
        '--model',
        'Reels',
        '--epochs',
        '1000',
        '--hidden',
        '16',
        '--embedding',
        '8',
        '--layers',
        '1',
        '--window',
        '8',
        '--batch',
        '16',
        '--engine',
        'wasm',
        '--threads',
        '1',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let trainerErr = '';
    trainer.stderr!.on('data', (d: Buffer) => (trainerErr += d.toString()));
    trainer.stdout!.resume();
    const trainerExit = new Promise<number | null>((resolve) => trainer.on('exit', (code) => resolve(code)));

    const studio = createAppServices({
      dataDir,
      resourcesDir: path.join(dataDir, 'no-resources'),
      probeEngine: async () => ({ name: 'wasm', threads: 1, description: 'stub' }),
    });
    const handlers = createHandlers(studio, createStudioDoor(dataDir), { validateResponses: true });
    try {
      // The studio sees the other process' run as soon as it holds the lease.
      const reels = await vi.waitFor(
        async () => {
          if (trainer.exitCode !== null) throw new Error(`the trainer ended early: ${trainerErr}`);
          const list = await handlers['models:list']({});
          if (!list.ok) throw new Error(list.error.message);
          const model = list.value.find((m) => m.name === 'Reels');
          expect(model?.status).toBe('training');
          return model!;
        },
        { timeout: 60_000, interval: 200 },
      );

      const refused = await handlers['models:delete']({ modelId: reels.id });
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.error.code).toBe('BUSY');
      expect(refused.error.message).toMatch(
        /^The model "Reels" is still training \(etude train, process \d+ on .+\); cancel that training first, then delete it\.$/,
      );

      const cli = await runEtude(['models', 'delete', 'Reels']);
      expect(cli.code).toBe(1);
      expect(cli.stderr.trim()).toBe(`etude: models: ${refused.error.message}`);
      const listed = await runEtude(['models']);
      expect(listed.stdout).toMatch(/^Reels {2}training {2}/m);

      // Ctrl-C for the trainer: it stops within a step, keeps its last epoch and clears its lease.
      killGroup(trainer, 'SIGINT');
      expect(await trainerExit).toBe(130);
      const after = await handlers['models:list']({});
      expect(after.ok && after.value.find((m) => m.name === 'Reels')?.status).toBe('cancelled');

      const deleted = await runEtude(['models', 'delete', 'Reels']);
      expect(deleted.stderr).toBe('');
      expect(deleted.code).toBe(0);
      expect(deleted.stdout).toContain('deleted "Reels"');
      const gone = await handlers['models:list']({});
      expect(gone.ok && gone.value.map((m) => m.name)).toEqual([]);
    } finally {
      killGroup(trainer, 'SIGKILL');
      await studio.close();
    }
  }, 180_000);
});
