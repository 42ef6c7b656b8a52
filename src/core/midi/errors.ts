// SPDX-License-Identifier: MIT
/**
 * Typed failures of MIDI reading. The code is what callers branch on (class identity does not
 * survive a process hop); the message names the file and what the user can do.
 */

/**
 * Why a MIDI file could not be read.
 * - `MIDI_EMPTY`: zero bytes.
 * - `MIDI_NOT_MIDI`: does not start with the `MThd` header chunk.
 * - `MIDI_TRUNCATED`: a chunk's declared length runs past the end of the file, or fewer track
 *   chunks than the header declares.
 * - `MIDI_SMPTE`: SMPTE (frames-per-second) time division, which has no PPQ.
 * - `MIDI_NO_NOTES`: read fine but holds no sounding note.
 * - `MIDI_UNREADABLE`: anything else (malformed events, bad header values); the message carries the reason.
 */
export type MidiErrorCode =
  'MIDI_EMPTY' | 'MIDI_NOT_MIDI' | 'MIDI_TRUNCATED' | 'MIDI_SMPTE' | 'MIDI_NO_NOTES' | 'MIDI_UNREADABLE';

/** Thrown by {@link parseMidi}; `source` is the file name (or path) the caller passed in. */
export class MidiParseError extends Error {
  override name = 'MidiParseError' as const;
  readonly code: MidiErrorCode;
  readonly source: string;

  constructor(code: MidiErrorCode, source: string, message: string, options?: { cause?: unknown }) {
    super(`${source}: ${message}`, options);
    this.code = code;
    this.source = source;
  }
}
