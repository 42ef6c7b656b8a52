// SPDX-License-Identifier: MIT
/**
 * Where a piece repeats itself: for each frame, the frame that followed the latest earlier occurrence of the `context`
 * frames just before it, the "match model" of the PPM and LZ77 family of text compressors (Cleary and Witten 1984;
 * Ziv and Lempel 1977) applied to piano-roll frames. Folk tunes and songs repeat whole sections further back than a
 * training segment reaches (Nottingham's valid split, 16 frames of context: the candidate is the frame for 39.5% of
 * frames, from more than 32 frames back for 36.1%, nearer for 3.4%; scripts/measure-repeats.ts). Given as an input
 * (polyLstmSpec.ts `repeatContext`), it lets a model copy a section it has heard instead of relearning it, and since it
 * reads past frames only, the model's frame likelihood stays exact.
 *
 * Training (every frame of a piece at once, repeatCandidates) and the decoder (one frame at a time, RepeatMatcher) run
 * the same matcher, so a model sees the same input either way.
 */

/** The longest match the run input counts, in frames; the input is run / REPEAT_RUN_CAP. */
export const REPEAT_RUN_CAP = 64;

/** The candidate for one frame: the index of the earlier frame it may repeat (-1: none) and the frames matched. */
export interface RepeatCandidate {
  at: number;
  /** Frames of identical past before both, at least the context, at most REPEAT_RUN_CAP; 0 without a candidate. */
  run: number;
}

const NONE: RepeatCandidate = { at: -1, run: 0 };

/**
 * The matcher over a growing piece: push() its frames in order; candidate() is the one for the frame after the last
 * pushed. Frames are compared exactly (the same pitches sound).
 */
export class RepeatMatcher {
  /** Each frame's id: equal frames have equal ids. */
  private readonly ids: number[] = [];
  private readonly frames: Uint8Array[] = [];
  private readonly idOf = new Map<string, number>();
  /** For each context seen (its frame ids), the index of the frame that followed its latest occurrence. */
  private readonly latest = new Map<string, number>();
  private next: RepeatCandidate = NONE;

  constructor(
    readonly context: number,
    readonly pitches: number,
  ) {
    if (!(Number.isInteger(context) && context >= 1))
      throw new RangeError(`A repeat context is a whole number of frames, at least 1, got: ${context}`);
  }

  /** Appends the next frame (`pitches` values from `offset`, sounding where > 0). */
  push(roll: ArrayLike<number>, offset = 0): void {
    const P = this.pitches;
    const frame = new Uint8Array(P);
    const on: number[] = [];
    for (let p = 0; p < P; p++)
      if (roll[offset + p] > 0) {
        frame[p] = 1;
        on.push(p);
      }
    const key = on.join(',');
    let id = this.idOf.get(key);
    if (id === undefined) {
      id = this.idOf.size;
      this.idOf.set(key, id);
    }
    this.ids.push(id);
    this.frames.push(frame);
    const n = this.ids.length - 1;
    const K = this.context;
    if (n + 1 < K) return;
    const context = this.ids.slice(n + 1 - K).join(',');
    const s = this.latest.get(context);
    this.latest.set(context, n + 1);
    if (s === undefined) {
      this.next = NONE;
      return;
    }
    // The match goes on further back than the context: count it, up to the cap.
    let run = K;
    while (run < REPEAT_RUN_CAP && s - run - 1 >= 0 && this.ids[s - run - 1] === this.ids[n - run]) run++;
    this.next = { at: s, run };
  }

  /** The candidate for the frame after the last pushed. */
  candidate(): RepeatCandidate {
    return this.next;
  }

  /** A pushed frame (0/1 per pitch); the caller must not change it. */
  frame(index: number): Uint8Array {
    return this.frames[index];
  }
}

/** Every frame's candidate in a piece of `frames` frames (a flattened roll of `pitches` values per frame). */
export function repeatCandidates(
  roll: ArrayLike<number>,
  frames: number,
  pitches: number,
  context: number,
): { at: Int32Array; run: Int32Array } {
  const at = new Int32Array(frames).fill(-1);
  const run = new Int32Array(frames);
  const matcher = new RepeatMatcher(context, pitches);
  for (let t = 0; t < frames; t++) {
    const c = matcher.candidate();
    at[t] = c.at;
    run[t] = c.run;
    matcher.push(roll, t * pitches);
  }
  return { at, run };
}

/**
 * Writes one frame's repeat input, `pitches` + 1 values from `offset`: the candidate frame (0/1 per pitch, shifted by
 * `shift` semitones with the piece, 0 where that leaves the range), then run / REPEAT_RUN_CAP (0: no candidate).
 */
export function writeRepeatInput(
  out: Float32Array,
  offset: number,
  pitches: number,
  candidate: ArrayLike<number> | undefined,
  candidateOffset: number,
  run: number,
  shift = 0,
): void {
  if (!candidate || run === 0) {
    out.fill(0, offset, offset + pitches + 1);
    return;
  }
  for (let p = 0; p < pitches; p++) {
    const q = p - shift;
    out[offset + p] = q >= 0 && q < pitches && candidate[candidateOffset + q] > 0 ? 1 : 0;
  }
  out[offset + pitches] = run / REPEAT_RUN_CAP;
}
