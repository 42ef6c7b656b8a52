// SPDX-License-Identifier: MIT
/**
 * Copying: the longest run of consecutive notes a take shares with any piece of a corpus, so a
 * take that reproduces training data is caught before it is shipped.
 *
 * Notes are read in order of onset, then pitch (a chord's notes low to high). Consecutive notes
 * i-1, i form one step: (pitch interval p_i − p_{i−1}, inter-onset interval) when transposition
 * invariant (the default: a copy moved to another key is still a copy), or (p_{i−1}, p_i,
 * inter-onset interval) when not. Inter-onset intervals are compared in forty-eighths of a
 * quarter note (rounded), so files of any PPQ compare, and sixteenths, triplets and their
 * halves are all exact. A run of k notes matches when its k − 1 steps occur in a corpus piece,
 * one after the other. Note lengths and velocities are ignored. No paper defines this measure;
 * it is ours (compare the "originality" checks of memorisation studies).
 *
 * Search: the corpus index maps a hash of every {@link INDEX_GRAM}-step window to where it occurs;
 * a take looks up each of its windows and extends every hit as far as the steps agree, skipping
 * hits that cannot beat the best run found so far (one comparison at the best length first). Runs
 * shorter than the window are found from the small sets of 1- and 2-step keys. Building the index
 * is linear in the corpus' notes; a query costs about (take steps × hits per window).
 */
import type { Note } from '../music/NoteSequence';
import type { Passage } from './passage';

/** Steps per indexed window. */
export const INDEX_GRAM = 3;
/** Inter-onset intervals are rounded to this many units per quarter note. */
export const ONSET_UNITS_PER_QUARTER = 48;
const MAX_ONSET_UNITS = 4095;

/** Options of {@link buildCopyIndex}. */
export interface CopyOptions {
  /** Compare pitch intervals (true, default) or absolute pitches (false). */
  transpositionInvariant?: boolean;
}

/** A prepared corpus for {@link longestCopiedRun}. Opaque; build with {@link buildCopyIndex}. */
export interface CopyIndex {
  readonly transpositionInvariant: boolean;
  /** Step codes of all pieces, each piece followed by -1 (a code no take has). */
  readonly steps: Int32Array;
  /** Where each piece's steps begin in `steps`. */
  readonly pieceStarts: Int32Array;
  /** Window hash -> positions in `steps` where such a window starts. */
  readonly windows: Map<number, number[]>;
  readonly oneStep: Set<number>;
  readonly twoSteps: Set<string>;
  /** Pitches that occur in the corpus (for 1-note runs when not transposition invariant). */
  readonly pitches: Set<number>;
  readonly pieceCount: number;
}

/** The longest shared run and where it is. */
export interface CopiedRun {
  /** Notes in the longest run (0 when the take or the corpus has no note). */
  notes: number;
  /** Index of the corpus piece that holds it; -1 when notes is 0 or 1 (the index does not locate single notes). */
  pieceIndex: number;
  /** Index of the run's first note in the take's notes sorted by onset, then pitch. */
  takeNoteIndex: number;
  /** Index of the run's first note in the piece's sorted notes; -1 when pieceIndex is. */
  pieceNoteIndex: number;
}

function sortedNotes(notes: readonly Note[]): Note[] {
  return [...notes].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}

/** Step codes of a passage (one fewer than its notes); non-negative integers. */
function stepCodes(passage: Passage, transpositionInvariant: boolean): number[] {
  const notes = sortedNotes(passage.notes);
  const codes: number[] = [];
  for (let i = 1; i < notes.length; i++) {
    const ioi = Math.min(
      MAX_ONSET_UNITS,
      Math.round(((notes[i].startTick - notes[i - 1].startTick) * ONSET_UNITS_PER_QUARTER) / passage.ppq),
    );
    const pitchPart = transpositionInvariant
      ? notes[i].pitch - notes[i - 1].pitch + 128
      : notes[i - 1].pitch * 128 + notes[i].pitch;
    codes.push(pitchPart * (MAX_ONSET_UNITS + 1) + ioi);
  }
  return codes;
}

function windowHash(steps: ArrayLike<number>, at: number): number {
  let hash = 0x811c9dc5;
  for (let k = 0; k < INDEX_GRAM; k++) hash = Math.imul(hash ^ steps[at + k], 0x01000193);
  return hash >>> 0;
}

/**
 * Prepare a corpus for {@link longestCopiedRun}; build once, query with every take.
 * Memory: about 3 numbers per corpus note.
 */
export function buildCopyIndex(corpus: readonly Passage[], options: CopyOptions = {}): CopyIndex {
  const transpositionInvariant = options.transpositionInvariant ?? true;
  const perPiece = corpus.map((piece) => stepCodes(piece, transpositionInvariant));
  const total = perPiece.reduce((sum, codes) => sum + codes.length + 1, 0);
  const steps = new Int32Array(total);
  const pieceStarts = new Int32Array(corpus.length);
  const windows = new Map<number, number[]>();
  const oneStep = new Set<number>();
  const twoSteps = new Set<string>();
  const pitches = new Set<number>();
  let at = 0;
  perPiece.forEach((codes, pieceIndex) => {
    for (const note of corpus[pieceIndex].notes) pitches.add(note.pitch);
    pieceStarts[pieceIndex] = at;
    steps.set(codes, at);
    for (let i = 0; i < codes.length; i++) {
      oneStep.add(codes[i]);
      if (i + 1 < codes.length) twoSteps.add(`${codes[i]},${codes[i + 1]}`);
      if (i + INDEX_GRAM <= codes.length) {
        const hash = windowHash(codes, i);
        const list = windows.get(hash);
        if (list) list.push(at + i);
        else windows.set(hash, [at + i]);
      }
    }
    at += codes.length;
    steps[at++] = -1;
  });
  return { transpositionInvariant, steps, pieceStarts, windows, oneStep, twoSteps, pitches, pieceCount: corpus.length };
}

function pieceOf(index: CopyIndex, position: number): number {
  let low = 0;
  let high = index.pieceStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (index.pieceStarts[mid] <= position) low = mid;
    else high = mid - 1;
  }
  return low;
}

function locate(index: CopyIndex, takeStep: number, corpusPosition: number, steps: number): CopiedRun {
  const pieceIndex = pieceOf(index, corpusPosition);
  return {
    notes: steps + 1,
    pieceIndex,
    takeNoteIndex: takeStep,
    pieceNoteIndex: corpusPosition - index.pieceStarts[pieceIndex],
  };
}

/**
 * The longest run of consecutive notes of `take` that also occurs, note after note, in one piece
 * of the indexed corpus (definition in the file header). A take copied whole from the corpus
 * gives its own note count.
 * @example longestCopiedRun(takeOf(corpus[3]), buildCopyIndex(corpus)).notes // = the take's note count
 */
export function longestCopiedRun(take: Passage, index: CopyIndex): CopiedRun {
  const none: CopiedRun = { notes: 0, pieceIndex: -1, takeNoteIndex: 0, pieceNoteIndex: 0 };
  if (take.notes.length === 0 || index.pitches.size === 0) return none;
  const codes = stepCodes(take, index.transpositionInvariant);
  const corpus = index.steps;
  // Best run so far, in steps (notes - 1).
  let bestSteps = -1;
  let best = none;
  for (let i = 0; i + INDEX_GRAM <= codes.length; i++) {
    const hits = index.windows.get(windowHash(codes, i));
    if (!hits) continue;
    for (const position of hits) {
      // A hit can only win if it agrees at the step that would make it longer than the best.
      const probe = bestSteps;
      if (probe >= INDEX_GRAM && (i + probe >= codes.length || corpus[position + probe] !== codes[i + probe])) continue;
      let length = 0;
      while (i + length < codes.length && corpus[position + length] === codes[i + length]) length++;
      if (length > bestSteps) {
        bestSteps = length;
        best = locate(index, i, position, length);
      }
    }
  }
  if (bestSteps >= INDEX_GRAM) return best;
  // Shorter runs: is any 2-step, then any 1-step pair of notes in the corpus?
  for (let i = 0; i + 1 < codes.length; i++) {
    if (index.twoSteps.has(`${codes[i]},${codes[i + 1]}`)) return findShort(index, codes, i, 2);
  }
  for (let i = 0; i < codes.length; i++) {
    if (index.oneStep.has(codes[i])) return findShort(index, codes, i, 1);
  }
  const notes = sortedNotes(take.notes);
  for (let i = 0; i < notes.length; i++) {
    if (index.transpositionInvariant || index.pitches.has(notes[i].pitch)) {
      return { notes: 1, pieceIndex: -1, takeNoteIndex: i, pieceNoteIndex: -1 };
    }
  }
  return none;
}

/** Locate a short run (1 or 2 steps) known to exist, by a linear scan of the corpus steps. */
function findShort(index: CopyIndex, codes: readonly number[], at: number, steps: number): CopiedRun {
  const corpus = index.steps;
  for (let position = 0; position + steps <= corpus.length; position++) {
    let k = 0;
    while (k < steps && corpus[position + k] === codes[at + k]) k++;
    if (k === steps) return locate(index, at, position, steps);
  }
  return { notes: 1, pieceIndex: -1, takeNoteIndex: at, pieceNoteIndex: -1 };
}
