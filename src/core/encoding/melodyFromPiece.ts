// SPDX-License-Identifier: MIT
/**
 * The melody of a piece, whatever the piece is: a parsed MIDI file (its chosen part, via ./melody.ts encodeMelody) or
 * a piano roll (its top voice). Both give the 130-token melody encoding (0-127 note-on, 128 note-off, 129 no event)
 * at sixteenths; an importer calls these and stores the tokens with the piece.
 */
import type { NoteSequence } from '../music/NoteSequence';
import { EncodingError } from './errors';
import { encodeMelody, NO_EVENT, NOTE_OFF, type MelodySource } from './melody';
import type { PianoRoll } from './pianoRoll';

/**
 * Melody tokens of a roll's top voice at sixteenths: in each frame the highest sounding pitch is the melody; it
 * starts a note where it has an onset or differs from the previous frame's top, a silent frame after sound is a
 * note-off (128), everything else is "no event" (129). Coarser rolls are expanded (a quarter frame = 4 sixteenths,
 * onset on the first).
 * @throws {EncodingError} ENCODING_PPQ_INVALID when the roll's steps per quarter do not divide a sixteenth grid
 * @example
 *   topVoiceTokens(pianoRollFromFrameLists([[60], [], [60, 67]], 4)); // [60, 128, 67, 128]
 */
export function topVoiceTokens(roll: PianoRoll): number[] {
  const repeat = 4 / roll.stepsPerQuarter;
  if (!Number.isInteger(repeat) || repeat < 1) {
    throw new EncodingError(
      'ENCODING_PPQ_INVALID',
      `a piano roll at ${roll.stepsPerQuarter} steps per quarter cannot be put on a sixteenth grid`,
    );
  }
  const tokens: number[] = [];
  let previousTop = -1;
  for (const frame of roll.frames) {
    const top = frame.sounding.length > 0 ? frame.sounding[frame.sounding.length - 1] : -1;
    for (let r = 0; r < repeat; r++) {
      const onset = r === 0 && frame.onsets.includes(top);
      if (top >= 0 && (onset || top !== previousTop)) tokens.push(top);
      else if (top < 0 && previousTop >= 0) tokens.push(NOTE_OFF);
      else tokens.push(NO_EVENT);
      previousTop = top;
    }
  }
  if (previousTop >= 0) tokens.push(NOTE_OFF);
  return tokens;
}

/**
 * Melody tokens of a parsed MIDI file: the part `source` picks, on the sixteenth grid; empty when the file has no
 * pitched part (percussion only), which the caller reports.
 */
export function melodyTokensOfSequence(sequence: NoteSequence, source: MelodySource): Uint8Array {
  return Uint8Array.from(encodeMelody(sequence, { source }));
}
