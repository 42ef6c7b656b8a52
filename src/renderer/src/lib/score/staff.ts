// SPDX-License-Identifier: MIT
/**
 * Treble-staff arithmetic for the simple score: where a MIDI pitch sits on the staff, which
 * accidental it needs (with the in-bar carry rule), which ledger lines it needs, and which note
 * type approximates its duration. Pure functions; the Score component only draws.
 *
 * Staff steps count diatonic positions from the bottom line (E4 = 0): even steps are lines
 * (E4 G4 B4 D5 F5 = 0 2 4 6 8), odd steps are spaces. C4 is step -2, the first ledger line below.
 */
import type { Note, Pitch, Ticks } from '../../../../core/music/NoteSequence';

export type Accidental = 'sharp' | 'flat' | 'natural';
export type Spelling = 'sharps' | 'flats';

interface SpelledPitch {
  /** Letter index C=0 D=1 E=2 F=3 G=4 A=5 B=6. */
  letter: number;
  /** -1 flat, 0 natural, +1 sharp. */
  alteration: -1 | 0 | 1;
  octave: number;
}

const SHARP_SPELLING: readonly [number, -1 | 0 | 1][] = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
  [2, 0],
  [3, 0],
  [3, 1],
  [4, 0],
  [4, 1],
  [5, 0],
  [5, 1],
  [6, 0],
];
const FLAT_SPELLING: readonly [number, -1 | 0 | 1][] = [
  [0, 0],
  [1, -1],
  [1, 0],
  [2, -1],
  [2, 0],
  [3, 0],
  [4, -1],
  [4, 0],
  [5, -1],
  [5, 0],
  [6, -1],
  [6, 0],
];

export const LETTER_NAMES = ['C', 'D', 'E', 'F', 'G', 'A', 'B'] as const;

export function spellPitch(pitch: Pitch, spelling: Spelling = 'sharps'): SpelledPitch {
  const pitchClass = ((pitch % 12) + 12) % 12;
  const [letter, alteration] = (spelling === 'flats' ? FLAT_SPELLING : SHARP_SPELLING)[pitchClass];
  return { letter, alteration, octave: Math.floor(pitch / 12) - 1 };
}

/** Diatonic index of E4, the treble staff's bottom line. */
const BOTTOM_LINE_DIATONIC = 4 * 7 + 2;
export const TOP_LINE_STEP = 8;

/** Staff step of a pitch (see the module comment): C4 -> -2, E4 -> 0, F5 -> 8, A5 -> 10. */
export function staffStep(pitch: Pitch, spelling: Spelling = 'sharps'): number {
  const s = spellPitch(pitch, spelling);
  return s.octave * 7 + s.letter - BOTTOM_LINE_DIATONIC;
}

/** Steps of the ledger lines a note at this step needs (empty inside the staff). */
export function ledgerLineSteps(step: number): number[] {
  const lines: number[] = [];
  for (let s = -2; s >= step; s -= 2) lines.push(s);
  for (let s = TOP_LINE_STEP + 2; s <= step; s += 2) lines.push(s);
  return lines;
}

/**
 * The accidental to print for each note, in order, with no key signature (C major): an
 * accidental holds until the end of its bar for the same letter and octave, so a later natural
 * of that note needs a natural sign and a repeated sharp needs none.
 */
export function accidentalsInBars(
  notes: readonly Pick<Note, 'pitch' | 'startTick'>[],
  barTicks: Ticks,
  spelling: Spelling = 'sharps',
): (Accidental | null)[] {
  let currentBar = -1;
  let carried = new Map<string, number>();
  return notes.map((note) => {
    const bar = Math.floor(note.startTick / barTicks);
    if (bar !== currentBar) {
      currentBar = bar;
      carried = new Map();
    }
    const s = spellPitch(note.pitch, spelling);
    const key = `${s.letter}:${s.octave}`;
    const inForce = carried.get(key) ?? 0;
    if (inForce === s.alteration) return null;
    carried.set(key, s.alteration);
    return s.alteration === 1 ? 'sharp' : s.alteration === -1 ? 'flat' : 'natural';
  });
}

export type NoteTypeName = 'whole' | 'half' | 'quarter' | 'eighth' | 'sixteenth';

export interface NoteType {
  name: NoteTypeName;
  dotted: boolean;
  /** Length the symbol stands for, in sixteenths. */
  sixteenths: number;
}

const NOTE_TYPES: readonly NoteType[] = [
  { name: 'whole', dotted: false, sixteenths: 16 },
  { name: 'half', dotted: true, sixteenths: 12 },
  { name: 'half', dotted: false, sixteenths: 8 },
  { name: 'quarter', dotted: true, sixteenths: 6 },
  { name: 'quarter', dotted: false, sixteenths: 4 },
  { name: 'eighth', dotted: true, sixteenths: 3 },
  { name: 'eighth', dotted: false, sixteenths: 2 },
  { name: 'sixteenth', dotted: false, sixteenths: 1 },
];

/**
 * The written note type for a duration: the longest symbol not longer than the duration
 * rounded to sixteenths (no ties in this simple score; longer than a whole note shows a whole).
 */
export function noteTypeFor(durationTicks: Ticks, ppq: number): NoteType {
  const sixteenths = Math.max(1, Math.round(durationTicks / (ppq / 4)));
  return NOTE_TYPES.find((t) => t.sixteenths <= sixteenths) ?? NOTE_TYPES[NOTE_TYPES.length - 1];
}

/** Bar length in ticks for a time signature (4/4 by default). */
export function barLengthTicks(ppq: number, numerator = 4, denominator = 4): Ticks {
  return (ppq * 4 * numerator) / denominator;
}

/** Y of a staff step, given the bottom line's y and the distance between two lines. */
export function stepToY(step: number, bottomLineY: number, lineGapPx: number): number {
  return bottomLineY - (step * lineGapPx) / 2;
}

export interface RestMark {
  startTick: Ticks;
  type: NoteType;
}

/**
 * Rests for the silences of a monophonic line (before the first note and between notes), one
 * symbol per silence, approximated like note durations; silences shorter than a sixteenth
 * (quantisation slop) get none. A silence crossing a bar line is split there.
 */
export function restsInLine(
  notes: readonly Pick<Note, 'startTick' | 'durationTicks'>[],
  ppq: number,
  barTicks: Ticks,
): RestMark[] {
  const sixteenth = ppq / 4;
  const rests: RestMark[] = [];
  const add = (from: Ticks, to: Ticks): void => {
    let start = from;
    while (to - start >= sixteenth) {
      const barEnd = (Math.floor(start / barTicks) + 1) * barTicks;
      const end = Math.min(to, barEnd);
      if (end - start >= sixteenth) rests.push({ startTick: start, type: noteTypeFor(end - start, ppq) });
      start = end;
    }
  };
  let cursor = 0;
  for (const n of notes) {
    if (n.startTick > cursor) add(cursor, n.startTick);
    cursor = Math.max(cursor, n.startTick + n.durationTicks);
  }
  return rests;
}
