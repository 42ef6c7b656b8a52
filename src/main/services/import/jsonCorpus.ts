// SPDX-License-Identifier: MIT
/** The JSON corpus adapters: token-melody lists and train/valid/test piano-roll splits -> pieces. */
import path from 'node:path';
import { detectJsonCorpus, readPianoRollSplits, readTokenMelodies } from '../../../core/data/jsonCorpora';
import { NO_EVENT, NOTE_OFF } from '../../../core/encoding/melody';
import { topVoiceTokens } from '../../../core/encoding/melodyFromPiece';
import { decodePianoRoll, pianoRollFromFrameLists } from '../../../core/encoding/pianoRoll';
import type { NewPiece, PieceSplit } from '../../db/types';
import { toImportFailure } from './failures';
import { sha256Hex } from './hashing';
import { countNotes, summariseSequence } from './midiPiece';
import { ImportFileError, type ImportFailure, type ImportSource } from './types';

/**
 * Steps per quarter of a piano-roll JSON corpus. The layout has no resolution field, so the file
 * name decides: names saying "16th" or "sixteenth" are at sixteenths (4), all others at quarter
 * notes (1), the resolution of the Boulanger-Lewandowski 2012 files.
 */
export function pianoRollResolutionOf(fileName: string): number {
  return /16th|sixteenth/i.test(fileName) ? 4 : 1;
}

const SPLIT_KEYS = ['train', 'valid', 'test'];

/** One JSON file -> pieces (token melodies or piano-roll splits); bad items are failures, not exceptions. */
export function piecesFromJson(
  bytes: Uint8Array,
  source: Pick<ImportSource, 'path' | 'pieceName'>,
): { pieces: NewPiece[]; failed: ImportFailure[] } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
  } catch (err) {
    throw new ImportFileError('JSON_INVALID', `the file is not valid JSON (${(err as Error).message})`);
  }
  // An object with a train/valid/test key is meant as piano-roll splits even when a piece is malformed: the reader
  // then names what is wrong (split, piece, frame) instead of the generic "unknown layout".
  const layout =
    detectJsonCorpus(json) ??
    (typeof json === 'object' && json !== null && !Array.isArray(json) && SPLIT_KEYS.some((k) => k in json)
      ? 'pianoroll-splits'
      : null);
  const pieces: NewPiece[] = [];
  const failed: ImportFailure[] = [];
  if (layout === 'token-melodies') {
    readTokenMelodies(json, source.path).forEach((melody, index) => {
      const itemPath = `${source.path}#${index + 1}`;
      const bad = melody.tokens.findIndex((t) => !Number.isInteger(t) || t < 0 || t > NO_EVENT);
      if (bad >= 0) {
        failed.push({
          path: itemPath,
          code: 'ENCODING_FAILED',
          reason: `token ${melody.tokens[bad]} at step ${bad} is outside 0..129`,
        });
        return;
      }
      if (melody.tokens.length === 0) {
        failed.push({ path: itemPath, code: 'MELODY_EMPTY', reason: 'the melody has no tokens' });
        return;
      }
      pieces.push({
        name: melody.name || `${source.pieceName} #${index + 1}`,
        sourcePath: itemPath,
        contentHash: sha256Hex(`token-melody\n${melody.tokens.join(',')}`),
        format: 'token-melody',
        split: null,
        metadata: {},
        sequence: null,
        melodyTokens: Uint8Array.from(melody.tokens),
        pianoRollFrames: null,
        noteCount: melody.tokens.filter((t) => t < NOTE_OFF).length,
      });
    });
  } else if (layout === 'pianoroll-splits') {
    const stepsPerQuarter = pianoRollResolutionOf(path.basename(source.path));
    readPianoRollSplits(json, source.path).forEach((split, index) => {
      const itemPath = `${source.path}#${split.split}/${split.name}`;
      if (!split.frames.some((frame) => frame.length > 0)) {
        failed.push({
          path: itemPath,
          code: 'PIECE_EMPTY',
          reason:
            split.frames.length === 0
              ? 'the piece has no frames'
              : `the piece has no notes (${split.frames.length} silent frames)`,
        });
        return;
      }
      try {
        const roll = pianoRollFromFrameLists(split.frames, stepsPerQuarter);
        const sequence = decodePianoRoll(roll, { ppq: 480 });
        sequence.name = split.name;
        pieces.push({
          name: split.name || `${source.pieceName} ${split.split} #${index + 1}`,
          sourcePath: itemPath,
          contentHash: sha256Hex(`pianoroll-json\n${stepsPerQuarter}\n${split.split}\n${JSON.stringify(split.frames)}`),
          format: 'pianoroll-json',
          split: split.split as PieceSplit,
          metadata: { ...summariseSequence(sequence), stepsPerQuarter, frameCount: split.frames.length },
          sequence,
          melodyTokens: Uint8Array.from(topVoiceTokens(roll)),
          pianoRollFrames: split.frames,
          noteCount: countNotes(sequence),
        });
      } catch (err) {
        failed.push(toImportFailure(itemPath, err));
      }
    });
  } else {
    throw new ImportFileError(
      'JSON_UNKNOWN_LAYOUT',
      'this JSON is neither a token-melody list nor a train/valid/test piano-roll split; see the data README for the two layouts',
    );
  }
  if (pieces.length === 0 && failed.length === 0)
    throw new ImportFileError(
      'JSON_EMPTY',
      layout === 'token-melodies'
        ? 'the file holds no melodies (its "melodies" list is empty)'
        : 'the file holds no pieces (its train, valid and test lists are empty)',
    );
  return { pieces, failed };
}
