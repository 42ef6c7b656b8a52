// SPDX-License-Identifier: MIT
/**
 * Our own Standard MIDI File chunk walk and track-event scan: the whole of MIDI reading.
 *
 * Why not @tonejs/midi for reading (it writes our files, see ./writeMidi): it silently accepts
 * files cut short, pairs note-offs without looking at the channel, drops notes that are never
 * switched off, and its pairing runs in quadratic time whenever it is constructed — a crafted
 * 320 KB file of unmatched note-ons took 8.5 s in it (11 ms here), so a few MB would hang an import.
 * This walk validates the container first so that every failure gets a specific
 * {@link MidiErrorCode}, and it pairs notes by one documented rule (see {@link scanTrack}). Every
 * loop advances through the byte array, so the work is linear in the file's length.
 */
import { MidiParseError } from './errors';

/** The validated container: header fields plus each `MTrk` chunk's body (views, no copies). */
export interface SmfChunks {
  format: number;
  /** Ticks per quarter note (the header's division, SMPTE already rejected). */
  ppq: number;
  tracks: Uint8Array[];
  /**
   * Set only when reading with `salvage` and the file was cut short inside or between its track chunks: the last
   * entry of `tracks` may then be a partial body, and later tracks are missing.
   */
  cut?: SmfCut;
}

/** Where a file that was cut short ends (see {@link readChunks} with `salvage`). */
export interface SmfCut {
  /** Tracks the header declares. */
  declaredTracks: number;
  /** Index (0-based) of the track chunk the file ends in, or tracks.length when it ends between chunks. */
  partialTrack: number;
  /** The partial track's declared body length and the bytes of it that exist (0 and 0 when between chunks). */
  declaredBytes: number;
  availableBytes: number;
}

const MTHD = 0x4d546864; // "MThd"
const MTRK = 0x4d54726b; // "MTrk"

function u32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

function u16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

/**
 * Validate the header and walk the chunks.
 *
 * With `salvage`, a file that ends inside or between its track chunks (a download or copy cut short) is not
 * refused: the chunks up to the end are returned, the last one possibly partial, and `cut` says where it ended.
 * A file cut inside its header still fails: nothing before that point holds music.
 * @throws {MidiParseError} MIDI_EMPTY, MIDI_NOT_MIDI, MIDI_TRUNCATED, MIDI_SMPTE or MIDI_UNREADABLE.
 */
export function readChunks(bytes: Uint8Array, source: string, options: { salvage?: boolean } = {}): SmfChunks {
  if (bytes.length === 0) {
    throw new MidiParseError('MIDI_EMPTY', source, 'the file is empty (0 bytes). Choose a .mid file that holds music.');
  }
  if (bytes.length < 4 || u32(bytes, 0) !== MTHD) {
    throw new MidiParseError(
      'MIDI_NOT_MIDI',
      source,
      'this is not a Standard MIDI File (it does not start with "MThd"). Export the piece as .mid from your notation or DAW program.',
    );
  }
  if (bytes.length < 14) {
    throw new MidiParseError(
      'MIDI_TRUNCATED',
      source,
      `the file ends inside its header (${bytes.length} of 14 bytes). The download or copy was probably cut short.`,
    );
  }
  const headerLength = u32(bytes, 4);
  if (headerLength < 6) {
    throw new MidiParseError(
      'MIDI_UNREADABLE',
      source,
      `the header chunk declares ${headerLength} bytes; a MIDI header needs 6.`,
    );
  }
  if (8 + headerLength > bytes.length) {
    throw new MidiParseError(
      'MIDI_TRUNCATED',
      source,
      `the header chunk declares ${headerLength} bytes but the file ends first. The file was probably cut short.`,
    );
  }
  const format = u16(bytes, 8);
  const declaredTracks = u16(bytes, 10);
  const division = u16(bytes, 12);
  if (division & 0x8000) {
    throw new MidiParseError(
      'MIDI_SMPTE',
      source,
      'the file counts time in SMPTE frames, not beats, so it has no tempo grid to quantise to. Re-export it with a "ticks per quarter note" time base.',
    );
  }
  if (division === 0) {
    throw new MidiParseError('MIDI_UNREADABLE', source, 'the header declares 0 ticks per quarter note.');
  }
  if (format > 2) {
    throw new MidiParseError('MIDI_UNREADABLE', source, `unknown MIDI format ${format} (expected 0, 1 or 2).`);
  }

  const tracks: Uint8Array[] = [];
  let offset = 8 + headerLength;
  // Bytes after the last declared track are ignored (some writers pad files), as mido does.
  while (tracks.length < declaredTracks) {
    if (offset + 8 > bytes.length) {
      if (options.salvage)
        return {
          format,
          ppq: division,
          tracks,
          cut: { declaredTracks, partialTrack: tracks.length, declaredBytes: 0, availableBytes: 0 },
        };
      throw new MidiParseError(
        'MIDI_TRUNCATED',
        source,
        `the header declares ${declaredTracks} tracks but the file ends after ${tracks.length}. The file was probably cut short.`,
      );
    }
    const chunkType = u32(bytes, offset);
    const chunkLength = u32(bytes, offset + 4);
    const bodyStart = offset + 8;
    if (bodyStart + chunkLength > bytes.length) {
      if (options.salvage) {
        const partialTrack = tracks.length;
        // A cut inside an unknown chunk loses nothing musical; inside a track chunk, its start is kept.
        if (chunkType === MTRK) tracks.push(bytes.subarray(bodyStart));
        return {
          format,
          ppq: division,
          tracks,
          cut: {
            declaredTracks,
            partialTrack,
            declaredBytes: chunkType === MTRK ? chunkLength : 0,
            availableBytes: chunkType === MTRK ? bytes.length - bodyStart : 0,
          },
        };
      }
      throw new MidiParseError(
        'MIDI_TRUNCATED',
        source,
        `chunk ${tracks.length + 1} declares ${chunkLength} bytes but only ${bytes.length - bodyStart} remain. The file was probably cut short.`,
      );
    }
    if (chunkType === MTRK) tracks.push(bytes.subarray(bodyStart, bodyStart + chunkLength));
    // Unknown chunk types are skipped, as the SMF specification asks.
    offset = bodyStart + chunkLength;
  }
  return { format, ppq: division, tracks };
}

/** One note found in a track, before tracks are split by channel. */
export interface ScannedNote {
  channel: number;
  pitch: number;
  velocity: number;
  startTick: number;
  durationTicks: number;
}

/** A tempo meta event (FF 51). */
export interface ScannedTempo {
  tick: number;
  microsecondsPerQuarter: number;
}

/** A time-signature meta event (FF 58); denominator already as a note value (2^dd). */
export interface ScannedTimeSignature {
  tick: number;
  numerator: number;
  denominator: number;
}

/** A key-signature meta event (FF 59): sharps (+) or flats (-), and the mode. */
export interface ScannedKeySignature {
  tick: number;
  accidentals: number;
  scale: 'major' | 'minor';
}

/** What one `MTrk` chunk holds that the note sequence needs. */
export interface ScannedTrack {
  name: string;
  tempos: ScannedTempo[];
  timeSignatures: ScannedTimeSignature[];
  keySignatures: ScannedKeySignature[];
  notes: ScannedNote[];
  /** Per channel, the program in force at that channel's first note (or the first program change). */
  programByChannel: Map<number, number>;
  /** Tick of the last event (normally the end-of-track meta event). */
  endTick: number;
  /**
   * Only when scanned as `partial` and the body ended inside an event: notes still sounding there were dropped
   * (their end is unknown) and counted here.
   */
  cutOpenNotes?: number;
}

/**
 * Scan one track's events.
 *
 * Note rule (the same one test/tools/mido_notes.py applies):
 * - a note-on with velocity > 0 opens a note on (channel, pitch); a note-off, or a note-on with
 *   velocity 0, closes the oldest open note on that (channel, pitch) — first in, first out;
 * - a note-off with nothing open is ignored; notes still open at the end of the track end at the
 *   track's last event tick;
 * - notes whose duration is 0 ticks are dropped: they cannot sound and would give a piano-roll onset
 *   with no sounding frame.
 *
 * Strictness (as mido): a data byte above 127 inside a channel message, a data byte with no
 * running status to repeat, a system real-time/common status (0xF1-0xFE other than meta) or an
 * event running past the chunk end make the file unreadable. Events after end-of-track are ignored.
 * @throws {MidiParseError} MIDI_UNREADABLE for malformed events.
 */
export function scanTrack(
  body: Uint8Array,
  trackIndex: number,
  source: string,
  options: { partial?: boolean } = {},
): ScannedTrack {
  // In a partial body (a file cut short), running out of bytes is the cut, not damage: scanning stops at the last
  // complete event. Malformed bytes before the cut still make the file unreadable.
  const CUT = Symbol('cut');
  const ranOut = (what: string, at: number): never => {
    if (options.partial) throw CUT;
    return fail(what, at);
  };
  const fail = (what: string, at: number): never => {
    throw new MidiParseError(
      'MIDI_UNREADABLE',
      source,
      `track ${trackIndex + 1}: ${what} at byte ${at} of the track. The file is damaged; re-export it.`,
    );
  };
  const length = body.length;
  let offset = 0;
  let tick = 0;
  let runningStatus = 0;
  let name = '';
  const notes: ScannedNote[] = [];
  // Open notes per (channel << 7 | pitch): indices into `notes`, oldest first.
  const open = new Map<number, number[]>();
  const programByChannel = new Map<number, number>();
  const channelsWithNotes = new Set<number>();
  const tempos: ScannedTempo[] = [];
  const timeSignatures: ScannedTimeSignature[] = [];
  const keySignatures: ScannedKeySignature[] = [];

  const readVarLength = (): number => {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (offset >= length) ranOut('the track ends inside a variable-length number', offset);
      const byte = body[offset++];
      value = value * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) return value;
    }
    return fail('a variable-length number longer than 4 bytes', offset);
  };

  let cut = false;
  let endOfTrack = false;
  let lastCompleteTick = 0;
  try {
    scanEvents();
    // A partial body that ends cleanly between two events, before its end-of-track, is cut all the same: notes
    // sounding there have no known end.
    if (options.partial && !endOfTrack) cut = true;
  } catch (error) {
    if (error !== CUT) throw error;
    cut = true;
    tick = lastCompleteTick;
  }

  function scanEvents(): void {
    while (offset < length) {
      lastCompleteTick = tick;
      tick += readVarLength();
      if (offset >= length) ranOut('the track ends after a delta time, before its event', offset);
      let status = body[offset];
      if (status & 0x80) {
        offset++;
      } else {
        if (runningStatus === 0) fail(`a data byte 0x${status.toString(16)} with no status to repeat`, offset);
        status = runningStatus;
      }

      if (status === 0xff) {
        if (offset >= length) ranOut('the track ends inside a meta event', offset);
        const metaType = body[offset++];
        const dataLength = readVarLength();
        if (offset + dataLength > length) ranOut(`a meta event of ${dataLength} bytes runs past the track end`, offset);
        // Known meta events with the wrong length or impossible values are skipped, not fatal:
        // they carry no notes, and the rest of the file is still good.
        if (metaType === 0x03 && name === '') {
          name = decodeText(body.subarray(offset, offset + dataLength));
        } else if (metaType === 0x51 && dataLength === 3) {
          const microsecondsPerQuarter = (body[offset] << 16) | (body[offset + 1] << 8) | body[offset + 2];
          if (microsecondsPerQuarter > 0) tempos.push({ tick, microsecondsPerQuarter });
        } else if (metaType === 0x58 && dataLength >= 2) {
          const numerator = body[offset];
          const denominatorPower = body[offset + 1];
          if (numerator > 0 && denominatorPower <= 7)
            timeSignatures.push({ tick, numerator, denominator: 2 ** denominatorPower });
        } else if (metaType === 0x59 && dataLength === 2) {
          const accidentals = body[offset] > 127 ? body[offset] - 256 : body[offset];
          const mode = body[offset + 1];
          if (accidentals >= -7 && accidentals <= 7 && mode <= 1)
            keySignatures.push({ tick, accidentals, scale: mode === 1 ? 'minor' : 'major' });
        }
        offset += dataLength;
        // Meta and sysex events cancel running status (SMF 1.0).
        runningStatus = 0;
        if (metaType === 0x2f) {
          endOfTrack = true;
          return;
        }
        continue;
      }
      if (status === 0xf0 || status === 0xf7) {
        const dataLength = readVarLength();
        if (offset + dataLength > length)
          ranOut(`a system-exclusive event of ${dataLength} bytes runs past the track end`, offset);
        offset += dataLength;
        runningStatus = 0;
        continue;
      }
      if (status >= 0xf0) fail(`system message 0x${status.toString(16)} which a file may not hold`, offset - 1);

      runningStatus = status;
      const kind = status & 0xf0;
      const channel = status & 0x0f;
      const dataBytes = kind === 0xc0 || kind === 0xd0 ? 1 : 2;
      if (offset + dataBytes > length) ranOut('the track ends inside a channel message', offset);
      const data1 = body[offset];
      const data2 = dataBytes === 2 ? body[offset + 1] : 0;
      if (data1 & 0x80 || data2 & 0x80) fail('a channel message with a data byte above 127', offset);
      offset += dataBytes;

      if (kind === 0x90 && data2 > 0) {
        const key = (channel << 7) | data1;
        let queue = open.get(key);
        if (!queue) {
          queue = [];
          open.set(key, queue);
        }
        queue.push(notes.length);
        notes.push({ channel, pitch: data1, velocity: data2, startTick: tick, durationTicks: -1 });
        channelsWithNotes.add(channel);
      } else if (kind === 0x80 || kind === 0x90) {
        const queue = open.get((channel << 7) | data1);
        const index = queue?.shift();
        if (index !== undefined) notes[index].durationTicks = tick - notes[index].startTick;
      } else if (kind === 0xc0 && !channelsWithNotes.has(channel)) {
        // The program that sounds is the one set before the channel's first note.
        programByChannel.set(channel, data1);
      } else if (kind === 0xc0 && !programByChannel.has(channel)) {
        programByChannel.set(channel, data1);
      }
    }
  }

  const kept: ScannedNote[] = [];
  let cutOpenNotes = 0;
  for (const note of notes) {
    if (note.durationTicks < 0) {
      if (cut) {
        cutOpenNotes++;
        continue;
      }
      note.durationTicks = tick - note.startTick;
    }
    if (note.durationTicks > 0) kept.push(note);
  }
  return {
    name,
    tempos,
    timeSignatures,
    keySignatures,
    notes: kept,
    programByChannel,
    endTick: tick,
    ...(cut ? { cutOpenNotes } : {}),
  };
}

/**
 * Track names are UTF-8 or Latin-1 in the wild: try UTF-8, fall back byte by byte. Uses only
 * ECMAScript (decodeURIComponent), not TextDecoder, so the core compiles without DOM or Node types.
 */
function decodeText(bytes: Uint8Array): string {
  let latin1 = '';
  let escaped = '';
  for (const byte of bytes) {
    latin1 += String.fromCharCode(byte);
    escaped += (byte < 16 ? '%0' : '%') + byte.toString(16);
  }
  let text: string;
  try {
    text = decodeURIComponent(escaped);
  } catch {
    text = latin1;
  }
  return text.replace(/\0+$/, '');
}
