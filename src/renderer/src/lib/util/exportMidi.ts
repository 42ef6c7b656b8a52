// SPDX-License-Identifier: MIT
/** A variation's notes as a one-track MIDI file, through the core writer. */
import type { Bpm, Note, NoteSequence } from '../../../../core/music/NoteSequence';
import { writeMidi } from '../../../../core/midi/writeMidi';
import { melodySequence } from '../../../../core/encoding/melody';

/** Velocities are clamped to 1..: an edited note at velocity 0 would be a note-off in the file. */
export function variationSequence(notes: readonly Note[], ppq: number, bpm: Bpm, name: string): NoteSequence {
  return melodySequence(
    notes.map((n) => ({ ...n, velocity: Math.max(1, n.velocity) })),
    { ppq, bpm, name },
  );
}

export function variationMidiBytes(notes: readonly Note[], ppq: number, bpm: Bpm, name: string): Uint8Array {
  return writeMidi(variationSequence(notes, ppq, bpm, name));
}

/** A safe file name from free text: letters, digits, dashes; ends in .mid. */
export function midiFileName(base: string): string {
  const cleaned =
    base
      .trim()
      .replace(/[^\p{L}\p{N}_ -]+/gu, '')
      .replace(/\s+/g, '-')
      .slice(0, 80) || 'etude';
  return `${cleaned}.mid`;
}
