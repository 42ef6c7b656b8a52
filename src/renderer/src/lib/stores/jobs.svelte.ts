// SPDX-License-Identifier: MIT
/**
 * Jobs as the renderer sees them, fed only by job:progress / job:finished events (plus one
 * job:list on start), so progress survives tab switches and reloads of a screen.
 */
import type { JobProgressDto } from '../../../../shared/dto';
import type { EventPayload } from '../../../../shared/ipc';
import type { RendererApi } from './apiTypes';

export type JobKind = EventPayload<'job:progress'>['kind'];

export interface LossPoint {
  /** Fractional epoch (epoch - 1 + step / stepsPerEpoch) so curves advance within an epoch. */
  epochPosition: number;
  loss?: number;
  valLoss?: number;
}

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

  onFinishedJob(listener: FinishedListener): () => void {
    this.finishedListeners.add(listener);
    return () => this.finishedListeners.delete(listener);
  }

  onProgress(e: EventPayload<'job:progress'>): void {
    const job = this.jobs[e.jobId] ?? { id: e.jobId, kind: e.kind, status: 'running' as const, progress: null, losses: [] };
    const p = e.progress;
    let losses = job.losses;
    // Step events repeat the previous epoch's validation loss; it belongs to the epoch's end only.
    const valLoss = p.step === undefined ? p.valLoss : undefined;
    if (p.loss !== undefined || valLoss !== undefined) {
      const epoch = p.epoch ?? 1;
      const within = p.step !== undefined && p.stepsPerEpoch ? p.step / p.stepsPerEpoch : 1;
      losses = [...losses, { epochPosition: epoch - 1 + within, loss: p.loss, valLoss }];
    }
    this.jobs[e.jobId] = { ...job, status: 'running', progress: p, losses };
  }

  onFinished(e: EventPayload<'job:finished'>): void {
    const job = this.jobs[e.jobId] ?? { id: e.jobId, kind: e.kind, status: 'running' as const, progress: null, losses: [] };
    const next: JobView = { ...job, status: e.status, result: e.result, error: e.error };
    this.jobs[e.jobId] = next;
    for (const l of this.finishedListeners) l(next);
  }
}

export const jobs = new JobsStore();

/** "1 h 02 min", "3 min 05 s", "42 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/** 0..1 share done, or null when the total is unknown. */
export function progressFraction(p: JobProgressDto | null): number | null {
  if (!p || p.total <= 0) return null;
  return Math.min(1, Math.max(0, p.current / p.total));
}
