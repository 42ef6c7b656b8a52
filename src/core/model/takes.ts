// SPDX-License-Identifier: MIT
/**
 * A generated melody's tokens as the sequence Etude writes and shows: ppq 480, its tempo and meter, and velocities from
 * ../music/dynamics.ts (accents by the meter, a phrase arch; humanise > 0 jitters timing and velocity from the
 * variation's seed). Used by generation (services) and by export of a generation stored without notes.
 */
import { decodeMelody } from '../encoding/melody';
import { rollToNotes, type RollWindow } from '../encoding/rollFrames';
import { applyDynamics } from '../music/dynamics';
import type { Meter } from '../music/meter';
import { keySignatureOf, type ScaleKey } from '../music/scales';
import type { Note, NoteSequence, TimeSignatureEvent, Track } from '../music/NoteSequence';

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
  /** The key the take was locked to: written as its key signature (../music/scales.ts keySignatureOf). */
  key?: ScaleKey | null;
  /**
   * A velocity-aware model's velocities, one per token (../model/generate.ts GeneratedMelody.velocities): the notes
   * are written at them (humanise still jitters them) instead of the default dynamics.
   */
  velocities?: readonly number[];
  /**
   * The take's time-signature map at GENERATED_PPQ when its meter changes (a continuation appended to a clip in 4/4
   * then 3/4): written as the sequence's time signatures and used for the accents. Undefined: `timeSignature` only.
   */
  meterMap?: readonly TimeSignatureEvent[];
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
  const learnt = opts.velocities;
  const stepTicks = GENERATED_PPQ / 4;
  const notes = applyDynamics(
    learnt
      ? track.notes.map((n) => ({ ...n, velocity: learnt[Math.round(n.startTick / stepTicks)] || n.velocity }))
      : track.notes,
    {
      ppq: GENERATED_PPQ,
      meter: opts.timeSignature,
      ...(opts.meterMap ? { meterMap: opts.meterMap } : {}),
      humanise: opts.humanise ?? 0,
      randomSeed: opts.randomSeed,
      ...(learnt ? { keepVelocities: true } : {}),
    },
  );
  return {
    ...sequence,
    ...(opts.meterMap ? { timeSignatures: opts.meterMap.map((s) => ({ ...s })) } : {}),
    ...(opts.key ? { keySignatures: [{ tick: 0, ...keySignatureOf(opts.key) }] } : {}),
    tracks: [{ ...track, notes }],
  };
}

/** The lowest pitch of a polyphonic take's upper staff: middle C (C4 = 60) and above go to the right hand. */
export const GRAND_STAFF_SPLIT = 60;

/**
 * A generated polyphonic take (flattened frames of `window`) as the sequence Etude writes and shows: two tracks, the
 * upper staff (pitches from GRAND_STAFF_SPLIT up, "Right hand") and the lower ("Left hand"), so a notation program
 * opens it on a grand staff; velocities from ../music/dynamics.ts per staff. Humanise is not applied: its timing
 * jitter keeps a melody's onsets in order, which would pull a chord's notes apart.
 */
export function polyTakeSequence(
  frames: ArrayLike<number>,
  window: RollWindow,
  opts: Omit<TakeOptions, 'humanise'>,
): NoteSequence {
  const ticksPerFrame = GENERATED_PPQ / window.stepsPerQuarter;
  const notes = rollToNotes(frames, window, ticksPerFrame);
  const dynamics = (list: Note[]) =>
    applyDynamics(list, {
      ppq: GENERATED_PPQ,
      meter: opts.timeSignature,
      ...(opts.meterMap ? { meterMap: opts.meterMap } : {}),
      randomSeed: opts.randomSeed,
    }).sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
  const staff = (name: string, channel: number, list: Note[]): Track => ({
    name,
    program: 0,
    channel,
    isPercussion: false,
    notes: dynamics(list),
  });
  const totalTicks = Math.floor(frames.length / window.pitches) * ticksPerFrame;
  return {
    name: opts.name,
    ppq: GENERATED_PPQ,
    tempos: [{ tick: 0, bpm: opts.bpm }],
    timeSignatures: opts.meterMap ? opts.meterMap.map((s) => ({ ...s })) : [{ tick: 0, ...opts.timeSignature }],
    keySignatures: opts.key ? [{ tick: 0, ...keySignatureOf(opts.key) }] : [],
    tracks: [
      staff(
        'Right hand',
        0,
        notes.filter((n) => n.pitch >= GRAND_STAFF_SPLIT),
      ),
      staff(
        'Left hand',
        1,
        notes.filter((n) => n.pitch < GRAND_STAFF_SPLIT),
      ),
    ],
    totalTicks,
  };
}
