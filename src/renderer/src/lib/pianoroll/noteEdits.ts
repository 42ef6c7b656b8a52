// SPDX-License-Identifier: MIT
/**
 * Note-edit reducers over immutable arrays, and an undo history of snapshots.
 * Every edit returns a new array (or the same one when nothing changed) so Svelte's
 * `$state.raw` sees a new reference and undo can keep the old one as is.
 */
import type { Note, Pitch, Ticks } from '../../../../core/music/NoteSequence';
import { clampPitch } from './geometry';

/** Keep notes sorted by start, then pitch, as NoteSequence promises. */
export function sortNotes(notes: readonly Note[]): Note[] {
  return [...notes].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}

export function deleteNotes(notes: readonly Note[], indices: readonly number[]): readonly Note[] {
  if (indices.length === 0) return notes;
  const drop = new Set(indices);
  return notes.filter((_, i) => !drop.has(i));
}

/** Move the note to a new start and pitch (clamped to tick >= 0, pitch 0..127). */
export function moveNote(notes: readonly Note[], index: number, startTick: Ticks, pitch: Pitch): readonly Note[] {
  const note = notes[index];
  if (!note) return notes;
  const moved = { ...note, startTick: Math.max(0, Math.round(startTick)), pitch: clampPitch(pitch) };
  if (moved.startTick === note.startTick && moved.pitch === note.pitch) return notes;
  return notes.map((n, i) => (i === index ? moved : n));
}

/** Set a note's length; never shorter than minDurationTicks. */
export function resizeNote(
  notes: readonly Note[],
  index: number,
  durationTicks: Ticks,
  minDurationTicks: Ticks,
): readonly Note[] {
  const note = notes[index];
  if (!note) return notes;
  const next = Math.max(minDurationTicks, Math.round(durationTicks));
  if (next === note.durationTicks) return notes;
  return notes.map((n, i) => (i === index ? { ...n, durationTicks: next } : n));
}

/** Undo/redo over immutable snapshots. `present` is what is shown. */
export interface EditHistory {
  readonly past: readonly (readonly Note[])[];
  readonly present: readonly Note[];
  readonly future: readonly (readonly Note[])[];
}

/** Cap on kept snapshots: each one is a full note array, and melodies are small. */
export const MAX_UNDO_STEPS = 200;

export function createHistory(notes: readonly Note[]): EditHistory {
  return { past: [], present: notes, future: [] };
}

/** Record a new present; an unchanged array is not an undo step. */
export function commitEdit(history: EditHistory, next: readonly Note[]): EditHistory {
  if (next === history.present) return history;
  const past = [...history.past, history.present].slice(-MAX_UNDO_STEPS);
  return { past, present: next, future: [] };
}

export function undo(history: EditHistory): EditHistory {
  if (history.past.length === 0) return history;
  const previous = history.past[history.past.length - 1];
  return { past: history.past.slice(0, -1), present: previous, future: [history.present, ...history.future] };
}

export function redo(history: EditHistory): EditHistory {
  if (history.future.length === 0) return history;
  const [next, ...rest] = history.future;
  return { past: [...history.past, history.present], present: next, future: rest };
}
