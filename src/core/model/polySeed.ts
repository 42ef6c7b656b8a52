// SPDX-License-Identifier: MIT
/**
 * What a polyphonic take starts from, as frames of the model's pitch window at its frame rate: typed pitches (one chord
 * held for a quarter note, as melody seeds are fed a quarter note each: see ./generate.ts seedTokensFromPitches), or the
 * notes of a MIDI clip (its opening bars, or all of it to continue it).
 */
import { flatRoll, type RollWindow } from '../encoding/rollFrames';
import type { NoteSequence } from '../music/NoteSequence';
import { GenerationError } from './generate';

/**
 * Frames per bar of a meter at `stepsPerQuarter` frames a quarter (16ths per bar * stepsPerQuarter / 4).
 * @throws GenerationError when the bar is not a whole number of frames (3/8 on quarter-note frames)
 */
export function framesPerBar(sixteenthsPerBar: number, stepsPerQuarter: number): number {
  const frames = (sixteenthsPerBar * stepsPerQuarter) / 4;
  if (!Number.isInteger(frames) || frames < 1)
    throw new GenerationError(
      'GENERATION_BAD_LENGTH',
      `A bar of ${sixteenthsPerBar} sixteenths is not a whole number of this model's frames (${stepsPerQuarter} a quarter note); pick another meter.`,
    );
  return frames;
}

/**
 * One chord of `pitches` held for a quarter note. A pitch outside the model's window moves by octaves into it.
 * @throws GenerationError when no pitch is given or one is not a MIDI pitch
 */
export function chordSeedFrames(pitches: readonly number[], window: RollWindow): number[] {
  if (pitches.length === 0)
    throw new GenerationError('GENERATION_BAD_SEED', 'Give at least one seed note (e.g. 60 or C4,E4,G4).');
  const frame = new Array<number>(window.pitches).fill(0);
  const high = window.lowPitch + window.pitches - 1;
  for (const raw of pitches) {
    if (!Number.isInteger(raw) || raw < 0 || raw > 127)
      throw new GenerationError('GENERATION_BAD_SEED', `Seed pitch must be within [0, 127], got: ${raw}`);
    let p = raw;
    while (p < window.lowPitch && p + 12 <= high) p += 12;
    while (p > high && p - 12 >= window.lowPitch) p -= 12;
    if (p >= window.lowPitch && p <= high) frame[p - window.lowPitch] = 1;
  }
  return Array.from({ length: window.stepsPerQuarter }, () => frame).flat();
}

/**
 * The frames of a clip: its first `frames` frames (all of it when undefined), leading whole bars of silence skipped
 * when `barFrames` is given (so a pickup keeps its place before the bar line).
 * @throws GenerationError when the clip has no note within the model's pitches
 */
export function clipSeedFrames(
  sequence: NoteSequence,
  window: RollWindow,
  options: { frames?: number; barFrames?: number; name: string },
): number[] {
  const roll = flatRoll(sequence, window);
  const P = window.pitches;
  let start = 0;
  if (options.barFrames) {
    const firstSounding = (() => {
      for (let t = 0; t < roll.frames; t++) for (let p = 0; p < P; p++) if (roll.values[t * P + p]) return t;
      return roll.frames;
    })();
    start = firstSounding - (firstSounding % options.barFrames);
  }
  const end = options.frames === undefined ? roll.frames : Math.min(roll.frames, start + options.frames);
  const values = Array.from(roll.values.subarray(start * P, end * P));
  if (!values.some((v) => v !== 0))
    throw new GenerationError(
      'GENERATION_BAD_SEED',
      `The seed MIDI file ${options.name} has no notes within this model's pitches ${window.lowPitch}..${window.lowPitch + P - 1}.`,
    );
  return values;
}
