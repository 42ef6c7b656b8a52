// SPDX-License-Identifier: MIT
/** Pure helpers that turn job progress into what the screens show (tested in Node). */
import type { JobProgressDto } from '../../../../shared/dto';

export interface LossPoint {
  /** Fractional epoch (epoch - 1 + step / stepsPerEpoch) so curves advance within an epoch. */
  epochPosition: number;
  loss?: number;
  valLoss?: number;
  /** With weight averaging: the average's validation loss (epoch ends only). */
  averageValLoss?: number;
}

/**
 * The loss-curve point a progress event adds, or null. Step events repeat the previous epoch's
 * validation loss; it is plotted only from events without a step (the epoch's end).
 */
export function lossPointFromProgress(p: JobProgressDto): LossPoint | null {
  const valLoss = p.step === undefined ? p.valLoss : undefined;
  if (p.loss === undefined && valLoss === undefined) return null;
  const epoch = p.epoch ?? 1;
  const within = p.step !== undefined && p.stepsPerEpoch ? p.step / p.stepsPerEpoch : 1;
  const averageValLoss = p.step === undefined ? p.averageValLoss : undefined;
  return {
    epochPosition: epoch - 1 + within,
    loss: p.loss,
    valLoss,
    ...(averageValLoss !== undefined ? { averageValLoss } : {}),
  };
}

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
