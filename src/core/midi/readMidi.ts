// SPDX-License-Identifier: MIT
/**
 * MIDI bytes -> NoteSequence. The only reader of @tonejs/midi in the code base (STYLE §5): it
 * supplies the header's tempo, time-signature and key-signature maps; notes come from our own
 * validated scan (./smf) so that truncation, channels and note pairing follow one documented rule.
 */
import { Midi } from '@tonejs/midi';
import type { KeySignatureEvent, NoteSequence, TempoEvent, TimeSignatureEvent, Track } from '../music/NoteSequence';
import { accidentalsOfKey, keyFromAccidentals } from '../music/keys';
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
 *   one sharp + minor = "E" minor.
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
    throw new MidiParseError('MIDI_UNREADABLE', sourceName, `the file could not be read (${reason}). It may be damaged; re-export it.`, {
      cause: error,
    });
  }
}

function parseValidated(bytes: Uint8Array, sourceName: string): NoteSequence {
  const chunks = readChunks(bytes, sourceName);
  const tracks: Track[] = [];
  let firstTrackName = '';
  chunks.tracks.forEach((body, trackIndex) => {
    const scanned = scanTrack(body, trackIndex, sourceName);
    if (trackIndex === 0) firstTrackName = scanned.name;
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
      track.notes.push({ pitch: note.pitch, startTick: note.startTick, durationTicks: note.durationTicks, velocity: note.velocity });
    }
    for (const track of [...byChannel.values()].sort((a, b) => a.channel - b.channel)) {
      track.notes.sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
      tracks.push(track);
    }
  });

  const noteCount = tracks.reduce((sum, track) => sum + track.notes.length, 0);
  if (noteCount === 0) {
    throw new MidiParseError('MIDI_NO_NOTES', sourceName, 'the file holds no notes (it may be a tempo map, lyrics or controller data only).');
  }

  // @tonejs/midi walks the same (already validated) bytes for the meta maps.
  const header = new Midi(bytes).header;
  const tempos: TempoEvent[] = lastPerTick(
    header.tempos.map((tempo) => ({ tick: tempo.ticks, bpm: tempo.bpm })).filter((tempo) => Number.isFinite(tempo.bpm) && tempo.bpm > 0),
  );
  const timeSignatures: TimeSignatureEvent[] = lastPerTick(
    header.timeSignatures
      .map((signature) => ({ tick: signature.ticks, numerator: signature.timeSignature[0], denominator: signature.timeSignature[1] }))
      .filter((signature) => signature.numerator > 0 && signature.denominator > 0),
  );
  const keySignatures: KeySignatureEvent[] = lastPerTick(
    header.keySignatures.flatMap((signature) => {
      // @tonejs/midi names the major key of the accidentals even for minor keys; we store the tonic.
      const scale = signature.scale === 'minor' ? 'minor' : 'major';
      if (typeof signature.key !== 'string') return [];
      const accidentals = accidentalsOfKey(signature.key, 'major');
      return [{ tick: signature.ticks, key: keyFromAccidentals(accidentals, scale), scale }];
    }),
  );

  return {
    ppq: chunks.ppq,
    name: firstTrackName || baseName(sourceName),
    tempos,
    timeSignatures,
    keySignatures,
    tracks,
  };
}

/** Stable sort by tick, then keep the last event of each tick (the one in force). */
function lastPerTick<T extends { tick: number }>(events: T[]): T[] {
  const sorted = events.map((event, index) => ({ event, index })).sort((a, b) => a.event.tick - b.event.tick || a.index - b.index);
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
