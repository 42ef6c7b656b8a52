// SPDX-License-Identifier: MIT
/**
 * Gapless audition of a loop take (loop mode, src/core/model/loop.ts): the scheduling, as pure functions, so a unit
 * test can check it without an audio context.
 *
 * AudioEngine plays a loop on Tone's Transport with loop = true, loopStart = 0 and loopEnd = the loop's ticks
 * ({@link loopNotes}' `loopTicks`), its Part holding the notes cut to the loop. The Transport wraps on its own tick
 * clock, so pass p plays a note at tick t at exactly (p * loopTicks + t) ticks from the start: no gap, no overlap.
 * {@link loopSchedule} states those times for k passes, the way the Transport will play them.
 */
import type { Note } from '../../../../core/music/NoteSequence';

/** A loop's notes as they are played: cut to [0, loopTicks) (the held note across the loop point ends there). */
export function loopNotes(notes: readonly Note[], loopTicks: number): Note[] {
  return notes
    .filter((n) => n.startTick < loopTicks && n.startTick + n.durationTicks > 0)
    .map((n) => {
      const startTick = Math.max(0, n.startTick);
      return { ...n, startTick, durationTicks: Math.min(loopTicks, n.startTick + n.durationTicks) - startTick };
    })
    .filter((n) => n.durationTicks > 0)
    .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}

export interface ScheduledNote {
  /** 0-based pass of the loop. */
  pass: number;
  pitch: number;
  velocity: number;
  /** Transport ticks from the start of pass 0. */
  startTick: number;
  endTick: number;
  /** Seconds from the start of pass 0 at the tempo. */
  startSeconds: number;
  endSeconds: number;
}

/** Seconds of `ticks` at `bpm` quarter notes a minute and `ppq` ticks a quarter. */
export function ticksToSeconds(ticks: number, ppq: number, bpm: number): number {
  return (ticks * 60) / (bpm * ppq);
}

/**
 * Every note of `passes` passes of a loop, as a Transport looping [0, loopTicks) plays them.
 * @throws RangeError for a loop that is not a positive number of ticks, or a bad ppq, tempo or pass count
 */
export function loopSchedule(
  notes: readonly Note[],
  options: { loopTicks: number; ppq: number; bpm: number; passes: number },
): ScheduledNote[] {
  const { loopTicks, ppq, bpm, passes } = options;
  if (!(loopTicks > 0)) throw new RangeError(`loopTicks must be positive, got: ${loopTicks}`);
  if (!(ppq > 0) || !(bpm > 0)) throw new RangeError(`ppq and bpm must be positive, got: ${ppq}, ${bpm}`);
  if (!Number.isInteger(passes) || passes < 1)
    throw new RangeError(`passes must be a positive integer, got: ${passes}`);
  const cut = loopNotes(notes, loopTicks);
  const out: ScheduledNote[] = [];
  for (let pass = 0; pass < passes; pass++) {
    for (const n of cut) {
      const startTick = pass * loopTicks + n.startTick;
      const endTick = startTick + n.durationTicks;
      out.push({
        pass,
        pitch: n.pitch,
        velocity: n.velocity,
        startTick,
        endTick,
        startSeconds: ticksToSeconds(startTick, ppq, bpm),
        endSeconds: ticksToSeconds(endTick, ppq, bpm),
      });
    }
  }
  return out;
}
