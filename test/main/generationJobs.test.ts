// SPDX-License-Identifier: MIT
// Generation as a job: the engine runs in a worker thread (same notes as on this thread), progress per variation,
// cancel within a second (checked per generated token), nothing stored for a cancelled run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../src/core/jobs/progress';
import { openLibrary } from '../../src/main/db/open';
import { runGenerationInWorker } from '../../src/main/jobs/generationWorkerRunner';
import { createAppServices } from '../../src/main/services/app';
import { generateFromLibrary } from '../../src/main/services/generation';
import type { GenerateRequest } from '../../src/main/services/generationRequest';
import { composeResultSchema, TAKES_PER_PAGE } from '../../src/shared/dto';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-genjobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const request: GenerateRequest = {
  model: 'default',
  seed: { pitches: [60, 64, 67] },
  temperature: 1,
  bars: 4,
  variations: 3,
  randomSeed: 42,
  engine: 'wasm',
};

describe('generation runs in a worker thread', () => {
  it('gives the same notes as on this thread, and says each variation as it starts', async () => {
    const library = openLibrary(path.join(dir, 'same.db'));
    try {
      const here = await generateFromLibrary(library, request);
      const progress: JobProgress[] = [];
      const there = await generateFromLibrary(library, request, {
        runner: runGenerationInWorker,
        onProgress: (p) => progress.push(p),
      });
      expect(there.variations.map((v) => v.tokens)).toEqual(here.variations.map((v) => v.tokens));
      expect(there.engine.name).toBe('wasm');
      const starts = progress.filter((p) => p.phase === 'generating').map((p) => p.current);
      expect(new Set(starts)).toEqual(new Set([0, 1, 2]));
      expect(progress.at(-1)).toMatchObject({ phase: 'generated', current: 3, total: 3 });
      // Both runs stored their variations.
      expect(library.generations.listGenerations({})).toHaveLength(6);
    } finally {
      library.close();
    }
  }, 60_000);

  it('cancels a long generation within a second and stores nothing', async () => {
    const library = openLibrary(path.join(dir, 'cancel.db'));
    try {
      const controller = new AbortController();
      let cancelledAt = 0;
      const run = generateFromLibrary(
        library,
        { ...request, bars: 256, variations: 64 },
        {
          runner: runGenerationInWorker,
          signal: controller.signal,
          onProgress: (p) => {
            // Cancel once sampling is under way (the engine is loaded, tokens are flowing).
            if (p.phase === 'generating' && p.detail?.includes('sixteenths') && !cancelledAt) {
              cancelledAt = performance.now();
              controller.abort();
            }
          },
        },
      );
      await expect(run).rejects.toMatchObject({ name: 'CancelledError' });
      const tookMs = performance.now() - cancelledAt;
      expect(cancelledAt).toBeGreaterThan(0);
      expect(tookMs).toBeLessThan(1000);
      expect(library.generations.listGenerations({})).toHaveLength(0);
    } finally {
      library.close();
    }
  }, 60_000);

  it('reports a worker-side failure with its own code, not a crash', async () => {
    const library = openLibrary(path.join(dir, 'fail.db'));
    try {
      await expect(
        generateFromLibrary(library, { ...request, seed: { tokens: [200] } }, { runner: runGenerationInWorker }),
      ).rejects.toMatchObject({ code: 'GENERATION_BAD_SEED', message: expect.stringMatching(/\[0, 129\]/) });
    } finally {
      library.close();
    }
  }, 60_000);
});

describe('compose:generate is a job of the app services', () => {
  it('a big batch carries notes for its first page only; generations:get gives the rest, as stored', async () => {
    const services = createAppServices({
      dataDir: path.join(dir, 'app-big'),
      resourcesDir: path.join(repoRoot, 'resources'),
    });
    try {
      const count = TAKES_PER_PAGE + 3;
      const jobId = await services.startGeneration({
        model: 'default',
        seedNotes: [60],
        temperature: 1,
        bars: 2,
        variations: count,
        randomSeed: 4,
      });
      const done = await services.jobs.wait(jobId);
      const result = composeResultSchema.parse(done.result);
      expect(result.variations).toHaveLength(count);
      const first = result.variations.slice(0, TAKES_PER_PAGE);
      const rest = result.variations.slice(TAKES_PER_PAGE);
      expect(first.every((v) => v.notes.length > 0 && !v.deferred)).toBe(true);
      expect(rest.every((v) => v.deferred === true && v.notes.length === 0 && v.tokens.length === 0)).toBe(true);
      const fetched = await services.getGenerations(rest.map((v) => v.generationId));
      expect(fetched.map((g) => g.id)).toEqual(rest.map((v) => v.generationId));
      expect(fetched.every((g) => g.notes.length > 0)).toBe(true);
      // The same take through both paths: a first-page take fetched again has the notes the result carried.
      const [again] = await services.getGenerations([first[0].generationId]);
      expect(again.notes).toEqual(first[0].notes);
      expect(() => services.getGenerations(['999999'])).toThrow(/999999/);
    } finally {
      await services.close();
    }
  }, 60_000);

  it('answers a job id at once; the job ends done with the variations, or cancelled when asked', async () => {
    const services = createAppServices({
      dataDir: path.join(dir, 'app'),
      resourcesDir: path.join(repoRoot, 'resources'),
    });
    try {
      const t0 = performance.now();
      const jobId = await services.startGeneration({
        model: 'default',
        seedNotes: [67],
        temperature: 0.9,
        bars: 4,
        variations: 2,
        randomSeed: 9,
      });
      // The answer does not wait for the engine.
      expect(performance.now() - t0).toBeLessThan(200);
      // The same request again while it runs (a double click) is the same job.
      expect(
        await services.startGeneration({
          model: 'default',
          seedNotes: [67],
          temperature: 0.9,
          bars: 4,
          variations: 2,
          randomSeed: 9,
        }),
      ).toBe(jobId);
      expect(services.jobs.get(jobId)).toMatchObject({ kind: 'generate', status: 'running' });
      const done = await services.jobs.wait(jobId);
      expect(done.status).toBe('done');
      const result = composeResultSchema.parse(done.result);
      expect(result.variations).toHaveLength(2);
      expect(result.variations.every((v) => v.notes.length > 0)).toBe(true);

      const long = await services.startGeneration({
        model: 'default',
        seedNotes: [60],
        temperature: 1,
        bars: 64,
        variations: 64,
        randomSeed: 1,
      });
      // Wait until it is sampling, then cancel.
      const deadline = Date.now() + 30_000;
      while (services.jobs.get(long)?.progress?.phase !== 'generating' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const clicked = performance.now();
      expect(await services.cancelJob(long)).toBe(true);
      const ended = await services.jobs.wait(long);
      expect(ended.status).toBe('cancelled');
      expect(performance.now() - clicked).toBeLessThan(1000);
      expect(services.library.generations.listGenerations({})).toHaveLength(2);
    } finally {
      await services.close();
    }
  }, 90_000);
});

describe('etude generate (CLI child process)', () => {
  it('shows progress per variation and stops within a second on Ctrl-C, storing nothing', async () => {
    const dataDir = path.join(dir, 'cli');
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/etude.mjs'),
        '--data-dir',
        dataDir,
        'generate',
        'default',
        '--bars',
        '256',
        '--variations',
        '64',
        '--out',
        path.join(dir, 'cli-out'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const sampling = new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/generating \d+\/64 .*sixteenths/.test(stderr)) resolve();
      }),
    );
    await Promise.race([sampling, exited]);
    const interruptedAt = performance.now();
    child.kill('SIGINT');
    const code = await exited;
    expect(performance.now() - interruptedAt).toBeLessThan(1000);
    expect(code).toBe(130);
    expect(stderr).toContain('Cancelled; nothing was stored.');
    const library = openLibrary(path.join(dataDir, 'library.db'));
    try {
      expect(library.generations.listGenerations({})).toHaveLength(0);
    } finally {
      library.close();
    }
  }, 60_000);
});
