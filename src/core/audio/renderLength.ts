// SPDX-License-Identifier: MIT
/**
 * How long a take's audio is, and how a loop's release tail is kept: pure arithmetic, shared by the WAV export (main,
 * CLI) and its tests.
 */

/**
 * Seconds of sound after a take's last bar in a WAV export: a piano note's release and the reverb die away within it.
 * A loop take has none: its tail is folded onto its start instead ({@link foldTail}).
 */
export const RELEASE_TAIL_SEC = 2;

/** Seconds of `ticks` at `bpm` quarter notes a minute, `ppq` ticks a quarter. */
export function ticksToSec(ticks: number, ppq: number, bpm: number): number {
  return (ticks * 60) / (bpm * ppq);
}

/**
 * A WAV export's length in seconds: the take's `endTick` (its bars) at the tempo, plus {@link RELEASE_TAIL_SEC} unless
 * it is a loop, which is exactly its bars long.
 * @throws RangeError for a non-positive length, ppq or tempo
 */
export function exportLengthSec(endTick: number, ppq: number, bpm: number, loop: boolean): number {
  if (!(endTick > 0) || !(ppq > 0) || !(bpm > 0))
    throw new RangeError(`endTick, ppq and bpm must be positive, got: ${endTick}, ${ppq}, ${bpm}`);
  return ticksToSec(endTick, ppq, bpm) + (loop ? 0 : RELEASE_TAIL_SEC);
}

/**
 * A loop's audio, `frames` long, from a render that ran on past its end: what sounds after the loop point (the last
 * notes' release, the reverb) is added onto the start, where it sounds when the loop plays again. So the file is
 * exactly the loop's length and plays seamlessly on repeat.
 * @throws RangeError when the render is shorter than `frames`
 */
export function foldTail(rendered: Float32Array, frames: number): Float32Array {
  if (rendered.length < frames)
    throw new RangeError(`the render (${rendered.length} frames) is shorter than the loop (${frames} frames)`);
  const out = rendered.slice(0, frames);
  for (let i = frames; i < rendered.length; i++) out[(i - frames) % frames]! += rendered[i]!;
  return out;
}
