// SPDX-License-Identifier: MIT
/**
 * Progress and cancellation types shared by every long task (import, training, batch generation, WAV render).
 * Core functions take a `ProgressSink` and an `AbortSignal`; they never know who listens.
 */

export type JobKind = 'import' | 'train' | 'generate' | 'compose' | 'render';

export interface JobProgress {
  /** Human-readable phase, e.g. "parsing", "encoding", "epoch". */
  phase: string;
  /** Items done in this phase. */
  current: number;
  /** Items in this phase; 0 = unknown. */
  total: number;
  /** Optional free text for the current item (a file name, a step). */
  detail?: string;
  /** Training metrics, present on training jobs. */
  epoch?: number;
  epochs?: number;
  step?: number;
  stepsPerEpoch?: number;
  loss?: number;
  valLoss?: number;
  /** With weight averaging: the average's validation loss, at each epoch's end. */
  averageValLoss?: number;
  sequencesPerSec?: number;
  etaMs?: number;
  /** Which engine runs this job, always said for training and generation. */
  engine?: string;
  /** The engine in one sentence: its threads, or the GPU adapter it runs on (EngineInfo.description). */
  engineDetail?: string;
}

export type ProgressSink = (p: JobProgress) => void;

/** Thrown when an AbortSignal fires; cancelled is not failed. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'Cancelled') {
    super(message);
  }
}

/** Throws CancelledError when the signal has fired. Call at natural boundaries (per file, per batch, per step). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * Wraps a sink so it emits at most one event per `intervalMs` (default 100 ms, i.e. <= 10 events/s),
 * always letting through the first event and any event whose phase changed. Call `.flush()` at the end.
 */
export function throttleProgress(sink: ProgressSink, intervalMs = 100, now: () => number = Date.now) {
  let last = -Infinity;
  let lastPhase: string | undefined;
  let pending: JobProgress | undefined;
  const throttled = ((p: JobProgress) => {
    const t = now();
    if (t - last >= intervalMs || p.phase !== lastPhase) {
      last = t;
      lastPhase = p.phase;
      pending = undefined;
      sink(p);
    } else {
      pending = p;
    }
  }) as ProgressSink & { flush(): void };
  throttled.flush = () => {
    if (pending) sink(pending);
    pending = undefined;
  };
  return throttled;
}
