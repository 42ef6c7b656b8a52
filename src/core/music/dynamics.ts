// SPDX-License-Identifier: MIT
/**
 * Velocities (and, on request, a little timing) for melodies that carry none: the model writes only pitches and
 * durations, so every note used to be written at velocity 100.
 *
 * The default is a simple musical rule, not learnt: a base of 80, plus an accent by the note's metric weight in its bar
 * (meter.ts metricWeight: downbeat +16, secondary strong beat +10, other beats +5, off the beat 0), plus a gentle
 * phrase arch over every four bars (sin over the phrase, up to +6 in its middle, -4 at its ends). `humanise` h in
 * [0, 1] then adds, deterministically from `randomSeed`:
 * - velocity jitter, uniform within +-12h;
 * - timing jitter of the onset, uniform within +-(ppq / 16)h ticks (a 64th at h = 1), clamped so that a note never
 *   starts at or before the previous note's (shifted) start nor at or after the next note's onset, and never before
 *   tick 0; the note's end moves with it but never past the next onset, and a note keeps at least one tick.
 * Velocities are always within [1, 127].
 * With `keepVelocities` (a velocity-aware model's take, ../model/velocity.ts) the notes' own velocities replace the
 * rule (accents and arch), and humanise still jitters them and the timing on top.
 */
import { createRng } from '../util/random';
import { metricWeight, sixteenthsPerBar, type Meter } from './meter';
import type { Note } from './NoteSequence';
import { barAt, type MeterMap } from './meterMap';

export interface DynamicsOptions {
  ppq: number;
  meter: Meter;
  /**
   * The time-signature map (ticks at `ppq`) when the meter changes: accents and the phrase arch then follow its bar
   * lines (./meterMap.ts). Undefined: `meter` throughout.
   */
  meterMap?: MeterMap;
  /** 0..1 (default 0: no jitter at all, no random draws). */
  humanise?: number;
  /** Seed of the jitter (e.g. the variation's random seed). */
  randomSeed?: number;
  /** Keep each note's own velocity (learnt) instead of the rule; humanise still applies. */
  keepVelocities?: boolean;
}

const BASE_VELOCITY = 80;
const ACCENT = [0, 5, 10, 16];
const PHRASE_BARS = 4;

/** Thrown for a humanise amount outside [0, 1]. */
export class DynamicsError extends Error {
  override name = 'DynamicsError';
  readonly code = 'DYNAMICS_INVALID' as const;
}

/**
 * New notes with velocities and (humanise > 0) jittered timing; the input is not changed. Notes are taken in onset
 * order (the melody's order); a note's position on the grid is read from its onset in sixteenths.
 * @throws DynamicsError for humanise outside [0, 1]; MeterError for a meter the grid cannot hold.
 */
export function applyDynamics(notes: readonly Note[], options: DynamicsOptions): Note[] {
  const humanise = options.humanise ?? 0;
  if (!(humanise >= 0 && humanise <= 1)) throw new DynamicsError(`humanise must be within [0, 1], got: ${humanise}`);
  const stepTicks = options.ppq / 4;
  const barSteps = sixteenthsPerBar(options.meter);
  const phraseSteps = barSteps * PHRASE_BARS;
  const rng = humanise > 0 ? createRng(((options.randomSeed ?? 0) ^ 0x5bd1e995) >>> 0) : undefined;
  const sorted = [...notes].sort((a, b) => a.startTick - b.startTick);
  const out: Note[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const note = sorted[i];
    const step = Math.round(note.startTick / stepTicks);
    let phrase = (step % phraseSteps) / phraseSteps;
    let weight: number;
    if (options.meterMap) {
      const bar = barAt(options.meterMap, options.ppq, step * stepTicks);
      const inBar = (step * stepTicks - bar.startTick) / stepTicks;
      weight = metricWeight(inBar, bar.meter);
      phrase = ((bar.index % PHRASE_BARS) + (step * stepTicks - bar.startTick) / bar.lengthTicks) / PHRASE_BARS;
    } else weight = metricWeight(step, options.meter);
    let velocity = options.keepVelocities
      ? note.velocity
      : BASE_VELOCITY + ACCENT[weight] + (Math.sin(Math.PI * phrase) * 10 - 4);
    let start = note.startTick;
    let end = note.startTick + note.durationTicks;
    if (rng) {
      velocity += rng.uniform(-12, 12) * humanise;
      const shift = Math.round(rng.uniform(-1, 1) * (options.ppq / 16) * humanise);
      const nextOnset = i + 1 < sorted.length ? sorted[i + 1].startTick : Infinity;
      const previousStart = out.length > 0 ? out[out.length - 1].startTick : -1;
      start = Math.min(Math.max(start + shift, previousStart + 1, 0), nextOnset - 1);
      end = Math.min(end + shift, nextOnset);
      if (end <= start) end = start + 1;
    }
    out.push({ ...note, startTick: start, durationTicks: end - start, velocity: clampVelocity(velocity) });
  }
  return out;
}

function clampVelocity(v: number): number {
  return Math.min(127, Math.max(1, Math.round(v)));
}
