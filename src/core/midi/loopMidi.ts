// SPDX-License-Identifier: MIT
/**
 * A loop as a Standard MIDI File (loop mode, src/core/model/loop.ts): what game audio tools and DAWs read as a loop.
 *
 * - Marker meta events (FF 06) "loopStart" at tick 0 and "loopEnd" at the loop's end, in the conductor track: the
 *   marker pair several game MIDI players read as loop points (a convention from Final Fantasy VII's PC MIDI files;
 *   libADLMIDI and libOPNMIDI document it, matching the text case-insensitively). Not checked against each tool here.
 * - Controller 111 (value 0) at tick 0 in the melody track: RPG Maker's loop start (its player loops from CC111 to the
 *   end of the file), which those players read too. (EMIDI's CC116/117 is not written.)
 * - Every track's end-of-track at exactly the loop's end, so the file is N bars long: a tool that loops the whole file
 *   or takes its length for a loop region (DAWs; FMOD and Wwise loop audio, not MIDI markers) restarts it on the bar
 *   line. Without this, @tonejs/midi ends a track at its last event, and a loop ending in a rest would be short.
 * - The notes are cut to the loop first ({@link clipToLoop}): nothing sounds across the loop point.
 */
import type { Note, NoteSequence } from '../music/NoteSequence';
import { readChunks } from './smf';
import { MidiWriteError, writeMidi } from './writeMidi';

export const LOOP_START_MARKER = 'loopStart';
export const LOOP_END_MARKER = 'loopEnd';
/** RPG Maker's loop-start controller. */
export const LOOP_START_CC = 111;

/**
 * The sequence as a loop of `loopTicks` ticks, as MIDI bytes (see the header).
 * @throws MidiWriteError as writeMidi does, or for a loop length that is not a positive integer
 */
export function writeLoopMidi(
  seq: NoteSequence,
  loopTicks: number,
  /** More markers (e.g. chord symbols), written beside the loop's. */
  markers: readonly { tick: number; text: string }[] = [],
): Uint8Array {
  if (!Number.isInteger(loopTicks) || loopTicks <= 0)
    throw new MidiWriteError(`"${seq.name}": a loop must be a positive whole number of ticks, got: ${loopTicks}`);
  const bytes = writeMidi(clipToLoop(seq, loopTicks), {
    markers: [
      { tick: 0, text: LOOP_START_MARKER },
      { tick: loopTicks, text: LOOP_END_MARKER },
      ...markers.filter((m) => m.tick < loopTicks),
    ],
    controlChanges: [{ tick: 0, controller: LOOP_START_CC, value: 0 }],
  });
  return setEndOfTracks(bytes, loopTicks);
}

/**
 * A take as a loop of exactly `loopTicks` ticks: notes starting at or after the end are dropped, a note is cut at the
 * end (the held note across the loop point), one jittered before 0 starts at 0; totalTicks = loopTicks.
 */
export function clipToLoop(sequence: NoteSequence, loopTicks: number): NoteSequence {
  const clip = (notes: readonly Note[]): Note[] =>
    notes
      .filter((n) => n.startTick < loopTicks)
      .map((n) => {
        const startTick = Math.max(0, n.startTick);
        const endTick = Math.min(loopTicks, n.startTick + n.durationTicks);
        return { ...n, startTick, durationTicks: Math.max(0, endTick - startTick) };
      })
      .filter((n) => n.durationTicks > 0);
  return {
    ...sequence,
    totalTicks: loopTicks,
    tracks: sequence.tracks.map((t) => ({
      ...t,
      notes: clip(t.notes),
      ...(t.rests
        ? {
            rests: t.rests
              .filter((r) => r.startTick < loopTicks)
              .map((r) => ({ ...r, durationTicks: Math.min(r.durationTicks, loopTicks - r.startTick) })),
          }
        : {}),
    })),
  };
}

function readVarLength(body: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let offset = at;
  for (let i = 0; i < 4; i++) {
    const byte = body[offset++];
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) break;
  }
  return { value, next: offset };
}

function varLength(value: number): number[] {
  const out = [value & 0x7f];
  for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) out.unshift((v & 0x7f) | 0x80);
  return out;
}

/**
 * The file with every track's end-of-track event moved to `endTick` (never before the track's last other event).
 * Works on what writeMidi writes: a header chunk, then track chunks each ending in an end-of-track meta event.
 */
export function setEndOfTracks(bytes: Uint8Array, endTick: number): Uint8Array {
  const { tracks } = readChunks(bytes, 'loop MIDI');
  const out: number[] = Array.from(bytes.subarray(0, 14));
  for (const body of tracks) {
    let offset = 0;
    let tick = 0;
    let running = 0;
    let endAt = body.length;
    while (offset < body.length) {
      const eventStart = offset;
      const delta = readVarLength(body, offset);
      offset = delta.next;
      let status = body[offset];
      if (status & 0x80) offset++;
      else status = running;
      if (status === 0xff) {
        const type = body[offset++];
        const length = readVarLength(body, offset);
        if (type === 0x2f) {
          endAt = eventStart;
          break;
        }
        tick += delta.value;
        offset = length.next + length.value;
        running = 0;
      } else if (status === 0xf0 || status === 0xf7) {
        tick += delta.value;
        const length = readVarLength(body, offset);
        offset = length.next + length.value;
        running = 0;
      } else {
        tick += delta.value;
        running = status;
        const kind = status & 0xf0;
        offset += kind === 0xc0 || kind === 0xd0 ? 1 : 2;
      }
    }
    const track = [...Array.from(body.subarray(0, endAt)), ...varLength(Math.max(0, endTick - tick)), 0xff, 0x2f, 0x00];
    const n = track.length;
    out.push(0x4d, 0x54, 0x72, 0x6b, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...track);
  }
  return Uint8Array.from(out);
}
