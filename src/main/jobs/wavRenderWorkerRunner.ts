// SPDX-License-Identifier: MIT
/**
 * Renders a take to WAV in a worker thread (src/main/workers/wavRenderWorker.ts): spessasynth_core is pure JavaScript
 * and a long take is a minute of synthesis, which on the thread that serves IPC / the studio's WebSocket would freeze
 * every other call. One worker per render, as for generation: it starts in ~100 ms beside seconds of rendering, reads
 * and parses the SoundFont itself (~30 ms), and takes its audio buffers with it when it ends.
 *
 * Cancel: the signal raises a shared flag the worker reads about once per second of audio rendered (a few tens of
 * milliseconds of work), or the worker is terminated (./cancellableWorker.ts). Either way the caller sees
 * CancelledError well within a second, and no bytes: nothing is written by the worker.
 */
import type { JobProgress } from '../../core/jobs/progress';
import type { WavRequest } from '../services/audioExport';
import { runInWorker, type WorkerOut } from './cancellableWorker';

/** Messages from the render worker. */
export type WavRenderWorkerOut = WorkerOut<{
  /** The WAV file's bytes, transferred, not copied (a minute of audio is 10 MB). */
  wav: Uint8Array;
}>;

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

/** Renders one take in a fresh worker thread (./cancellableWorker.ts). */
export const renderWavInWorker: WavRenderRunner = (request, soundFontPath, job) =>
  runInWorker<{ wav: Uint8Array }, Uint8Array>(
    {
      url: new URL('../workers/wavRenderWorker.mjs', import.meta.url),
      start: { type: 'start', request, soundFontPath },
      what: 'Render',
      failure: (code, message) => new WavRenderError(code, message),
      crashCode: 'RENDER_WORKER_CRASHED',
      workerName: 'WAV render worker',
      result: ({ wav }) => wav,
      // A cancel that came as the last block finished still wins: the user asked for no file.
      lateCancelWins: true,
    },
    job,
  );
