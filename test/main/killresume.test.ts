// SPDX-License-Identifier: MIT
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openLibrary } from '../../src/main/db/open';
import { trainModel } from '../../src/main/services/training';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import { seedMelodyPieces } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kill -9 during training (child process, tiny spec E8/H16/window 8 on 30 seed melodies)', () => {
  it('leaves the last complete checkpoint, which loads and resumes', async () => {
    const dbPath = path.join(dir, 'library.db');
    const setup = openLibrary(dbPath);
    const corpus = setup.corpora.createCorpus('seeds');
    setup.pieces.insertPieces(corpus.id, seedMelodyPieces(30, 400));
    setup.close();

    // The child trains for "ever" (500 epochs) in its training worker and prints each epoch's end.
    const script = `
      const { openLibrary } = await import(${JSON.stringify(path.join(repoRoot, 'src/main/db/open.ts'))});
      const { trainModel } = await import(${JSON.stringify(path.join(repoRoot, 'src/main/services/training.ts'))});
      const library = openLibrary(${JSON.stringify(dbPath)});
      await trainModel(library, { corpusName: 'seeds', modelName: 'k', spec: { embeddingDim: 8, hiddenSize: 16, window: 8 },
        training: { epochs: 500, earlyStoppingPatience: 0 }, engine: 'wasm', threads: 1 },
        { onProgress: (p) => { if (p.phase === 'epoch done') console.log('EPOCH ' + p.epoch); } });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const epochsSeen = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const epochs = [...out.matchAll(/EPOCH (\d+)/g)].map((m) => Number(m[1]));
        // Kill a little after the 2nd epoch ended: mid-way through the 3rd, possibly mid-write of nothing.
        if (epochs.includes(2)) setTimeout(() => resolve(Math.max(...epochs)), 150);
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    const exited = new Promise((r) => child.on('exit', (_code, signal) => r(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const library = openLibrary(dbPath);
    const model = library.models.getModelByName('k')!;
    expect(model.status).toBe('training'); // nobody had the chance to mark it otherwise
    const latest = library.checkpoints.latestCheckpoint(model.id)!;
    const checkpoint = decodeCheckpoint(latest.data);
    expect(checkpoint.epoch).toBeGreaterThanOrEqual(2);
    expect(checkpoint.epoch).toBeLessThanOrEqual(epochsSeen + 1);
    expect(checkpoint.optimizer).toBeDefined();

    const resumed = await trainModel(library, {
      corpusName: 'seeds',
      modelName: 'k',
      training: { epochs: checkpoint.epoch + 1 },
      engine: 'wasm',
      threads: 1,
      resume: true,
    });
    expect(resumed.epochs).toBe(checkpoint.epoch + 1);
    expect(library.models.getModelByName('k')!.status).toBe('ready');
    expect(decodeCheckpoint(library.checkpoints.latestCheckpoint(model.id)!.data).metrics.lossHistory).toHaveLength(
      checkpoint.epoch + 1,
    );
    library.close();
  });
});
