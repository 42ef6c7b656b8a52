// SPDX-License-Identifier: MIT
/**
 * Training windows exactly as the thesis: every run of window+1 consecutive tokens of each piece; the first `window`
 * tokens are the input, the last is the target. A piece of n tokens gives max(0, n - window) windows.
 *
 * Windows are not copied: a WindowSet stores (piece, start, transposition) triples and fills batches on demand, so the
 * Nottingham corpus with 12 transpositions stays a few MB.
 */
import type { TokenBatch } from '../engine/types';
import { CHORD_DIM, transposeMask, writeChroma } from '../music/chords';
import type { Rng } from '../util/random';
import { velocityBinOf } from './velocity';

/** Melody tokens 0..127 are note-ons at that pitch; 128 note-off and 129 no-event are never transposed. */
const PITCH_TOKENS = 128;

export interface TokenPiece {
  name: string;
  tokens: ArrayLike<number>;
  /**
   * The chord of every step (a 12-bit pitch-class mask per token or frame, ../music/chords.ts; 0 = no chord), for
   * chord-conditioned models; absent = no chord anywhere.
   */
  chords?: ArrayLike<number>;
  /**
   * The MIDI velocity of the note-on at every step (0 where none starts or its velocity is unknown), for
   * velocity-aware models (./velocity.ts); absent = no velocity anywhere.
   */
  velocities?: ArrayLike<number>;
  /**
   * How many steps each step lies after the start of its bar, from the piece's own time-signature map
   * (../music/meterMap.ts stepsIntoBar), for models with a bar-position input; absent = the step's index (bars of the
   * model's length counted from the piece's start, as before meter maps).
   */
  barPositions?: ArrayLike<number>;
}

export interface WindowSet {
  readonly window: number;
  /** Number of windows. */
  readonly size: number;
  /** Piece index, start offset and semitone shift of window i. */
  at(i: number): { piece: number; start: number; shift: number };
  /**
   * Fills a batch from the windows whose indices are order[from .. from+count).
   * inputs (count, window) row-major, targets (count).
   */
  batch(order: ArrayLike<number>, from: number, count: number): TokenBatch;
}

/** Is every pitch of tokens[start .. start+len) + shift still a MIDI pitch? */
function fitsAfterShift(tokens: ArrayLike<number>, start: number, len: number, shift: number): boolean {
  if (shift === 0) return true;
  for (let i = start; i < start + len; i++) {
    const t = tokens[i];
    if (t < PITCH_TOKENS && (t + shift < 0 || t + shift >= PITCH_TOKENS)) return false;
  }
  return true;
}

/**
 * Builds the windows of `pieces`. `transpositions` lists semitone shifts (0 = as written; [] is treated as [0]);
 * a shifted window is dropped when any of its pitches (input or target) would leave 0..127.
 * With `withChords`, each batch carries the chord condition (B,T,12): at input step t the chroma of the chord at the
 * step of the token predicted there (start + t + 1), transposed with the window, so the model knows the chord of the
 * note it chooses.
 * With `velocityEdges` (a velocity-aware model's bin edges, ./velocity.ts), each batch also carries the velocity bin
 * of each target note-on (velocityTargets, -1 for other targets and unknown velocities) and, after the chord chroma
 * in the condition, the one-hot bin of the latest note at or before each input step (all zero before the first note
 * or where its velocity is unknown); the search for that note looks back past the window's start, as a decoder that
 * has played the piece from its beginning knows it. Transposition leaves velocities alone.
 */
export function buildWindows(
  pieces: TokenPiece[],
  window: number,
  transpositions: number[] = [0],
  withChords = false,
  velocityEdges?: readonly number[],
): WindowSet {
  if (!Number.isInteger(window) || window < 1)
    throw new RangeError(`window must be a positive integer, got: ${window}`);
  const shifts = transpositions.length ? [...new Set(transpositions)] : [0];
  const triples: number[] = [];
  pieces.forEach((p, pieceIndex) => {
    for (let start = 0; start + window < p.tokens.length; start++) {
      for (const shift of shifts) {
        if (fitsAfterShift(p.tokens, start, window + 1, shift)) triples.push(pieceIndex, start, shift);
      }
    }
  });
  const packed = Int32Array.from(triples);
  const size = packed.length / 3;
  const shiftToken = (t: number, shift: number) => (t < PITCH_TOKENS ? t + shift : t);
  // Per piece, the velocity bin of the latest note at or before each step (-1: none yet, or unknown); made on demand.
  const latest = new Map<number, Int8Array>();
  const latestBins = (piece: number): Int8Array => {
    let bins = latest.get(piece);
    if (!bins) {
      const { tokens, velocities } = pieces[piece];
      bins = new Int8Array(tokens.length).fill(-1);
      let current = -1;
      for (let i = 0; i < tokens.length; i++) {
        if (tokens[i] < PITCH_TOKENS) {
          const v = velocities?.[i] ?? 0;
          current = v > 0 ? velocityBinOf(v, velocityEdges!) : -1;
        }
        bins[i] = current;
      }
      latest.set(piece, bins);
    }
    return bins;
  };
  return {
    window,
    size,
    at: (i) => ({ piece: packed[3 * i], start: packed[3 * i + 1], shift: packed[3 * i + 2] }),
    batch(order, from, count) {
      const inputs = new Int32Array(count * window);
      const targets = new Int32Array(count);
      for (let b = 0; b < count; b++) {
        const w = order[from + b];
        const tokens = pieces[packed[3 * w]].tokens;
        const start = packed[3 * w + 1];
        const shift = packed[3 * w + 2];
        for (let t = 0; t < window; t++) inputs[b * window + t] = shiftToken(tokens[start + t], shift);
        targets[b] = shiftToken(tokens[start + window], shift);
      }
      const chordDim = withChords ? CHORD_DIM : 0;
      const bins = velocityEdges ? velocityEdges.length + 1 : 0;
      const dim = chordDim + bins;
      if (dim === 0) return { inputs, targets, batchSize: count };
      const values = new Float32Array(count * window * dim);
      const velocityTargets = bins > 0 ? new Int32Array(count).fill(-1) : undefined;
      for (let b = 0; b < count; b++) {
        const w = order[from + b];
        const piece = packed[3 * w];
        const start = packed[3 * w + 1];
        const shift = packed[3 * w + 2];
        const chords = pieces[piece].chords;
        if (chordDim > 0 && chords)
          for (let t = 0; t < window; t++)
            writeChroma(transposeMask(chords[start + t + 1] ?? 0, shift), values, (b * window + t) * dim);
        if (bins === 0) continue;
        const pieceBins = latestBins(piece);
        for (let t = 0; t < window; t++) {
          const bin = pieceBins[start + t];
          if (bin >= 0) values[(b * window + t) * dim + chordDim + bin] = 1;
        }
        const target = pieces[piece].tokens[start + window];
        const velocity = pieces[piece].velocities?.[start + window] ?? 0;
        if (target < PITCH_TOKENS && velocity > 0) velocityTargets![b] = velocityBinOf(velocity, velocityEdges!);
      }
      return {
        inputs,
        targets,
        batchSize: count,
        condition: { dim, values },
        ...(velocityTargets ? { velocityTargets } : {}),
      };
    },
  };
}

/** 0..n-1 shuffled with `rng` (Fisher-Yates). */
export function shuffledOrder(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}

export interface SplitPiece extends TokenPiece {
  /** A split stored with the piece (e.g. the JSB chorales' train/valid/test); null = none. */
  split?: string | null;
}

/**
 * Splits pieces into training and validation BY PIECE, so no window of a validation piece is ever trained on.
 * When some pieces carry a stored 'valid' split, those are used as given ('test' pieces are left out of both);
 * otherwise `validationFraction` of the pieces (at least one when there are two or more) is held out, chosen with `rng`.
 */
export function splitByPiece<T extends SplitPiece>(
  pieces: T[],
  validationFraction: number,
  rng: Rng,
): { train: T[]; valid: T[] } {
  if (pieces.some((p) => p.split === 'valid')) {
    return {
      train: pieces.filter((p) => p.split !== 'valid' && p.split !== 'test'),
      valid: pieces.filter((p) => p.split === 'valid'),
    };
  }
  if (validationFraction <= 0 || pieces.length < 2) return { train: [...pieces], valid: [] };
  const order = shuffledOrder(pieces.length, rng);
  const validCount = Math.min(pieces.length - 1, Math.max(1, Math.round(pieces.length * validationFraction)));
  const validSet = new Set(Array.from(order.subarray(0, validCount)));
  return { train: pieces.filter((_, i) => !validSet.has(i)), valid: pieces.filter((_, i) => validSet.has(i)) };
}
