// SPDX-License-Identifier: MIT
/**
 * Issue 4: training never runs on the thread that serves the UI or IPC. A real (tiny) training job is started the way
 * every door starts it (the shared handlers over createAppServices with the worker-backed trainer), and the test proves:
 * - a worker_threads Worker running the training entry was created, its threadId is not the calling thread's, and the
 *   job's progress events arrive as that worker's messages;
 * - the training time was spent in that worker (its event-loop utilisation), not on the calling thread;
 * - the worker stored each epoch's checkpoint itself and posted only its id (no 13 MB blob crosses to this thread);
 * - the calling thread's event loop stayed responsive throughout: it never ran 200 ms without a break, and
 *   monitorEventLoopDelay's p99 stayed under 200 ms (bounds a loaded 2-core machine keeps; the tight 50 ms target is
 *   measured by `npm run bench:ui`);
 * and, as a control, that the same utilisation measure does flag a run made on this thread (inProcess).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import * as workerThreads from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHandlers, type ContractJobEvent } from '../../src/main/ipc/handlers';
import { createAppServices, type AppServices } from '../../src/main/services/app';
import { trainFromRequest, trainModel } from '../../src/main/services/training';
import { createStudioDoor } from '../../src/studio/exportsDoor';

/** Every Worker the code under test constructs in this (the calling) thread, with what it was started from. */
const createdWorkers = vi.hoisted(
  () => [] as { worker: import('node:worker_threads').Worker; entry: string; threadId: number }[],
);

vi.mock('node:worker_threads', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:worker_threads')>();
  // Records construction only; the worker itself is Node's, unchanged.
  class RecordingWorker extends original.Worker {
    constructor(filename: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      super(filename, options);
      // threadId is read now: an exited Worker reports -1.
      createdWorkers.push({ worker: this, entry: String(filename), threadId: this.threadId });
    }
  }
  return { ...original, Worker: RecordingWorker, default: { ...original, Worker: RecordingWorker } };
});

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seedMelodiesFile = path.resolve(repoRoot, '../shared/data/seed-melodies/melodies.json');

/** Event-loop delay bound for a test on a shared, loaded 2-core machine (the bench checks the 50 ms target). */
const MAX_EVENT_LOOP_DELAY_MS = 200;
/** monitorEventLoopDelay's sampling interval; its samples include this interval, so lateness = sample - resolution. */
const LOOP_DELAY_RESOLUTION_MS = 10;

/**
 * Watches this thread's event loop: monitorEventLoopDelay (lateness of a 10 ms timer), and beside it, per tick of an
 * own 10 ms timer, how long this thread was running (event-loop utilisation's active time). Lateness alone also
 * grows when other processes keep the cores busy (a shared 2-core machine); busy time grows only with work done on
 * this thread, such as a training step run here.
 */
function watchEventLoop() {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  histogram.enable();
  let maxBusyMs = 0;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    maxBusyMs = Math.max(maxBusyMs, now.active - last.active);
    last = now;
  }, LOOP_DELAY_RESOLUTION_MS);
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
      // Catch a block that ended just now (the interval has not run since).
      maxBusyMs = Math.max(maxBusyMs, performance.eventLoopUtilization().active - last.active);
      return {
        maxLatenessMs: histogram.max / 1e6 - LOOP_DELAY_RESOLUTION_MS,
        p99LatenessMs: histogram.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS,
        samples: histogram.count,
        maxBusyMs,
      };
    },
  };
}

const dirs: string[] = [];
const openServices: AppServices[] = [];
afterEach(async () => {
  for (const s of openServices.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  createdWorkers.length = 0;
});

/** The composition root the Electron app and the studio build, with the worker-backed trainer. */
function servicesOnTempDir() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-train-worker-'));
  dirs.push(dataDir);
  const services = createAppServices({
    dataDir,
    resourcesDir: path.join(dataDir, 'no-resources'),
    trainer: trainFromRequest,
  });
  openServices.push(services);
  const handlers = createHandlers(services, createStudioDoor(dataDir), { validateResponses: true });
  return { services, handlers };
}

/** The first `count` seed melodies, each cut to `maxTokens` sixteenths, as an uploaded melody-rnn-130 JSON file. */
function seedMelodiesUpload(count: number, maxTokens: number) {
  const json = JSON.parse(readFileSync(seedMelodiesFile, 'utf8')) as { format: string; melodies: number[][] };
  const small = { format: json.format, melodies: json.melodies.slice(0, count).map((m) => m.slice(0, maxTokens)) };
  return { name: 'seed-melodies.json', bytes: new TextEncoder().encode(JSON.stringify(small)) };
}

/** Resolves with the job:finished payload of `jobId` (events are subscribed before the job starts). */
function finishedEvent(services: AppServices, events: ContractJobEvent[]) {
  return (jobId: string) =>
    new Promise<Extract<ContractJobEvent, { event: 'job:finished' }>['payload']>((resolve) => {
      const seen = events.find((e) => e.event === 'job:finished' && e.payload.jobId === jobId);
      if (seen && seen.event === 'job:finished') return resolve(seen.payload);
      const stop = services.subscribeJobEvents((e) => {
        if (e.event === 'job:finished' && e.payload.jobId === jobId) {
          stop();
          resolve(e.payload);
        }
      });
    });
}

describe('training runs off the calling thread (issue 4)', () => {
  it('the event-loop probes used below do see a blocked loop (so their bounds can fail)', async () => {
    const watch = watchEventLoop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const blockUntil = performance.now() + MAX_EVENT_LOOP_DELAY_MS + 50;
    while (performance.now() < blockUntil) {
      // Busy-wait: what training on this thread would do to it.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const seen = watch.stop();
    expect(seen.maxLatenessMs).toBeGreaterThanOrEqual(MAX_EVENT_LOOP_DELAY_MS);
    expect(seen.maxBusyMs).toBeGreaterThanOrEqual(MAX_EVENT_LOOP_DELAY_MS);
  });

  it('train:start through the shared handlers trains in a worker thread while this thread stays responsive', async () => {
    const { services, handlers } = servicesOnTempDir();
    const events: ContractJobEvent[] = [];
    services.subscribeJobEvents((e) => events.push(e));
    const waitFinished = finishedEvent(services, events);

    const imported = await handlers['library:importFiles']({
      corpusName: 'seeds',
      files: [seedMelodiesUpload(24, 400)],
    });
    if (!imported.ok) throw new Error(`import refused: ${imported.error.message}`);
    const importDone = await waitFinished(imported.value.jobId);
    expect(importDone.status).toBe('done');
    // The import may use its own workers; only the training worker matters below.
    createdWorkers.length = 0;

    const watch = watchEventLoop();
    const callerEluStart = performance.eventLoopUtilization();
    const trainStartedAt = performance.now();
    const started = await handlers['train:start']({
      corpusName: 'seeds',
      modelName: 'off-thread',
      // Tiny model (E16/H32/window 16) so the run takes seconds; several epochs so checkpoints are stored meanwhile.
      spec: { embeddingDim: 16, hiddenSize: 32, layers: 2, window: 16 },
      training: { epochs: 3, batchSize: 32, learningRate: 0.01, earlyStoppingPatience: 10 },
      engine: 'wasm',
      threads: 1,
    });
    if (!started.ok) throw new Error(`train:start refused: ${started.error.message}`);
    const { jobId } = started.value;

    // The training worker, and the progress messages it posts (read as they arrive, from the Worker object itself).
    await vi.waitFor(() => expect(createdWorkers.some((w) => w.entry.includes('trainingWorker'))).toBe(true), {
      timeout: 10_000,
    });
    const training = createdWorkers.find((w) => w.entry.includes('trainingWorker'))!;
    let workerProgressMessages = 0;
    const checkpointMessages: Record<string, unknown>[] = [];
    let workerElu: EventLoopUtilization | undefined;
    training.worker.on('message', (m: { type?: string }) => {
      if (m?.type === 'progress') workerProgressMessages++;
      if (m?.type === 'checkpoint') checkpointMessages.push(m);
      // Read while the worker lives (an exited worker reports nothing).
      workerElu = training.worker.performance.eventLoopUtilization();
    });

    const finished = await waitFinished(jobId);
    const trainWallMs = performance.now() - trainStartedAt;
    const callerElu = performance.eventLoopUtilization(callerEluStart);
    const loop = watch.stop();

    expect(finished.status).toBe('done');
    expect(finished.result).toMatchObject({ modelName: 'off-thread', epochs: 3 });

    // 1. The job lives in a worker thread, not in the thread that answered train:start.
    expect(training.threadId).toBeGreaterThan(0);
    expect(training.threadId).not.toBe(workerThreads.threadId);
    expect(workerThreads.isMainThread).toBe(true);
    // Its progress reached the job's listeners as that worker's messages.
    const jobProgressEvents = events.filter((e) => e.event === 'job:progress' && e.payload.jobId === jobId);
    expect(jobProgressEvents.length).toBeGreaterThan(3);
    expect(workerProgressMessages).toBeGreaterThanOrEqual(jobProgressEvents.length - 1);
    // Three epochs, three checkpoints, stored by the worker through its own connection: this thread received only
    // their ids (no checkpoint bytes crossed over), and those are the rows the library holds.
    const model = services.library.models.getModelByName('off-thread')!;
    const stored = services.library.checkpoints.listCheckpoints(model.id);
    expect(stored.map((c) => c.epoch)).toEqual([1, 2, 3]);
    expect(checkpointMessages).toHaveLength(3);
    for (const m of checkpointMessages) expect(m).not.toHaveProperty('data');
    expect(checkpointMessages.map((m) => m.checkpointId)).toEqual(stored.map((c) => c.id));
    expect(finished.result).toMatchObject({ modelId: String(model.id) });

    // 2. The computing happened in the worker: it was busy for most of the run, this thread for little of it.
    expect(workerElu).toBeDefined();
    const workerActiveMs = workerElu!.active;
    expect(workerActiveMs).toBeGreaterThan(callerElu.active * 2);
    expect(callerElu.utilization).toBeLessThan(0.5);

    // 3. This thread's event loop kept turning: it never ran for the bound without a break (training here would
    // hold it for whole steps), and its 10 ms timer was rarely late (p99; a single late tick on a shared machine may
    // be another process holding both cores, which the busy time above tells apart).
    expect(loop.samples).toBeGreaterThan(trainWallMs / (LOOP_DELAY_RESOLUTION_MS * 4));
    expect(loop.maxBusyMs).toBeLessThan(MAX_EVENT_LOOP_DELAY_MS);
    expect(loop.p99LatenessMs).toBeLessThan(MAX_EVENT_LOOP_DELAY_MS);
    console.info(
      `[training-worker] ${Math.round(trainWallMs)} ms of training in thread ${training.threadId}: worker active ${Math.round(workerActiveMs)} ms, ` +
        `caller active ${Math.round(callerElu.active)} ms (ELU ${callerElu.utilization.toFixed(2)}), caller loop lateness max ${loop.maxLatenessMs.toFixed(1)} ms, ` +
        `p99 ${loop.p99LatenessMs.toFixed(1)} ms over ${loop.samples} samples, longest busy stretch ${loop.maxBusyMs.toFixed(1)} ms`,
    );
  });

  it("control: the same job run on this thread (inProcess, diagnostics only) shows up in this thread's utilisation", async () => {
    const { services, handlers } = servicesOnTempDir();
    const imported = await handlers['library:importFiles']({
      corpusName: 'seeds',
      files: [seedMelodiesUpload(24, 400)],
    });
    if (!imported.ok) throw new Error(`import refused: ${imported.error.message}`);
    await vi.waitFor(() => expect(services.library.corpora.getCorpusByName('seeds')).toBeDefined(), {
      timeout: 30_000,
    });
    await vi.waitFor(() => expect(services.jobs.list().every((j) => j.status !== 'running')).toBe(true), {
      timeout: 30_000,
    });
    createdWorkers.length = 0;
    const before = performance.eventLoopUtilization();
    await trainModel(services.library, {
      corpusName: 'seeds',
      modelName: 'on-this-thread',
      spec: { embeddingDim: 16, hiddenSize: 32, layers: 2, window: 16 },
      training: { epochs: 1, batchSize: 32, learningRate: 0.01 },
      engine: 'wasm',
      threads: 1,
      inProcess: true,
    });
    const used = performance.eventLoopUtilization(before);
    expect(createdWorkers.filter((w) => w.entry.includes('trainingWorker'))).toHaveLength(0);
    expect(used.utilization).toBeGreaterThan(0.5);
    console.info(
      `[training-worker] control, training on this thread: ELU ${used.utilization.toFixed(2)} over ${Math.round(used.idle + used.active)} ms`,
    );
  });
});
