// SPDX-License-Identifier: MIT
/**
 * A generated melody's tokens as the sequence Etude writes and shows: ppq 480, its tempo and meter, and velocities from
 * ../music/dynamics.ts (accents by the meter, a phrase arch; humanise > 0 jitters timing and velocity from the
 * variation's seed). Used by generation (services) and by export of a generation stored without notes.
 */
import { decodeMelody } from '../encoding/melody';
import { applyDynamics } from '../music/dynamics';
import type { Meter } from '../music/meter';
import type { NoteSequence } from '../music/NoteSequence';

/** Ticks per quarter of generated MIDI. */
export const GENERATED_PPQ = 480;

export interface TakeOptions {
  bpm: number;
  timeSignature: Meter;
  /** 0..1 (default 0). */
  humanise?: number;
  /** Seed of the humanise jitter (the variation's seed). */
  randomSeed: number;
  name: string;
}

/** @throws EncodingError (bad tokens), DynamicsError (humanise), MeterError */
export function takeSequence(tokens: readonly number[], opts: TakeOptions): NoteSequence {
  const sequence = decodeMelody(tokens, {
    ppq: GENERATED_PPQ,
    bpm: opts.bpm,
    name: opts.name,
    timeSignature: opts.timeSignature,
  });
  const [track] = sequence.tracks;
  const notes = applyDynamics(track.notes, {
    ppq: GENERATED_PPQ,
    meter: opts.timeSignature,
    humanise: opts.humanise ?? 0,
    randomSeed: opts.randomSeed,
  });
  return { ...sequence, tracks: [{ ...track, notes }] };
}
