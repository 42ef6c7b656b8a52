// SPDX-License-Identifier: MIT
/**
 * A variation's notes as a MIDI file, through the core writer: a melody as one track, a polyphonic take as two, its
 * grand staff's (pitch >= GRAND_STAFF_SPLIT, middle C, on the upper staff "Right hand", the rest "Left hand"), as the
 * takes are stored (src/core/model/takes.ts polyTakeSequence) and the score shows them (lib/score/engrave.ts).
 */
import type { Bpm, Note, NoteSequence, Track } from '../../../../core/music/NoteSequence';
import { writeMidi } from '../../../../core/midi/writeMidi';
import { writeLoopMidi } from '../../../../core/midi/loopMidi';
import { melodySequence } from '../../../../core/encoding/melody';
import { toMusicXml } from '../../../../core/musicxml/writeMusicXml';
import { GRAND_STAFF_SPLIT } from '../../../../core/model/takes';
import { programsForTracks } from '../../../../core/audio/instruments';

type Meter = { numerator: number; denominator: number };
/** One meter throughout, or a time-signature map (ticks at the take's ppq) when the meter changes. */
type TakeMeter = Meter | readonly (Meter & { tick: number })[];

function isMap(meter: TakeMeter | undefined): meter is readonly (Meter & { tick: number })[] {
  return Array.isArray(meter);
}

/**
 * Velocities are clamped to 1..: an edited note at velocity 0 would be a note-off in the file. The meter is the take's
 * (default 4/4), or its time-signature map. `grandStaff`: a polyphonic take, written as its two staves' tracks.
 */
export function variationSequence(
  notes: readonly Note[],
  ppq: number,
  bpm: Bpm,
  name: string,
  timeSignature?: TakeMeter,
  grandStaff = false,
  /** Each track's GM program (core/audio/instruments.ts programsForTracks); default the piano. */
  programs: readonly number[] = [],
): NoteSequence {
  const clamped = notes.map((n) => ({ ...n, velocity: Math.max(1, n.velocity) }));
  const map = isMap(timeSignature) ? timeSignature : undefined;
  const one = isMap(timeSignature) ? timeSignature[0] : timeSignature;
  const single = melodySequence(clamped, {
    ppq,
    bpm,
    name,
    ...(one ? { timeSignature: { numerator: one.numerator, denominator: one.denominator } } : {}),
  });
  // A take whose meter changes writes a time signature at each change (MIDI meta events, MusicXML <time>).
  const sequence = map ? { ...single, timeSignatures: map.map((s) => ({ ...s })) } : single;
  const [melodyProgram, leftProgram] = programsForTracks(grandStaff ? 2 : 1, programs);
  if (!grandStaff) return { ...sequence, tracks: sequence.tracks.map((t) => ({ ...t, program: melodyProgram! })) };
  const staff = (trackName: string, channel: number, list: Note[]): Track => ({
    name: trackName,
    program: channel === 0 ? melodyProgram! : leftProgram!,
    channel,
    isPercussion: false,
    notes: list,
  });
  return {
    ...sequence,
    tracks: [
      staff(
        'Right hand',
        0,
        clamped.filter((n) => n.pitch >= GRAND_STAFF_SPLIT),
      ),
      staff(
        'Left hand',
        1,
        clamped.filter((n) => n.pitch < GRAND_STAFF_SPLIT),
      ),
    ],
  };
}

export function variationMidiBytes(
  notes: readonly Note[],
  ppq: number,
  bpm: Bpm,
  name: string,
  timeSignature?: TakeMeter,
  grandStaff = false,
  /** Chord symbols (or other text) as marker events at their ticks. */
  markers: readonly { tick: number; text: string }[] = [],
  programs: readonly number[] = [],
): Uint8Array {
  return writeMidi(variationSequence(notes, ppq, bpm, name, timeSignature, grandStaff, programs), { markers });
}

/**
 * A take's notes as MusicXML (UTF-8) for MuseScore, Sibelius or Dorico: its meter and tempo, a grand staff when the take
 * is polyphonic across middle C (core/musicxml toMusicXml, staves 'auto'), its chord symbols when it followed chords.
 */
export function variationMusicXmlBytes(
  notes: readonly Note[],
  ppq: number,
  bpm: Bpm,
  name: string,
  timeSignature?: TakeMeter,
  chords: readonly { tick: number; symbol: string }[] = [],
): Uint8Array {
  return new TextEncoder().encode(
    toMusicXml(variationSequence(notes, ppq, bpm, name, timeSignature), {
      title: name,
      ...(chords.length ? { chordSymbols: [...chords] } : {}),
    }),
  );
}

/** A loop take's notes as a MIDI loop of `loopTicks` ticks: loop markers, exactly its bars (core/midi/loopMidi.ts). */
export function variationLoopMidiBytes(
  notes: readonly Note[],
  ppq: number,
  bpm: Bpm,
  name: string,
  loopTicks: number,
  timeSignature?: TakeMeter,
  grandStaff = false,
  markers: readonly { tick: number; text: string }[] = [],
  programs: readonly number[] = [],
): Uint8Array {
  return writeLoopMidi(
    variationSequence(notes, ppq, bpm, name, timeSignature, grandStaff, programs),
    loopTicks,
    markers,
  );
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
