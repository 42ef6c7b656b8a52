// SPDX-License-Identifier: MIT
/** Bar arithmetic shared by the piano roll and the score. */
import type { Ticks } from '../../../../core/music/NoteSequence';

/** Bar length in ticks for a time signature (4/4 by default). */
export function barLengthTicks(ppq: number, numerator = 4, denominator = 4): Ticks {
  return (ppq * 4 * numerator) / denominator;
}
