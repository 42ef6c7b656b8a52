// SPDX-License-Identifier: MIT
/**
 * A moving average of a model's weights over its validations: after every epoch the average becomes
 * decay × itself + (1 − decay) × the epoch's weights (the first epoch's weights start it). Averaged weights sit in a
 * flatter, wider part of the loss surface than the last iterate and generalise better (Polyak and Juditsky 1992;
 * Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima and Better Generalization"). Training itself is
 * unchanged: the average is only validated beside the weights, and the better of the two is what a run keeps.
 */
import type { NamedWeights } from '../engine/types';

/**
 * The decay the app offers (its Train screen's "Average weights"): each epoch moves the average halfway to the new
 * weights. Measured on JSB (README, "Polyphony: the benchmark"): 0.5 matched or beat 0.8 on every seed replayed.
 */
export const DEFAULT_AVERAGE_DECAY = 0.5;

/** Whether `decay` is a usable averaging decay: a number in (0, 1). */
export const isAverageDecay = (decay: unknown): decay is number =>
  typeof decay === 'number' && Number.isFinite(decay) && decay > 0 && decay < 1;

/**
 * The average after one more epoch: decay × `average` + (1 − decay) × `weights`, or a copy of `weights` when there is
 * no average yet. New arrays; neither input is changed.
 */
export function averagedWeights(average: NamedWeights | undefined, weights: NamedWeights, decay: number): NamedWeights {
  if (!isAverageDecay(decay)) throw new RangeError(`The averaging decay must be a number in (0, 1), got: ${decay}`);
  const out: NamedWeights = {};
  for (const [name, w] of Object.entries(weights)) {
    const a = average?.[name];
    if (average && (!a || a.length !== w.length))
      throw new RangeError(`The weight average has no tensor "${name}" of ${w.length} values: it is of another model.`);
    const next = new Float32Array(w.length);
    if (!a) next.set(w);
    else for (let i = 0; i < w.length; i++) next[i] = decay * a[i] + (1 - decay) * w[i];
    out[name] = next;
  }
  return out;
}
