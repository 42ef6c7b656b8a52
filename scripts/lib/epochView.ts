// SPDX-License-Identifier: MIT
import type { WindowSet } from '../../src/core/model/windows';
import type { Rng } from '../../src/core/util/random';

/**
 * A view of `full` that serves `perEpoch` segments per epoch, walking a shuffled order of all segments so that
 * successive epochs see successive parts of the training set (an "epoch" = --epoch-frames training frames, as the
 * peer's). The training loop's own shuffle then orders each part. A resumed run starts it `doneEpochs` epochs in, on
 * the part an uninterrupted run would have reached.
 */
export function epochView(full: WindowSet, perEpoch: number, rng: Rng, doneEpochs = 0): WindowSet {
  const size = Math.min(full.size, perEpoch);
  let order = rng.shuffle(Array.from({ length: full.size }, (_, i) => i));
  let cursor = 0;
  let current: number[] = [];
  const next = () => {
    current = [];
    for (let i = 0; i < size; i++) {
      if (cursor >= order.length) {
        order = rng.shuffle(order);
        cursor = 0;
      }
      current.push(order[cursor++]);
    }
  };
  for (let e = 0; e <= doneEpochs; e++) next();
  let served = 0;
  return {
    window: full.window,
    size,
    at: (i) => full.at(current[i]),
    batch(order, from, count) {
      if (served >= size) {
        next();
        served = 0;
      }
      served += count;
      return full.batch(
        Array.from({ length: count }, (_, b) => current[order[from + b]]),
        0,
        count,
      );
    },
  };
}
