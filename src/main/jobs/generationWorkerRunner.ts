// SPDX-License-Identifier: MIT
/**
 * A GenerationRunner (src/main/services/generation.ts) that runs the engine in a worker thread
 * (src/main/workers/generationWorker.ts), so the thread that serves IPC / the studio's WebSocket stays free while
 * melodies are sampled. One worker per run: starting one costs ~100 ms beside seconds of sampling, and a fresh
 * worker leaves nothing behind (its engine and memory go with it).
 *
 * Cancel: the signal raises a shared flag the worker reads before every generated token; the run then ends within a
 * token, or the worker is terminated (./cancellableWorker.ts).
 */
import type { GeneratedMelody } from '../../core/model/generate';
import { runInWorker, type WorkerOut } from './cancellableWorker';
import type { EngineRunJob, EngineRunRequest, EngineRunResult, GenerationRunner } from '../services/generationRequest';

/** The melodies' tokens come as bytes (every token is below 256), transferred, not copied. */
type GenerationDone = Omit<EngineRunResult, 'melodies'> & { melodies: WireMelody[] };

/** Messages from the generation worker. */
export type GenerationWorkerOut = WorkerOut<{ result: GenerationDone }>;

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

/** Runs one generation in a fresh worker thread (./cancellableWorker.ts). */
export const runGenerationInWorker: GenerationRunner = (request: EngineRunRequest, job: EngineRunJob) =>
  runInWorker<{ result: GenerationDone }, EngineRunResult>(
    {
      url: new URL('../workers/generationWorker.mjs', import.meta.url),
      // The checkpoint's bytes are copied, not transferred: they may be the library's cached row.
      start: { type: 'start', request },
      what: 'Generation',
      failure: (code, message) => new GenerationWorkerError(code, message),
      crashCode: 'GENERATION_WORKER_CRASHED',
      workerName: 'generation worker',
      result: ({ result }) => ({ ...result, melodies: result.melodies.map(melodyFromWire) }),
    },
    job,
  );
