// SPDX-License-Identifier: MIT
/**
 * The notes of a take after an infill (./infill.ts): every note outside the selection is kept exactly as it was
 * (velocity, humanised timing, edits), the selection's notes come from the new tokens, and the seams are cut as the
 * tokens are (./infill.ts header): a note held into the selection ends at its first bar line, a note held out of it
 * keeps its part after the last bar line as a note of its own (re-struck there), and a new note ends at that bar line
 * at the latest. Notes belong to the step their start rounds to, so a humanised note just before a bar line counts
 * where the grid heard it.
 */
import { decodeMelody } from '../encoding/melody';
import { applyDynamics } from '../music/dynamics';
import type { Meter } from '../music/meter';
import type { Note } from '../music/NoteSequence';

export function spliceInfillNotes(
  original: readonly Note[],
  tokens: readonly number[],
  options: { ppq: number; meter: Meter; fromStep: number; toStep: number },
): Note[] {
  const { ppq, meter, fromStep, toStep } = options;
  const stepTicks = ppq / 4;
  const fromTick = fromStep * stepTicks;
  const toTick = toStep * stepTicks;
  const stepOf = (tick: number) => Math.round(tick / stepTicks);
  const out: Note[] = [];
  for (const note of original) {
    const start = stepOf(note.startTick);
    const endTick = note.startTick + note.durationTicks;
    if (start >= toStep) {
      out.push({ ...note });
      continue;
    }
    if (start < fromStep)
      out.push({ ...note, durationTicks: Math.max(1, Math.min(endTick, fromTick) - note.startTick) });
    if (stepOf(endTick) > toStep) out.push({ ...note, startTick: toTick, durationTicks: endTick - toTick });
  }
  const decoded = decodeMelody(tokens, { ppq }).tracks[0].notes.filter(
    (n) => n.startTick >= fromTick && n.startTick < toTick,
  );
  const fresh = applyDynamics(
    decoded.map((n) => ({ ...n, durationTicks: Math.min(n.startTick + n.durationTicks, toTick) - n.startTick })),
    { ppq, meter },
  );
  return [...out, ...fresh].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}
