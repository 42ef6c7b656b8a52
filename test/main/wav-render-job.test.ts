// SPDX-License-Identifier: MIT
/**
 * Save WAV as a job (file:saveWav through the studio door): the render runs in a worker thread, reports the seconds of
 * audio rendered as they grow, stops within a second of job:cancel leaving no file (not even a partial one), and never
 * holds the thread that serves calls: the worst event-loop delay during a minute-of-audio render stays under 100 ms.
 * And `etude render` on a long take: progress lines on stderr, Ctrl-C stops it with nothing written.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMidi } from '../../src/core/midi/writeMidi';
import type { Note, NoteSequence } from '../../src/core/music/NoteSequence';
import type { JobEvent } from '../../src/main/jobs/JobManager';
import { createHandlers, dispatch, type Handlers } from '../../src/main/ipc/handlers';
import { createAppServices, type AppServices } from '../../src/main/services/app';
import { createStudioDoor } from '../../src/studio/exportsDoor';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PPQ = 480;

/** `bars` bars of 4/4 at `bpm`: two voices, a crotchet a beat, so the synthesiser has real work. */
function take(bars: number, bpm: number): NoteSequence {
  const notes: Note[] = Array.from({ length: bars * 4 }, (_, i) => [
    { pitch: 60 + ((i * 5) % 12), startTick: i * PPQ, durationTicks: PPQ - 20, velocity: 90 },
    { pitch: 48 + ((i * 7) % 12), startTick: i * PPQ, durationTicks: PPQ - 20, velocity: 70 },
  ]).flat();
  return {
    ppq: PPQ,
    name: 'long take',
    tempos: [{ tick: 0, bpm }],
    timeSignatures: [{ tick: 0, numerator: 4, denominator: 4 }],
    keySignatures: [],
    tracks: [{ name: 'Melody', program: 0, channel: 0, isPercussion: false, notes }],
  };
}

let dataDir: string;
let app: AppServices;
let handlers: Handlers;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-wav-job-'));
  app = createAppServices({ dataDir, resourcesDir: path.join(repoRoot, 'resources') });
  handlers = createHandlers(app, createStudioDoor(dataDir), { validateResponses: true, logError: () => {} });
});
afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const exportsDir = () => path.join(dataDir, 'exports');
const exported = () => {
  try {
    return readdirSync(exportsDir());
  } catch {
    return [];
  }
};

async function startRender(bars: number, bpm: number, suggestedName: string): Promise<string> {
  const answer = await dispatch(handlers, 'file:saveWav', {
    midi: writeMidi(take(bars, bpm)),
    suggestedName,
    endTick: bars * 4 * PPQ,
    loop: false,
  });
  expect(answer.ok, JSON.stringify(answer)).toBe(true);
  const { jobId } = (answer as { value: { jobId: string | null } }).value;
  expect(jobId).toEqual(expect.any(String));
  return jobId!;
}

describe('Save WAV as a render job', () => {
  it('reports growing seconds of audio, and a cancel mid-way ends it as cancelled within a second with no file', async () => {
    // 64 bars of 4/4 at 40 bpm: 384 s of audio, several seconds of rendering.
    const seen: { current: number; total: number }[] = [];
    let finishedAt = 0;
    let status: string | undefined;
    let jobId = '';
    const off = app.jobs.subscribe((e: JobEvent) => {
      if (e.jobId !== jobId) return;
      if (e.type === 'progress') seen.push({ current: e.progress.current, total: e.progress.total });
      else {
        finishedAt = performance.now();
        status = e.status;
      }
    });
    try {
      jobId = await startRender(64, 40, 'long take');
      expect(app.jobs.get(jobId)?.kind).toBe('render');
      await expect.poll(() => seen.at(-1)?.current ?? 0, { timeout: 30_000, interval: 20 }).toBeGreaterThan(20);
      const cancelledAt = performance.now();
      const answer = await dispatch(handlers, 'job:cancel', { jobId });
      expect(answer).toEqual({ ok: true, value: { cancelled: true } });
      const done = await app.jobs.wait(jobId);
      const stopMs = finishedAt - cancelledAt;
      console.log(
        `render job: ${seen.length} progress events, last ${seen.at(-1)!.current}/${seen.at(-1)!.total} s; cancelled in ${stopMs.toFixed(0)} ms`,
      );
      expect(done.status).toBe('cancelled');
      expect(status).toBe('cancelled');
      expect(stopMs).toBeLessThan(1000);
      expect(seen.length).toBeGreaterThan(2);
      expect(seen.every((p) => p.total === 384 + 2)).toBe(true);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.current).toBeGreaterThan(seen[i - 1]!.current);
      expect(seen.at(-1)!.current).toBeLessThan(384);
      // Nothing written, not even a partial file; and nothing arrives later.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(exported()).toEqual([]);
    } finally {
      off();
    }
  });

  it('keeps the thread that serves calls free: the worst event-loop delay during a minute of audio stays under 100 ms', async () => {
    // 15 bars of 4/4 at 60 bpm: 60 s, plus the 2 s release tail.
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const started = performance.now();
    const jobId = await startRender(15, 60, 'minute');
    const done = await app.jobs.wait(jobId);
    const renderMs = performance.now() - started;
    histogram.disable();
    const worstMs = histogram.max / 1e6;
    console.log(
      `62 s of audio rendered in ${renderMs.toFixed(0)} ms; event-loop delay: worst ${worstMs.toFixed(1)} ms, p99 ${(histogram.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    expect(done.status, JSON.stringify(done.error)).toBe('done');
    expect(path.basename((done.result as { path: string }).path)).toBe('minute.wav');
    expect(exported()).toEqual(['minute.wav']);
    expect(worstMs).toBeLessThan(100);
  });
});

describe('etude render of a long take', () => {
  it('prints its progress on stderr, and Ctrl-C stops it, writing no file', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'etude-render-cancel-'));
    try {
      // 64 bars at 40 bpm: 386 s of audio, many seconds of rendering.
      writeFileSync(path.join(work, 'long.mid'), writeMidi(take(64, 40)));
      const child = spawn(process.execPath, [path.join(repoRoot, 'bin/etude.mjs'), 'render', 'long.mid', 'long.wav'], {
        cwd: work,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ETUDE_DEBUG: '' },
      });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Plain lines (stderr is not a terminal): "rendering 40.1/386 (10%) 40.1 s of 386.0 s of audio".
      await expect.poll(() => stderr, { timeout: 60_000, interval: 50 }).toMatch(/rendering [\d.]+\/386 \(\d+%\)/);
      const interruptedAt = performance.now();
      child.kill('SIGINT');
      const code = await exited;
      const stopMs = performance.now() - interruptedAt;
      console.log(`etude render: stderr\n${stderr.trim()}\nexit ${code} ${stopMs.toFixed(0)} ms after SIGINT`);
      expect(code).toBe(130);
      expect(stderr).toMatch(/Cancelled; .*long\.wav was not written\./);
      expect(stdout).not.toMatch(/wrote/);
      expect(stopMs).toBeLessThan(3000);
      expect(existsSync(path.join(work, 'long.wav'))).toBe(false);
      expect(readdirSync(work)).toEqual(['long.mid']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
