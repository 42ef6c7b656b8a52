// SPDX-License-Identifier: MIT
/**
 * Export: a stored piece or generation -> Standard MIDI File bytes (through core/midi's writeMidi).
 */
import { decodeMelody } from '../../core/encoding/melody';
import { writeMidi } from '../../core/midi/writeMidi';
import { takeSequence } from '../../core/model/takes';
import { COMMON_TIME, sixteenthsPerBar } from '../../core/music/meter';
import type { NoteSequence } from '../../core/music/NoteSequence';
import { NotFoundError } from '../db/errors';
import type { Library } from '../db/open';
import type { GenerationId, Piece } from '../db/types';
import { safeFileName } from './paths';

export { safeFileName } from './paths';

export interface MidiExport {
  /** A safe file name suggestion, e.g. "ashover1.mid". */
  fileName: string;
  bytes: Uint8Array;
  /** The sequence that was written (for previews and tests). */
  sequence: NoteSequence;
}

/**
 * The sequence a piece stands for: the stored NoteSequence (MIDI and piano-roll pieces), or its
 * melody tokens decoded at 120 bpm, ppq 480 (token melodies, which have no sequence).
 */
export function sequenceOfPiece(piece: Piece): NoteSequence {
  if (piece.sequence) return piece.sequence;
  if (!piece.melodyTokens)
    throw new NotFoundError('piece notes', piece.name, 'It has neither a stored sequence nor a melody to export.');
  return decodeMelody(piece.melodyTokens, { ppq: 480, bpm: 120, name: piece.name });
}

/**
 * A piece of a corpus as MIDI bytes. `pieceRef` is an id or an exact piece name.
 * @throws NotFoundError (corpus or piece), AmbiguousNameError, MidiWriteError
 */
export function exportPieceMidi(library: Library, corpusName: string, pieceRef: string): MidiExport {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  const piece = library.pieces.resolvePiece(corpus.id, pieceRef);
  const sequence = sequenceOfPiece(piece);
  return { fileName: safeFileName(piece.name.split('/').pop() ?? piece.name), bytes: writeMidi(sequence), sequence };
}

/**
 * A generation as MIDI bytes: its stored sequence, else its tokens as a take (core/model/takes.ts: tempo and meter from
 * the request if it names them, else 120 bpm in 4/4; velocities from the meter's accents).
 * @throws NotFoundError, MidiWriteError
 */
export function exportGenerationMidi(library: Library, generationId: GenerationId): MidiExport {
  const generation = library.generations.getGeneration(generationId);
  if (!generation) throw new NotFoundError('generation', generationId);
  let sequence = generation.sequence;
  if (!sequence) {
    if (!generation.tokens)
      throw new NotFoundError('generation output', generationId, 'It has neither notes nor tokens.');
    const request = (generation.request ?? {}) as { bpm?: unknown; timeSignature?: unknown; variationSeed?: unknown };
    const bpm = typeof request.bpm === 'number' && request.bpm > 0 ? request.bpm : 120;
    const meter = typeof request.timeSignature === 'string' ? /^(\d+)\/(\d+)$/.exec(request.timeSignature) : null;
    let timeSignature = COMMON_TIME;
    if (meter) {
      const candidate = { numerator: Number(meter[1]), denominator: Number(meter[2]) };
      try {
        sixteenthsPerBar(candidate);
        timeSignature = candidate;
      } catch {
        // A meter the grid cannot hold: 4/4, as before meters were stored.
      }
    }
    sequence = takeSequence(Array.from(generation.tokens), {
      bpm,
      timeSignature,
      randomSeed: typeof request.variationSeed === 'number' ? request.variationSeed : 0,
      name: generation.name ?? 'Generation',
    });
  }
  return { fileName: safeFileName(generation.name), bytes: writeMidi(sequence), sequence };
}
