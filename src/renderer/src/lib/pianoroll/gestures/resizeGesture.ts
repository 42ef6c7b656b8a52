// SPDX-License-Identifier: MIT
/** Dragging a note's right edge: the end snaps to the grid; a note never gets shorter than one grid step. */
import type { Note, Ticks } from '../../../../../core/music/NoteSequence';
import { snapTick } from '../geometry';

export interface ResizeGesture {
  readonly kind: 'resize';
  readonly index: number;
  readonly original: Note;
}

export function beginResize(index: number, original: Note): ResizeGesture {
  return { kind: 'resize', index, original };
}

export function resizeTarget(g: ResizeGesture, pointerTick: Ticks, gridTicks: Ticks): Ticks {
  const minDuration = Math.max(1, gridTicks);
  const endTick = snapTick(pointerTick, gridTicks, 'nearest');
  return Math.max(minDuration, endTick - g.original.startTick);
}
