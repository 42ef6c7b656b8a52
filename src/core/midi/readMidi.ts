// SPDX-License-Identifier: MIT
/**
 * MIDI bytes -> NoteSequence, through our validated, linear-time scan (./smf). @tonejs/midi is
 * not used for reading: constructing its `Midi` always runs its quadratic note pairing (see the
 * header of ./smf.ts for the measurement); it still writes our files (./writeMidi).
 */
import type { KeySignatureEvent, NoteSequence, TempoEvent, TimeSignatureEvent, Track } from '../music/NoteSequence';
import { keyFromAccidentals } from '../music/keys';
import { MidiParseError } from './errors';
import { readChunks, scanTrack } from './smf';

/**
 * Parse a Standard MIDI File (format 0, 1 or 2; format 2's independent patterns are read as if
 * they were simultaneous tracks, like format 1).
 *
 * - Container first: empty, not MIDI, truncated and SMPTE files fail with their own code before
 *   any event is read.
 * - Notes: a note-on with velocity > 0 starts a note; a note-off or a note-on with velocity 0 ends
 *   the oldest open note of that channel and pitch (first in, first out); notes still open at the
 *   end of a track end at its last event; zero-length notes are dropped. So the note count equals
 *   the number of note-ons with velocity > 0 minus those that end at the tick they start.
 * - Tracks: one {@link Track} per (MIDI track, channel) that has notes, in file order; channel 9
 *   is percussion; `program` is the program change in force before the channel's first note (0
 *   if none); `name` is the track-name meta event ('' if none).
 * - Maps: tempo, time- and key-signature events of all tracks, sorted by tick; of several at the
 *   same tick the last one in file order wins (it is the one in force). Keys are tonics:
 *   one sharp + minor = "E" minor. Malformed meta events (wrong length, tempo 0, key beyond 7
 *   accidentals) are skipped.
 * - `name`: the first track's name, else `sourceName` without folders and extension.
 *
 * @param bytes the whole file
 * @param sourceName file name or path, used in error messages and as a fallback name
 * @throws {MidiParseError} with code MIDI_EMPTY, MIDI_NOT_MIDI, MIDI_TRUNCATED, MIDI_SMPTE,
 *   MIDI_NO_NOTES or MIDI_UNREADABLE (never another error type).
 */
export function parseMidi(bytes: Uint8Array, sourceName: string): NoteSequence {
  try {
    return parseValidated(bytes, sourceName);
  } catch (error) {
    if (error instanceof MidiParseError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MidiParseError(
      'MIDI_UNREADABLE',
      sourceName,
      `the file could not be read (${reason}). It may be damaged; re-export it.`,
      {
        cause: error,
      },
    );
  }
}

function parseValidated(bytes: Uint8Array, sourceName: string): NoteSequence {
  const chunks = readChunks(bytes, sourceName);
  const tracks: Track[] = [];
  let firstTrackName = '';
  const tempos: TempoEvent[] = [];
  const timeSignatures: TimeSignatureEvent[] = [];
  const keySignatures: KeySignatureEvent[] = [];
  chunks.tracks.forEach((body, trackIndex) => {
    const scanned = scanTrack(body, trackIndex, sourceName);
    if (trackIndex === 0) firstTrackName = scanned.name;
    for (const tempo of scanned.tempos)
      tempos.push({ tick: tempo.tick, bpm: 60_000_000 / tempo.microsecondsPerQuarter });
    for (const signature of scanned.timeSignatures) timeSignatures.push({ ...signature });
    for (const signature of scanned.keySignatures) {
      keySignatures.push({
        tick: signature.tick,
        key: keyFromAccidentals(signature.accidentals, signature.scale),
        scale: signature.scale,
      });
    }
    const byChannel = new Map<number, Track>();
    for (const note of scanned.notes) {
      let track = byChannel.get(note.channel);
      if (!track) {
        track = {
          name: scanned.name,
          program: scanned.programByChannel.get(note.channel) ?? 0,
          channel: note.channel,
          isPercussion: note.channel === 9,
          notes: [],
        };
        byChannel.set(note.channel, track);
      }
      track.notes.push({
        pitch: note.pitch,
        startTick: note.startTick,
        durationTicks: note.durationTicks,
        velocity: note.velocity,
      });
    }
    for (const track of [...byChannel.values()].sort((a, b) => a.channel - b.channel)) {
      track.notes.sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
      tracks.push(track);
    }
  });

  const noteCount = tracks.reduce((sum, track) => sum + track.notes.length, 0);
  if (noteCount === 0) {
    throw new MidiParseError(
      'MIDI_NO_NOTES',
      sourceName,
      'the file holds no notes (it may be a tempo map, lyrics or controller data only).',
    );
  }

  return {
    ppq: chunks.ppq,
    name: firstTrackName || baseName(sourceName),
    tempos: lastPerTick(tempos),
    timeSignatures: lastPerTick(timeSignatures),
    keySignatures: lastPerTick(keySignatures),
    tracks,
  };
}

/** Stable sort by tick, then keep the last event of each tick (the one in force). */
function lastPerTick<T extends { tick: number }>(events: T[]): T[] {
  const sorted = events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.tick - b.event.tick || a.index - b.index);
  const result: T[] = [];
  for (const { event } of sorted) {
    if (result.length > 0 && result[result.length - 1].tick === event.tick) result[result.length - 1] = event;
    else result.push(event);
  }
  return result;
}

function baseName(sourceName: string): string {
  const last = sourceName.split(/[\\/]/).pop() ?? sourceName;
  return last.replace(/\.(mid|midi|smf|kar)$/i, '') || sourceName;
}
