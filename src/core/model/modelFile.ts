// SPDX-License-Identifier: MIT
/**
 * The `.etude-model` file: one trained model that travels from one Etude library to another.
 *
 * Byte layout (all integers little-endian):
 *   0   8 bytes  magic "ETUDEMDL"
 *   8   u32      model file format version (MODEL_FILE_FORMAT_VERSION)
 *   12  u32      header length H in bytes (UTF-8 JSON, ModelFileHeader below)
 *   16  H bytes  header JSON: who wrote it (app version), the model's name, spec, training record, corpus name, and
 *                the length and CRC-32 of the checkpoint that follows
 *   ..  C bytes  the model's latest checkpoint, exactly as stored (.etude-ckpt, src/core/model/checkpoint.ts)
 *   ..  u32      CRC-32 of every byte before it (prefix, header and checkpoint)
 *
 * Reading checks, in this order, so each refusal names the real cause: the magic (not ours), the format version (a
 * newer Etude wrote it: the reader says which version to update to), the lengths (truncated), the CRC (damaged), then
 * the checkpoint itself (its own magic, version, CRC and shapes).
 */
import { crc32, decodeCheckpoint, readCheckpointHeader, type CheckpointMetrics } from './checkpoint';
import type { ModelSpec, TrainingConfig } from './spec';

export const MODEL_FILE_MAGIC = 'ETUDEMDL';
/** Bump when the layout or the header's meaning changes; readers refuse higher versions with a clear message. */
export const MODEL_FILE_FORMAT_VERSION = 1;
export const MODEL_FILE_EXTENSION = '.etude-model';
const PREFIX_BYTES = 16;
const TRAILER_BYTES = 4;

/** What a model's training was: its settings and how it went. */
export interface ModelTrainingRecord {
  config: TrainingConfig;
  /** Completed epochs and optimizer steps of the exported checkpoint. */
  epochs: number;
  steps: number;
  /** Loss and validation loss of the last epoch, and per epoch (oldest first) where recorded. */
  loss?: number;
  valLoss?: number;
  lossHistory?: number[];
  valLossHistory?: number[];
  /** Which engine trained it (informational). */
  engine: string;
}

export interface ModelFileHeader {
  formatVersion: number;
  /** The Etude version that wrote the file, e.g. "0.1.0". */
  appVersion: string;
  /** ms since the epoch. */
  exportedAt: number;
  name: string;
  spec: ModelSpec;
  training: ModelTrainingRecord;
  /** The corpus it was trained on, by name (corpora do not travel with the model). */
  corpusName: string | null;
  checkpointBytes: number;
  checkpointCrc32: number;
}

export interface ModelFile {
  header: ModelFileHeader;
  /** The checkpoint bytes (.etude-ckpt), verified. */
  checkpoint: Uint8Array;
}

export type ModelFileErrorCode =
  | 'MODEL_FILE_NOT_ETUDE'
  | 'MODEL_FILE_FROM_NEWER_ETUDE'
  | 'MODEL_FILE_TRUNCATED'
  | 'MODEL_FILE_CORRUPT'
  | 'MODEL_FILE_INVALID';

/** A model file could not be read (or written); `code` says why, the message what to do. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
  constructor(
    readonly code: ModelFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Writes a model file around a checkpoint's bytes; the spec and training record come from the checkpoint's own header
 * (so they always match the weights), the name, app version and corpus name from the caller.
 * @throws CheckpointError when `checkpoint` is not a readable checkpoint
 * @example
 *   const bytes = encodeModelFile({ name: 'Reels', appVersion: '0.1.0', corpusName: 'Nottingham', checkpoint });
 */
export function encodeModelFile(options: {
  name: string;
  appVersion: string;
  corpusName: string | null;
  checkpoint: Uint8Array;
  exportedAt?: number;
}): Uint8Array {
  const ckpt = readCheckpointHeader(options.checkpoint);
  const metrics: CheckpointMetrics = ckpt.metrics ?? {};
  const numbers = (v: unknown) =>
    Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
  const lossHistory = numbers(metrics.lossHistory);
  const valLossHistory = numbers(metrics.valLossHistory);
  const header: ModelFileHeader = {
    formatVersion: MODEL_FILE_FORMAT_VERSION,
    appVersion: options.appVersion,
    exportedAt: options.exportedAt ?? Date.now(),
    name: options.name,
    spec: ckpt.spec,
    training: {
      config: ckpt.training,
      epochs: ckpt.epoch,
      steps: ckpt.step,
      ...(typeof metrics.loss === 'number' ? { loss: metrics.loss } : {}),
      ...(typeof metrics.valLoss === 'number' ? { valLoss: metrics.valLoss } : {}),
      ...(lossHistory ? { lossHistory } : {}),
      ...(valLossHistory ? { valLossHistory } : {}),
      engine: ckpt.engine,
    },
    corpusName: options.corpusName ?? ckpt.corpus?.name ?? null,
    checkpointBytes: options.checkpoint.byteLength,
    checkpointCrc32: crc32(options.checkpoint),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const total = PREFIX_BYTES + json.byteLength + options.checkpoint.byteLength + TRAILER_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MODEL_FILE_MAGIC), 0);
  view.setUint32(8, MODEL_FILE_FORMAT_VERSION, true);
  view.setUint32(12, json.byteLength, true);
  out.set(json, PREFIX_BYTES);
  out.set(options.checkpoint, PREFIX_BYTES + json.byteLength);
  view.setUint32(total - TRAILER_BYTES, crc32(out.subarray(0, total - TRAILER_BYTES)), true);
  return out;
}

/** The writer's app version from a header we cannot otherwise read (a newer format), if it says one. */
function writerVersion(bytes: Uint8Array, headerLength: number): string | null {
  try {
    const end = Math.min(bytes.byteLength, PREFIX_BYTES + headerLength);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, end))) as { appVersion?: unknown };
    return typeof header.appVersion === 'string' ? header.appVersion : null;
  } catch {
    return null;
  }
}

/**
 * Reads and verifies a model file.
 * @param bytes the whole file
 * @param fileName used in messages
 * @param readerVersion this Etude's version, named when a newer one wrote the file
 * @throws ModelFileError (MODEL_FILE_NOT_ETUDE, MODEL_FILE_FROM_NEWER_ETUDE, MODEL_FILE_TRUNCATED, MODEL_FILE_CORRUPT,
 *   MODEL_FILE_INVALID), CheckpointError when the checkpoint inside is not readable
 */
export function decodeModelFile(bytes: Uint8Array, fileName = 'the model file', readerVersion?: string): ModelFile {
  const magic = new TextDecoder().decode(bytes.subarray(0, MODEL_FILE_MAGIC.length));
  if (bytes.byteLength < MODEL_FILE_MAGIC.length || magic !== MODEL_FILE_MAGIC)
    throw new ModelFileError(
      'MODEL_FILE_NOT_ETUDE',
      `${fileName} is not an Etude model file (${MODEL_FILE_EXTENSION}); export one with \`etude models export NAME\` or the studio's Export button.`,
    );
  if (bytes.byteLength < PREFIX_BYTES)
    throw new ModelFileError(
      'MODEL_FILE_TRUNCATED',
      `${fileName} is cut short (${bytes.byteLength} bytes); export the model again.`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  const headerLength = view.getUint32(12, true);
  if (version > MODEL_FILE_FORMAT_VERSION) {
    const writer = writerVersion(bytes, headerLength);
    throw new ModelFileError(
      'MODEL_FILE_FROM_NEWER_ETUDE',
      `${fileName} was written by a newer Etude${writer ? ` (${writer})` : ''} in model file format ${version}; ` +
        `this Etude${readerVersion ? ` (${readerVersion})` : ''} reads format ${MODEL_FILE_FORMAT_VERSION} at most. Update Etude to import it.`,
    );
  }
  if (version < 1)
    throw new ModelFileError('MODEL_FILE_INVALID', `${fileName} has an impossible format version (${version}).`);
  if (PREFIX_BYTES + headerLength + TRAILER_BYTES > bytes.byteLength)
    throw new ModelFileError(
      'MODEL_FILE_TRUNCATED',
      `${fileName} is cut short (${bytes.byteLength} bytes, its header alone needs ${PREFIX_BYTES + headerLength}); copy or export it again.`,
    );
  let header: ModelFileHeader;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)),
    ) as ModelFileHeader;
  } catch {
    throw new ModelFileError('MODEL_FILE_CORRUPT', `${fileName} is damaged: its header is not readable.`);
  }
  const checkpointStart = PREFIX_BYTES + headerLength;
  const expected = checkpointStart + (header.checkpointBytes ?? 0) + TRAILER_BYTES;
  if (!Number.isInteger(header.checkpointBytes) || header.checkpointBytes <= 0)
    throw new ModelFileError('MODEL_FILE_INVALID', `${fileName} holds no checkpoint.`);
  if (bytes.byteLength < expected)
    throw new ModelFileError(
      'MODEL_FILE_TRUNCATED',
      `${fileName} is cut short: ${bytes.byteLength} of ${expected} bytes; copy or export it again.`,
    );
  if (bytes.byteLength > expected)
    throw new ModelFileError(
      'MODEL_FILE_CORRUPT',
      `${fileName} is damaged: ${bytes.byteLength - expected} bytes follow the end of the model.`,
    );
  const stored = view.getUint32(expected - TRAILER_BYTES, true);
  if (crc32(bytes.subarray(0, expected - TRAILER_BYTES)) !== stored)
    throw new ModelFileError(
      'MODEL_FILE_CORRUPT',
      `${fileName} is damaged (its checksum does not match); copy or export it again.`,
    );
  const checkpoint = bytes.slice(checkpointStart, checkpointStart + header.checkpointBytes);
  if (crc32(checkpoint) !== header.checkpointCrc32)
    throw new ModelFileError('MODEL_FILE_CORRUPT', `${fileName} is damaged: its checkpoint does not match its header.`);
  if (typeof header.name !== 'string' || !header.name.trim() || !header.spec || !header.training)
    throw new ModelFileError('MODEL_FILE_INVALID', `${fileName} lacks the model's name, spec or training record.`);
  // The checkpoint's own checks (magic, version, CRC of its tensors, shapes against its spec).
  decodeCheckpoint(checkpoint);
  return { header, checkpoint };
}
