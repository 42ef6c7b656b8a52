// SPDX-License-Identifier: MIT
/**
 * Regenerate bars of a take (compose:regenerate, src/core/model/infill.ts) from the Compose card: the answer replaces
 * the take's notes through its edit history (src/renderer/src/lib/pianoroll/noteEdits.ts), so Undo and Redo cover a
 * regeneration as they cover an edit. Bars are counted from 1 here, as the card shows them, both ends included. A
 * polyphonic take also takes a pitch range (names or MIDI numbers, both ends included; empty = every pitch): only its
 * notes inside the bars and the pitches are drawn again. The take's generation id goes along, so its key/range lock
 * and chords steer the new bars as they steered the take.
 */
import { parsePitchName } from '../../../../core/music/keys';
import type { Note } from '../../../../core/music/NoteSequence';
import { MAX_COMPOSE_BARS } from '../../../../shared/dto';
import { barLengthTicks } from '../score/staff';
import { app } from './app.svelte';
import { compose, newRandomSeed, type VariationView } from './compose.svelte';

/** Seam scores of the last regeneration (null when nothing follows the selection). */
export type SeamScores = { infill: number; leftToRight: number } | null;

export function barTicksOf(v: Pick<VariationView, 'ppq' | 'timeSignature'>): number {
  return barLengthTicks(v.ppq, v.timeSignature.numerator, v.timeSignature.denominator);
}

/** The take's length in whole bars (a last note ringing past the end adds none). */
export function takeBars(v: Pick<VariationView, 'ppq' | 'timeSignature' | 'endTick'>): number {
  return Math.max(1, Math.floor(v.endTick / barTicksOf(v)));
}

/** A polyphonic take's pitches to regenerate, as typed: low and high (names like C4 or MIDI numbers). */
export interface PitchFields {
  low: string;
  high: string;
}

/**
 * The pitch range typed in the fields: undefined when both are empty (every pitch), else low..high, or a sentence
 * saying what is wrong.
 */
export function pitchSelection(fields: PitchFields | undefined): { low: number; high: number } | undefined | string {
  if (!fields || (fields.low.trim() === '' && fields.high.trim() === '')) return undefined;
  let low: number;
  let high: number;
  try {
    low = parsePitchName(fields.low.trim() || '0');
    high = parsePitchName(fields.high.trim() || '127');
  } catch (error) {
    return (error as Error).message;
  }
  if (low > high) return `The low pitch (${fields.low}) is above the high one (${fields.high}).`;
  return { low, high };
}

/** Why bars `from`..`to` (from 1, both included) of a take cannot be regenerated, or null when they can. */
export function selectionProblem(
  v: Pick<VariationView, 'ppq' | 'timeSignature' | 'endTick' | 'polyphonic'> &
    Pick<Partial<VariationView>, 'meterChanges'>,
  from: number,
  to: number,
  pitches?: PitchFields,
): string | null {
  // The infill counts bars of one meter (src/core/model/infill.ts); a take whose meter changes would be cut wrongly.
  if (v.meterChanges) return 'Regenerating bars works on takes in one meter for now; this take changes meter.';
  const range = v.polyphonic ? pitchSelection(pitches) : undefined;
  if (typeof range === 'string') return range;
  const bars = takeBars(v);
  if (bars < 2) return 'The take has one bar: there is nothing before a selection to start from.';
  if (bars > MAX_COMPOSE_BARS) return `Regenerating bars works on takes of up to ${MAX_COMPOSE_BARS} bars.`;
  if (!Number.isInteger(from) || !Number.isInteger(to)) return 'Choose whole bar numbers.';
  if (from < 2) return 'Bar 1 cannot be regenerated: the model starts from the music before the selection.';
  if (to < from) return `The selection must end at or after bar ${from}.`;
  if (to > bars) return `The take has ${bars} bars: the selection must end by bar ${bars}.`;
  return null;
}

/**
 * Regenerates bars `from`..`to` of a take and puts the answer in its history. Answers the seam scores, or undefined
 * when it failed (said in a toast).
 */
export async function regenerateBars(
  v: VariationView,
  from: number,
  to: number,
  pitches?: PitchFields,
): Promise<SeamScores | undefined> {
  const problem = selectionProblem(v, from, to, pitches);
  if (problem) {
    app.toast('error', `Regenerate bars: ${problem}`);
    return undefined;
  }
  const range = v.polyphonic ? pitchSelection(pitches) : undefined;
  const sent = v.history.present;
  try {
    const result = await app.requireApi().call('compose:regenerate', {
      model: v.model,
      notes: sent.map((n) => ({
        pitch: n.pitch,
        startTick: n.startTick,
        durationTicks: n.durationTicks,
        velocity: n.velocity,
      })),
      ppq: v.ppq,
      bars: takeBars(v),
      fromBar: from - 1,
      toBar: to,
      temperature: compose.temperature,
      randomSeed: newRandomSeed(),
      timeSignature: { numerator: v.timeSignature.numerator, denominator: v.timeSignature.denominator },
      generationId: v.generationId,
      ...(range && typeof range === 'object' ? { pitches: range } : {}),
    });
    if (v.history.present !== sent) {
      app.toast('error', 'The take changed while its bars were regenerated; regenerate them again.');
      return undefined;
    }
    compose.edit(v.key, result.notes as Note[]);
    return result.seam;
  } catch (error) {
    app.fail(`Could not regenerate bars ${from}-${to}`, error, {
      label: 'Retry',
      run: () => void regenerateBars(v, from, to, pitches),
    });
    return undefined;
  }
}
