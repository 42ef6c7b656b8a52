// SPDX-License-Identifier: MIT
/** A variation's notes as a one-track MIDI file, through the core writer. */
import type { Bpm, Note, NoteSequence } from '../../../../core/music/NoteSequence';
import { writeMidi } from '../../../../core/midi/writeMidi';
import { writeLoopMidi } from '../../../../core/midi/loopMidi';
import { melodySequence } from '../../../../core/encoding/melody';

type Meter = { numerator: number; denominator: number };

/**
 * Velocities are clamped to 1..: an edited note at velocity 0 would be a note-off in the file. The meter is the take's
 * (default 4/4).
 */
export function variationSequence(
  notes: readonly Note[],
  ppq: number,
  bpm: Bpm,
  name: string,
  timeSignature?: Meter,
): NoteSequence {
  return melodySequence(
    notes.map((n) => ({ ...n, velocity: Math.max(1, n.velocity) })),
    { ppq, bpm, name, ...(timeSignature ? { timeSignature } : {}) },
  );
}

export function variationMidiBytes(
  notes: readonly Note[],
  ppq: number,
  bpm: Bpm,
  name: string,
  timeSignature?: Meter,
  /** Chord symbols (or other text) as marker events at their ticks. */
  markers: readonly { tick: number; text: string }[] = [],
): Uint8Array {
  return writeMidi(variationSequence(notes, ppq, bpm, name, timeSignature), { markers });
}

/** A loop take's notes as a MIDI loop of `loopTicks` ticks: loop markers, exactly its bars (core/midi/loopMidi.ts). */
export function variationLoopMidiBytes(
  notes: readonly Note[],
  ppq: number,
  bpm: Bpm,
  name: string,
  loopTicks: number,
  timeSignature?: Meter,
  markers: readonly { tick: number; text: string }[] = [],
): Uint8Array {
  return writeLoopMidi(variationSequence(notes, ppq, bpm, name, timeSignature), loopTicks, markers);
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
