import { describe, expect, it } from 'vitest';
import type { Note } from '../../src/core/music/NoteSequence';
import {
  commitEdit,
  createHistory,
  deleteNotes,
  MAX_UNDO_STEPS,
  moveNote,
  redo,
  resizeNote,
  sortNotes,
  undo,
} from '../../src/renderer/src/lib/pianoroll/noteEdits';

const note = (pitch: number, startTick: number, durationTicks = 120): Note => ({
  pitch,
  startTick,
  durationTicks,
  velocity: 90,
});
const melody: readonly Note[] = Object.freeze([note(60, 0), note(62, 120), note(64, 240)].map((n) => Object.freeze(n)));

describe('note-edit reducers', () => {
  it('delete removes exactly the chosen notes without touching the input', () => {
    const after = deleteNotes(melody, [1]);
    expect(after.map((n) => n.pitch)).toEqual([60, 64]);
    expect(melody).toHaveLength(3);
    expect(deleteNotes(melody, [])).toBe(melody);
  });

  it('move changes one note, clamps pitch and start, and keeps the others by reference', () => {
    const after = moveNote(melody, 2, 480, 200);
    expect(after[2]).toEqual({ ...melody[2], startTick: 480, pitch: 127 });
    expect(after[0]).toBe(melody[0]);
    expect(moveNote(melody, 0, -100, 60)[0].startTick).toBe(0);
    expect(moveNote(melody, 0, 0, 60)).toBe(melody);
  });

  it('lengthen respects the minimum duration', () => {
    expect(resizeNote(melody, 0, 480, 30)[0].durationTicks).toBe(480);
    expect(resizeNote(melody, 0, 5, 30)[0].durationTicks).toBe(30);
    expect(resizeNote(melody, 7, 480, 30)).toBe(melody);
  });

  it('sorts by start then pitch', () => {
    expect(sortNotes([note(64, 120), note(60, 120), note(50, 0)]).map((n) => n.pitch)).toEqual([50, 60, 64]);
  });
});

describe('undo history on immutable snapshots', () => {
  it('undoes and redoes a chain of edits back to the exact snapshots', () => {
    let h = createHistory(melody);
    const afterDelete = deleteNotes(h.present, [0]);
    h = commitEdit(h, afterDelete);
    const afterMove = moveNote(h.present, 0, 960, 70);
    h = commitEdit(h, afterMove);
    expect(h.present).toBe(afterMove);
    h = undo(h);
    expect(h.present).toBe(afterDelete);
    h = undo(h);
    expect(h.present).toBe(melody);
    expect(undo(h)).toBe(h);
    h = redo(h);
    expect(h.present).toBe(afterDelete);
    // A new edit after undo drops the redo branch.
    h = commitEdit(h, resizeNote(h.present, 0, 480, 30));
    expect(h.future).toHaveLength(0);
    expect(redo(h)).toBe(h);
  });

  it('ignores no-op edits and caps the number of steps', () => {
    let h = createHistory(melody);
    expect(commitEdit(h, h.present)).toBe(h);
    for (let i = 0; i < MAX_UNDO_STEPS + 20; i++) h = commitEdit(h, moveNote(h.present, 0, i + 1, 60));
    expect(h.past).toHaveLength(MAX_UNDO_STEPS);
  });
});
