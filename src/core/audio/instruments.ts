// SPDX-License-Identifier: MIT
/**
 * The sampled instruments a take can be played and exported with: General MIDI programs (bank 0) that the bundled
 * SoundFont (resources/soundfont/etude-gm.sf3, made by scripts/make-soundfont.ts) holds, and which instrument sounds on
 * which of a take's tracks. Pure data and functions: the renderer, main and the CLI share them.
 */
import { GRAND_STAFF_SPLIT } from '../model/takes';

/** A General MIDI program number, 0..127 (0 = acoustic grand piano). */
export type GmProgram = number;

export interface BundledInstrument {
  program: GmProgram;
  /** What the user reads in the instrument select. */
  label: string;
}

/**
 * Every program in the bundled SoundFont, in the order the instrument select lists them. The SoundFont script keeps
 * exactly these presets, so a program outside this list would sound as silence (no preset) and is refused by
 * {@link programsForTracks}.
 */
export const BUNDLED_INSTRUMENTS: readonly BundledInstrument[] = [
  { program: 0, label: 'Acoustic grand piano' },
  { program: 4, label: 'Electric piano' },
  { program: 11, label: 'Vibraphone' },
  { program: 24, label: 'Nylon guitar' },
  { program: 32, label: 'Acoustic bass' },
  { program: 40, label: 'Violin' },
  { program: 48, label: 'Strings' },
  { program: 73, label: 'Flute' },
];

/** The program every track starts with. */
export const DEFAULT_PROGRAM: GmProgram = 0;

/** Whether `program` is one of the bundled SoundFont's presets. */
export function isBundledProgram(program: number): boolean {
  return BUNDLED_INSTRUMENTS.some((i) => i.program === program);
}

/** The select's label for a program ("Program 30" for one the SoundFont does not hold). */
export function instrumentLabel(program: GmProgram): string {
  return BUNDLED_INSTRUMENTS.find((i) => i.program === program)?.label ?? `Program ${program}`;
}

/**
 * The program of each of a take's `trackCount` tracks (a melody: 1; a polyphonic take: 2, right hand then left hand),
 * from the user's choices so far: a track with no choice (or a choice the SoundFont does not hold) plays
 * {@link DEFAULT_PROGRAM}; choices beyond the track count are ignored.
 * @throws RangeError for a track count that is not 1..16 (one MIDI channel a track)
 * @example programsForTracks(2, [48]) // [48, 0]: strings on the right hand, piano on the left
 */
export function programsForTracks(trackCount: number, chosen: readonly (GmProgram | undefined)[]): GmProgram[] {
  if (!Number.isInteger(trackCount) || trackCount < 1 || trackCount > 16)
    throw new RangeError(`trackCount must be an integer in [1, 16], got: ${trackCount}`);
  return Array.from({ length: trackCount }, (_, i) => {
    const program = chosen[i];
    return program !== undefined && isBundledProgram(program) ? program : DEFAULT_PROGRAM;
  });
}

/**
 * The track (= MIDI channel) a note of a take sounds on: a melody has one; a polyphonic take's right hand (middle C
 * and up) is track 0 and its left hand track 1, as its MIDI file and its grand staff split it.
 */
export function takeTrackOf(pitch: number, polyphonic: boolean): number {
  return polyphonic && pitch < GRAND_STAFF_SPLIT ? 1 : 0;
}
