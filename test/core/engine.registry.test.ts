// SPDX-License-Identifier: MIT
// The model and encoding registries: what they list, what they refuse, and that engines, init, parameter counts and
// batch building all go through them.
import { describe, expect, it } from 'vitest';
import {
  getModelDefinition,
  isModelKind,
  MODEL_KINDS,
  modelSpecProblem,
  UnknownModelKindError,
  modelTensors,
  parameterCount,
} from '../../src/core/model/registry';
import { ENCODING_NAMES, getEncoding, UnknownEncodingError } from '../../src/core/encoding/registry';
import { DEFAULT_MELODY_SPEC, type ModelSpec } from '../../src/core/model/spec';
import { initWeights } from '../../src/core/model/init';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { encodeMelody } from '../../src/core/encoding/melody';
import type { NoteSequence } from '../../src/core/music/NoteSequence';

const melody: NoteSequence = {
  name: 'scale',
  ppq: 480,
  tempos: [{ tick: 0, bpm: 120 }],
  timeSignatures: [{ tick: 0, numerator: 4, denominator: 4 }],
  keySignatures: [],
  tracks: [
    {
      name: 'lead',
      program: 0,
      channel: 0,
      isPercussion: false,
      notes: [60, 62, 64, 65].map((pitch, i) => ({ pitch, startTick: i * 480, durationTicks: 480, velocity: 90 })),
    },
  ],
};

describe('model registry', () => {
  it('lists melody-lstm with a label and its default spec, and answers for it', () => {
    expect(MODEL_KINDS.map((k) => k.kind)).toEqual(['melody-lstm', 'biaxial-lstm', 'bi-lstm']);
    expect(MODEL_KINDS[0].label).toMatch(/Melody LSTM/);
    expect(MODEL_KINDS[0].defaultSpec).toEqual(DEFAULT_MELODY_SPEC);
    const def = getModelDefinition('melody-lstm');
    expect(def.tensors(DEFAULT_MELODY_SPEC).map((t) => t.name)).toEqual(
      modelTensors(DEFAULT_MELODY_SPEC).map((t) => t.name),
    );
    expect(parameterCount(DEFAULT_MELODY_SPEC)).toBe(1_117_314);
    expect(initWeights(DEFAULT_MELODY_SPEC, 3)['lstm_1/kernel']).toEqual(
      def.initWeights(DEFAULT_MELODY_SPEC, 3)['lstm_1/kernel'],
    );
    expect(isModelKind('melody-lstm')).toBe(true);
    expect(isModelKind('poly-lstm')).toBe(false);
  });

  it('refuses unknown kinds and invalid specs with one sentence each', () => {
    expect(() => getModelDefinition('poly-lstm')).toThrow(UnknownModelKindError);
    expect(() => getModelDefinition('poly-lstm')).toThrow(/model kind "poly-lstm".*newer Etude/);
    expect(modelSpecProblem({ ...DEFAULT_MELODY_SPEC })).toBeUndefined();
    expect(modelSpecProblem({ ...DEFAULT_MELODY_SPEC, kind: 'poly-lstm' })).toMatch(/unknown/);
    expect(modelSpecProblem({ ...DEFAULT_MELODY_SPEC, dropout: 1 })).toMatch(/dropout must be within \[0, 1\)/);
    expect(modelSpecProblem({ ...DEFAULT_MELODY_SPEC, window: 2.5 })).toMatch(/window must be an integer/);
    expect(modelSpecProblem(null)).toMatch(/not an object/);
  });

  it('engines build models through it: an unknown kind is a typed error, not a crash', async () => {
    const engine = await createWasmEngine({ threads: 1 });
    try {
      const future = { ...DEFAULT_MELODY_SPEC, kind: 'poly-lstm' } as unknown as ModelSpec;
      await expect(
        engine.createModel(future, { learningRate: 0.01, clipNorm: 0, randomSeed: 1 }),
      ).rejects.toMatchObject({ name: 'UnsupportedModelError', code: 'MODEL_KIND_UNSUPPORTED' });
      const broken = { ...DEFAULT_MELODY_SPEC, layers: 0 };
      await expect(engine.createModel(broken, { learningRate: 0.01, clipNorm: 0, randomSeed: 1 })).rejects.toThrow(
        /layers must be an integer/,
      );
    } finally {
      await engine.dispose();
    }
  });

  it('builds training batches from encoded pieces (windows of spec.window tokens and the next token)', () => {
    const spec = { ...DEFAULT_MELODY_SPEC, window: 4 };
    const tokens = encodeMelody(melody);
    const set = getModelDefinition('melody-lstm').buildBatches(spec, [{ name: 'scale', tokens }], [0, 2]);
    expect(set.size).toBe((tokens.length - 4) * 2);
    const batch = set.batch(Uint32Array.from([0, 1]), 0, 2);
    expect(Array.from(batch.inputs.subarray(0, 4))).toEqual(tokens.slice(0, 4));
    expect(Array.from(batch.inputs.subarray(4, 8))).toEqual(tokens.slice(0, 4).map((t) => (t < 128 ? t + 2 : t)));
    expect(batch.targets[0]).toBe(tokens[4]);
  });
});

describe('encoding registry', () => {
  it('melody-130 encodes and decodes through the registry; the piano roll is registered as a frame encoding', () => {
    expect(ENCODING_NAMES.map((e) => e.name)).toEqual(['melody-130', 'piano-roll-128']);
    const m = getEncoding('melody-130');
    if (m.input !== 'tokens') throw new Error('melody-130 should be a token encoding');
    expect(m.vocabSize).toBe(130);
    const tokens = m.encode(melody);
    expect(tokens.slice(0, 5)).toEqual([60, 129, 129, 129, 62]);
    expect(m.decode(tokens).tracks[0].notes.map((n) => n.pitch)).toEqual([60, 62, 64, 65]);
    expect(() => m.validate([0, 130])).toThrow(/melody token 1/);
    const roll = getEncoding('piano-roll-128');
    if (roll.input !== 'frames') throw new Error('piano-roll-128 should be a frame encoding');
    expect(roll.frameWidth).toBe(128);
    const frames = roll.encode(melody);
    expect(frames.frames[4]).toEqual({ sounding: [62], onsets: [62] });
    expect(roll.decode(frames).tracks[0].notes.map((n) => n.pitch)).toEqual([60, 62, 64, 65]);
  });

  it('refuses an unknown encoding with a typed error', () => {
    expect(() => getEncoding('midi-like')).toThrow(UnknownEncodingError);
    expect(() => getEncoding('midi-like')).toThrow(expect.objectContaining({ code: 'ENCODING_UNKNOWN' }));
  });
});
