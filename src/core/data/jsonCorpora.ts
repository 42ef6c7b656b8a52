// SPDX-License-Identifier: MIT
/**
 * Readers for the two JSON corpus layouts we meet (see shared data/README.md):
 * - token melodies: `{ "format": "melody-rnn-130", "step": "sixteenth", "melodies": number[][] }`
 *   (seed-melodies/melodies.json: the thesis' 186 training melodies, already tokenised);
 * - piano-roll splits: `{ "train": Piece[], "valid": Piece[], "test": Piece[] }`, a piece being a
 *   list of frames and a frame the list of sounding MIDI pitches (jsb-chorales/*.json,
 *   boulanger2012/*.json; Jsb16thSeparated.json lists four voices per frame with -1 = silent).
 * Input is already-parsed JSON (`unknown`); reading the file is the caller's business.
 */
import { validateMelodyTokens } from '../encoding/melody';
import { shown } from '../util/shown';

/** Why a JSON corpus was rejected. */
export type CorpusFormatErrorCode = 'CORPUS_FORMAT_INVALID';

/** Thrown by the readers in this module; the message names the source and the bad item. */
export class CorpusFormatError extends Error {
  override name = 'CorpusFormatError' as const;
  readonly code: CorpusFormatErrorCode = 'CORPUS_FORMAT_INVALID';
  readonly source: string;
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.source = source;
  }
}

/** One tokenised melody (tokens as in src/core/encoding/melody.ts). */
export interface TokenMelody {
  name: string;
  tokens: number[];
}

/** One piece of a piano-roll split: frames of sounding pitches, one per grid step. */
export interface SplitPiece {
  name: string;
  split: 'train' | 'valid' | 'test';
  frames: number[][];
}

const SPLITS = ['train', 'valid', 'test'] as const;

/**
 * Most frames one piece may have: 100,000 frames are over 6 hours at sixteenths. The longest piece of the shared
 * corpora has 1,793 (Nottingham); the limit keeps a damaged or hostile file from exhausting memory (each frame
 * costs a few hundred bytes once encoded).
 */
export const MAX_FRAMES_PER_PIECE = 100_000;
/** Most frames one file may hold, all pieces together (Nottingham, the largest shared corpus: 266,537). */
export const MAX_FRAMES_PER_FILE = 1_000_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function baseName(sourceName: string): string {
  const last = sourceName.split(/[\\/]/).pop() ?? sourceName;
  return last.replace(/\.json$/i, '') || sourceName;
}

/**
 * Which layout a parsed JSON value has, by shape (not by file name).
 * @returns 'token-melodies' for an object with a `melodies` array (or format "melody-rnn-130"),
 *   'pianoroll-splits' for an object whose train/valid/test keys hold arrays of frame lists,
 *   null for anything else.
 */
export function detectJsonCorpus(json: unknown): 'token-melodies' | 'pianoroll-splits' | null {
  if (!isRecord(json)) return null;
  if (json.format === 'melody-rnn-130' || Array.isArray(json.melodies)) return 'token-melodies';
  const splits = SPLITS.filter((split) => split in json);
  if (splits.length === 0) return null;
  for (const split of splits) {
    const pieces = json[split];
    if (!Array.isArray(pieces)) return null;
    const first = pieces[0];
    if (first !== undefined && !(Array.isArray(first) && (first.length === 0 || Array.isArray(first[0])))) return null;
  }
  return 'pianoroll-splits';
}

/**
 * Read tokenised melodies. Accepts `{ melodies: number[][] }` (the shared seed-melodies layout),
 * `{ melodies: { name, tokens }[] }`, or a bare `number[][]`. Unnamed melodies are called
 * "<source> 1", "<source> 2", … in file order.
 * @throws {CorpusFormatError} CORPUS_FORMAT_INVALID for another shape or an invalid token
 *   (the message names the melody and the token index).
 */
export function readTokenMelodies(json: unknown, sourceName: string): TokenMelody[] {
  const list = Array.isArray(json) ? json : isRecord(json) ? json.melodies : undefined;
  if (!Array.isArray(list)) {
    throw new CorpusFormatError(sourceName, 'expected a "melodies" list of token lists (the melody-rnn-130 layout).');
  }
  if (isRecord(json) && json.format !== undefined && json.format !== 'melody-rnn-130') {
    throw new CorpusFormatError(
      sourceName,
      `unknown melody format "${String(json.format)}"; only "melody-rnn-130" is read.`,
    );
  }
  const base = baseName(sourceName);
  return list.map((item: unknown, index) => {
    const named = isRecord(item);
    const tokens = named ? item.tokens : item;
    const name = named && typeof item.name === 'string' && item.name !== '' ? item.name : `${base} ${index + 1}`;
    if (!Array.isArray(tokens)) {
      throw new CorpusFormatError(sourceName, `melody ${index + 1} is not a list of tokens.`);
    }
    try {
      validateMelodyTokens(tokens as number[]);
    } catch (error) {
      throw new CorpusFormatError(sourceName, `melody ${index + 1} ("${name}"): ${(error as Error).message}`);
    }
    return { name, tokens: (tokens as number[]).slice() };
  });
}

/**
 * Read train/valid/test piano-roll splits. Frames keep their pitches in ascending order without
 * duplicates; -1 entries (a silent voice in the four-voice layout) are dropped, so an all-silent
 * frame is []. Pieces are named "<source> <split> <n>" (n from 1, per split). Missing splits are
 * simply absent; order is train, valid, test.
 * @throws {CorpusFormatError} CORPUS_FORMAT_INVALID for another shape, a pitch that is not an
 *   integer in 0..127 (naming split, piece and frame), or more frames than MAX_FRAMES_PER_PIECE / _PER_FILE.
 */
export function readPianoRollSplits(json: unknown, sourceName: string): SplitPiece[] {
  if (!isRecord(json) || !SPLITS.some((split) => split in json)) {
    throw new CorpusFormatError(sourceName, 'expected an object with "train", "valid" and/or "test" lists of pieces.');
  }
  const base = baseName(sourceName);
  const pieces: SplitPiece[] = [];
  let totalFrames = 0;
  for (const split of SPLITS) {
    const list = json[split];
    if (list === undefined) continue;
    if (!Array.isArray(list))
      throw new CorpusFormatError(sourceName, `"${split}" is not a list of pieces (got ${shown(list)}).`);
    list.forEach((piece: unknown, pieceIndex) => {
      if (!Array.isArray(piece))
        throw new CorpusFormatError(
          sourceName,
          `${split} piece ${pieceIndex + 1} is not a list of frames (got ${shown(piece)}).`,
        );
      if (piece.length > MAX_FRAMES_PER_PIECE)
        throw new CorpusFormatError(
          sourceName,
          `${split} piece ${pieceIndex + 1} has ${piece.length} frames; a piece may have at most ${MAX_FRAMES_PER_PIECE}.`,
        );
      totalFrames += piece.length;
      if (totalFrames > MAX_FRAMES_PER_FILE)
        throw new CorpusFormatError(
          sourceName,
          `the file holds more than ${MAX_FRAMES_PER_FILE} frames (reached at ${split} piece ${pieceIndex + 1}); split it into several files.`,
        );
      const frames = piece.map((frame: unknown, frameIndex) => {
        if (!Array.isArray(frame)) {
          throw new CorpusFormatError(
            sourceName,
            `${split} piece ${pieceIndex + 1}, frame ${frameIndex + 1} is not a list of pitches (got ${shown(frame)}).`,
          );
        }
        const pitches = new Set<number>();
        for (const pitch of frame) {
          if (pitch === -1) continue;
          if (!Number.isInteger(pitch) || pitch < 0 || pitch > 127) {
            throw new CorpusFormatError(
              sourceName,
              `${split} piece ${pieceIndex + 1}, frame ${frameIndex + 1}: pitch must be an integer within [0, 127] (or -1 for silence), got: ${shown(pitch)}`,
            );
          }
          pitches.add(pitch);
        }
        return [...pitches].sort((a, b) => a - b);
      });
      pieces.push({ name: `${base} ${split} ${pieceIndex + 1}`, split, frames });
    });
  }
  return pieces;
}
