// SPDX-License-Identifier: MIT
/**
 * The encodings a model spec may name (`spec.encoding`), one registry instead of switches: a caller that needs to
 * turn a piece into model input, or model output into notes, asks here.
 * - token encodings (melody-130): one integer per grid step, a vocabulary of `vocabSize` tokens;
 * - frame encodings (piano-roll-128): one multi-hot frame of `frameWidth` pitches per grid step.
 */
import type { NoteSequence } from '../music/NoteSequence';
import { decodeMelody, encodeMelody, MELODY_VOCAB, validateMelodyTokens, type MelodySource } from './melody';
import { decodePianoRoll, encodePianoRoll, type PianoRoll } from './pianoRoll';

/** Options of every decode: grid ticks per quarter, tempo, note velocity. */
export interface DecodeOptions {
  ppq?: number;
  bpm?: number;
  velocity?: number;
  name?: string;
}

interface EncodingBase {
  /** The name stored in specs, e.g. 'melody-130'. */
  readonly name: string;
  /** One line for people, e.g. in a model's description. */
  readonly label: string;
  /** Grid steps per quarter note (4 = sixteenths). */
  readonly stepsPerQuarter: number;
}

/** An encoding of one token per step. */
export interface TokenEncoding extends EncodingBase {
  readonly input: 'tokens';
  readonly vocabSize: number;
  /** @throws EncodingError for a sequence that cannot be encoded */
  encode(seq: NoteSequence, opts?: { source?: MelodySource }): number[];
  /** @throws EncodingError for tokens outside the vocabulary */
  decode(tokens: ArrayLike<number>, opts?: DecodeOptions): NoteSequence;
  /** @throws EncodingError naming the first invalid token */
  validate(tokens: ArrayLike<number>): void;
}

/** An encoding of one multi-hot frame per step. */
export interface FrameEncoding extends EncodingBase {
  readonly input: 'frames';
  /** Pitches per frame. */
  readonly frameWidth: number;
  encode(seq: NoteSequence): PianoRoll;
  decode(roll: PianoRoll, opts?: DecodeOptions): NoteSequence;
}

export type EncodingDefinition = TokenEncoding | FrameEncoding;

const melody130: TokenEncoding = {
  name: 'melody-130',
  label: 'Melody, 130 tokens per sixteenth (128 note-ons, note-off, no event)',
  input: 'tokens',
  stepsPerQuarter: 4,
  vocabSize: MELODY_VOCAB,
  encode: (seq, opts) => encodeMelody(seq, opts),
  decode: (tokens, opts) => decodeMelody(tokens, opts),
  validate: (tokens) => validateMelodyTokens(tokens),
};

const pianoRoll128: FrameEncoding = {
  name: 'piano-roll-128',
  label: 'Piano roll, 128 pitches per sixteenth (sounding and onsets)',
  input: 'frames',
  stepsPerQuarter: 4,
  frameWidth: 128,
  encode: (seq) => encodePianoRoll(seq, 4),
  decode: (roll, opts) => decodePianoRoll(roll, opts),
};

const ENCODINGS: ReadonlyMap<string, EncodingDefinition> = new Map(
  [melody130, pianoRoll128].map((e) => [e.name, e] as const),
);

/** Every registered encoding's name and label, in registration order. */
export const ENCODING_NAMES: readonly { name: string; label: string }[] = [...ENCODINGS.values()].map((e) => ({
  name: e.name,
  label: e.label,
}));

/** An encoding name that this Etude does not know (a spec from a newer Etude, or a typo). */
export class UnknownEncodingError extends Error {
  override name = 'UnknownEncodingError';
  readonly code = 'ENCODING_UNKNOWN';
  constructor(readonly encoding: string) {
    super(
      `This Etude does not know the encoding "${encoding}" (it knows ${[...ENCODINGS.keys()].join(', ')}); a newer Etude may.`,
    );
  }
}

/**
 * The encoding named `name`.
 * @throws UnknownEncodingError (code ENCODING_UNKNOWN) for a name that is not registered.
 */
export function getEncoding(name: string): EncodingDefinition {
  const found = ENCODINGS.get(name);
  if (!found) throw new UnknownEncodingError(name);
  return found;
}

/** Is `name` a registered encoding? */
export function isEncodingName(name: string): boolean {
  return ENCODINGS.has(name);
}
