// SPDX-License-Identifier: MIT
/**
 * Renders a take to WAV in a worker thread (src/main/workers/wavRenderWorker.ts): spessasynth_core is pure JavaScript
 * and a long take is a minute of synthesis, which on the thread that serves IPC / the studio's WebSocket would freeze
 * every other call. One worker per render, as for generation: it starts in ~100 ms beside seconds of rendering, reads
 * and parses the SoundFont itself (~30 ms), and takes its audio buffers with it when it ends.
 *
 * Cancel: the signal raises a shared flag the worker reads about once per second of audio rendered (a few tens of
 * milliseconds of work); should it not answer within CANCEL_GRACE_MS it is terminated. Either way the caller sees
 * CancelledError well within a second, and no bytes: nothing is written by the worker.
 */
import { Worker } from 'node:worker_threads';
import { CancelledError, type JobProgress } from '../../core/jobs/progress';
import type { WavRequest } from '../services/audioExport';
import { CANCEL_GRACE_MS, workerExecArgv } from './generationWorkerRunner';

/** Messages from the render worker. */
export type WavRenderWorkerOut =
  | { type: 'progress'; progress: JobProgress }
  /** The WAV file's bytes, transferred, not copied (a minute of audio is 10 MB). */
  | { type: 'done'; wav: Uint8Array }
  | { type: 'cancelled' }
  | { type: 'error'; error: { name: string; code: string; message: string } };

/** What the parent posts once. */
export interface WavRenderWorkerIn {
  type: 'start';
  request: WavRequest;
  soundFontPath: string;
  cancelFlag: SharedArrayBuffer;
}

export interface WavRenderJob {
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
}

/** Renders a take's MIDI to WAV bytes somewhere other than the calling thread (tests may inject their own). */
export type WavRenderRunner = (request: WavRequest, soundFontPath: string, job: WavRenderJob) => Promise<Uint8Array>;

/** The worker failed or died; `code` says how (the worker's own code when it reported one, e.g. a bad MIDI file). */
export class WavRenderError extends Error {
  override name = 'WavRenderError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Renders one take in a fresh worker thread. */
export const renderWavInWorker: WavRenderRunner = (request, soundFontPath, job) =>
  new Promise<Uint8Array>((resolve, reject) => {
    if (job.signal?.aborted) {
      reject(new CancelledError('Render cancelled'));
      return;
    }
    const worker = new Worker(new URL('../workers/wavRenderWorker.mjs', import.meta.url), {
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
      setTimeout(() => settle(() => reject(new CancelledError('Render cancelled'))), CANCEL_GRACE_MS).unref();
    };
    job.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WavRenderWorkerOut) => {
      switch (m.type) {
        case 'progress':
          if (!settled) job.onProgress?.(m.progress);
          break;
        case 'done':
          // A cancel that came as the last block finished still wins: the user asked for no file.
          settle(() => (job.signal?.aborted ? reject(new CancelledError('Render cancelled')) : resolve(m.wav)));
          break;
        case 'cancelled':
          settle(() => reject(new CancelledError('Render cancelled')));
          break;
        case 'error':
          settle(() =>
            reject(Object.assign(new WavRenderError(m.error.code, m.error.message), { name: m.error.name })),
          );
          break;
      }
    });
    worker.on('error', (err) =>
      settle(() =>
        reject(new WavRenderError('RENDER_WORKER_CRASHED', `The WAV render worker crashed: ${err.message}`)),
      ),
    );
    worker.on('exit', (code) =>
      settle(() =>
        reject(
          job.signal?.aborted
            ? new CancelledError('Render cancelled')
            : new WavRenderError(
                'RENDER_WORKER_CRASHED',
                `The WAV render worker exited (code ${code}) without an answer.`,
              ),
        ),
      ),
    );
    worker.postMessage({ type: 'start', request, soundFontPath, cancelFlag } satisfies WavRenderWorkerIn);
  });
