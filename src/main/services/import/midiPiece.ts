// SPDX-License-Identifier: MIT
/** One MIDI file -> one piece: parse, take its melody (core), keep the sequence and a summary. */
import type { MelodySource } from '../../../core/encoding/melody';
import { melodyTokensOfSequence } from '../../../core/encoding/melodyFromPiece';
import { parseMidiSalvaging } from '../../../core/midi/readMidi';
import type { NoteSequence } from '../../../core/music/NoteSequence';
import type { NewPiece, PieceMetadata } from '../../db/types';
import { ImportFileError, type ImportSource, type ImportWarning } from './types';

export function countNotes(seq: NoteSequence): number {
  let n = 0;
  for (const track of seq.tracks) n += track.notes.length;
  return n;
}

/** Display/stat summary of a parsed file (no notes). */
export function summariseSequence(seq: NoteSequence): PieceMetadata {
  return {
    ppq: seq.ppq,
    trackCount: seq.tracks.length,
    tracks: seq.tracks.map((t) => ({
      name: t.name,
      program: t.program,
      channel: t.channel,
      noteCount: t.notes.length,
    })),
    tempos: seq.tempos.slice(0, 64),
    timeSignatures: seq.timeSignatures.slice(0, 64),
    keySignatures: seq.keySignatures.slice(0, 64),
  };
}

/**
 * One MIDI file -> a piece: parse, encode its melody, keep the NoteSequence. A file cut short keeps the notes before
 * the cut (core/midi parseMidiSalvaging) and comes with a warning that names the file and what was lost.
 * @throws MidiParseError (parse), ImportFileError MELODY_EMPTY (only percussion), EncodingError
 */
export function pieceFromMidi(
  bytes: Uint8Array,
  source: Pick<ImportSource, 'path' | 'pieceName'>,
  contentHash: string,
  melodySource: MelodySource,
): { piece: NewPiece; warning?: ImportWarning } {
  const { sequence, salvage } = parseMidiSalvaging(bytes, source.path);
  const tokens = melodyTokensOfSequence(sequence, melodySource);
  if (tokens.length === 0)
    throw new ImportFileError(
      'MELODY_EMPTY',
      'the file has notes but no pitched part to take a melody from (percussion only)',
    );
  const piece: NewPiece = {
    name: source.pieceName,
    sourcePath: source.path,
    contentHash,
    format: 'midi',
    split: null,
    metadata: { ...summariseSequence(sequence), melodySource },
    sequence: null,
    sequenceJson: JSON.stringify(sequence),
    melodyTokens: tokens,
    pianoRollFrames: null,
    noteCount: countNotes(sequence),
  };
  return salvage ? { piece, warning: { path: source.path, code: salvage.code, message: salvage.message } } : { piece };
}
