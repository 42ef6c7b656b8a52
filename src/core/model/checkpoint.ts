// SPDX-License-Identifier: MIT
/**
 * The one checkpoint format every engine reads and writes (wasm, tfjs cpu, tfjs-node, tfjs-node-gpu).
 *
 * Byte layout (all integers little-endian):
 *   0   8 bytes  magic "ETUDECKP"
 *   8   u32      format version (CHECKPOINT_FORMAT_VERSION; CHECKPOINT_AVERAGE_FORMAT_VERSION with a weight average)
 *   12  u32      header length H in bytes (UTF-8 JSON)
 *   16  H bytes  header JSON (CheckpointHeader below)
 *   ..  zero padding up to a multiple of 16 bytes (so each tensor view is aligned for Float32Array)
 *   ..  tensor data: float32, row-major, each tensor padded to a multiple of 4 floats (16 bytes), in header order:
 *       the weights, then Adam's optimizer/m/ and optimizer/v/ moments if kept, then the weight average's average/
 *
 * The header lists every tensor with its shape and byte offset (relative to the data section), plus a CRC-32 of the
 * data section, so truncation and bit flips are caught before anyone trains on damaged weights. Weight names and
 * shapes are the model registry's tensor list for spec.kind (melody-lstm: Keras layout, gate order i, f, c, o, stated
 * in ./melodyLstmSpec.ts); a checkpoint whose tensors do not match its own spec is rejected, and one whose kind or
 * encoding this Etude does not know is refused with a sentence saying it needs a newer Etude.
 */
import type { NamedWeights, OptimizerState } from '../engine/types';
import { isEncodingName } from '../encoding/registry';
import { getModelDefinition, isModelKind, modelTensors } from './registry';
import { type ModelSpec, type TrainingConfig } from './spec';

export const CHECKPOINT_MAGIC = 'ETUDECKP';
export const CHECKPOINT_FORMAT_VERSION = 1;
/**
 * Version 1 plus the weight average's tensors (TrainingConfig.weightAverageDecay). Written only when a checkpoint holds
 * an average, so every other checkpoint stays readable by an Etude that reads version 1, and one that cannot read the
 * average refuses it with its update message rather than a count of tensors it does not expect.
 */
export const CHECKPOINT_AVERAGE_FORMAT_VERSION = 2;
const READABLE_VERSIONS = [CHECKPOINT_FORMAT_VERSION, CHECKPOINT_AVERAGE_FORMAT_VERSION];
/** File name extension used by the CLI and the bundled default model. */
export const CHECKPOINT_EXTENSION = '.etude-ckpt';

/** Training metrics carried with a checkpoint (all optional: a fresh or imported model may have none). */
export interface CheckpointMetrics {
  loss?: number;
  valLoss?: number;
  bestValLoss?: number;
  /** The epoch whose checkpoint scored bestValLoss. */
  bestEpoch?: number;
  /** Epochs since validation loss last improved (early stopping resumes from here). */
  epochsWithoutImprovement?: number;
  /** Loss per completed epoch, oldest first. */
  lossHistory?: number[];
  valLossHistory?: number[];
  /** With weight averaging (TrainingConfig.weightAverageDecay): the average's valid loss, last and per epoch. */
  averageValLoss?: number;
  averageValLossHistory?: number[];
  /** With weight averaging: whether bestValLoss is the average's (else the weights'). */
  bestIsAverage?: boolean;
  elapsedMs?: number;
  [key: string]: unknown;
}

export interface Checkpoint {
  formatVersion: number;
  spec: ModelSpec;
  training: TrainingConfig;
  corpus?: { id: number; name: string };
  /** Completed epochs. */
  epoch: number;
  /** Completed optimizer steps. */
  step: number;
  metrics: CheckpointMetrics;
  weights: NamedWeights;
  /** Adam state; absent in checkpoints shipped for generation only (e.g. the bundled default model). */
  optimizer?: OptimizerState;
  /**
   * The moving average of the weights (TrainingConfig.weightAverageDecay), as of this checkpoint: what a resumed run
   * goes on averaging, and what composes when it was the best on valid (composingWeights).
   */
  average?: NamedWeights;
  /** Which engine wrote it (informational: every engine reads every checkpoint). */
  engine: string;
  /** ms since the epoch. */
  createdAt: number;
}

export type CheckpointErrorCode =
  | 'CHECKPOINT_NOT_ETUDE'
  | 'CHECKPOINT_TRUNCATED'
  | 'CHECKPOINT_CORRUPT'
  | 'CHECKPOINT_UNKNOWN_VERSION'
  | 'CHECKPOINT_SHAPE_MISMATCH'
  | 'CHECKPOINT_INVALID'
  | 'CHECKPOINT_UNKNOWN_KIND'
  | 'CHECKPOINT_UNKNOWN_ENCODING';

/** A checkpoint could not be written or read; `code` says which way. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface TensorEntry {
  name: string;
  shape: number[];
  /** Byte offset from the start of the data section. */
  offset: number;
}

interface CheckpointHeader {
  formatVersion: number;
  spec: ModelSpec;
  training: TrainingConfig;
  corpus?: { id: number; name: string };
  epoch: number;
  step: number;
  metrics: CheckpointMetrics;
  engine: string;
  createdAt: number;
  optimizerStep?: number;
  /** The data holds the weight average's tensors too (average/NAME). */
  hasAverage?: boolean;
  tensors: TensorEntry[];
  dataBytes: number;
  dataCrc32: number;
}

const PREFIX_BYTES = 16;
const ALIGN = 16;

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

let crcTable: Uint32Array | undefined;
/** CRC-32 (IEEE 802.3 polynomial), enough to catch truncation and flipped bytes. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const elementCount = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Checks that `weights` holds exactly the tensors of `spec`, with the right lengths.
 * @throws CheckpointError CHECKPOINT_SHAPE_MISMATCH naming the first tensor that is missing, extra or the wrong size.
 */
export function assertWeightsMatchSpec(spec: ModelSpec, weights: NamedWeights, what = 'weights'): void {
  const expected = modelTensors(spec);
  for (const t of expected) {
    const w = weights[t.name];
    if (!w)
      throw new CheckpointError(
        'CHECKPOINT_SHAPE_MISMATCH',
        `The ${what} lack tensor "${t.name}" (shape ${t.shape.join('x')}) required by the model spec.`,
      );
    if (w.length !== elementCount(t.shape))
      throw new CheckpointError(
        'CHECKPOINT_SHAPE_MISMATCH',
        `Tensor "${t.name}" in the ${what} has ${w.length} values but the model spec needs shape ${t.shape.join('x')} (${elementCount(t.shape)} values).`,
      );
  }
  const names = new Set(expected.map((t) => t.name));
  for (const name of Object.keys(weights)) {
    if (!names.has(name))
      throw new CheckpointError(
        'CHECKPOINT_SHAPE_MISMATCH',
        `The ${what} hold tensor "${name}", which the model spec does not have.`,
      );
  }
}

/**
 * Checks a spec through the registries: a known kind, a known encoding, then the kind's own rules.
 * @throws CheckpointError CHECKPOINT_UNKNOWN_KIND / CHECKPOINT_UNKNOWN_ENCODING (a newer Etude's model) or
 *   CHECKPOINT_INVALID (a damaged spec).
 */
export function validateSpec(spec: unknown): asserts spec is ModelSpec {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec))
    throw new CheckpointError('CHECKPOINT_INVALID', "The checkpoint's model spec is missing or not an object.");
  const s = spec as Record<string, unknown>;
  if (!isModelKind(s.kind))
    throw new CheckpointError(
      'CHECKPOINT_UNKNOWN_KIND',
      `This checkpoint holds a model of kind ${JSON.stringify(s.kind)}, which this Etude does not know; it was made by a newer Etude: update Etude to open it.`,
    );
  if (typeof s.encoding !== 'string' || !isEncodingName(s.encoding))
    throw new CheckpointError(
      'CHECKPOINT_UNKNOWN_ENCODING',
      `This checkpoint's model reads the encoding ${JSON.stringify(s.encoding)}, which this Etude does not know; it was made by a newer Etude: update Etude to open it.`,
    );
  const problem = getModelDefinition(s.kind).specProblem(s);
  if (problem)
    throw new CheckpointError('CHECKPOINT_INVALID', `The checkpoint's ${s.kind} model spec is invalid: ${problem}.`);
}

/**
 * Tensor list written to the file: weights (spec order), then optimizer m/ and v/ tensors in the same order, then the
 * weight average's average/ tensors.
 */
function tensorList(
  checkpoint: Pick<Checkpoint, 'spec' | 'weights' | 'optimizer' | 'average'>,
): { name: string; shape: number[]; data: Float32Array }[] {
  const shapes = modelTensors(checkpoint.spec);
  const out = shapes.map((t) => ({ name: t.name, shape: t.shape, data: checkpoint.weights[t.name] }));
  if (checkpoint.optimizer) {
    for (const prefix of ['m', 'v'] as const) {
      for (const t of shapes)
        out.push({ name: `optimizer/${prefix}/${t.name}`, shape: t.shape, data: checkpoint.optimizer[prefix][t.name] });
    }
  }
  if (checkpoint.average)
    for (const t of shapes) out.push({ name: `average/${t.name}`, shape: t.shape, data: checkpoint.average[t.name] });
  return out;
}

/**
 * Serialises a checkpoint. Validates the weights (and optimizer moments) against the spec first.
 * @throws CheckpointError CHECKPOINT_SHAPE_MISMATCH or CHECKPOINT_INVALID when the input does not describe one model.
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  validateSpec(checkpoint.spec);
  assertWeightsMatchSpec(checkpoint.spec, checkpoint.weights);
  if (checkpoint.optimizer) {
    assertWeightsMatchSpec(checkpoint.spec, checkpoint.optimizer.m, 'optimizer first moments');
    assertWeightsMatchSpec(checkpoint.spec, checkpoint.optimizer.v, 'optimizer second moments');
  }
  if (checkpoint.average) assertWeightsMatchSpec(checkpoint.spec, checkpoint.average, 'weight average');
  const tensors = tensorList(checkpoint);
  const entries: TensorEntry[] = [];
  let dataBytes = 0;
  for (const t of tensors) {
    entries.push({ name: t.name, shape: t.shape, offset: dataBytes });
    dataBytes += alignUp(t.data.length * 4);
  }
  const data = new Uint8Array(dataBytes);
  const dataFloats = new Float32Array(data.buffer);
  for (let i = 0; i < tensors.length; i++) dataFloats.set(tensors[i].data, entries[i].offset / 4);

  const version = checkpoint.average ? CHECKPOINT_AVERAGE_FORMAT_VERSION : CHECKPOINT_FORMAT_VERSION;
  const header: CheckpointHeader = {
    formatVersion: version,
    spec: checkpoint.spec,
    training: checkpoint.training,
    ...(checkpoint.corpus ? { corpus: checkpoint.corpus } : {}),
    epoch: checkpoint.epoch,
    step: checkpoint.step,
    metrics: checkpoint.metrics,
    engine: checkpoint.engine,
    createdAt: checkpoint.createdAt,
    ...(checkpoint.optimizer ? { optimizerStep: checkpoint.optimizer.step } : {}),
    ...(checkpoint.average ? { hasAverage: true } : {}),
    tensors: entries,
    dataBytes,
    dataCrc32: crc32(data),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = alignUp(PREFIX_BYTES + headerBytes.length);
  const out = new Uint8Array(dataStart + dataBytes);
  for (let i = 0; i < 8; i++) out[i] = CHECKPOINT_MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(8, version, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, PREFIX_BYTES);
  out.set(data, dataStart);
  return out;
}

/** Reads just the header (spec, epoch, metrics...) without copying tensors; validates the prefix. */
export function readCheckpointHeader(bytes: Uint8Array): CheckpointHeader & { dataStart: number } {
  if (bytes.length < PREFIX_BYTES)
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      `The checkpoint is ${bytes.length} bytes long, shorter than its ${PREFIX_BYTES}-byte prefix; the file is truncated or empty.`,
    );
  let magic = '';
  for (let i = 0; i < 8; i++) magic += String.fromCharCode(bytes[i]);
  if (magic !== CHECKPOINT_MAGIC)
    throw new CheckpointError(
      'CHECKPOINT_NOT_ETUDE',
      `This is not an Etude checkpoint (the first bytes are not "${CHECKPOINT_MAGIC}"); pick a .etude-ckpt file.`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (!READABLE_VERSIONS.includes(version))
    throw new CheckpointError(
      'CHECKPOINT_UNKNOWN_VERSION',
      `The checkpoint has format version ${version}; this Etude reads versions ${READABLE_VERSIONS.join(' and ')}. Update Etude to open it.`,
    );
  const headerLength = view.getUint32(12, true);
  if (PREFIX_BYTES + headerLength > bytes.length)
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      `The checkpoint's header claims ${headerLength} bytes but the file ends before it; the file is truncated.`,
    );
  let header: CheckpointHeader;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)),
    ) as CheckpointHeader;
  } catch (err) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `The checkpoint's header is not valid JSON (${(err as Error).message}); the file is damaged.`,
    );
  }
  if (!header || typeof header !== 'object' || !Array.isArray(header.tensors))
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      'The checkpoint header lacks its tensor list; the file is damaged.',
    );
  for (const key of ['epoch', 'step', 'dataBytes', 'dataCrc32', 'createdAt'] as const) {
    if (typeof header[key] !== 'number' || !Number.isFinite(header[key]) || header[key] < 0)
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `The checkpoint header's ${key} is not a non-negative number; the file is damaged.`,
      );
  }
  validateSpec(header.spec);
  // The prefix's version is the one checked above, and the one that says whether the data holds an average.
  return { ...header, formatVersion: version, dataStart: alignUp(PREFIX_BYTES + headerLength) };
}

/**
 * Parses and validates a checkpoint: magic, version, header, length, CRC-32 of the tensor data, and that the tensors
 * match the header's own spec. Tensors are copied out (the input buffer may be reused by the caller).
 * @throws CheckpointError with code CHECKPOINT_NOT_ETUDE | CHECKPOINT_TRUNCATED | CHECKPOINT_CORRUPT |
 *   CHECKPOINT_UNKNOWN_VERSION | CHECKPOINT_SHAPE_MISMATCH | CHECKPOINT_INVALID.
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const header = readCheckpointHeader(bytes);
  const end = header.dataStart + header.dataBytes;
  if (end > bytes.length)
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      `The checkpoint should be ${end} bytes long but is ${bytes.length}; the file is truncated (an interrupted copy or write).`,
    );
  if (end < bytes.length)
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `The checkpoint has ${bytes.length - end} unexpected bytes after its data; the file is damaged.`,
    );
  const data = bytes.slice(header.dataStart, end);
  if (crc32(data) !== header.dataCrc32)
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      'The checkpoint data fails its CRC-32 check (changed bytes); the file is damaged: use an earlier checkpoint.',
    );
  const floats = new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  const tensors = new Map<string, Float32Array>();
  for (const t of header.tensors) {
    if (
      typeof t.name !== 'string' ||
      !Array.isArray(t.shape) ||
      !t.shape.every((d) => Number.isInteger(d) && d > 0) ||
      !Number.isInteger(t.offset) ||
      t.offset % 16 !== 0
    )
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `The checkpoint's entry for tensor ${JSON.stringify(t.name)} is malformed; the file is damaged.`,
      );
    const n = elementCount(t.shape);
    if (t.offset + n * 4 > header.dataBytes)
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `Tensor "${t.name}" runs past the end of the checkpoint's data; the file is damaged.`,
      );
    tensors.set(t.name, floats.slice(t.offset / 4, t.offset / 4 + n));
  }
  const shapes = modelTensors(header.spec);
  const pick = (prefix: string, what: string): NamedWeights => {
    const out: NamedWeights = {};
    for (const s of shapes) {
      const entry = header.tensors.find((t) => t.name === prefix + s.name);
      if (!entry)
        throw new CheckpointError(
          'CHECKPOINT_SHAPE_MISMATCH',
          `The checkpoint lacks ${what} tensor "${s.name}" required by its model spec.`,
        );
      if (entry.shape.join('x') !== s.shape.join('x'))
        throw new CheckpointError(
          'CHECKPOINT_SHAPE_MISMATCH',
          `The checkpoint's ${what} tensor "${s.name}" has shape ${entry.shape.join('x')} but its model spec needs ${s.shape.join('x')}.`,
        );
      out[s.name] = tensors.get(entry.name)!;
    }
    return out;
  };
  const weights = pick('', 'weight');
  const hasAverage = header.hasAverage === true;
  if (hasAverage !== (header.formatVersion === CHECKPOINT_AVERAGE_FORMAT_VERSION))
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `The checkpoint's header says format version ${header.formatVersion} ${hasAverage ? 'with' : 'without'} a weight average, which do not go together; the file is damaged.`,
    );
  const expectedCount = shapes.length * (1 + (header.optimizerStep === undefined ? 0 : 2) + (hasAverage ? 1 : 0));
  if (header.tensors.length !== expectedCount)
    throw new CheckpointError(
      'CHECKPOINT_SHAPE_MISMATCH',
      `The checkpoint holds ${header.tensors.length} tensors; its model spec, optimizer state and weight average need ${expectedCount}.`,
    );
  const optimizer: OptimizerState | undefined =
    header.optimizerStep === undefined
      ? undefined
      : { step: header.optimizerStep, m: pick('optimizer/m/', 'optimizer'), v: pick('optimizer/v/', 'optimizer') };
  const average = hasAverage ? pick('average/', 'weight average') : undefined;
  return {
    formatVersion: header.formatVersion,
    spec: header.spec,
    training: header.training,
    ...(header.corpus ? { corpus: header.corpus } : {}),
    epoch: header.epoch,
    step: header.step,
    metrics: header.metrics ?? {},
    weights,
    ...(optimizer ? { optimizer } : {}),
    ...(average ? { average } : {}),
    engine: header.engine,
    createdAt: header.createdAt,
  };
}

/**
 * The valid loss of the weights a checkpoint composes with (composingWeights): at the run's best epoch its best (the
 * average's where that won), else the weights' own; undefined when it never validated.
 */
export function composingValLoss(epoch: number, metrics: CheckpointMetrics): number | undefined {
  const loss = metrics.bestEpoch === epoch ? metrics.bestValLoss : metrics.valLoss;
  return typeof loss === 'number' ? loss : undefined;
}

/**
 * The weights a checkpoint composes with: its weight average where that was the run's best on valid at this very
 * checkpoint (metrics.bestIsAverage with metrics.bestEpoch at its epoch), else its weights. The average of a later
 * checkpoint is not the best's, so it never composes.
 */
export function composingWeights(checkpoint: Pick<Checkpoint, 'epoch' | 'metrics' | 'weights' | 'average'>): {
  weights: NamedWeights;
  isAverage: boolean;
} {
  const { metrics, average } = checkpoint;
  return average && metrics.bestIsAverage === true && metrics.bestEpoch === checkpoint.epoch
    ? { weights: average, isAverage: true }
    : { weights: checkpoint.weights, isAverage: false };
}
