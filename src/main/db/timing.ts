// SPDX-License-Identifier: MIT

/** A query slower than this is logged (value from Signal Desktop's MIN_TRACE_DURATION practice). */
export const SLOW_QUERY_MS = 40;

export interface SlowQuery {
  /** Which repository operation, e.g. "pieces.insertPieces". */
  label: string;
  durationMs: number;
  /** Rows touched or returned, when known. */
  rows?: number;
}

export type SlowQueryLogger = (q: SlowQuery) => void;

/** Default logger: one line on stderr, so CLI stdout stays clean. */
export const logSlowQueryToStderr: SlowQueryLogger = (q) => {
  process.stderr.write(
    `[etude db] slow query ${q.label}: ${q.durationMs.toFixed(1)} ms${q.rows !== undefined ? ` (${q.rows} rows)` : ''}\n`,
  );
};

/** Runs `fn`, and reports it to `log` when it took more than `thresholdMs`. */
export type Timed = <T>(label: string, fn: () => T, rows?: (result: T) => number) => T;

export function createTimer(
  log: SlowQueryLogger,
  thresholdMs = SLOW_QUERY_MS,
  now: () => number = () => performance.now(),
): Timed {
  return (label, fn, rows) => {
    const start = now();
    const result = fn();
    const durationMs = now() - start;
    if (durationMs > thresholdMs) log({ label, durationMs, rows: rows ? rows(result) : undefined });
    return result;
  };
}
