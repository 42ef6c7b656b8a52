// SPDX-License-Identifier: MIT
/**
 * Live MIDI messages (what a Web MIDI port delivers and accepts) <-> note events. Pure: the renderer's device code
 * hands bytes and times in, and sends the bytes it gets back. A Web MIDI message is always one whole message (the
 * browser resolves running status), so no parser state is kept between calls.
 */
import type { Pitch, Velocity } from '../music/NoteSequence';

/** Milliseconds on one clock (Web MIDI timestamps and `performance.now()` share theirs). */
export type Milliseconds = number;

/** A key going down or up, on a channel (0..15), at a time. Velocity is 1..127 for 'on' and 0 for 'off'. */
export interface LiveNoteEvent {
  kind: 'on' | 'off';
  pitch: Pitch;
  velocity: Velocity;
  channel: number;
  timeMs: Milliseconds;
}

const NOTE_OFF = 0x80;
const NOTE_ON = 0x90;
const CONTROL_CHANGE = 0xb0;
const PROGRAM_CHANGE = 0xc0;
/** Controller numbers (MIDI 1.0 channel mode messages and the sustain pedal). */
const SUSTAIN_PEDAL = 64;
const ALL_NOTES_OFF = 123;

/**
 * The note event a message carries, or null for anything else (clock, active sensing, controllers, sysex, a
 * truncated message). A note-on with velocity 0 is a note-off, as the MIDI 1.0 specification allows.
 * @example noteEventOf([0x91, 60, 100], 12.5) // { kind: 'on', pitch: 60, velocity: 100, channel: 1, timeMs: 12.5 }
 */
export function noteEventOf(data: ArrayLike<number>, timeMs: Milliseconds): LiveNoteEvent | null {
  if (data.length < 3) return null;
  const status = data[0] & 0xf0;
  const channel = data[0] & 0x0f;
  const pitch = data[1] & 0x7f;
  const velocity = data[2] & 0x7f;
  if (status === NOTE_ON && velocity > 0) return { kind: 'on', pitch, velocity, channel, timeMs };
  if (status === NOTE_ON || status === NOTE_OFF) return { kind: 'off', pitch, velocity: 0, channel, timeMs };
  return null;
}

function checkChannel(channel: number): number {
  if (!Number.isInteger(channel) || channel < 0 || channel > 15)
    throw new RangeError(`a MIDI channel must be an integer within [0, 15], got: ${channel}`);
  return channel;
}

/** Note-on bytes; the velocity is clamped to 1..127 (0 would be a note-off). @throws RangeError for a bad channel. */
export function noteOnMessage(channel: number, pitch: Pitch, velocity: Velocity): number[] {
  const v = Math.max(1, Math.min(127, Math.round(velocity)));
  return [NOTE_ON | checkChannel(channel), pitch & 0x7f, v];
}

/** Note-off bytes (release velocity 0). @throws RangeError for a bad channel. */
export function noteOffMessage(channel: number, pitch: Pitch): number[] {
  return [NOTE_OFF | checkChannel(channel), pitch & 0x7f, 0];
}

/** Program change bytes (General MIDI program 0..127). @throws RangeError for a bad channel. */
export function programChangeMessage(channel: number, program: number): number[] {
  return [PROGRAM_CHANGE | checkChannel(channel), Math.max(0, Math.min(127, Math.round(program)))];
}

/**
 * What silences a port on the given channels: sustain pedal up, then All Notes Off (controller 123) on each. A
 * synthesiser that ignores channel mode messages still stops the notes a player sent, because the player also sends
 * each sounding note its own note-off (./takeSchedule.ts).
 */
export function allNotesOffMessages(channels: Iterable<number>): number[][] {
  const out: number[][] = [];
  for (const channel of new Set(channels)) {
    out.push([CONTROL_CHANGE | checkChannel(channel), SUSTAIN_PEDAL, 0]);
    out.push([CONTROL_CHANGE | channel, ALL_NOTES_OFF, 0]);
  }
  return out;
}

/** Whether bytes are an All Notes Off message (controller 123), on any channel. */
export function isAllNotesOff(data: ArrayLike<number>): boolean {
  return data.length >= 3 && (data[0] & 0xf0) === CONTROL_CHANGE && data[1] === ALL_NOTES_OFF;
}
