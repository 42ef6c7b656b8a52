// SPDX-License-Identifier: MIT
/**
 * NoteSequence -> MIDI bytes through @tonejs/midi (format 1: a conductor track with the name,
 * key signatures, tempos and time signatures, then one track per sequence track).
 */
// @tonejs/midi ships a UMD bundle whose named exports Node's ESM loader cannot see; the default import
// (the CommonJS module object) works under plain Node, tsx, vitest and the bundlers alike.
import tonejsMidi from '@tonejs/midi';
import type { NoteSequence } from '../music/NoteSequence';
import { accidentalsOfKey, keyFromAccidentals } from '../music/keys';
import { readChunks } from './smf';

const { Midi } = tonejsMidi;

/** Thrown by {@link writeMidi} when the sequence cannot be written as a MIDI file. */
export class MidiWriteError extends Error {
  override name = 'MidiWriteError' as const;
  readonly code = 'MIDI_WRITE_INVALID' as const;
}

/** Events beyond the sequence's (loop exports: ./loopMidi.ts). */
export interface MidiWriteExtras {
  /** Marker meta events (FF 06), written to the conductor track. */
  markers?: readonly { tick: number; text: string }[];
  /** Control changes written to every sequence track, on its channel. */
  controlChanges?: readonly { tick: number; controller: number; value: number }[];
}

/**
 * Write a format-1 Standard MIDI File.
 *
 * - PPQ, tempos (bpm; written as whole microseconds per quarter, so 120 bpm stays exact),
 *   time signatures and key signatures (tonic + scale, written as accidentals) go to track 0.
 *   An empty tempo map writes nothing (readers assume 120 bpm).
 * - Each track becomes one MIDI track with its name, a program change at tick 0 and its notes on
 *   its channel (channel 9 when `isPercussion`). Zero-length notes are skipped (a reader drops
 *   them anyway). Velocities are written exactly (1..127). `rests` and `totalTicks` are not
 *   written: MIDI has no rests.
 *
 * @throws {MidiWriteError} MIDI_WRITE_INVALID when ppq is not an integer in 1..32767, a tempo
 *   is below 3.58 bpm (the slowest MIDI can store), a time signature is not 1..255 over a power of
 *   two, a key name is not a key, or a note has a pitch outside 0..127 or a negative/non-integer tick.
 */
export function writeMidi(seq: NoteSequence, extras: MidiWriteExtras = {}): Uint8Array {
  if (!Number.isInteger(seq.ppq) || seq.ppq <= 0 || seq.ppq > 0x7fff) {
    throw new MidiWriteError(`"${seq.name}": ppq must be an integer within [1, 32767], got: ${seq.ppq}`);
  }
  for (const tempo of seq.tempos) {
    // A tempo is stored as 24-bit microseconds per quarter: 3.58 bpm is the slowest it can hold.
    if (!Number.isFinite(tempo.bpm) || tempo.bpm < 60_000_000 / 0xffffff || !isTick(tempo.tick)) {
      throw new MidiWriteError(
        `"${seq.name}": tempo at tick ${tempo.tick} must be at least 3.58 bpm at a non-negative integer tick, got: ${tempo.bpm} bpm`,
      );
    }
  }
  for (const signature of seq.timeSignatures) {
    const { numerator, denominator } = signature;
    const powerOfTwo =
      Number.isInteger(denominator) &&
      denominator >= 1 &&
      denominator <= 128 &&
      (denominator & (denominator - 1)) === 0;
    if (!Number.isInteger(numerator) || numerator < 1 || numerator > 255 || !powerOfTwo || !isTick(signature.tick)) {
      throw new MidiWriteError(
        `"${seq.name}": time signature at tick ${signature.tick} must be 1-255 over a power of two up to 128, got: ${numerator}/${denominator}`,
      );
    }
  }
  const midi = new Midi();
  midi.header.fromJSON({
    name: seq.name,
    ppq: seq.ppq,
    meta: (extras.markers ?? []).map((m) => ({ type: 'marker', text: m.text, ticks: m.tick })),
    tempos: seq.tempos.map((tempo) => ({ ticks: tempo.tick, bpm: tempo.bpm })),
    timeSignatures: seq.timeSignatures.map((signature) => ({
      ticks: signature.tick,
      timeSignature: [signature.numerator, signature.denominator],
    })),
    // @tonejs/midi spells a key signature by its major key; convert from our tonic.
    keySignatures: seq.keySignatures.map((signature) => ({
      ticks: signature.tick,
      key: keyFromAccidentals(accidentalsOrThrow(seq.name, signature.key, signature.scale, signature.tick), 'major'),
      scale: signature.scale,
    })),
  });

  seq.tracks.forEach((source, trackIndex) => {
    const track = midi.addTrack();
    track.name = source.name;
    track.channel = source.isPercussion ? 9 : source.channel;
    track.instrument.number = source.program;
    for (const cc of extras.controlChanges ?? [])
      track.addCC({ number: cc.controller, value: cc.value / 127, ticks: cc.tick });
    for (const note of source.notes) {
      if (!Number.isInteger(note.pitch) || note.pitch < 0 || note.pitch > 127) {
        throw new MidiWriteError(
          `"${seq.name}", track ${trackIndex + 1}: pitch must be an integer within [0, 127], got: ${note.pitch}`,
        );
      }
      if (!isTick(note.startTick) || !isTick(note.durationTicks)) {
        throw new MidiWriteError(
          `"${seq.name}", track ${trackIndex + 1}: note ticks must be non-negative integers, got start ${note.startTick}, duration ${note.durationTicks}`,
        );
      }
      if (note.durationTicks === 0) continue;
      const velocity = Math.min(127, Math.max(1, Math.round(note.velocity)));
      // The encoder writes floor(velocity * 127); half a step up keeps the integer exact.
      track.addNote({
        midi: note.pitch,
        ticks: note.startTick,
        durationTicks: note.durationTicks,
        velocity: (velocity + 0.5) / 127,
      });
    }
  });
  // Notes must be in time order for the encoder's stable sort to put a note-off before a
  // same-pitch note-on at the same tick.
  for (const track of midi.tracks) track.notes.sort((a, b) => a.ticks - b.ticks || a.midi - b.midi);
  const bytes = midi.toArray();
  correctKeySignatureBytes(bytes);
  return bytes;
}

function accidentalsOrThrow(name: string, key: string, scale: 'major' | 'minor', tick: number): number {
  try {
    return accidentalsOfKey(key, scale);
  } catch (error) {
    throw new MidiWriteError(`"${name}": key signature at tick ${tick}: ${(error as Error).message}`);
  }
}

function isTick(value: number): boolean {
  return Number.isInteger(value) && value >= 0;
}

/**
 * @tonejs/midi 2.0.28 encodes a key signature's sharps/flats byte as (index in its key table) + 7
 * instead of − 7, so G major (1 sharp) comes out as 15 and reads back as no key at all. Its own
 * table index is sf + 7, so the written byte is sf + 14: subtract 14 in place, in the conductor
 * track only (the only track where it writes key signatures).
 */
function correctKeySignatureBytes(bytes: Uint8Array): void {
  const { tracks } = readChunks(bytes, 'writeMidi output');
  const conductor = tracks[0];
  if (!conductor) return;
  let offset = 0;
  let runningStatus = 0;
  const readVarLength = (): number => {
    let value = 0;
    for (let i = 0; i < 4 && offset < conductor.length; i++) {
      const byte = conductor[offset++];
      value = value * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
    return value;
  };
  while (offset < conductor.length) {
    readVarLength();
    let status = conductor[offset];
    if (status & 0x80) offset++;
    else status = runningStatus;
    if (status === 0xff) {
      const metaType = conductor[offset++];
      const dataLength = readVarLength();
      if (metaType === 0x59 && dataLength === 2) conductor[offset] = (conductor[offset] - 14) & 0xff;
      offset += dataLength;
      runningStatus = 0;
    } else if (status === 0xf0 || status === 0xf7) {
      offset += readVarLength();
      runningStatus = 0;
    } else {
      runningStatus = status;
      const kind = status & 0xf0;
      offset += kind === 0xc0 || kind === 0xd0 ? 1 : 2;
    }
  }
}
