// SPDX-License-Identifier: MIT
/**
 * Learning-rate schedules over a training budget. A run with a known end (a time budget, a number of epochs) can
 * take larger steps early and small ones at the end: the last steps then settle into a minimum instead of jumping
 * around it, which is what a constant rate does (the valid NLL of a constant-rate run moves up and down by a nat
 * from one epoch to the next on JSB).
 */

export type ScheduleName = 'constant' | 'anneal';

export const SCHEDULE_NAMES: readonly ScheduleName[] = ['constant', 'anneal'];

/** Is `name` a schedule's name? (The one check behind every door's flag or setting.) */
export const isScheduleName = (name: unknown): name is ScheduleName =>
  (SCHEDULE_NAMES as readonly unknown[]).includes(name);

/**
 * The anneal schedule's shape: the peak rate is held for the first `hold` of the budget, then a half cosine takes it
 * down to `floor` × peak at the budget's end (SGDR's cosine, Loshchilov & Hutter 2017, one cycle without restart).
 */
export const ANNEAL = { hold: 0.4, floor: 0.05 } as const;

/**
 * The rate at `progress` (0 at the start of the budget, 1 at its end; values outside are clamped).
 * @throws RangeError when `peak` is not a finite number above 0.
 */
export function scheduledRate(name: ScheduleName, peak: number, progress: number): number {
  if (!(Number.isFinite(peak) && peak > 0))
    throw new RangeError(`The peak learning rate must be a finite number above 0, got: ${peak}`);
  if (name === 'constant') return peak;
  const f = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
  if (f <= ANNEAL.hold) return peak;
  const t = (f - ANNEAL.hold) / (1 - ANNEAL.hold);
  return peak * (ANNEAL.floor + (1 - ANNEAL.floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
