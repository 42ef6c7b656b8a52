// SPDX-License-Identifier: MIT
/**
 * MIDI bytes -> NoteSequence, through our validated, linear-time scan (./smf). @tonejs/midi is
 * not used for reading: constructing its `Midi` always runs its quadratic note pairing (see the
 * header of ./smf.ts for the measurement); it still writes our files (./writeMidi).
 */
import type { KeySignatureEvent, NoteSequence, TempoEvent, TimeSignatureEvent, Track } from '../music/NoteSequence';
import { keyFromAccidentals } from '../music/keys';
import { barAt, meterMapOf } from '../music/meterMap';
import { MidiParseError } from './errors';
import { readChunks, scanTrack, type SmfChunks } from './smf';

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
  return guarded(sourceName, () => parseValidated(readChunks(bytes, sourceName), sourceName).sequence);
}

/** What a file cut short lost, for the warning the importer shows (see {@link parseMidiSalvaging}). */
export interface MidiSalvageReport {
  code: 'MIDI_TRUNCATED';
  /** Track (1-based) the file ends in; declaredTracks + 1 never happens: a cut between chunks names the next one. */
  cutInTrack: number;
  declaredTracks: number;
  /** Tracks that are missing entirely after the cut. */
  missingTracks: number;
  /** Of the cut track's declared body, how many bytes exist. */
  availableBytes: number;
  declaredBytes: number;
  /** Tick of the last complete event of the cut track. */
  cutTick: number;
  /** Notes sounding at the cut: their end is unknown, so they are left out. */
  droppedOpenNotes: number;
  /** One sentence for the user: which file, where it was cut, what was kept and what was lost. */
  message: string;
}

/**
 * Like {@link parseMidi}, but a file cut short (a half-finished download or copy) gives the notes before the damage
 * instead of an error: every track chunk that is whole, plus the complete events of the chunk the file ends in.
 * A note still sounding at the cut is left out (its length is unknown), so every note returned is one the whole file
 * has, with the same start and length. Files that are whole parse exactly as with parseMidi, with no report.
 * @throws {MidiParseError} as parseMidi; MIDI_TRUNCATED only when nothing before the cut holds a note (or the header
 *   itself is cut).
 */
export function parseMidiSalvaging(
  bytes: Uint8Array,
  sourceName: string,
): { sequence: NoteSequence; salvage?: MidiSalvageReport } {
  return guarded(sourceName, () => {
    const chunks = readChunks(bytes, sourceName, { salvage: true });
    const cut = chunks.cut;
    if (!cut) return parseValidated(chunks, sourceName);
    let parsed: ReturnType<typeof parseValidated>;
    try {
      parsed = parseValidated(chunks, sourceName, cut.partialTrack);
    } catch (error) {
      if (error instanceof MidiParseError && error.code === 'MIDI_NO_NOTES')
        throw new MidiParseError(
          'MIDI_TRUNCATED',
          sourceName,
          `the file was cut short in track ${cut.partialTrack + 1} of ${cut.declaredTracks} and holds no complete note before the cut. The download or copy was probably interrupted; get the file again.`,
        );
      throw error;
    }
    const missingTracks = cut.declaredTracks - chunks.tracks.length;
    const dropped = parsed.cutOpenNotes;
    const cutTick = parsed.cutTick;
    const bar = barOfCut(parsed.sequence.timeSignatures, chunks.ppq, cutTick);
    const lost = [
      cut.declaredBytes > 0 ? `${cut.declaredBytes - cut.availableBytes} bytes of track ${cut.partialTrack + 1}` : '',
      missingTracks > 0 ? `${missingTracks} whole track${missingTracks === 1 ? '' : 's'}` : '',
      dropped > 0 ? `${dropped} note${dropped === 1 ? '' : 's'} sounding at the cut` : '',
    ].filter(Boolean);
    const salvage: MidiSalvageReport = {
      code: 'MIDI_TRUNCATED',
      cutInTrack: cut.partialTrack + 1,
      declaredTracks: cut.declaredTracks,
      missingTracks,
      availableBytes: cut.availableBytes,
      declaredBytes: cut.declaredBytes,
      cutTick,
      droppedOpenNotes: dropped,
      message:
        `${sourceName}: the file was cut short in track ${cut.partialTrack + 1} of ${cut.declaredTracks}; ` +
        `kept the ${parsed.sequence.tracks.reduce((n, t) => n + t.notes.length, 0)} notes before the cut ` +
        `(up to about bar ${bar}); lost ${lost.length > 0 ? lost.join(', ') : 'nothing that sounds'}.`,
    };
    return { sequence: parsed.sequence, salvage };
  });
}

/** The bar (from 1) a tick lies in by the file's own time-signature map (4/4 when it has none or a malformed one). */
function barOfCut(timeSignatures: readonly TimeSignatureEvent[], ppq: number, tick: number): number {
  try {
    return barAt(meterMapOf(timeSignatures), ppq, tick).index + 1;
  } catch {
    return Math.floor(tick / (ppq * 4)) + 1;
  }
}

function guarded<T>(sourceName: string, parse: () => T): T {
  try {
    return parse();
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

/** `partialTrack`: index of a track chunk that is cut short (scanned up to its last complete event). */
function parseValidated(
  chunks: SmfChunks,
  sourceName: string,
  partialTrack = -1,
): { sequence: NoteSequence; cutOpenNotes: number; cutTick: number } {
  let cutOpenNotes = 0;
  let cutTick = 0;
  const tracks: Track[] = [];
  let firstTrackName = '';
  const tempos: TempoEvent[] = [];
  const timeSignatures: TimeSignatureEvent[] = [];
  const keySignatures: KeySignatureEvent[] = [];
  chunks.tracks.forEach((body, trackIndex) => {
    const scanned = scanTrack(body, trackIndex, sourceName, { partial: trackIndex === partialTrack });
    if (trackIndex === partialTrack) {
      cutOpenNotes = scanned.cutOpenNotes ?? 0;
      cutTick = scanned.endTick;
    }
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

  const sequence: NoteSequence = {
    ppq: chunks.ppq,
    name: firstTrackName || baseName(sourceName),
    tempos: lastPerTick(tempos),
    timeSignatures: lastPerTick(timeSignatures),
    keySignatures: lastPerTick(keySignatures),
    tracks,
  };
  return { sequence, cutOpenNotes, cutTick };
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
