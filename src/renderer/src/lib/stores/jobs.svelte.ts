// SPDX-License-Identifier: MIT
/**
 * Jobs as the renderer sees them, fed only by job:progress / job:finished events (plus one
 * job:list on start), so progress survives tab switches and reloads of a screen.
 */
import type { JobProgressDto } from '../../../../shared/dto';
import type { EventPayload } from '../../../../shared/ipc';
import type { RendererApi } from './apiTypes';
import { lossPointFromProgress, type LossPoint } from './progressView';

export { formatDuration, progressFraction, type LossPoint } from './progressView';

export type JobKind = EventPayload<'job:progress'>['kind'];

export interface JobView {
  id: string;
  kind: JobKind;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  progress: JobProgressDto | null;
  /** Training only: the loss history for the curves. */
  losses: LossPoint[];
  result?: unknown;
  error?: { code: string; message: string };
}

export type FinishedListener = (job: JobView) => void;

/** Finished jobs the page remembers (a generation's result holds every take): older ones are forgotten. */
export const KEEP_FINISHED_JOBS = 20;

class JobsStore {
  jobs = $state<Record<string, JobView>>({});
  private finishedListeners = new Set<FinishedListener>();

  /** The most recent running job, for the status bar. */
  get current(): JobView | null {
    const running = Object.values(this.jobs).filter((j) => j.status === 'running');
    return running[running.length - 1] ?? null;
  }

  latestOfKind(kind: JobKind): JobView | null {
    const all = Object.values(this.jobs).filter((j) => j.kind === kind);
    return all[all.length - 1] ?? null;
  }

  /** Subscribe to the contract's events; returns the unsubscribe. */
  connect(api: RendererApi): () => void {
    const offProgress = api.on('job:progress', (e) => this.onProgress(e));
    const offFinished = api.on('job:finished', (e) => this.onFinished(e));
    void api
      .call('job:list', {})
      .then((list) => {
        for (const snap of list) {
          if (this.jobs[snap.id]) continue;
          this.jobs[snap.id] = {
            id: snap.id,
            kind: snap.kind,
            status: snap.status,
            progress: snap.progress ?? null,
            losses: [],
            result: snap.result,
            error: snap.error,
          };
        }
      })
      .catch(() => {
        // Only a convenience on start; events still arrive.
      });
    return () => {
      offProgress();
      offFinished();
    };
  }

  /** Register a job the moment a call answers its id, before its first event arrives. */
  track(id: string, kind: JobKind): void {
    if (!this.jobs[id]) this.jobs[id] = { id, kind, status: 'running', progress: null, losses: [] };
  }

  /** Resolves with the job once it has finished (at once if it already has). */
  finished(id: string): Promise<JobView> {
    return new Promise((resolve) => {
      const known = this.jobs[id];
      if (known && known.status !== 'running') {
        resolve(known);
        return;
      }
      const off = this.onFinishedJob((job) => {
        if (job.id !== id) return;
        off();
        resolve(job);
      });
    });
  }

  onFinishedJob(listener: FinishedListener): () => void {
    this.finishedListeners.add(listener);
    return () => this.finishedListeners.delete(listener);
  }

  onProgress(e: EventPayload<'job:progress'>): void {
    const job = this.jobs[e.jobId] ?? {
      id: e.jobId,
      kind: e.kind,
      status: 'running' as const,
      progress: null,
      losses: [],
    };
    // A throttled progress event can trail its job:finished; the finished state wins.
    if (job.status !== 'running') return;
    const p = e.progress;
    const point = lossPointFromProgress(p);
    const losses = point ? [...job.losses, point] : job.losses;
    this.jobs[e.jobId] = { ...job, status: 'running', progress: p, losses };
  }

  onFinished(e: EventPayload<'job:finished'>): void {
    const job = this.jobs[e.jobId] ?? {
      id: e.jobId,
      kind: e.kind,
      status: 'running' as const,
      progress: null,
      losses: [],
    };
    const next: JobView = { ...job, status: e.status, result: e.result, error: e.error };
    this.jobs[e.jobId] = next;
    for (const l of this.finishedListeners) l(next);
    // Object keys keep insertion order, i.e. start order: drop the oldest finished beyond the limit, but keep the
    // latest of each kind (the Train screen shows the last training's curves however many takes came after).
    const finished = Object.values(this.jobs).filter((j) => j.status !== 'running');
    const latestOfKind = new Set(Object.values(this.jobs).map((j) => this.latestOfKind(j.kind)?.id));
    let excess = finished.length - KEEP_FINISHED_JOBS;
    for (const old of finished) {
      if (excess <= 0) break;
      if (latestOfKind.has(old.id)) continue;
      delete this.jobs[old.id];
      excess--;
    }
  }
}

export const jobs = new JobsStore();
