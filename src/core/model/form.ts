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

export {
  FORM_NAMES,
  FORM_TEMPLATES,
  formProblem,
  isFormName,
  MAX_FORM_BARS,
  MIN_FORM_BARS,
  type FormName,
} from './formTemplates';
/** A repeat is sampled at the request's temperature times this. */
export const REPEAT_TEMPERATURE_FACTOR = 0.6;
/** Bars of a section's opening that its repeats replay before sampling. */
export const REPEAT_OPENING_BARS = 1;
/** A repeat's sampling is pulled toward its first occurrence: see the file header. */
export const REPEAT_PULL = 64;
/** Re-samples of a repeat that came out a copy of an earlier occurrence, or degenerate on its own. */
export const MAX_REPEAT_RETRIES = 5;

/** One section of a planned piece. */
export interface FormSection {
  letter: string;
  startBar: number;
  bars: number;
  /** Index of the first section with this letter, or null when this is it. */
  repeatOf: number | null;
}

/** A form request that cannot be run; the message is a sentence saying what to change. */
export class FormError extends Error {
  override name = 'FormError';
  readonly code = 'FORM_INVALID' as const;
}

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
export interface FormMelody extends GeneratedMelody {
  sections: FormSection[];
  /** Repeats thrown away because they copied an earlier occurrence (over all sections and whole-piece retries). */
  copyRetries: number;
  /** Why repeats were thrown away and re-sampled (copies, and repeats degenerate on their own), over all tries. */
  repeatRejected: string[];
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
): Promise<{ tokens: number[]; copyRetries: number; repeatRejected: string[] }> {
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
  let copyRetries = 0;
  const repeatRejected: string[] = [];
  decoder.reset();
  for (const t of seedTokens) await feed(t);
  for (const [index, section] of sections.entries()) {
    const start = section.startBar * stepsPerBar;
    const end = start + section.bars * stepsPerBar;
    if (section.repeatOf === null) {
      while (tokens.length < end) await sample(temperature);
      continue;
    }
    const originStart = sections[section.repeatOf].startBar * stepsPerBar;
    const opening = tokens.slice(originStart, originStart + Math.min(openingSteps, end - start));
    const earlier = sections
      .filter((s) => s.letter === section.letter && s.startBar < section.startBar)
      .map((s) => tokens.slice(s.startBar * stepsPerBar, (s.startBar + s.bars) * stepsPerBar).join(','));
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await rewind(start);
      for (const t of opening) await feed(t);
      while (tokens.length < end)
        await sample(repeatTemperature, guideToken(tokens, originStart + tokens.length - start));
      const copy = earlier.includes(tokens.slice(start, end).join(','));
      const problem = copy
        ? `a copy of an earlier ${section.letter}`
        : findDegeneracy(tokens, start, options.maxSilentBars ?? 2);
      if (!problem || attempt >= MAX_REPEAT_RETRIES) break;
      if (copy) copyRetries++;
      repeatRejected.push(`section ${index + 1} (${section.letter}): ${problem}`);
    }
  }
  return { tokens, copyRetries, repeatRejected };
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
  if (sections.length === 0) throw new FormError('A form needs at least one section.');
  sections.forEach((s, i) => {
    const previous = sections[i - 1];
    const expectedStart = previous ? previous.startBar + previous.bars : 0;
    const origin = s.repeatOf === null ? undefined : sections[s.repeatOf];
    if (
      s.startBar !== expectedStart ||
      !(s.bars >= 1) ||
      (origin && (origin.letter !== s.letter || origin.bars !== s.bars || origin.repeatOf !== null))
    )
      throw new FormError(`Section ${i + 1} (${s.letter}) does not follow the form's plan.`);
  });
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
    const rejected: string[] = [];
    let copyRetries = 0;
    const repeatRejected: string[] = [];
    let result = await sampleFormOnce(decoder, options, stepsPerBar, rng);
    copyRetries += result.copyRetries;
    repeatRejected.push(...result.repeatRejected);
    let reason = findDegeneracy(result.tokens, seedTokens.length, maxSilentBars);
    while (reason && rejected.length < maxRetries) {
      rejected.push(reason);
      result = await sampleFormOnce(decoder, options, stepsPerBar, rng);
      copyRetries += result.copyRetries;
      repeatRejected.push(...result.repeatRejected);
      reason = findDegeneracy(result.tokens, seedTokens.length, maxSilentBars);
    }
    out.push({
      tokens: result.tokens,
      seedLength: seedTokens.length,
      retries: rejected.length,
      rejected,
      ...(reason ? { degenerate: reason } : {}),
      sections,
      copyRetries,
      repeatRejected,
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
