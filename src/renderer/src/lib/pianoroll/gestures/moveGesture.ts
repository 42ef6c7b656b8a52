// SPDX-License-Identifier: MIT
/** Dragging a note's body: it follows the pointer by whole grid steps and whole semitones. */
import type { Note, Pitch, Ticks } from '../../../../../core/music/NoteSequence';
import { clampPitch, snapTick } from '../geometry';

export interface MoveGesture {
  readonly kind: 'move';
  readonly index: number;
  readonly original: Note;
  readonly downTick: Ticks;
  readonly downPitch: Pitch;
}

export function beginMove(index: number, original: Note, downTick: Ticks, downPitch: Pitch): MoveGesture {
  return { kind: 'move', index, original, downTick, downPitch };
}

/** Where the note goes for the pointer now at (tick, pitch). The offset is snapped, not the pointer. */
export function moveTarget(
  g: MoveGesture,
  tick: Ticks,
  pitch: Pitch,
  gridTicks: Ticks,
): { startTick: Ticks; pitch: Pitch } {
  const wanted = g.original.startTick + (tick - g.downTick);
  return {
    startTick: snapTick(wanted, gridTicks, 'nearest'),
    pitch: clampPitch(g.original.pitch + (pitch - g.downPitch)),
  };
}
