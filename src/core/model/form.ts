// SPDX-License-Identifier: MIT
/**
 * Long pieces with a form: a template of sections (AABA, ABAC, AAB, verse/chorus), each a letter; a letter that comes
 * back is a varied repeat of its first occurrence, so a listener recognises it without hearing a copy.
 *
 * Lengths: the piece is `bars` bars (MIN_FORM_BARS..MAX_FORM_BARS, seed included), split into equal sections of whole
 * bars, so `bars` must divide by the template's number of sections (AABA: 4, so 32, 36, ..., 128).
 *
 * Generation, one decoder whose state runs through the whole piece (every section hears everything before it, so
 * transitions are the model's own):
 * - the seed opens the first section;
 * - the first occurrence of a letter is sampled as any melody is, at the request's temperature T;
 * - a repeat of letter X is re-generated from X's own opening: X's first REPEAT_OPENING_BARS (1) bar of tokens (as the
 *   first X has them, seed notes included) is forced, then the rest of the section is sampled at T *
 *   REPEAT_TEMPERATURE_FACTOR (0.6), each step pulled toward the first X: the token the first X has at that step
 *   (guideToken; where the first X holds a note the repeat is not sounding, that note's onset, so a repeat that strayed
 *   finds its way back) is made REPEAT_PULL (64) times likelier before renormalising (a bias of ln 64 added to the
 *   temperature-scaled logits, as the key lock adds its own). The model still outvotes the pull where it finds the
 *   first X's note unlikely after what the repeat has played, which is where the repeat varies. Without the pull the
 *   model forgets X within a bar or two (measured on the bundled model, 64-bar AABA, 16 takes: A-vs-A similarity 0.16
 *   with the opening alone, 0.09 between A and B: scripts/measure-form.ts --pull 1); with it the median is 0.62 (A vs B
 *   0.08), no copies.
 *   The lower temperature alone held notes for bars on the bundled model; repeats that do are re-sampled (below);
 * - a repeat equal to an earlier X token for token (a copy), or degenerate on its own (generate.ts findDegeneracy over
 *   the section: a note held or a silence longer than maxSilentBars), is thrown away and re-sampled from its start
 *   (the decoder replays the piece so far), up to MAX_REPEAT_RETRIES times; the result says how often and why;
 * - the piece as a whole is then checked for degeneracy as any melody is (generate.ts findDegeneracy) and re-sampled
 *   whole up to maxRetries times.
 * All draws come from the variation's own RNG (createRng(variationSeed(randomSeed, k))), so the same seed, settings
 * and checkpoint give the same piece. The key/range hook (logitBias) applies to every sampled step; forced opening
 * steps are fed as they are.
 *
 * How alike the sections come out is measured by ../analysis/sectionSimilarity.ts (see {@link measureForm}).
 */
import { formSimilarity, type FormSimilarity, type LabelledSection } from '../analysis/sectionSimilarity';
import { decodeMelody, NO_EVENT, NOTE_OFF } from '../encoding/melody';
import type { Decoder } from '../engine/types';
import { CancelledError } from '../jobs/progress';
import { createRng, type Rng } from '../util/random';
import {
  findDegeneracy,
  generateMelodies,
  GenerationError,
  SIXTEENTHS_PER_BAR,
  variationSeed,
  type GeneratedMelody,
  type GenerateOptions,
} from './generate';
import { sampleToken } from './sampler';
import { FORM_TEMPLATES, formProblem, isFormName, type FormName } from './formTemplates';
import { checkFormPlan, drawFormTake, FormError, walkForm, type FormSection, type RepeatReport } from './formWalk';

export {
  FORM_NAMES,
  FORM_TEMPLATES,
  formProblem,
  isFormName,
  MAX_FORM_BARS,
  MIN_FORM_BARS,
  type FormName,
} from './formTemplates';
export { FormError, MAX_REPEAT_RETRIES, type FormSection } from './formWalk';
/** A repeat is sampled at the request's temperature times this. */
export const REPEAT_TEMPERATURE_FACTOR = 0.6;
/** Bars of a section's opening that its repeats replay before sampling. */
export const REPEAT_OPENING_BARS = 1;
/** A repeat's sampling is pulled toward its first occurrence: see the file header. */
export const REPEAT_PULL = 64;
/**
 * The sections of a form of `bars` bars.
 * @throws FormError for an unknown form or a length it cannot take (see formProblem).
 */
export function planForm(name: string, bars: number): FormSection[] {
  const problem = formProblem(name, bars);
  if (problem) throw new FormError(problem);
  const letters = FORM_TEMPLATES[name as FormName].letters;
  const each = bars / letters.length;
  const first = new Map<string, number>();
  return letters.map((letter, i) => {
    const repeatOf = first.get(letter) ?? null;
    if (repeatOf === null) first.set(letter, i);
    return { letter, startBar: i * each, bars: each, repeatOf };
  });
}

/** A melody with a form: the sections it was generated in, and how often a repeat came out a copy. */
export interface FormMelody extends GeneratedMelody, RepeatReport {
  sections: FormSection[];
}

export interface FormGenerateOptions extends Omit<GenerateOptions, 'bars'> {
  /** The planned sections (planForm); their bars add up to the piece's length. */
  sections: FormSection[];
  /** Default REPEAT_TEMPERATURE_FACTOR. */
  repeatTemperatureFactor?: number;
  /** Default REPEAT_OPENING_BARS. */
  repeatOpeningBars?: number;
  /** Default REPEAT_PULL. */
  repeatPull?: number;
}

/** What sounds after tokens[0..at]: the pitch of the last note-on, or NOTE_OFF when silent (or nothing yet). */
function soundingAfter(tokens: readonly number[], at: number): number {
  for (let i = at; i >= 0; i--) if (tokens[i] !== NO_EVENT) return tokens[i];
  return NOTE_OFF;
}

/**
 * The token a repeat is pulled toward at its next step (tokens.length), given where its first occurrence has that step
 * (`origin`): the first occurrence's event there (a note-on or a note-off); where the first occurrence holds, holding
 * when the repeat sounds what it sounds, else the first occurrence's sounding pitch (or a note-off), so a repeat that
 * strayed finds its way back.
 */
function guideToken(tokens: readonly number[], origin: number): number {
  const o = tokens[origin];
  if (o !== NO_EVENT) return o;
  const want = soundingAfter(tokens, origin - 1);
  return want === soundingAfter(tokens, tokens.length - 1) ? NO_EVENT : want;
}

async function sampleFormOnce(
  decoder: Decoder,
  options: FormGenerateOptions,
  stepsPerBar: number,
  rng: Rng,
): Promise<{ tokens: number[] } & RepeatReport> {
  const { seedTokens, sections, temperature, logitBias, signal } = options;
  const repeatTemperature = temperature * (options.repeatTemperatureFactor ?? REPEAT_TEMPERATURE_FACTOR);
  const openingSteps = (options.repeatOpeningBars ?? REPEAT_OPENING_BARS) * stepsPerBar;
  const last = sections[sections.length - 1];
  const total = (last.startBar + last.bars) * stepsPerBar;
  const tokens: number[] = [];
  let logits: Float32Array = new Float32Array(0);
  const feed = async (token: number) => {
    tokens.push(token);
    if (tokens.length < total) logits = await decoder.step(token);
  };
  const pull = Math.log(options.repeatPull ?? REPEAT_PULL);
  /** Samples the next token; a repeat's steps are pulled toward `guide` (guideToken). */
  const sample = async (t: number, guide?: number) => {
    if (signal?.aborted) throw new CancelledError('Generation cancelled');
    let bias = logitBias?.(tokens);
    if (guide !== undefined && pull !== 0) {
      const pulled = new Float64Array(logits.length);
      if (bias) pulled.set(bias);
      pulled[guide] += pull;
      bias = pulled;
    }
    await feed(sampleToken(logits, t, rng, bias));
  };
  /** Brings the decoder back to the end of tokens[0..length) by replaying them. */
  const rewind = async (length: number) => {
    const kept = tokens.slice(0, length);
    tokens.length = 0;
    decoder.reset();
    for (const t of kept) await feed(t);
  };
  decoder.reset();
  for (const t of seedTokens) await feed(t);
  const report = await walkForm(sections, stepsPerBar, {
    drawFirst: async (_start, end) => {
      while (tokens.length < end) await sample(temperature);
    },
    drawRepeat: async (start, end, originStart, attempt) => {
      if (attempt > 0) await rewind(start);
      for (const t of tokens.slice(originStart, originStart + Math.min(openingSteps, end - start))) await feed(t);
      while (tokens.length < end)
        await sample(repeatTemperature, guideToken(tokens, originStart + tokens.length - start));
    },
    sameSteps: (x, y, length) => {
      for (let i = 0; i < length; i++) if (tokens[x + i] !== tokens[y + i]) return false;
      return true;
    },
    degeneracy: (start) => findDegeneracy(tokens, start, options.maxSilentBars ?? 2),
  });
  return { tokens, ...report };
}

/**
 * Generates `variations` melodies in the planned form (scheme in the file header), each from its variation's seed.
 * @throws GenerationError when the seed does not fit in the first section; FormError for inconsistent sections;
 *   CancelledError when the signal fires.
 */
export async function generateFormMelodies(decoder: Decoder, options: FormGenerateOptions): Promise<FormMelody[]> {
  const { seedTokens, sections, randomSeed } = options;
  const stepsPerBar = options.stepsPerBar ?? SIXTEENTHS_PER_BAR;
  const maxRetries = options.maxRetries ?? 3;
  const maxSilentBars = options.maxSilentBars ?? 2;
  checkFormPlan(sections);
  if (seedTokens.length === 0) throw new GenerationError('GENERATION_BAD_SEED', 'Give at least one seed token.');
  for (const t of seedTokens)
    if (!Number.isInteger(t) || t < 0 || t > 129)
      throw new GenerationError('GENERATION_BAD_SEED', `Seed token must be within [0, 129], got: ${t}`);
  if (seedTokens.length >= sections[0].bars * stepsPerBar)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      `The seed is ${seedTokens.length} sixteenths long, which fills the form's first section (${sections[0].bars} bars); use a shorter seed or more bars.`,
    );
  const first = options.firstVariation ?? 0;
  const out: FormMelody[] = [];
  for (let k = first; k < first + options.variations; k++) {
    const rng = createRng(variationSeed(randomSeed, k));
    const drawn = await drawFormTake(
      () => sampleFormOnce(decoder, options, stepsPerBar, rng),
      (t) => findDegeneracy(t.tokens, seedTokens.length, maxSilentBars),
      maxRetries,
    );
    out.push({
      tokens: drawn.take.tokens,
      seedLength: seedTokens.length,
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

/** The labelled spans of a form's sections, in sixteenths (ticks of a PPQ of 4). */
export function formSpans(sections: readonly FormSection[], stepsPerBar = SIXTEENTHS_PER_BAR): LabelledSection[] {
  return sections.map((s) => ({
    letter: s.letter,
    startTick: s.startBar * stepsPerBar,
    endTick: (s.startBar + s.bars) * stepsPerBar,
  }));
}

/**
 * How alike a form piece's sections are (../analysis/sectionSimilarity.ts): mean similarity of same-letter pairs
 * (A vs A), of different-letter pairs (A vs B), and copies among same-letter pairs.
 */
export function measureForm(
  tokens: readonly number[],
  sections: readonly FormSection[],
  stepsPerBar = SIXTEENTHS_PER_BAR,
): FormSimilarity {
  const notes = decodeMelody(tokens, { ppq: 4 }).tracks[0].notes;
  return formSimilarity(notes, formSpans(sections, stepsPerBar), 1);
}

/** A melody generator: generateMelodies, or the same options generated in a form. */
export type MelodyGenerator = (decoder: Decoder, options: GenerateOptions) => Promise<GeneratedMelody[]>;

/**
 * The generator for a request: `generateMelodies` itself when there is no form (so a request without one samples
 * exactly as before), else generateFormMelodies with the form planned over `options.bars`.
 * @throws FormError (when called) for an unknown form or a length it cannot take.
 */
export function melodyGenerator(form: string | undefined): MelodyGenerator {
  if (!form) return generateMelodies;
  return (decoder, options) => generateFormMelodies(decoder, { ...options, sections: planForm(form, options.bars) });
}

/**
 * The form a request asks for, checked against its length: undefined for none (undefined, '' or 'off').
 * @throws FormError with a sentence for an unknown form, a length it cannot take, or a form asked of a continuation.
 */
export function checkForm(form: string | null | undefined, bars: number, continuation = false): FormName | undefined {
  const name = form?.trim();
  if (!name || name === 'off') return undefined;
  if (continuation && isFormName(name))
    throw new FormError(
      `A form shapes a whole piece from its first bar, so it cannot continue a clip: turn off the form or the continuation.`,
    );
  const problem = formProblem(name, bars);
  if (problem) throw new FormError(problem);
  return name as FormName;
}
