// SPDX-License-Identifier: MIT
/** Seed notes from typed note names or from a MIDI file's opening. Pure: tested in Node. */
import type { Pitch } from '../../../../core/music/NoteSequence';
import { parseMidi } from '../../../../core/midi/readMidi';
import { extractMelody } from '../../../../core/encoding/melody';
import { parsePitchName } from '../../../../core/music/keys';

/** The contract's limit on seed notes (compose:generate seedNotes). */
export const MAX_SEED_NOTES = 64;
/** How much of a MIDI file's opening becomes the seed: its first two 4/4 bars, at most 16 notes. */
export const MIDI_SEED_BARS = 2;
export const MIDI_SEED_MAX_NOTES = 16;

/**
 * Parse typed seed notes ("C4 E4 G4", "60, 64 67"): the pitches, or a message naming the
 * first word that is not a note.
 */
export function parseSeedText(text: string): { pitches: Pitch[] } | { error: string } {
  const words = text.split(/[\s,;]+/).filter(Boolean);
  const pitches: Pitch[] = [];
  for (const word of words) {
    try {
      pitches.push(parsePitchName(word));
    } catch (error) {
      return { error: `“${word}” is not a note name: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  if (pitches.length === 0) return { error: 'Type at least one note, e.g. “C4 E4 G4”.' };
  if (pitches.length > MAX_SEED_NOTES)
    return { error: `At most ${MAX_SEED_NOTES} seed notes (got ${pitches.length}).` };
  return { pitches };
}

/**
 * The opening of a MIDI file as seed pitches: the melody line (as the thesis extracts it)
 * from its first note through MIDI_SEED_BARS bars, at most MIDI_SEED_MAX_NOTES notes.
 * @throws MidiParseError (with a code) when the bytes are not a readable MIDI file.
 */
export function seedFromMidi(bytes: Uint8Array, fileName: string): Pitch[] {
  const seq = parseMidi(bytes, fileName);
  const melody = extractMelody(seq);
  if (melody.length === 0) return [];
  const limitTick = melody[0].startTick + seq.ppq * 4 * MIDI_SEED_BARS;
  return melody
    .filter((n) => n.startTick < limitTick)
    .slice(0, MIDI_SEED_MAX_NOTES)
    .map((n) => n.pitch);
}
