// SPDX-License-Identifier: MIT
/**
 * How often a benchmark piece repeats itself where a training segment cannot see it: for each split, the share of
 * frames whose repeat candidate (src/core/model/repeatMatch.ts: the frame that followed the latest earlier occurrence
 * of the K frames before it) is exactly the frame, split by how far back that occurrence lies (within --near frames, or
 * further), and the share with no candidate. The figures behind the repeat input (README, "Learn repeats").
 *
 *   node --import tsx scripts/measure-repeats.ts --dataset jsb|nottingham | --data FILE.json [--context 16] [--near 32]
 */
import { repeatCandidates } from '../src/core/model/repeatMatch';
import { benchmarkFromFlags, num } from './lib/polyEval';

const { bench } = benchmarkFromFlags();
const context = num('context', 16);
const near = num('near', 32);
console.log(`${bench.name}: repeat candidates after ${context} frames of context (near = within ${near} frames)`);
for (const split of ['train', 'valid', 'test'] as const) {
  let frames = 0;
  let none = 0;
  let rightNear = 0;
  let rightFar = 0;
  let wrong = 0;
  for (const piece of bench[split]) {
    const P = piece.pitches;
    const { at } = repeatCandidates(piece.roll, piece.frames, P, context);
    for (let t = 0; t < piece.frames; t++) {
      frames++;
      const s = at[t];
      if (s < 0) {
        none++;
        continue;
      }
      let same = true;
      for (let p = 0; p < P && same; p++) same = piece.roll[s * P + p] > 0 === piece.roll[t * P + p] > 0;
      if (!same) wrong++;
      else if (t - s <= near) rightNear++;
      else rightFar++;
    }
  }
  const pct = (n: number) => `${((100 * n) / frames).toFixed(1)}%`;
  console.log(
    `  ${split.padEnd(5)} ${frames} frames: the candidate is the frame ${pct(rightNear + rightFar)} ` +
      `(from within ${near} frames ${pct(rightNear)}, from further back ${pct(rightFar)}); ` +
      `another frame ${pct(wrong)}; no candidate ${pct(none)}`,
  );
}
