// SPDX-License-Identifier: MIT
/** The JSON corpus adapters: token-melody lists and train/valid/test piano-roll splits -> pieces. */
import { detectJsonCorpus, readPianoRollSplits, readTokenMelodies } from '../../../core/data/jsonCorpora';
import { NO_EVENT, NOTE_OFF } from '../../../core/encoding/melody';
import { topVoiceTokens } from '../../../core/encoding/melodyFromPiece';
import { decodePianoRoll, pianoRollFromFrameLists } from '../../../core/encoding/pianoRoll';
import type { NewPiece, PieceSplit } from '../../db/types';
import { toImportFailure } from './failures';
import { sha256Hex } from './hashing';
import { countNotes, summariseSequence } from './midiPiece';
import { ImportFileError, type ImportFailure, type ImportSource } from './types';

/** The most frames per quarter note a piano-roll JSON file may state (a 64th-note triplet grid is 24). */
export const MAX_STEPS_PER_QUARTER = 96;

/**
 * Frames per quarter note of a piano-roll JSON corpus, as stated by the file (a top-level "stepsPerQuarter") or by the
 * user (import's --steps-per-quarter); never guessed from the file's name. The benchmark files of
 * Boulanger-Lewandowski et al. (2012) are at quarter notes (1); the JSB "16th" files at sixteenths (4).
 * @throws ImportFileError JSON_RESOLUTION_MISSING when neither states it, JSON_RESOLUTION_CONFLICT when they disagree,
 * JSON_RESOLUTION_INVALID for a value that is not a whole number within [1, MAX_STEPS_PER_QUARTER]
 */
export function pianoRollResolution(json: unknown, statedByUser: number | undefined): number {
  const fromFile =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>).stepsPerQuarter
      : undefined;
  const valid = (v: unknown): v is number =>
    Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_STEPS_PER_QUARTER;
  if (fromFile !== undefined && !valid(fromFile))
    throw new ImportFileError(
      'JSON_RESOLUTION_INVALID',
      `its "stepsPerQuarter" must be a whole number of frames per quarter note within [1, ${MAX_STEPS_PER_QUARTER}], got: ${JSON.stringify(fromFile)}`,
    );
  if (statedByUser !== undefined && !valid(statedByUser))
    throw new ImportFileError(
      'JSON_RESOLUTION_INVALID',
      `frames per quarter note must be a whole number within [1, ${MAX_STEPS_PER_QUARTER}], got: ${String(statedByUser)}`,
    );
  if (fromFile !== undefined && statedByUser !== undefined && fromFile !== statedByUser)
    throw new ImportFileError(
      'JSON_RESOLUTION_CONFLICT',
      `the file says ${fromFile} frames per quarter note and the import says ${statedByUser}; drop --steps-per-quarter or correct the file`,
    );
  const stated = fromFile ?? statedByUser;
  if (stated === undefined)
    throw new ImportFileError(
      'JSON_RESOLUTION_MISSING',
      'the piano-roll frames do not say how long they are: state it on import (etude import --steps-per-quarter N, or the Library\'s "JSON piano-roll frames" choice; N frames per quarter note: 1 for the Boulanger-Lewandowski benchmark files, 4 for sixteenths), or add "stepsPerQuarter": N to the file',
    );
  return stated;
}

const SPLIT_KEYS = ['train', 'valid', 'test'];

/** One JSON file -> pieces (token melodies or piano-roll splits); bad items are failures, not exceptions. */
export function piecesFromJson(
  bytes: Uint8Array,
  source: Pick<ImportSource, 'path' | 'pieceName'>,
  options: { stepsPerQuarter?: number } = {},
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
    // The content first: a malformed, empty or silent piece is named before a missing resolution is asked for,
    // which the first piece with notes needs.
    const splits = readPianoRollSplits(json, source.path);
    const sounding = splits.filter((split) => split.frames.some((frame) => frame.length > 0));
    const stepsPerQuarter = sounding.length > 0 ? pianoRollResolution(json, options.stepsPerQuarter) : 1;
    splits.forEach((split, index) => {
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
