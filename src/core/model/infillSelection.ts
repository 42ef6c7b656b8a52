// SPDX-License-Identifier: MIT
/**
 * What regenerating a selection asks the same way of a melody (./infill.ts) and of a polyphonic take
 * (./polyInfill.ts): the selection's bars as steps, how many candidates are drawn and how far past the selection each
 * is scored, and the resampling draw among the candidates (sampling-importance-resampling: one candidate drawn with
 * probability proportional to the model's likelihood of the following context; why, in ./infill.ts).
 */
import type { Rng } from '../util/random';
import { GenerationError } from './generate';

/** Candidates drawn per infill when the request says nothing. */
export const DEFAULT_INFILL_CANDIDATES = 12;
/** The most candidates one infill may draw. */
export const MAX_INFILL_CANDIDATES = 64;

/** Checks an infill request against a take of `length` steps; answers the selection's steps. */
export function infillSteps(
  length: number,
  fromBar: number,
  toBar: number,
  stepsPerBar: number,
): { fromStep: number; toStep: number } {
  if (!Number.isInteger(stepsPerBar) || stepsPerBar < 1)
    throw new GenerationError('GENERATION_BAD_LENGTH', `stepsPerBar must be a positive integer, got: ${stepsPerBar}`);
  const bars = Math.ceil(length / stepsPerBar);
  if (!Number.isInteger(fromBar) || !Number.isInteger(toBar))
    throw new GenerationError('GENERATION_BAD_LENGTH', `The selection's bars must be whole numbers.`);
  if (fromBar < 1)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      'The first bar cannot be regenerated: the model needs the music before the selection to start from. Select from bar 2 on.',
    );
  if (toBar <= fromBar)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      'The selection must end after it starts (select at least one bar).',
    );
  if (toBar > bars)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      `The selection ends after bar ${toBar}, but the take has only ${bars} bar${bars === 1 ? '' : 's'}.`,
    );
  return { fromStep: fromBar * stepsPerBar, toStep: Math.min(length, toBar * stepsPerBar) };
}

/** The number of candidates a request asks for (default DEFAULT_INFILL_CANDIDATES), checked. */
export function candidateCount(asked: number | undefined): number {
  const k = asked ?? DEFAULT_INFILL_CANDIDATES;
  if (!Number.isInteger(k) || k < 1 || k > MAX_INFILL_CANDIDATES)
    throw new RangeError(`candidates must be an integer within [1, ${MAX_INFILL_CANDIDATES}], got: ${k}`);
  return k;
}

/**
 * The steps of following context that score a candidate: `asked` (option `option`, in `unit`) or one bar, cut to the
 * `available` steps after the selection.
 */
export function lookAheadLength(
  asked: number | undefined,
  stepsPerBar: number,
  available: number,
  option: string,
  unit: string,
): number {
  const wanted = asked ?? stepsPerBar;
  if (!Number.isInteger(wanted) || wanted < 0)
    throw new RangeError(`${option} must be a whole number of ${unit}, got: ${wanted}`);
  return Math.min(wanted, available);
}

/** The candidate kept: one draw from `rng`, each candidate's chance proportional to exp(its log-likelihood). */
export function resampleIndex(logLikelihoods: readonly number[], rng: Rng): number {
  const max = Math.max(...logLikelihoods);
  const weights = logLikelihoods.map((l) => Math.exp(l - max));
  let u = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** How the kept candidate's seam compares: every candidate's seam score, the kept one's, and the plain one's (0). */
export function seamReport(
  seams: readonly number[],
  kept: number,
): { seam: number; seamLeftToRight: number; candidates: number; kept: number; candidateSeams: number[] } {
  return { seam: seams[kept], seamLeftToRight: seams[0], candidates: seams.length, kept, candidateSeams: [...seams] };
}
