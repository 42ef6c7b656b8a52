// SPDX-License-Identifier: MIT
/**
 * Forms for polyphonic takes: the scheme of ./form.ts on piano-roll frames. The sections are planned by ./form.ts
 * planForm; one decoder state runs through the whole piece (every section hears everything before it).
 * - the seed frames open the first section;
 * - the first occurrence of a letter is drawn as any polyphonic take is (./generatePoly.ts), at the request's
 *   temperature T and pitch bias;
 * - a repeat of letter X is re-drawn from X's own opening: X's first REPEAT_OPENING_BARS (1) bar of frames is fed as
 *   the first X has it, then the rest of the section is drawn at T * POLY_REPEAT_TEMPERATURE_FACTOR (0.8), each
 *   frame pulled toward the first X's frame at the same place: every pitch sounding there gets ln(POLY_REPEAT_PULL) added to its
 *   temperature-scaled logit (its odds of sounding times POLY_REPEAT_PULL) on top of the key/range/density bias. Only
 *   sounding pitches are pulled: a frame's silent pitches are already unlikely, and pushing them down as well would
 *   leave the model nothing to vary. The model outvotes the pull where it finds the first X's notes unlikely after
 *   what the repeat has played, which is where the repeat varies. (Per pitch, where a melody's pull favours one token
 *   of 130: so the polyphonic pull is smaller than ./form.ts REPEAT_PULL.) Measured with scripts/measure-form.ts
 *   --kind poly on a small biaxial-lstm trained on the 46 Ashover tunes (AABA, 32 bars, 8 takes, medians): A vs A
 *   0.221, A vs B 0.020, no copy, 21 repeats re-drawn for holding a chord too long. The melody's factor 0.6 gave A vs
 *   A 0.303 but held chords on for bars (61 repeats re-drawn, one take left degenerate); without the pull (--pull 1)
 *   A vs A fell to 0.164.
 * - a repeat equal frame for frame to an earlier occurrence of its letter (a copy), or degenerate on its own
 *   (./generatePoly.ts findRollDegeneracy over the section), is drawn again from its start (the decoder replays the
 *   piece so far), up to ./form.ts MAX_REPEAT_RETRIES times;
 * - the whole piece is then checked for degeneracy as any take is and drawn again up to maxRetries times.
 * All draws come from the variation's own stream (createRng(variationSeed(randomSeed, k))).
 */
import { formSimilarity, type FormSimilarity } from '../analysis/sectionSimilarity';
import { rollToNotes } from '../encoding/rollFrames';
import { createRng, type Rng } from '../util/random';
import { formSpans, REPEAT_OPENING_BARS } from './form';
import { checkFormPlan, drawFormTake, walkForm, type FormSection, type RepeatReport } from './formWalk';
import { GenerationError, variationSeed } from './generate';
import { emptyShare, findRollDegeneracy, type GeneratedRoll, type GeneratePolyOptions } from './generatePoly';
import type { PolyDecoder } from './polyLstm';
import { drawFrames, feedFrames } from './polyDecoding';

/** A polyphonic repeat is drawn at the request's temperature times this (see the header). */
export const POLY_REPEAT_TEMPERATURE_FACTOR = 0.8;
/** A polyphonic repeat's sounding pitches are made this many times likelier (see the header). */
export const POLY_REPEAT_PULL = 8;

export interface PolyFormOptions extends Omit<GeneratePolyOptions, 'bars'> {
  sections: FormSection[];
  /** Default POLY_REPEAT_TEMPERATURE_FACTOR. */
  repeatTemperatureFactor?: number;
  /** Default ./form.ts REPEAT_OPENING_BARS. */
  repeatOpeningBars?: number;
  /** Default POLY_REPEAT_PULL (1 = no pull). */
  repeatPull?: number;
}

/** A polyphonic take with a form: its sections, and which repeats were drawn again and why. */
export interface PolyFormRoll extends GeneratedRoll, RepeatReport {
  sections: FormSection[];
}

async function sampleFormOnce(
  decoder: PolyDecoder,
  options: PolyFormOptions,
  rng: Rng,
): Promise<{ frames: Uint8Array } & RepeatReport> {
  const P = decoder.pitches;
  const { sections, framesPerBar, temperature, pitchBias } = options;
  const last = sections[sections.length - 1];
  const total = (last.startBar + last.bars) * framesPerBar;
  const frames = new Uint8Array(total * P);
  const repeatTemperature = temperature * (options.repeatTemperatureFactor ?? POLY_REPEAT_TEMPERATURE_FACTOR);
  const openingFrames = (options.repeatOpeningBars ?? REPEAT_OPENING_BARS) * framesPerBar;
  const pull = Math.log(options.repeatPull ?? POLY_REPEAT_PULL);
  const draw = { ...options, ...(options.signal ? { signal: options.signal } : {}) };
  const seed = Uint8Array.from(options.seedFrames, (v) => (v ? 1 : 0));
  const seedCount = seed.length / P;
  decoder.reset();
  frames.set(seed);
  await feedFrames(decoder, seed, 0, options.chords);
  const report = await walkForm(sections, framesPerBar, {
    drawFirst: async (start, end) => {
      const from = Math.max(start, seedCount);
      frames.set(await drawFrames(decoder, end - from, from, rng, draw), from * P);
    },
    drawRepeat: async (start, end, originStart, attempt) => {
      if (attempt > 0) {
        decoder.reset();
        await feedFrames(decoder, frames.subarray(0, start * P), 0, options.chords);
      }
      const opening = Math.min(openingFrames, end - start);
      frames.copyWithin(start * P, originStart * P, (originStart + opening) * P);
      await feedFrames(decoder, frames.subarray(start * P, (start + opening) * P), start, options.chords);
      const biasOf = (t: number) => {
        const origin = (originStart + t - start) * P;
        return Float64Array.from({ length: P }, (_, p) => (pitchBias?.[p] ?? 0) + (frames[origin + p] ? pull : 0));
      };
      const rest = await drawFrames(
        decoder,
        end - start - opening,
        start + opening,
        rng,
        { ...draw, temperature: repeatTemperature },
        { biasOf },
      );
      frames.set(rest, (start + opening) * P);
    },
    sameSteps: (x, y, length) => {
      for (let i = 0; i < length * P; i++) if (frames[x * P + i] !== frames[y * P + i]) return false;
      return true;
    },
    degeneracy: (start, end) =>
      findRollDegeneracy(frames.subarray(start * P, end * P), P, 0, framesPerBar, options.maxSilentBars ?? 2),
  });
  return { frames, ...report };
}

/**
 * Generates `variations` polyphonic takes in the planned form (scheme in the file header).
 * @throws GenerationError when the seed does not fit in the first section; FormError for inconsistent sections;
 *   CancelledError when the signal fires.
 */
export async function generatePolyForm(decoder: PolyDecoder, options: PolyFormOptions): Promise<PolyFormRoll[]> {
  const { sections, framesPerBar, randomSeed } = options;
  const P = decoder.pitches;
  checkFormPlan(sections);
  if (options.seedFrames.length % P !== 0)
    throw new GenerationError(
      'GENERATION_BAD_SEED',
      `Seed frames must be whole frames of the model's ${P} pitches, got ${options.seedFrames.length} values.`,
    );
  const seedCount = options.seedFrames.length / P;
  if (seedCount >= sections[0].bars * framesPerBar)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      `The seed is ${seedCount} frames long, which fills the form's first section (${sections[0].bars} bars); use a shorter seed or more bars.`,
    );
  const maxRetries = options.maxRetries ?? 3;
  const maxSilentBars = options.maxSilentBars ?? 2;
  const first = options.firstVariation ?? 0;
  const out: PolyFormRoll[] = [];
  for (let k = first; k < first + options.variations; k++) {
    const rng = createRng(variationSeed(randomSeed, k));
    const drawn = await drawFormTake(
      () => sampleFormOnce(decoder, options, rng),
      (t) => findRollDegeneracy(t.frames, P, seedCount, framesPerBar, maxSilentBars),
      maxRetries,
    );
    const frames = drawn.take.frames;
    out.push({
      frames,
      pitches: P,
      seedFrames: seedCount,
      emptyFrameShare: emptyShare(frames, P, seedCount),
      retries: drawn.rejected.length,
      rejected: drawn.rejected,
      ...(drawn.degenerate ? { degenerate: drawn.degenerate } : {}),
      sections,
      copyRetries: drawn.copyRetries,
      repeatRejected: drawn.repeatRejected,
    });
  }
  return out;
}

/**
 * How alike a polyphonic form take's sections are, by the same measure as a melody's (./form.ts measureForm,
 * ../analysis/sectionSimilarity.ts: per sixteenth, the highest sounding pitch and whether it starts there), read from
 * the take's notes at `stepsPerQuarter` frames a quarter.
 */
export function measurePolyForm(
  frames: ArrayLike<number>,
  window: { lowPitch: number; pitches: number; stepsPerQuarter: number },
  sections: readonly FormSection[],
  framesPerBar: number,
): FormSimilarity {
  const ticksPerFrame = 4 / window.stepsPerQuarter;
  const notes = rollToNotes(frames, window, ticksPerFrame);
  return formSimilarity(notes, formSpans(sections, framesPerBar * ticksPerFrame), 1);
}
