// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  composingWeights,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpointHeader,
  type Checkpoint,
} from '../../src/core/model/checkpoint';
import { DEFAULT_TRAINING, type ModelSpec } from '../../src/core/model/spec';
import { modelTensors } from '../../src/core/model/registry';
import { createRng } from '../../src/core/util/random';
import type { NamedWeights } from '../../src/core/engine/types';

const spec: ModelSpec = {
  kind: 'melody-lstm',
  encoding: 'melody-130',
  vocabSize: 130,
  embeddingDim: 6,
  hiddenSize: 5,
  layers: 2,
  dropout: 0,
  window: 4,
};

function randomNamed(seed: number): NamedWeights {
  const rng = createRng(seed);
  const out: NamedWeights = {};
  for (const t of modelTensors(spec))
    out[t.name] = Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
  return out;
}

function sample(withOptimizer = true): Checkpoint {
  return {
    formatVersion: 1,
    spec,
    training: DEFAULT_TRAINING,
    corpus: { id: 3, name: 'chorales' },
    epoch: 2,
    step: 17,
    metrics: { loss: 1.5, valLoss: 1.7, lossHistory: [2, 1.5] },
    weights: randomNamed(1),
    ...(withOptimizer ? { optimizer: { step: 17, m: randomNamed(2), v: randomNamed(3) } } : {}),
    engine: 'tfjs-cpu',
    createdAt: 1_700_000_000_000,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    return (err as CheckpointError).code;
  }
  return undefined;
}

describe('checkpoint codec', () => {
  it('round-trips every field and tensor bit-exactly, with and without optimizer state', () => {
    for (const withOptimizer of [true, false]) {
      const original = sample(withOptimizer);
      const bytes = encodeCheckpoint(original);
      expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('ETUDECKP');
      const back = decodeCheckpoint(bytes);
      expect(back).toEqual(original);
      expect(back.optimizer === undefined).toBe(!withOptimizer);
    }
    const header = readCheckpointHeader(encodeCheckpoint(sample()));
    expect(header.epoch).toBe(2);
    expect(header.dataStart % 16).toBe(0);
  });

  it('round-trips the weight average, and refuses a header that claims one its data lacks', () => {
    const original: Checkpoint = { ...sample(), formatVersion: 2, average: randomNamed(4) };
    const bytes = encodeCheckpoint(original);
    expect(decodeCheckpoint(bytes)).toEqual(original);
    // Version 2 only with an average: an Etude that reads version 1 refuses it with its update message.
    const version = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(8, true);
    expect(version(bytes)).toBe(2);
    expect(version(encodeCheckpoint(sample()))).toBe(1);
    expect(bytes.length).toBeGreaterThan(encodeCheckpoint(sample()).length);
    // A checkpoint without one decodes without one (every checkpoint before the average existed).
    expect(decodeCheckpoint(encodeCheckpoint(sample())).average).toBeUndefined();
    expect(() => encodeCheckpoint({ ...sample(), average: { ...randomNamed(4), extra: new Float32Array(1) } })).toThrow(
      /weight average hold tensor "extra"/,
    );
    // A header whose hasAverage disagrees with the version, either way, is damaged.
    const plain = encodeCheckpoint(sample());
    expect(codeOf(() => decodeCheckpoint(withHeader(bytes, (h) => ({ ...h, hasAverage: undefined }))))).toBe(
      'CHECKPOINT_CORRUPT',
    );
    expect(codeOf(() => decodeCheckpoint(withHeader(plain, (h) => ({ ...h, hasAverage: true }))))).toBe(
      'CHECKPOINT_CORRUPT',
    );
  });

  it('composes with the average only where it was the best on valid at that very epoch', () => {
    const weights = randomNamed(1);
    const average = randomNamed(4);
    const at = (metrics: Checkpoint['metrics'], withAverage = true) =>
      composingWeights({ epoch: 5, metrics, weights, ...(withAverage ? { average } : {}) });
    expect(at({ bestEpoch: 5, bestIsAverage: true })).toEqual({ weights: average, isAverage: true });
    // The weights were the better, or the best was an earlier epoch (this average is a later one), or none was kept.
    expect(at({ bestEpoch: 5, bestIsAverage: false }).weights).toBe(weights);
    expect(at({ bestEpoch: 4, bestIsAverage: true }).weights).toBe(weights);
    expect(at({ bestEpoch: 5, bestIsAverage: true }, false)).toEqual({ weights, isAverage: false });
    expect(at({}).weights).toBe(weights);
  });

  it('decodes from a Uint8Array view at an unaligned offset (as Buffers from SQLite are)', () => {
    const bytes = encodeCheckpoint(sample());
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(decodeCheckpoint(padded.subarray(3)).weights['dense/bias']).toEqual(sample().weights['dense/bias']);
  });

  it('rejects truncation at any point with CHECKPOINT_TRUNCATED (or CORRUPT inside the header)', () => {
    const bytes = encodeCheckpoint(sample());
    for (const cut of [0, 7, 15, 40, bytes.length - 1, bytes.length - 100, Math.floor(bytes.length / 2)]) {
      expect(['CHECKPOINT_TRUNCATED', 'CHECKPOINT_NOT_ETUDE', 'CHECKPOINT_CORRUPT']).toContain(
        codeOf(() => decodeCheckpoint(bytes.subarray(0, cut))),
      );
    }
    expect(codeOf(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 1)))).toBe('CHECKPOINT_TRUNCATED');
  });

  it('detects a flipped byte in the tensor data, a foreign file, an unknown version, and a bad spec', () => {
    const bytes = encodeCheckpoint(sample());
    const flipped = bytes.slice();
    flipped[bytes.length - 50] ^= 0x10;
    expect(codeOf(() => decodeCheckpoint(flipped))).toBe('CHECKPOINT_CORRUPT');
    const foreign = bytes.slice();
    foreign[0] = 0x50;
    expect(codeOf(() => decodeCheckpoint(foreign))).toBe('CHECKPOINT_NOT_ETUDE');
    const future = bytes.slice();
    new DataView(future.buffer).setUint32(8, 99, true);
    expect(codeOf(() => decodeCheckpoint(future))).toBe('CHECKPOINT_UNKNOWN_VERSION');
    expect(() => decodeCheckpoint(future)).toThrow(
      /format version 99; this Etude reads versions 1 and 2\. Update Etude/,
    );
    const extra = new Uint8Array(bytes.length + 16);
    extra.set(bytes);
    expect(codeOf(() => decodeCheckpoint(extra))).toBe('CHECKPOINT_CORRUPT');
  });

  it('refuses to encode weights that do not match the spec, naming the tensor', () => {
    const bad = sample();
    bad.weights = { ...bad.weights, 'lstm_2/bias': new Float32Array(3) };
    expect(() => encodeCheckpoint(bad)).toThrow(/lstm_2\/bias/);
    expect(codeOf(() => encodeCheckpoint(bad))).toBe('CHECKPOINT_SHAPE_MISMATCH');
    const missing = sample();
    delete missing.weights['dense/kernel'];
    expect(codeOf(() => encodeCheckpoint(missing))).toBe('CHECKPOINT_SHAPE_MISMATCH');
  });

  it('detects a header whose spec disagrees with its tensors', () => {
    // A bigger hidden size in the header, the same tensors.
    const out = withHeaderSpec(encodeCheckpoint(sample(false)), (spec) => (spec.hiddenSize = 7));
    expect(codeOf(() => decodeCheckpoint(out))).toBe('CHECKPOINT_SHAPE_MISMATCH');
  });

  it('asks the registries: an unknown kind or encoding needs a newer Etude, a broken spec is invalid', () => {
    const bytes = encodeCheckpoint(sample(false));
    const future = withHeaderSpec(bytes, (spec) => (spec.kind = 'poly-transformer'));
    expect(codeOf(() => decodeCheckpoint(future))).toBe('CHECKPOINT_UNKNOWN_KIND');
    expect(() => readCheckpointHeader(future)).toThrow(/kind "poly-transformer".*newer Etude/);
    const otherEncoding = withHeaderSpec(bytes, (spec) => (spec.encoding = 'midi-events-388'));
    expect(codeOf(() => decodeCheckpoint(otherEncoding))).toBe('CHECKPOINT_UNKNOWN_ENCODING');
    expect(() => decodeCheckpoint(otherEncoding)).toThrow(/"midi-events-388".*newer Etude/);
    // A known encoding that this kind does not read, and impossible sizes, are damaged specs.
    const wrongPair = withHeaderSpec(bytes, (spec) => (spec.encoding = 'piano-roll-128'));
    expect(codeOf(() => decodeCheckpoint(wrongPair))).toBe('CHECKPOINT_INVALID');
    const noLayers = withHeaderSpec(bytes, (spec) => (spec.layers = 0));
    expect(() => decodeCheckpoint(noLayers)).toThrow(/layers must be an integer within \[1, 16\], got: 0/);
    const huge = withHeaderSpec(bytes, (spec) => (spec.hiddenSize = 1e9));
    expect(codeOf(() => decodeCheckpoint(huge))).toBe('CHECKPOINT_INVALID');
  });
});

/** The checkpoint with its header's spec changed by `edit` (tensors untouched). */
function withHeaderSpec(bytes: Uint8Array, edit: (spec: Record<string, unknown>) => void): Uint8Array {
  return withHeader(bytes, (header) => {
    edit(header.spec as Record<string, unknown>);
    return header;
  });
}

/** The checkpoint with its header JSON replaced by `edit`'s result, its data untouched. */
function withHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => Record<string, unknown>): Uint8Array {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const header = edit(JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength))));
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((16 + headerLength) / 16) * 16;
  const newStart = Math.ceil((16 + json.length) / 16) * 16;
  const out = new Uint8Array(newStart + bytes.length - dataStart);
  out.set(bytes.subarray(0, 16));
  new DataView(out.buffer).setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(bytes.subarray(dataStart), newStart);
  return out;
}
