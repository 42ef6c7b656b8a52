// SPDX-License-Identifier: MIT
// The velocity-aware melody model (src/core/model/velocity.ts, melodyLstm.ts): bins from a corpus, windows carrying
// the latest note's bin and each target's bin, the engines agreeing on the joint loss and every gradient, the new head's
// gradients against central differences, the masked windows adding nothing, and the decoder matching training.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenBatch } from '../../src/core/engine/types';
import type { Engine } from '../../src/core/engine/engine';
import { createTfjsEngine } from '../../src/core/engine/tfjsEngine';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import type { MelodyLstmSpec } from '../../src/core/model/melodyLstmSpec';
import { modelSpecProblem, modelTensors } from '../../src/core/model/registry';
import { velocityBinning, velocityBinOf, velocityOfBin } from '../../src/core/model/velocity';
import { buildWindows } from '../../src/core/model/windows';
import { createRng } from '../../src/core/util/random';
import { encodeMelody, melodyVelocities } from '../../src/core/encoding/melody';
import type { NoteSequence } from '../../src/core/music/NoteSequence';

const binning = velocityBinning([40, 50, 60, 70, 80, 90, 100, 110, 120, 60, 110, 110], 4);
const spec: MelodyLstmSpec & ReturnType<typeof velocityBinning> = {
  kind: 'melody-lstm',
  encoding: 'melody-130',
  vocabSize: 130,
  embeddingDim: 5,
  hiddenSize: 6,
  layers: 2,
  dropout: 0,
  window: 4,
  ...binning,
};
const training = { learningRate: 0.01, clipNorm: 5, randomSeed: 3 };

/** A piece of notes and no-events with velocities at the note-ons. */
function piece(seed: number, length: number) {
  const rng = createRng(seed);
  const tokens = Array.from({ length }, () => (rng.next() < 0.5 ? 60 + rng.int(12) : rng.next() < 0.8 ? 129 : 128));
  const velocities = tokens.map((t) => (t < 128 ? 30 + rng.int(95) : 0));
  return { name: `p${seed}`, tokens, velocities };
}

describe('velocity bins', () => {
  it('are equal-count bins with the corpus mean of each bin as its velocity, never 0', () => {
    expect(binning.velocityBins).toBe(4);
    expect(binning.velocityEdges).toHaveLength(3);
    for (const c of binning.velocityCentres) expect(c).toBeGreaterThanOrEqual(1);
    // 40, 50, 60, 60 | 70, 80, 90 | 100, 110 ... each note sits in the bin whose centre is nearest its own group.
    expect(velocityBinOf(40, binning.velocityEdges)).toBe(0);
    expect(velocityBinOf(120, binning.velocityEdges)).toBe(3);
    expect(velocityOfBin(0, binning.velocityCentres)).toBeLessThan(velocityOfBin(3, binning.velocityCentres));
    // Every velocity the same: the edges tie, the notes share the top bin, the empty bins still have a velocity >= 1.
    const flat = velocityBinning([100, 100, 100], 8);
    expect(flat.velocityCentres[7]).toBe(100);
    expect(Math.min(...flat.velocityCentres)).toBeGreaterThanOrEqual(1);
  });

  it('bad bin counts and specs get a sentence', () => {
    for (const bins of [0, 1, 500, 2.5])
      expect(() => velocityBinning([60, 100], bins)).toThrow(/velocity bins must be a whole number within \[2, 64\]/);
    expect(modelSpecProblem(spec)).toBeUndefined();
    expect(modelSpecProblem({ ...spec, velocityBins: 1 })).toMatch(/velocityBins must be 0 \(off\) or a whole number/);
    expect(modelSpecProblem({ ...spec, velocityCentres: [0, 1, 2, 3] })).toMatch(/velocityCentres must be 4 whole/);
    expect(modelSpecProblem({ ...spec, velocityBins: 0, velocityEdges: [1] })).toMatch(/velocityEdges needs/);
    expect(modelTensors(spec).find((t) => t.name === 'lstm_1/kernel')!.shape).toEqual([5 + 4, 24]);
    // 0 is off: the tensors of a model without the option (every checkpoint before it), unchanged.
    const { velocityBins, velocityEdges, velocityCentres, ...plain } = spec;
    expect([velocityBins, velocityEdges.length, velocityCentres.length]).toEqual([4, 3, 4]);
    expect(modelSpecProblem({ ...plain, velocityBins: 0 })).toBeUndefined();
    expect(modelTensors({ ...plain, velocityBins: 0 })).toEqual(modelTensors(plain));
    expect(modelTensors(spec).slice(-2)).toEqual([
      { name: 'velocity/kernel', shape: [6, 4] },
      { name: 'velocity/bias', shape: [4] },
    ]);
  });

  it('a MIDI piece gives the velocity of each melody note-on, as the encoder picks the notes', () => {
    const seq: NoteSequence = {
      ppq: 480,
      name: 'x',
      tempos: [],
      timeSignatures: [],
      keySignatures: [],
      tracks: [
        {
          name: 'm',
          program: 0,
          channel: 0,
          isPercussion: false,
          notes: [
            { pitch: 60, startTick: 0, durationTicks: 480, velocity: 30 },
            { pitch: 67, startTick: 10, durationTicks: 480, velocity: 90 }, // same sixteenth, higher: it is the melody
            { pitch: 62, startTick: 480, durationTicks: 240, velocity: 70 },
          ],
        },
      ],
    };
    const tokens = encodeMelody(seq);
    expect(tokens.slice(0, 7)).toEqual([67, 129, 129, 129, 62, 129, 128]);
    expect(Array.from(melodyVelocities(seq, 'first-part', tokens.length))).toEqual([90, 0, 0, 0, 70, 0, 0]);
  });

  it('windows carry the latest note bin (looking back past the window) and each target note-on bin', () => {
    const tokens = [60, 129, 62, 129, 129, 129, 64, 128];
    const velocities = [40, 0, 120, 0, 0, 0, 70, 0];
    const set = buildWindows([{ name: 'x', tokens, velocities }], 4, [0], false, binning.velocityEdges);
    const b = set.batch([0, 2, 3], 0, 3);
    expect(b.condition!.dim).toBe(4);
    // Window 2 (steps 2..5): its steps all follow the note at step 2 (velocity 120, bin 3).
    const row = (w: number, t: number) =>
      Array.from(b.condition!.values.subarray((w * 4 + t) * 4, (w * 4 + t + 1) * 4));
    expect(row(1, 0)).toEqual([0, 0, 0, 1]);
    // Window 3 starts at step 3: the note at step 2 is before it and still the latest.
    expect(row(2, 0)).toEqual([0, 0, 0, 1]);
    expect(row(0, 0)).toEqual([1, 0, 0, 0]);
    // Targets: window 0 -> step 4 (no event): -1; window 2 -> step 6 (64 at velocity 70); window 3 -> step 7: -1.
    expect(Array.from(b.velocityTargets!)).toEqual([-1, velocityBinOf(70, binning.velocityEdges), -1]);
  });
});

describe('the velocity-aware melody network', () => {
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

  it('wasm and tfjs agree; the new weights match central differences; masked windows add nothing; the decoder matches', async () => {
    const set = buildWindows([piece(5, 16)], 4, [0], false, binning.velocityEdges);
    const order = Array.from({ length: set.size }, (_, i) => i);
    const batch = set.batch(order, 0, 8);
    expect(batch.velocityTargets!.some((v) => v >= 0) && batch.velocityTargets!.some((v) => v < 0)).toBe(true);
    const a = await wasm.createModel(spec, training);
    const weights = await a.getWeights();
    const b = await tfjs.createModel(spec, training, weights);
    const [x, y] = [await a.computeGradients(batch), await b.computeGradients(batch)];
    expect(Math.abs(x.loss - y.loss)).toBeLessThan(1e-4);
    for (const name of Object.keys(x.grads))
      for (let i = 0; i < x.grads[name].length; i++)
        expect(Math.abs(x.grads[name][i] - y.grads[name][i])).toBeLessThan(1e-4);
    // Central differences on the velocity head and the velocity rows of the first kernel.
    for (const [name, indices] of [
      ['velocity/kernel', [0, 7, 23]],
      ['velocity/bias', [0, 3]],
      ['lstm_1/kernel', [5 * 24 + 2, 8 * 24 + 19]],
    ] as const) {
      const w = { ...weights, [name]: Float32Array.from(weights[name]) };
      for (const i of indices) {
        const h = 1e-2;
        const at = async (v: number) => {
          w[name][i] = v;
          a.setWeights(w);
          return a.evaluate(batch);
        };
        const v0 = weights[name][i];
        const numeric = ((await at(v0 + h)) - (await at(v0 - h))) / (2 * h);
        await at(v0);
        expect(Math.abs(numeric - x.grads[name][i])).toBeLessThan(2e-3);
      }
    }
    // The joint loss = token loss + (1/B) sum over note-on targets of -log p(bin): checked from the decoder's logits.
    const lse = (z: Float32Array) => {
      const max = Math.max(...z);
      return max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    };
    let expected = 0;
    for (let r = 0; r < batch.batchSize; r++) {
      const one = set.batch(order, r, 1) as TokenBatch;
      const dec = a.createDecoder();
      dec.reset();
      let logits: Float32Array = new Float32Array(0);
      for (let t = 0; t < 4; t++) {
        const hot = one.condition!.values.subarray(t * 4, t * 4 + 4);
        const bin = hot.indexOf(1);
        dec.setVelocity!(bin >= 0 ? bin : null);
        logits = await dec.step(one.inputs[t]);
      }
      let nll = lse(logits) - logits[one.targets[0]];
      if (one.velocityTargets![0] >= 0) {
        const v = await dec.velocityLogits!();
        nll += lse(v) - v[one.velocityTargets![0]];
      }
      expect(Math.abs(nll - (await a.evaluate(one)))).toBeLessThan(1e-4);
      expected += nll / batch.batchSize;
      dec.dispose();
    }
    expect(Math.abs(expected - x.loss)).toBeLessThan(1e-4);
    a.dispose();
    b.dispose();
  });

  it('with chords too: the condition is [chord chroma | velocity one-hot]; the engines and the decoder agree', async () => {
    const both = { ...spec, chords: 'chroma' as const };
    expect(modelTensors(both).find((t) => t.name === 'lstm_1/kernel')!.shape).toEqual([5 + 12 + 4, 24]);
    const p = piece(8, 14);
    const chords = Uint16Array.from({ length: 14 }, (_, i) => (i < 7 ? 0b10010001 : 0b1000100001));
    const set = buildWindows([{ ...p, chords }], 4, [0], true, binning.velocityEdges);
    const order = Array.from({ length: set.size }, (_, i) => i);
    const batch = set.batch(order, 0, set.size);
    expect(batch.condition!.dim).toBe(16);
    const a = await wasm.createModel(both, training);
    const b = await tfjs.createModel(both, training, await a.getWeights());
    const [x, y] = [await a.computeGradients(batch), await b.computeGradients(batch)];
    expect(Math.abs(x.loss - y.loss)).toBeLessThan(1e-4);
    for (const name of Object.keys(x.grads))
      for (let i = 0; i < x.grads[name].length; i++)
        expect(Math.abs(x.grads[name][i] - y.grads[name][i])).toBeLessThan(1e-4);
    // The decoder, given the chord and the velocity bin separately, matches the training pass on each window.
    for (let r = 0; r < set.size; r++) {
      const one = set.batch(order, r, 1) as TokenBatch;
      const dec = a.createDecoder();
      dec.reset();
      let logits: Float32Array = new Float32Array(0);
      for (let t = 0; t < 4; t++) {
        const row = one.condition!.values.subarray(t * 16, t * 16 + 16);
        const bin = row.subarray(12).indexOf(1);
        dec.setVelocity!(bin >= 0 ? bin : null);
        dec.setCondition!(row.subarray(0, 12));
        logits = await dec.step(one.inputs[t]);
      }
      const lse = (z: Float32Array) =>
        Math.max(...z) + Math.log(z.reduce((s, v) => s + Math.exp(v - Math.max(...z)), 0));
      let nll = lse(logits) - logits[one.targets[0]];
      if (one.velocityTargets![0] >= 0) {
        const v = await dec.velocityLogits!();
        nll += lse(v) - v[one.velocityTargets![0]];
      }
      expect(Math.abs(nll - (await a.evaluate(one)))).toBeLessThan(1e-4);
      dec.dispose();
    }
    a.dispose();
    b.dispose();
  });
});
