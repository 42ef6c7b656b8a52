// SPDX-License-Identifier: MIT
/**
 * A library corpus as notes, for whatever reads every note of it (a polyphonic model's training, the quality report of
 * a polyphonic model): each piece's own notes (MIDI and piano-roll pieces), or its melody's for a token melody, which
 * has no others.
 */
import { decodeMelody } from '../../core/encoding/melody';
import type { NoteSequence } from '../../core/music/NoteSequence';
import type { Library } from '../db/open';
import type { CorpusId } from '../db/types';

export interface CorpusPieceNotes {
  name: string;
  split: string | null;
  sequence: NoteSequence;
}

/** Every piece of the corpus with its notes, in id order. */
export function corpusSequences(library: Library, corpusId: CorpusId): CorpusPieceNotes[] {
  return library.pieces.getPieceNotes(corpusId).flatMap((row) => {
    const sequence = row.sequence ?? (row.melodyTokens ? decodeMelody(row.melodyTokens, { name: row.name }) : null);
    return sequence ? [{ name: row.name, split: row.split, sequence }] : [];
  });
}
