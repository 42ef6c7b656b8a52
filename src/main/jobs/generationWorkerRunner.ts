// SPDX-License-Identifier: MIT
/**
 * A GenerationRunner (src/main/services/generation.ts) that runs the engine in a worker thread
 * (src/main/workers/generationWorker.ts), so the thread that serves IPC / the studio's WebSocket stays free while
 * melodies are sampled. One worker per run: starting one costs ~100 ms beside seconds of sampling, and a fresh
 * worker leaves nothing behind (its engine and memory go with it).
 *
 * Cancel: the signal raises a shared flag the worker reads before every generated token; the run then ends within a
 * token. Should the worker not answer within CANCEL_GRACE_MS (stuck loading an engine, say), it is terminated: the
 * caller sees CancelledError either way, well within a second.
 */
import { Worker } from 'node:worker_threads';
import { CancelledError, type JobProgress } from '../../core/jobs/progress';
import type { GeneratedMelody } from '../../core/model/generate';
import type { EngineRunJob, EngineRunRequest, EngineRunResult, GenerationRunner } from '../services/generationRequest';

/** How long a cancelled worker may take to stop by itself before it is terminated. */
export const CANCEL_GRACE_MS = 300;

/** Messages from the generation worker. */
export type GenerationWorkerOut =
  | { type: 'progress'; progress: JobProgress }
  /** The melodies' tokens come as bytes (every token is below 256), transferred, not copied. */
  | { type: 'done'; result: Omit<EngineRunResult, 'melodies'> & { melodies: WireMelody[] } }
  | { type: 'cancelled' }
  | { type: 'error'; error: { name: string; code: string; message: string } };

/** A generated melody as the worker sends it. */
export type WireMelody = Omit<GeneratedMelody, 'tokens'> & { tokens: Uint8Array };

/**
 * A melody whose tokens become an array only when first read: the storing loop reads one take at a time and yields
 * between takes, so a thousand takes' million tokens are never converted in one block of the IPC thread.
 */
function melodyFromWire(wire: WireMelody): GeneratedMelody {
  const { tokens: bytes, ...rest } = wire;
  let tokens: number[] | undefined;
  return Object.defineProperty({ ...rest } as GeneratedMelody, 'tokens', {
    enumerable: true,
    get: () => (tokens ??= Array.from(bytes)),
  });
}

/** The generation worker failed or died; `code` says how (the worker's own error code when it reported one). */
export class GenerationWorkerError extends Error {
  override name = 'GenerationWorkerError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The parent's loader flags (tsx) minus flags that only make sense for an --eval entry. */
export function workerExecArgv(): string[] {
  const execArgv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i];
    if (['-e', '--eval', '-p', '--print'].includes(a)) i++;
    else if (!a.startsWith('--input-type') && !a.startsWith('--eval=') && !a.startsWith('--print=')) execArgv.push(a);
  }
  return execArgv;
}

/** Runs one generation in a fresh worker thread. */
export const runGenerationInWorker: GenerationRunner = (request: EngineRunRequest, job: EngineRunJob) =>
  new Promise<EngineRunResult>((resolve, reject) => {
    if (job.signal?.aborted) {
      reject(new CancelledError('Generation cancelled'));
      return;
    }
    const worker = new Worker(new URL('../workers/generationWorker.mjs', import.meta.url), {
      execArgv: workerExecArgv(),
    });
    const cancelFlag = new SharedArrayBuffer(4);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      job.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => {
      Atomics.store(new Int32Array(cancelFlag), 0, 1);
      setTimeout(() => settle(() => reject(new CancelledError('Generation cancelled'))), CANCEL_GRACE_MS).unref();
    };
    job.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: GenerationWorkerOut) => {
      switch (m.type) {
        case 'progress':
          if (!settled) job.onProgress?.(m.progress);
          break;
        case 'done':
          settle(() => resolve({ ...m.result, melodies: m.result.melodies.map(melodyFromWire) }));
          break;
        case 'cancelled':
          settle(() => reject(new CancelledError('Generation cancelled')));
          break;
        case 'error':
          settle(() =>
            reject(Object.assign(new GenerationWorkerError(m.error.code, m.error.message), { name: m.error.name })),
          );
          break;
      }
    });
    worker.on('error', (err) =>
      settle(() =>
        reject(new GenerationWorkerError('GENERATION_WORKER_CRASHED', `The generation worker crashed: ${err.message}`)),
      ),
    );
    worker.on('exit', (code) =>
      settle(() =>
        reject(
          job.signal?.aborted
            ? new CancelledError('Generation cancelled')
            : new GenerationWorkerError(
                'GENERATION_WORKER_CRASHED',
                `The generation worker exited (code ${code}) without an answer.`,
              ),
        ),
      ),
    );
    // The checkpoint's bytes are copied, not transferred: they may be the library's cached row.
    worker.postMessage({ type: 'start', request, cancelFlag });
  });
