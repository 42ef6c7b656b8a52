// SPDX-License-Identifier: MIT
/**
 * The frame-level negative log-likelihood of polyphonic music (Boulanger-Lewandowski, Bengio and Vincent, ICML 2012):
 * for every frame of every test piece, -log P(whole binary frame | all previous frames of the piece), summed over the
 * split and divided by its number of frames (pooled, not averaged per piece), in nats per frame. The first frame of a
 * piece is predicted from an all-zero previous frame.
 *
 * One evaluator for every scorer: the calibration below (a per-pitch Bernoulli fitted on the training frames, the
 * paper's "Note 1-Gram", which must give 11.06 on JSB's test split and 10.25 on Nottingham's) and the trained models
 * (./polyLstm.ts) are scored by the same `pooledFrameNll`.
 */
import type { RollPiece } from '../data/polyBenchmark';
import { cropRoll, type PitchSpan } from '../data/rollRange';

/** Gives the summed -log P (nats) of every frame of one piece, given the frames before it. */
export type PieceScorer = (piece: RollPiece) => Promise<number> | number;

export interface FrameNll {
  /** Nats per frame, pooled over all frames. */
  nll: number;
  frames: number;
  pieces: number;
}

/** The pooled frame-level NLL of `pieces` under `score`. */
export async function pooledFrameNll(pieces: readonly RollPiece[], score: PieceScorer): Promise<FrameNll> {
  let total = 0;
  let frames = 0;
  for (const piece of pieces) {
    total += await score(piece);
    frames += piece.frames;
  }
  if (frames === 0) throw new RangeError('pooledFrameNll: the pieces have no frames to score.');
  return { nll: total / frames, frames, pieces: pieces.length };
}

/**
 * The per-pitch independent Bernoulli ("Note 1-Gram", Boulanger-Lewandowski et al. 2012, Table 1) fitted on `train`:
 * p = (count + 0.5) / (frames + 1) per pitch, the add-one-half (Krichevsky-Trofimov) estimate, which never gives a
 * pitch probability 0 or 1.
 */
export function fitNoteUnigram(train: readonly RollPiece[]): Float64Array {
  if (train.length === 0) throw new RangeError('fitNoteUnigram: no training pieces.');
  const P = train[0].pitches;
  const counts = new Float64Array(P);
  let frames = 0;
  for (const piece of train) {
    for (let i = 0; i < piece.roll.length; i++) counts[i % P] += piece.roll[i];
    frames += piece.frames;
  }
  return counts.map((c) => (c + 0.5) / (frames + 1));
}

/** The scorer of a fixed per-pitch Bernoulli: it ignores the past, so each frame costs the same sum of log-losses. */
export function bernoulliScorer(probs: ArrayLike<number>): PieceScorer {
  return bernoulliNll(probs);
}

/** -log of `piece` under a per-pitch Bernoulli, over every pitch but those of `skip`. */
function bernoulliNll(probs: ArrayLike<number>): (piece: RollPiece, skip?: PitchSpan) => number {
  const logOn = Float64Array.from(probs, (p) => Math.log(p));
  const logOff = Float64Array.from(probs, (p) => Math.log1p(-p));
  return (piece, skip = { from: 0, count: 0 }) => {
    const P = piece.pitches;
    const end = skip.from + skip.count;
    let nll = 0;
    for (let i = 0; i < piece.roll.length; i++) {
      const p = i % P;
      if (p >= skip.from && p < end) continue;
      nll -= piece.roll[i] > 0 ? logOn[p] : logOff[p];
    }
    return nll;
  };
}

/**
 * The scorer of a model that covers only the pitches of `span`: `inner` scores the piece cut down to them
 * (../data/rollRange.ts), and every pitch outside is scored by the fixed per-pitch Bernoulli `outside` (full frame
 * width, e.g. the Note 1-Gram fitted on the training split). The model's distribution over its pitches times the
 * Bernoullis over the others is a distribution over the whole frame, so the result is still the exact
 * -log P(frame | past frames) of the full frame, comparable with any model of every pitch.
 */
export function rangedScorer(inner: PieceScorer, span: PitchSpan, outside: ArrayLike<number>): PieceScorer {
  const bernoulli = bernoulliNll(outside);
  return async (piece) => {
    if (outside.length !== piece.pitches)
      throw new RangeError(
        `rangedScorer: the outside Bernoulli has ${outside.length} pitches, the piece ${piece.pitches} (${piece.name}).`,
      );
    return bernoulli(piece, span) + (await inner(cropRoll(piece, span)));
  };
}
