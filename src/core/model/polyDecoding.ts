// SPDX-License-Identifier: MIT
/**
 * Feeding, drawing and scoring piano-roll frames with a polyphonic decoder (./polyLstm.ts PolyDecoder), shared by loop
 * mode (./polyLoop.ts), forms (./polyForm.ts) and regenerating a selection (./polyInfill.ts).
 *
 * A frame's log-probability is exact: the decoder's logits for a fed frame are per pitch, each given the past frames
 * and the frame's own lower pitches as fed (teacher forcing), so
 *   log P(frame | past) = sum_p log sigmoid(y_p ? l_p : -l_p)
 * in nats, at temperature 1 and without any control's bias (what the model itself thinks).
 */
import { CancelledError } from '../jobs/progress';
import type { Rng } from '../util/random';
import { setChordOf } from './generate';
import type { PolyDecoder } from './polyLstm';

/** log sigmoid(x) in float64, stable for large |x|. */
function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/**
 * log P(frame | past) from the logits the decoder answered for it (see the header): natural log, temperature 1.
 * @param logits per pitch (length >= offset + pitches)
 * @param frame the frame's values (nonzero = sounding), `pitches` of them from `frameOffset`
 */
export function frameLogProb(
  logits: ArrayLike<number>,
  frame: ArrayLike<number>,
  pitches: number,
  logitOffset = 0,
  frameOffset = 0,
): number {
  let sum = 0;
  for (let p = 0; p < pitches; p++) {
    const l = logits[logitOffset + p];
    sum += logSigmoid(frame[frameOffset + p] ? l : -l);
  }
  return sum;
}

/**
 * Feeds `frames` (flattened, whole frames of the decoder's pitches) to the decoder (teacher forcing) and answers the
 * logits of every fed frame. A chord-conditioned model is given the chord of each frame first: frame i of `frames` is
 * frame `firstFrame + i` of the take, whose chord is chords[chordAt(firstFrame + i)] (chordAt: e.g. round the loop).
 * Without chords the frames go in one call (the decoder scores them in blocks).
 */
export async function feedFrames(
  decoder: PolyDecoder,
  frames: ArrayLike<number>,
  firstFrame = 0,
  chords?: ArrayLike<number>,
  chordAt: (frame: number) => number = (t) => t,
): Promise<Float32Array> {
  const P = decoder.pitches;
  const count = Math.floor(frames.length / P);
  if (count === 0) return new Float32Array(0);
  const values = Float32Array.from({ length: count * P }, (_, i) => (frames[i] ? 1 : 0));
  if (!chords) return decoder.scoreFrames(values, count);
  const out = new Float32Array(count * P);
  for (let i = 0; i < count; i++) {
    setChordOf(decoder, chords, chordAt(firstFrame + i));
    out.set(await decoder.scoreFrames(values.subarray(i * P, (i + 1) * P), 1), i * P);
  }
  return out;
}

/**
 * The mean log-probability per frame of `frames` (flattened) fed right after what the decoder has seen: the seam and
 * wrap score of the polyphonic controls (nats per frame, closer to 0 = likelier). 0 for no frame. Arguments as
 * feedFrames.
 */
export async function meanFrameLogProb(
  decoder: PolyDecoder,
  frames: ArrayLike<number>,
  firstFrame = 0,
  chords?: ArrayLike<number>,
  chordAt?: (frame: number) => number,
): Promise<number> {
  const P = decoder.pitches;
  const count = Math.floor(frames.length / P);
  if (count === 0) return 0;
  const logits = await feedFrames(decoder, frames, firstFrame, chords, chordAt);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += frameLogProb(logits, frames, P, i * P, i * P);
  return sum / count;
}

/** How frames are drawn: the request's temperature and per-pitch bias, and the chord of every frame. */
export interface FrameDraw {
  temperature: number;
  /** Added to each pitch's temperature-scaled logit (./controls.ts framePitchBias, a form's pull). */
  pitchBias?: ArrayLike<number>;
  /** The chord of every frame of the take (12-bit masks), for a chord-conditioned model. */
  chords?: ArrayLike<number>;
  signal?: AbortSignal;
  /** Called before every frame drawn: throw to stop. */
  beforeFrame?: () => void;
}

/**
 * Draws `count` frames after what the decoder has seen, frame i being frame `firstFrame + i` of the take (for its
 * chord), one uniform draw of `rng` per pitch per frame. `biasOf` / `clampOf`, when given, answer the bias and the
 * clamped pitches (PolyDecoder.sampleFrame) of each frame; `draw.pitchBias` is the default bias.
 * @throws CancelledError when the signal fires
 */
export async function drawFrames(
  decoder: PolyDecoder,
  count: number,
  firstFrame: number,
  rng: Rng,
  draw: FrameDraw,
  perFrame: {
    biasOf?: (frame: number) => ArrayLike<number> | undefined;
    clampOf?: (frame: number) => ArrayLike<number> | undefined;
  } = {},
): Promise<Uint8Array> {
  const P = decoder.pitches;
  const out = new Uint8Array(count * P);
  for (let i = 0; i < count; i++) {
    if (draw.signal?.aborted) throw new CancelledError('Generation cancelled');
    draw.beforeFrame?.();
    const t = firstFrame + i;
    setChordOf(decoder, draw.chords, t);
    const bias = perFrame.biasOf ? perFrame.biasOf(t) : draw.pitchBias;
    const frame = await decoder.sampleFrame(draw.temperature, rng, bias, perFrame.clampOf?.(t));
    out.set(frame, i * P);
  }
  return out;
}
