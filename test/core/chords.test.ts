// SPDX-License-Identifier: MIT
// Chords (src/core/music/chords.ts) and the chord input of the melody and polyphonic models: symbols read through
// tonal (a bad one named in the sentence), the inference method, batches carrying the chroma (transposed with the
// window), the chord-conditioned networks agreeing across engines and with central differences, the decoder matching
// the training pass, and a changed chord changing the prediction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenBatch } from '../../src/core/engine/types';
import type { Engine } from '../../src/core/engine/engine';
import { createTfjsEngine } from '../../src/core/engine/tfjsEngine';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import type { MelodyLstmSpec } from '../../src/core/model/melodyLstmSpec';
import { buildFrameSegments } from '../../src/core/model/polyLstm';
import type { PolyLstmSpec } from '../../src/core/model/polyLstmSpec';
import { modelSpecProblem, modelTensors } from '../../src/core/model/registry';
import { type ModelSpec } from '../../src/core/model/spec';
import { buildWindows } from '../../src/core/model/windows';
import {
  ChordSymbolError,
  chordName,
  chordTrackOf,
  inferChordTrack,
  parseChordSymbol,
  parseProgression,
  progressionSpans,
  spansOfTrack,
  transposeMask,
  writeChroma,
} from '../../src/core/music/chords';
import { createRng } from '../../src/core/util/random';

const mask = (...pcs: number[]) => pcs.reduce((m, c) => m | (1 << c), 0);

describe('chord symbols', () => {
  it('reads symbols through tonal into pitch-class masks', () => {
    expect(parseChordSymbol('C').mask).toBe(mask(0, 4, 7));
    expect(parseChordSymbol('Am').mask).toBe(mask(9, 0, 4));
    expect(parseChordSymbol('G7').mask).toBe(mask(7, 11, 2, 5));
    expect(parseChordSymbol('Bb').root).toBe(10);
    expect(parseChordSymbol('C/E').mask).toBe(mask(0, 4, 7));
    expect(parseChordSymbol('D/F#').mask).toBe(mask(2, 6, 9));
    expect(parseChordSymbol('N.C.').mask).toBe(0);
    expect(parseProgression('C G Am F').map((c) => c.symbol)).toEqual(['C', 'G', 'Am', 'F']);
    expect(parseProgression('C, F | G C')).toHaveLength(4);
  });
  it('names the symbol it cannot read', () => {
    expect(() => parseProgression('C G Hm F')).toThrow(ChordSymbolError);
    expect(() => parseProgression('C G Hm F')).toThrow(/"Hm" is not a chord symbol/);
    expect(() => parseProgression('   ')).toThrow(ChordSymbolError);
  });
  it('repeats a progression over a take and names masks', () => {
    const spans = progressionSpans(parseProgression('C F G C'), 16, 80);
    expect(spans.map((s) => `${s.symbol}@${s.startStep}`)).toEqual(['C@0', 'F@16', 'G@32', 'C@48', 'C@64']);
    const track = chordTrackOf(spans, 80);
    expect(track[17]).toBe(mask(5, 9, 0));
    expect(spansOfTrack(track).map((s) => s.symbol)).toEqual(['C', 'F', 'G', 'C']);
    expect(chordName(parseChordSymbol('Am').mask)).toBe('Am');
    expect(chordName(parseChordSymbol('E7').mask)).toBe('E7');
    expect(transposeMask(mask(0, 4, 7), 2)).toBe(mask(2, 6, 9));
    expect(transposeMask(mask(0, 4, 7), -1)).toBe(mask(11, 3, 6));
  });
  it('infers a chord per beat from notes by template matching', () => {
    const ppq = 480;
    const n = (pitch: number, beat: number, beats = 1) => ({
      pitch,
      startTick: beat * ppq,
      durationTicks: beats * ppq,
      velocity: 80,
    });
    // Beat 0-1: C E G; beat 2: A C E; beat 3: nothing (holds Am); beats 4-5: G B D F.
    const notes = [
      n(48, 0, 2),
      n(52, 0, 2),
      n(55, 0, 2),
      n(57, 2),
      n(60, 2),
      n(64, 2),
      n(43, 4, 2),
      n(47, 4, 2),
      n(50, 4, 2),
      n(53, 4, 2),
    ];
    const track = inferChordTrack(notes, ppq, 24);
    expect(spansOfTrack(track).map((s) => `${s.symbol}@${s.startStep}`)).toEqual(['C@0', 'Am@8', 'G7@16']);
  });
});

const melodySpec: MelodyLstmSpec = {
  kind: 'melody-lstm',
  encoding: 'melody-130',
  vocabSize: 130,
  embeddingDim: 5,
  hiddenSize: 6,
  layers: 2,
  dropout: 0,
  window: 4,
  chords: 'chroma',
};
const polySpec: PolyLstmSpec = {
  kind: 'bi-lstm',
  encoding: 'piano-roll-128',
  lowPitch: 60,
  pitches: 6,
  beatsPerBar: 2,
  timeSizes: [5],
  pitchSizes: [4],
  downSizes: [3],
  window: 2,
  windowHidden: 3,
  dropout: 0,
  segment: 5,
  chords: 'chroma',
};
const training = { learningRate: 0.01, clipNorm: 5, randomSeed: 3 };

describe('the chord input of the models', () => {
  let wasm: Engine;
  let tfjs: Engine;
  beforeAll(async () => {
    wasm = await createWasmEngine({ threads: 1, adaptiveThreads: false });
    tfjs = await createTfjsEngine('cpu');
  });
  afterAll(async () => {
    await wasm.dispose();
    await tfjs.dispose();
  });

  it('specs: chords is "chroma" or absent; the first kernels grow by 12 rows', () => {
    expect(modelSpecProblem(melodySpec)).toBeUndefined();
    expect(modelSpecProblem({ ...melodySpec, chords: 'symbols' })).toMatch(/chords must be "chroma"/);
    expect(modelSpecProblem(polySpec)).toBeUndefined();
    const kernel = (s: ModelSpec, name: string) => modelTensors(s).find((t) => t.name === name)!.shape;
    expect(kernel(melodySpec, 'lstm_1/kernel')).toEqual([5 + 12, 24]);
    expect(kernel({ ...melodySpec, chords: undefined }, 'lstm_1/kernel')).toEqual([5, 24]);
    expect(kernel(polySpec as unknown as ModelSpec, 'lstm_time_1/kernel')[0]).toBe(1 + 12 + 25 + 12 + 2 + 12);
  });

  it('melody windows carry the chord of each predicted step, transposed with the window', () => {
    const chords = Uint16Array.from({ length: 8 }, (_, i) => (i < 4 ? mask(0, 4, 7) : mask(7, 11, 2)));
    const set = buildWindows([{ name: 'x', tokens: [60, 129, 62, 129, 64, 129, 65, 128], chords }], 4, [0, 2], true);
    const b = set.batch([0, 1], 0, 2);
    expect(b.condition!.dim).toBe(12);
    const want = new Float32Array(12);
    writeChroma(mask(7, 11, 2), want, 0); // step 0 + 3 + 1 = 4: G
    expect(Array.from(b.condition!.values.subarray(36, 48))).toEqual(Array.from(want));
    writeChroma(mask(9, 1, 4), want, 0); // window 1 = window 0 shifted by 2: step 4 chord G -> A
    expect(Array.from(b.condition!.values.subarray(48 + 36, 48 + 48))).toEqual(Array.from(want));
  });

  it('melody: the engines agree, gradients match central differences, the decoder matches training, chords matter', async () => {
    const rng = createRng(5);
    const tokens = Array.from({ length: 12 }, () => (rng.next() < 0.5 ? 60 + rng.int(12) : 129));
    const chords = Uint16Array.from({ length: 12 }, (_, i) => (i < 6 ? mask(0, 4, 7) : mask(9, 0, 4)));
    const set = buildWindows([{ name: 'x', tokens, chords }], 4, [0], true);
    const batch = set.batch([0, 3, 7], 0, 3);
    const a = await wasm.createModel(melodySpec, training);
    const weights = await a.getWeights();
    const b = await tfjs.createModel(melodySpec, training, weights);
    const [x, y] = [await a.computeGradients(batch), await b.computeGradients(batch)];
    expect(Math.abs(x.loss - y.loss)).toBeLessThan(1e-4);
    for (const name of Object.keys(x.grads))
      for (let i = 0; i < x.grads[name].length; i++)
        expect(Math.abs(x.grads[name][i] - y.grads[name][i])).toBeLessThan(1e-4);
    // Central differences on the first kernel's chord rows (the new weights).
    const w = { ...weights, 'lstm_1/kernel': Float32Array.from(weights['lstm_1/kernel']) };
    for (const i of [5 * 24 + 1, 10 * 24 + 7, 16 * 24 + 20]) {
      const h = 1e-2;
      const at = async (v: number) => {
        w['lstm_1/kernel'][i] = v;
        a.setWeights(w);
        return a.evaluate(batch);
      };
      const v0 = weights['lstm_1/kernel'][i];
      const numeric = ((await at(v0 + h)) - (await at(v0 - h))) / (2 * h);
      await at(v0);
      expect(Math.abs(numeric - x.grads['lstm_1/kernel'][i])).toBeLessThan(2e-3);
    }
    // Decoder with the chord of each predicted step = the training pass's loss on one window.
    const one = set.batch([2], 0, 1) as TokenBatch;
    const dec = a.createDecoder();
    dec.reset();
    let logits: Float32Array = new Float32Array(0);
    for (let t = 0; t < 4; t++) {
      dec.setCondition!(one.condition!.values.subarray(t * 12, t * 12 + 12));
      logits = await dec.step(one.inputs[t]);
    }
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
    expect(Math.abs(lse - logits[one.targets[0]] - (await a.evaluate(one)))).toBeLessThan(1e-4);
    // Another chord, other logits.
    dec.reset();
    const other = new Float32Array(12);
    writeChroma(mask(6, 10, 1), other, 0);
    let changed: Float32Array = new Float32Array(0);
    for (let t = 0; t < 4; t++) {
      dec.setCondition!(other);
      changed = await dec.step(one.inputs[t]);
    }
    expect(changed.some((z, i) => Math.abs(z - logits[i]) > 1e-5)).toBe(true);
    dec.dispose();
    a.dispose();
    b.dispose();
  });

  it('polyphonic: batches carry [beat | chord], the engines agree, chords matter', async () => {
    const rng = createRng(9);
    const roll = Float32Array.from({ length: 10 * 6 }, () => (rng.next() < 0.4 ? 1 : 0));
    const chords = Uint16Array.from({ length: 10 }, (_, f) => (f < 5 ? mask(0, 4, 7) : mask(5, 9, 0)));
    const spec = polySpec as unknown as ModelSpec;
    const set = buildFrameSegments(polySpec, [{ name: 'a', tokens: roll, chords }]);
    const batch = set.batch([0, 1], 0, 2);
    expect(batch.condition!.dim).toBe(14);
    const a = await wasm.createModel(spec, training);
    const b = await tfjs.createModel(spec, training, await a.getWeights());
    const [x, y] = [await a.computeGradients(batch), await b.computeGradients(batch)];
    expect(Math.abs(x.loss - y.loss)).toBeLessThan(1e-4);
    for (const name of Object.keys(x.grads))
      for (let i = 0; i < x.grads[name].length; i++)
        expect(Math.abs(x.grads[name][i] - y.grads[name][i])).toBeLessThan(1e-4);
    const shuffled = set.batch([0, 1], 0, 2);
    shuffled.condition!.values.forEach((_, i, v) => {
      if (i % 14 >= 2) v[i] = 1 - v[i];
    });
    expect(Math.abs((await a.evaluate(shuffled)) - x.loss)).toBeGreaterThan(1e-6);
    a.dispose();
    b.dispose();
  });
});
