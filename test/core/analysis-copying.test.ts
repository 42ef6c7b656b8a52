// SPDX-License-Identifier: MIT
// Copying: the longest run of consecutive notes a take shares with a corpus piece, on hand-made
// corpora, and on a random corpus of 2,000 pieces x 200 notes with a planted run.
import { describe, expect, it } from 'vitest';
import type { Note } from '../../src/core/music/NoteSequence';
import { buildCopyIndex, longestCopiedRun, makePassage, type Passage } from '../../src/core/analysis';

const PPQ = 480;

/** Notes from [pitch, onset gap to the next note in sixteenths]. */
function line(steps: [number, number][], ppq = PPQ, transpose = 0): Note[] {
  let at = 0;
  return steps.map(([pitch, gap]) => {
    const note = { pitch: pitch + transpose, startTick: at, durationTicks: (gap * ppq) / 4, velocity: 80 };
    at += (gap * ppq) / 4;
    return note;
  });
}

/** Small deterministic generator (a 32-bit LCG) so the big corpus is the same every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const tuneA: [number, number][] = [
  [67, 4],
  [64, 2],
  [65, 2],
  [67, 4],
  [64, 2],
  [65, 2],
  [67, 2],
  [55, 2],
  [57, 2],
  [59, 2],
  [60, 2],
  [62, 2],
  [64, 2],
  [65, 2],
];
const tuneB: [number, number][] = [
  [60, 4],
  [60, 4],
  [67, 4],
  [67, 4],
  [69, 4],
  [69, 4],
  [67, 8],
  [65, 4],
  [65, 4],
  [64, 4],
  [64, 4],
  [62, 4],
  [62, 4],
  [60, 8],
];
const tuneC: [number, number][] = [
  [72, 2],
  [71, 2],
  [69, 2],
  [67, 2],
  [65, 6],
  [64, 2],
  [62, 8],
];
const corpus: Passage[] = [tuneA, tuneB, tuneC].map((t) => makePassage(line(t), PPQ));

describe('longestCopiedRun', () => {
  const index = buildCopyIndex(corpus);

  it('a take copied from the corpus copies its whole length, at any PPQ and transposed', () => {
    expect(longestCopiedRun(makePassage(line(tuneB), PPQ), index)).toEqual({
      notes: tuneB.length,
      pieceIndex: 1,
      takeNoteIndex: 0,
      pieceNoteIndex: 0,
    });
    expect(longestCopiedRun(makePassage(line(tuneB, 96, 5), 96), index).notes).toBe(tuneB.length);
  });

  it('finds a run in the middle of a take and of a piece', () => {
    // Three notes of our own, then notes 6..11 of tune A (6 notes), then three of our own.
    const middle = [[70, 3], [49, 5], [80, 3], ...tuneA.slice(6, 12), [90, 7], [30, 1], [100, 3]] as [number, number][];
    // The last copied note's gap leads into our note 90: the run's steps end with it.
    const run = longestCopiedRun(makePassage(line(middle), PPQ), index);
    expect(run).toEqual({ notes: 6, pieceIndex: 0, takeNoteIndex: 3, pieceNoteIndex: 6 });
  });

  it('is transposition invariant by default, exact when asked', () => {
    const up = makePassage(line(tuneC, PPQ, 3), PPQ);
    expect(longestCopiedRun(up, index).notes).toBe(tuneC.length);
    const exact = buildCopyIndex(corpus, { transpositionInvariant: false });
    expect(exact.transpositionInvariant).toBe(false);
    expect(longestCopiedRun(makePassage(line(tuneC), PPQ), exact).notes).toBe(tuneC.length);
    // Transposed, no two consecutive notes of tune C share pitches with the corpus in order.
    expect(longestCopiedRun(up, exact).notes).toBeLessThan(3);
  });

  it('a different rhythm breaks the run: onsets matter, note lengths do not', () => {
    const legato = line(tuneB).map((n) => ({ ...n, durationTicks: n.durationTicks * 0.5 }));
    expect(longestCopiedRun(makePassage(legato, PPQ), index).notes).toBe(tuneB.length);
    const changed: [number, number][] = tuneB.map(([p, g], i) => [p, i === 6 ? g + 1 : g]);
    // The gap after note 6 differs: notes 0..6 (7) match, and 7..13 (7) do.
    expect(longestCopiedRun(makePassage(line(changed), PPQ), index).notes).toBe(7);
  });

  it('short runs: 2 and 3 notes are found without the window index; nothing shared gives 1 (or 0)', () => {
    // Two notes: interval -3 over a quarter gap: A's first step (67 -> 64, 4 sixteenths).
    const two = longestCopiedRun(
      makePassage(
        line([
          [70, 4],
          [67, 9],
        ]),
        PPQ,
      ),
      index,
    );
    expect(two).toMatchObject({ notes: 2, pieceIndex: 0, pieceNoteIndex: 0 });
    const three = longestCopiedRun(
      makePassage(
        line([
          [40, 4],
          [40, 4],
          [47, 13],
        ]),
        PPQ,
      ),
      index,
    );
    expect(three).toMatchObject({ notes: 3, pieceIndex: 1, pieceNoteIndex: 0 });
    const none = longestCopiedRun(
      makePassage(
        line([
          [40, 3],
          [41, 3],
          [42, 3],
        ]),
        PPQ,
      ),
      index,
    );
    expect(none.notes).toBe(1);
    expect(longestCopiedRun(makePassage([], PPQ), index).notes).toBe(0);
    expect(longestCopiedRun(makePassage(line(tuneA), PPQ), buildCopyIndex([])).notes).toBe(0);
  });

  it('never joins the end of one piece to the start of the next', () => {
    // The last two notes of A followed by the first two of B, with B's gaps.
    const across = makePassage(line([...tuneA.slice(-2), ...tuneB.slice(0, 2)]), PPQ);
    expect(longestCopiedRun(across, index).notes).toBeLessThan(4);
  });

  it('is fast on 2,000 pieces of 200 notes: finds a planted 40-note run', () => {
    const random = lcg(42);
    const gaps = [1, 2, 2, 4, 4, 4, 6, 8];
    const big: Passage[] = [];
    for (let p = 0; p < 2000; p++) {
      const steps: [number, number][] = [];
      let pitch = 60;
      for (let i = 0; i < 200; i++) {
        pitch = Math.max(40, Math.min(90, pitch + Math.floor(random() * 9) - 4));
        steps.push([pitch, gaps[Math.floor(random() * gaps.length)]]);
      }
      big.push(makePassage(line(steps), PPQ));
    }
    const started = performance.now();
    const bigIndex = buildCopyIndex(big);
    const built = performance.now();
    const source = big[1234].notes.slice(100, 140);
    const offset = 37 * (PPQ / 4) - source[0].startTick;
    const take: Note[] = [];
    for (let i = 0; i < 500; i++) {
      if (i >= 200 && i < 240) {
        const n = source[i - 200];
        take.push({ ...n, pitch: n.pitch + 2, startTick: n.startTick + offset + 200 * 1000 });
      } else {
        take.push({
          pitch: 30 + Math.floor(random() * 60),
          startTick: i * 1000 + (i >= 240 ? 40 * 960 : 0),
          durationTicks: 100,
          velocity: 80,
        });
      }
    }
    const run = longestCopiedRun(makePassage(take, PPQ), bigIndex);
    const queried = performance.now();
    console.log(
      `copy index: 400,000 notes indexed in ${(built - started).toFixed(0)} ms; one 500-note take in ${(queried - built).toFixed(1)} ms`,
    );
    expect(run).toMatchObject({ notes: 40, pieceIndex: 1234, pieceNoteIndex: 100 });
    expect(queried - built).toBeLessThan(1000);
  });
});
