// SPDX-License-Identifier: MIT
/** A variation's notes as a one-track MIDI file, through the core writer. */
import type { Bpm, Note, NoteSequence } from '../../../../core/music/NoteSequence';
import { writeMidi } from '../../../../core/midi/writeMidi';

export function variationSequence(notes: readonly Note[], ppq: number, bpm: Bpm, name: string): NoteSequence {
  return {
    ppq,
    name,
    tempos: [{ tick: 0, bpm }],
    timeSignatures: [{ tick: 0, numerator: 4, denominator: 4 }],
    keySignatures: [],
    tracks: [{ name, program: 0, channel: 0, isPercussion: false, notes: notes.map((n) => ({ ...n, velocity: Math.max(1, n.velocity) })) }],
  };
}

export function variationMidiBytes(notes: readonly Note[], ppq: number, bpm: Bpm, name: string): Uint8Array {
  return writeMidi(variationSequence(notes, ppq, bpm, name));
}

/** A safe file name from free text: letters, digits, dashes; ends in .mid. */
export function midiFileName(base: string): string {
  const cleaned = base.trim().replace(/[^\p{L}\p{N}_ -]+/gu, '').replace(/\s+/g, '-').slice(0, 80) || 'etude';
  return `${cleaned}.mid`;
}
