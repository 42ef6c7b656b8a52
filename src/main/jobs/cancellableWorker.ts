// SPDX-License-Identifier: MIT
/**
 * One job in one fresh worker thread, the way every long job of main runs (generation, WAV rendering): the worker is
 * posted its start message with a shared cancel flag, reports progress, and ends with done, cancelled or error.
 *
 * Cancel: the job's signal raises the flag, which the worker reads between small pieces of work; should it not answer
 * within CANCEL_GRACE_MS it is terminated. The caller sees CancelledError either way, well within a second (and, with
 * lateCancelWins, also when the cancel arrives as the work finishes: the user asked for nothing). A crash or an exit without an
 * answer rejects with the job's own error type and a sentence.
 */
import { Worker } from 'node:worker_threads';
import { CancelledError, type JobProgress } from '../../core/jobs/progress';

/** How long a cancelled worker may take to stop by itself before it is terminated. */
export const CANCEL_GRACE_MS = 300;

/** What a job's worker sends. */
export type WorkerOut<Done> =
  | { type: 'progress'; progress: JobProgress }
  | ({ type: 'done' } & Done)
  | { type: 'cancelled' }
  | { type: 'error'; error: { name: string; code: string; message: string } };

export interface WorkerJob {
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
}

export interface CancellableWorkerSpec<Done, Result> {
  /** The worker's module (an .mjs that loads its TypeScript). */
  url: URL;
  /** The start message, without the cancel flag (added here). */
  start: Record<string, unknown>;
  /** "Generation", "Render": names the CancelledError's sentence. */
  what: string;
  /** The job's error for a worker failure (`code`, one sentence). */
  failure: (code: string, message: string) => Error;
  /** The code and noun for a crash: e.g. 'GENERATION_WORKER_CRASHED', 'generation worker'. */
  crashCode: string;
  workerName: string;
  /** The result from the done message. */
  result: (done: Done) => Result;
  /** Whether a cancel that arrives with the done message still wins (no file for a cancelled render). */
  lateCancelWins?: boolean;
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

/** Runs one job in a fresh worker thread (see the header). */
export function runInWorker<Done, Result>(spec: CancellableWorkerSpec<Done, Result>, job: WorkerJob): Promise<Result> {
  const cancelled = () => new CancelledError(`${spec.what} cancelled`);
  return new Promise<Result>((resolve, reject) => {
    if (job.signal?.aborted) {
      reject(cancelled());
      return;
    }
    const worker = new Worker(spec.url, { execArgv: workerExecArgv() });
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
      setTimeout(() => settle(() => reject(cancelled())), CANCEL_GRACE_MS).unref();
    };
    job.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerOut<Done>) => {
      switch (m.type) {
        case 'progress':
          if (!settled) job.onProgress?.(m.progress);
          break;
        case 'done':
          settle(() => (spec.lateCancelWins && job.signal?.aborted ? reject(cancelled()) : resolve(spec.result(m))));
          break;
        case 'cancelled':
          settle(() => reject(cancelled()));
          break;
        case 'error':
          settle(() => reject(Object.assign(spec.failure(m.error.code, m.error.message), { name: m.error.name })));
          break;
      }
    });
    worker.on('error', (err) =>
      settle(() => reject(spec.failure(spec.crashCode, `The ${spec.workerName} crashed: ${err.message}`))),
    );
    worker.on('exit', (code) =>
      settle(() =>
        reject(
          job.signal?.aborted
            ? cancelled()
            : spec.failure(spec.crashCode, `The ${spec.workerName} exited (code ${code}) without an answer.`),
        ),
      ),
    );
    worker.postMessage({ ...spec.start, cancelFlag });
  });
}
