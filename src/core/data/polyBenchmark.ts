// SPDX-License-Identifier: MIT
/**
 * The polyphonic benchmark splits of Boulanger-Lewandowski, Bengio and Vincent (ICML 2012, "Modeling Temporal
 * Dependencies in High-Dimensional Sequences"): `{ "train", "valid", "test" }` -> pieces -> frames -> the sounding MIDI
 * pitches 21..108 (shared data/boulanger2012/*.json, jsb-chorales/jsb-chorales-quarter.json). Each piece becomes a
 * dense piano roll over the 88 piano keys, one row per frame, at the file's own resolution (one frame per quarter
 * note for JSB; the set's own step for the others), which the file does not state and we do not guess.
 *
 * Input is already-parsed JSON; reading the file is the caller's business (STYLE §1).
 */
import { CorpusFormatError, readPianoRollSplits } from './jsonCorpora';

/** The lowest piano key (A0) and the number of keys: the benchmark's 88-pitch frame. */
export const PIANO_LOW = 21;
export const PIANO_KEYS = 88;

/** One piece as a dense roll: frames x pitches, row-major, 1 = sounding. */
export interface RollPiece {
  name: string;
  /** Number of frames T. */
  frames: number;
  /** Pitches per frame P (88 for the benchmark). */
  pitches: number;
  /** (T,P) 0/1 values. */
  roll: Float32Array;
}

export interface PolyBenchmark {
  name: string;
  low: number;
  pitches: number;
  train: RollPiece[];
  valid: RollPiece[];
  test: RollPiece[];
}

/**
 * Reads a benchmark file's splits into 88-key rolls. Empty pieces are dropped (they have no frame to score).
 * @throws CorpusFormatError CORPUS_FORMAT_INVALID for another layout, a missing split, or a pitch outside 21..108
 *   (naming the piece and frame).
 */
export function readPolyBenchmark(json: unknown, sourceName: string): PolyBenchmark {
  const pieces = readPianoRollSplits(json, sourceName);
  const out: PolyBenchmark = {
    name: sourceName
      .split(/[\\/]/)
      .pop()!
      .replace(/\.json$/i, ''),
    low: PIANO_LOW,
    pitches: PIANO_KEYS,
    train: [],
    valid: [],
    test: [],
  };
  for (const piece of pieces) {
    if (piece.frames.length === 0) continue;
    const roll = new Float32Array(piece.frames.length * PIANO_KEYS);
    piece.frames.forEach((frame, t) => {
      for (const pitch of frame) {
        if (pitch < PIANO_LOW || pitch >= PIANO_LOW + PIANO_KEYS)
          throw new CorpusFormatError(
            sourceName,
            `${piece.name}, frame ${t + 1}: pitch must be within [${PIANO_LOW}, ${PIANO_LOW + PIANO_KEYS - 1}] (the piano's 88 keys), got: ${pitch}`,
          );
        roll[t * PIANO_KEYS + pitch - PIANO_LOW] = 1;
      }
    });
    out[piece.split].push({ name: piece.name, frames: piece.frames.length, pitches: PIANO_KEYS, roll });
  }
  for (const split of ['train', 'valid', 'test'] as const)
    if (out[split].length === 0)
      throw new CorpusFormatError(sourceName, `the "${split}" split has no pieces; a benchmark file needs all three.`);
  return out;
}

/** Total frames of a list of pieces. */
export function frameCount(pieces: readonly RollPiece[]): number {
  return pieces.reduce((n, p) => n + p.frames, 0);
}
