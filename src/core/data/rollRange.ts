// SPDX-License-Identifier: MIT
/**
 * Pitch ranges of dense piano rolls (./polyBenchmark.ts' RollPiece): which keys a set of pieces sounds, and a roll cut
 * down to a range. A polyphonic model runs its time- and pitch-axis LSTMs once per pitch of its range, so a model of
 * the keys a corpus uses (JSB's training split: 54 of the 88) costs that share of a full-keyboard model's work per
 * frame. Pitches outside the range are then scored by a fixed distribution (../model/polyMetrics.ts, rangedScorer).
 */
import type { RollPiece } from './polyBenchmark';

/** A run of pitch indices of a roll's frame: [from, from + count). */
export interface PitchSpan {
  from: number;
  count: number;
}

/** The lowest to the highest pitch index that sounds anywhere in `pieces`, or undefined when none sounds. */
export function soundingSpan(pieces: readonly RollPiece[]): PitchSpan | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const piece of pieces) {
    const P = piece.pitches;
    for (let i = 0; i < piece.roll.length; i++) {
      if (piece.roll[i] <= 0) continue;
      const p = i % P;
      if (p < lo) lo = p;
      if (p > hi) hi = p;
    }
  }
  return hi < lo ? undefined : { from: lo, count: hi - lo + 1 };
}

/** `piece` with only the pitches of `span` in each frame (a new roll; the piece is not changed). */
export function cropRoll(piece: RollPiece, span: PitchSpan): RollPiece {
  const { from, count } = span;
  if (!Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 1 || from + count > piece.pitches)
    throw new RangeError(
      `cropRoll: the span ${from}..${from + count - 1} must lie within the piece's ${piece.pitches} pitches (${piece.name}).`,
    );
  const P = piece.pitches;
  const roll = new Float32Array(piece.frames * count);
  for (let t = 0; t < piece.frames; t++) roll.set(piece.roll.subarray(t * P + from, t * P + from + count), t * count);
  return { name: piece.name, frames: piece.frames, pitches: count, roll };
}
