// SPDX-License-Identifier: MIT
import { CancelledError, type JobKind, type JobProgress } from '../../core/jobs/progress';

/**
 * The registry of long-running jobs, shared by the three doors (Electron main, CLI, loopback studio).
 * No Electron here: listeners are plain callbacks that each door forwards its own way.
 *
 * Protocol: start() answers a jobId at once -> 'progress' events -> cancel(jobId) -> exactly one
 * 'finished' event with status done | cancelled | failed. Starting a job with the same dedupeKey
 * while one runs returns the running job.
 */

export type JobId = string;
export type JobStatus = 'running' | 'done' | 'cancelled' | 'failed';

export interface JobError {
  code: string;
  message: string;
  details?: unknown;
}

export interface JobSnapshot {
  id: JobId;
  kind: JobKind;
  title: string;
  status: JobStatus;
  startedAt: number;
  finishedAt?: number;
  progress?: JobProgress;
  result?: unknown;
  error?: JobError;
}

export type JobEvent =
  | { type: 'progress'; jobId: JobId; progress: JobProgress }
  | { type: 'finished'; jobId: JobId; status: Exclude<JobStatus, 'running'>; result?: unknown; error?: JobError };

export interface JobContext {
  signal: AbortSignal;
  progress(p: JobProgress): void;
}

export type JobRunner<T> = (ctx: JobContext) => Promise<T>;

/** How many finished jobs are kept for job:list whatever their age (the newest ones). */
export const DEFAULT_KEEP_FINISHED = 50;
/** Finished jobs younger than this are kept even beyond DEFAULT_KEEP_FINISHED (up to DEFAULT_MAX_FINISHED). */
export const DEFAULT_KEEP_FINISHED_MS = 10 * 60 * 1000;
/** Never more finished jobs than this, however recent (a burst of tiny jobs must not grow the list without bound). */
export const DEFAULT_MAX_FINISHED = 500;

export interface JobManagerOptions {
  /** The newest finished jobs always kept (default DEFAULT_KEEP_FINISHED). */
  keepFinished?: number;
  /** Finished jobs younger than this are kept too (default DEFAULT_KEEP_FINISHED_MS). */
  keepFinishedMs?: number;
  /** Upper bound on kept finished jobs, recent or not (default DEFAULT_MAX_FINISHED). */
  maxFinished?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** Maps any thrown value to a typed, user-facing error. Specific errors carry a `code`. */
export function toJobError(err: unknown): JobError {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; name?: unknown; message?: unknown; details?: unknown };
    const code =
      typeof e.code === 'string' ? e.code : typeof e.name === 'string' && e.name !== 'Error' ? e.name : 'INTERNAL';
    const message = typeof e.message === 'string' && e.message ? e.message : String(err);
    return { code, message, ...(e.details !== undefined ? { details: e.details } : {}) };
  }
  return { code: 'INTERNAL', message: String(err) };
}

export class JobManager {
  private readonly jobs = new Map<JobId, JobSnapshot & { controller: AbortController; done: Promise<void> }>();
  private readonly byKey = new Map<string, JobId>();
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private seq = 0;
  private readonly keepFinished: number;
  private readonly keepFinishedMs: number;
  private readonly maxFinished: number;
  private readonly now: () => number;

  /**
   * Finished jobs are pruned as others finish: the newest `keepFinished` stay, older ones stay while younger than
   * `keepFinishedMs`, and never more than `maxFinished` in all. Running jobs are never pruned.
   */
  constructor(options: JobManagerOptions = {}) {
    this.keepFinished = options.keepFinished ?? DEFAULT_KEEP_FINISHED;
    this.keepFinishedMs = options.keepFinishedMs ?? DEFAULT_KEEP_FINISHED_MS;
    this.maxFinished = Math.max(this.keepFinished, options.maxFinished ?? DEFAULT_MAX_FINISHED);
    this.now = options.now ?? Date.now;
  }

  /** Subscribe to every job's events; returns an unsubscribe function. */
  subscribe(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start<T>(kind: JobKind, title: string, run: JobRunner<T>, dedupeKey?: string): JobId {
    if (dedupeKey) {
      const running = this.byKey.get(dedupeKey);
      if (running && this.jobs.get(running)?.status === 'running') return running;
    }
    const id = `${kind}-${Date.now().toString(36)}-${(++this.seq).toString(36)}`;
    const controller = new AbortController();
    const job: JobSnapshot & { controller: AbortController; done: Promise<void> } = {
      id,
      kind,
      title,
      status: 'running',
      startedAt: this.now(),
      controller,
      done: Promise.resolve(),
    };
    this.jobs.set(id, job);
    if (dedupeKey) this.byKey.set(dedupeKey, id);
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (p) => {
        if (job.status !== 'running') return;
        job.progress = p;
        this.emit({ type: 'progress', jobId: id, progress: p });
      },
    };
    job.done = (async () => {
      try {
        const result = await run(ctx);
        this.finish(job, controller.signal.aborted ? 'cancelled' : 'done', result);
      } catch (err) {
        if (err instanceof CancelledError || controller.signal.aborted) this.finish(job, 'cancelled');
        else this.finish(job, 'failed', undefined, toJobError(err));
      } finally {
        if (dedupeKey && this.byKey.get(dedupeKey) === id) this.byKey.delete(dedupeKey);
      }
    })();
    return id;
  }

  /** Asks a job to stop; returns false when no such running job exists. */
  cancel(id: JobId): boolean {
    const job = this.jobs.get(id);
    if (!job || job.status !== 'running') return false;
    job.controller.abort();
    return true;
  }

  get(id: JobId): JobSnapshot | undefined {
    const job = this.jobs.get(id);
    return job ? snapshot(job) : undefined;
  }

  list(): JobSnapshot[] {
    return [...this.jobs.values()].map(snapshot);
  }

  /** Resolves when the job has finished (any status). */
  async wait(id: JobId): Promise<JobSnapshot> {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`No job ${id}`);
    await job.done;
    // Read from the job object itself: a burst of later jobs may already have pruned it from the list.
    return snapshot(job);
  }

  /** Cancels every running job and waits for all of them: call on shutdown. */
  async shutdown(): Promise<void> {
    for (const job of this.jobs.values()) if (job.status === 'running') job.controller.abort();
    await Promise.all([...this.jobs.values()].map((j) => j.done));
  }

  private finish(job: JobSnapshot, status: Exclude<JobStatus, 'running'>, result?: unknown, error?: JobError) {
    job.status = status;
    job.finishedAt = this.now();
    job.result = result;
    job.error = error;
    this.emit({ type: 'finished', jobId: job.id, status, result, error });
    this.prune();
  }

  /** Drops the finished jobs beyond the policy (see the constructor); the Map keeps insertion (start) order. */
  private prune(): void {
    const finished = [...this.jobs.values()]
      .filter((j) => j.status !== 'running')
      .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
    const cutoff = this.now() - this.keepFinishedMs;
    finished.forEach((job, rank) => {
      const keep = rank < this.keepFinished || (rank < this.maxFinished && (job.finishedAt ?? 0) >= cutoff);
      if (!keep) this.jobs.delete(job.id);
    });
  }

  private emit(e: JobEvent) {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A broken listener must not break the job or the other listeners.
      }
    }
  }
}

function snapshot(job: JobSnapshot): JobSnapshot {
  const { id, kind, title, status, startedAt, finishedAt, progress, result, error } = job;
  return { id, kind, title, status, startedAt, finishedAt, progress, result, error };
}
