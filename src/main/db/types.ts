// SPDX-License-Identifier: MIT
/**
 * Row types of the library, as the repositories return them (camelCase, parsed JSON, ms timestamps).
 * Ids are branded numbers so a corpus id cannot be passed where a model id is expected.
 */
import type { NoteSequence } from '../../core/music/NoteSequence';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type CorpusId = Brand<number, 'CorpusId'>;
export type PieceId = Brand<number, 'PieceId'>;
export type ModelId = Brand<number, 'ModelId'>;
export type CheckpointId = Brand<number, 'CheckpointId'>;
export type GenerationId = Brand<number, 'GenerationId'>;
/** Milliseconds since the Unix epoch. */
export type EpochMs = number;

/** The process that is importing into a corpus (migration 0070); absent when no import is unfinished. */
export interface ImportOwner {
  pid: number;
  host: string;
}

export interface Corpus {
  id: CorpusId;
  name: string;
  createdAt: EpochMs;
  updatedAt: EpochMs;
  /**
   * Set while an import into this corpus is unfinished: from its first committed batch to its last. If that process
   * is gone, the import was interrupted and the corpus holds only part of it (src/main/services/importState.ts).
   */
  importOwner?: ImportOwner;
}

export interface CorpusSummary extends Corpus {
  pieceCount: number;
  /** Sum of the melody lengths in sixteenths. */
  totalSixteenths: number;
}

/** How a piece entered the library. */
export type PieceFormat = 'midi' | 'token-melody' | 'pianoroll-json';
/** The dataset split a piece belongs to when its source defined one (JSB / Boulanger-Lewandowski). */
export type PieceSplit = 'train' | 'valid' | 'test';

/** A summary of the source file kept for display and stats (never needed for training). */
export interface PieceMetadata {
  ppq?: number;
  trackCount?: number;
  /** Per track: name, program, channel, note count. */
  tracks?: { name: string; program: number; channel: number; noteCount: number }[];
  tempos?: { tick: number; bpm: number }[];
  timeSignatures?: { tick: number; numerator: number; denominator: number }[];
  keySignatures?: { tick: number; key: string; scale: string }[];
  /** Which melody extraction produced the tokens (MIDI only). */
  melodySource?: string;
  /** Frames of a piano roll per quarter note (piano-roll JSON only). */
  stepsPerQuarter?: number;
  frameCount?: number;
}

/**
 * A piece to insert. `melodyTokens` holds one byte per sixteenth (tokens 0..129), or null for a piece with a piano
 * roll and no melody.
 */
export interface NewPiece {
  name: string;
  sourcePath: string | null;
  contentHash: string;
  format: PieceFormat;
  split: PieceSplit | null;
  metadata: PieceMetadata;
  sequence: NoteSequence | null;
  /**
   * Pre-serialised `sequence` (JSON.stringify of it). Importers that serialise off the main thread
   * pass this instead of `sequence`; when both are given this wins.
   */
  sequenceJson?: string | null;
  melodyTokens: Uint8Array | null;
  /** Piano-roll frames (lists of sounding pitches) for 'pianoroll-json' pieces. */
  pianoRollFrames: number[][] | null;
  noteCount: number;
}

/** A stored piece without its heavy columns (sequence, tokens, frames). */
export interface PieceSummary {
  id: PieceId;
  corpusId: CorpusId;
  name: string;
  sourcePath: string | null;
  contentHash: string;
  format: PieceFormat;
  split: PieceSplit | null;
  noteCount: number;
  /** Length in sixteenths: the melody's token count, else the piano roll's frame count. */
  sixteenths: number;
  createdAt: EpochMs;
}

/** A stored piece with everything. */
export interface Piece extends PieceSummary {
  metadata: PieceMetadata;
  sequence: NoteSequence | null;
  /** Null: the piece has a piano roll and no melody. */
  melodyTokens: Uint8Array | null;
  pianoRollFrames: number[][] | null;
}

/** What training reads: one entry per piece of a corpus. */
export interface MelodyTokensRow {
  pieceId: PieceId;
  name: string;
  split: PieceSplit | null;
  tokens: Uint8Array;
}

/** What a polyphonic model trains on, one row per piece: its notes (MIDI and piano-roll pieces) or its melody. */
export interface PieceNotesRow {
  pieceId: PieceId;
  name: string;
  split: PieceSplit | null;
  format: PieceFormat;
  /** The piece's notes; null for a token melody, which has only `melodyTokens`. */
  sequence: NoteSequence | null;
  melodyTokens: Uint8Array | null;
  /** Which melody extraction made a MIDI piece's tokens (its metadata's melodySource); null when not recorded. */
  melodySource: string | null;
}

export type ModelStatus = 'training' | 'ready' | 'failed' | 'cancelled';

export interface ModelRow {
  id: ModelId;
  name: string;
  /** The ModelSpec (src/core/model/spec.ts), stored as given. */
  spec: unknown;
  /** The TrainingConfig and anything else the trainer wants to keep (random seed, engine threads). */
  training: unknown;
  corpusId: CorpusId | null;
  engine: string;
  status: ModelStatus;
  metrics: unknown;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface CheckpointSummary {
  id: CheckpointId;
  modelId: ModelId;
  epoch: number;
  step: number;
  sha256: string;
  sizeBytes: number;
  metrics: unknown;
  createdAt: EpochMs;
}

export interface Checkpoint extends CheckpointSummary {
  /** Opaque bytes written by the checkpoint codec (src/core/model/checkpoint.ts). */
  data: Uint8Array;
}

export interface Generation {
  id: GenerationId;
  modelId: ModelId | null;
  checkpointId: CheckpointId | null;
  /** seedNotes, temperature, randomSeed, bars, ... exactly as requested. */
  request: unknown;
  tokens: Uint8Array | null;
  sequence: NoteSequence | null;
  name: string;
  favourite: boolean;
  createdAt: EpochMs;
}
