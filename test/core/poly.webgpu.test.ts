// SPDX-License-Identifier: MIT
// The polyphonic models, written once against the layer interface, on the WebGPU engine: biaxial-lstm and bi-lstm
// (plain; and with dropout, the weighted loss and the chord input) give the same loss, every gradient and the same
// validation loss as the wasm engine; a run moves between the two engines mid-training and goes on identically; the
// same seed draws the same notes on both (issue 13: "across engines for a short fixed test"). On a machine without a
// GPU this runs on Chromium's SwiftShader Vulkan driver, hence the tiny shapes; where no adapter exists it FAILS with
// the instruction, never skips. Tolerance engine against engine: 1e-4 relative to each tensor's largest entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/engine/engine';
import type { FrameBatch } from '../../src/core/engine/types';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { createWebgpuEngine, NO_ADAPTER_HELP, requestWebgpuAdapter } from '../../src/core/engine/webgpuEngine';
import { generatePolyphonic } from '../../src/core/model/generatePoly';
import { buildFrameSegments, isPolyDecoder } from '../../src/core/model/polyLstm';
import type { PolyLstmSpec } from '../../src/core/model/polyLstmSpec';
import type { ModelSpec } from '../../src/core/model/spec';
import { createRng } from '../../src/core/util/random';
import { relErr, tinyPolySpec, useSwiftShaderUnlessChosen } from './helpers/engineCompare';

useSwiftShaderUnlessChosen();

const P = 6;
const tiny = tinyPolySpec;
const VARIANTS: [string, Partial<PolyLstmSpec>][] = [
  ['plain', {}],
  ['dropout 0.3, weighted loss, chord input', { dropout: 0.3, loss: 'weighted', onWeight: 3, chords: 'chroma' }],
];
const asModelSpec = (s: PolyLstmSpec) => s as unknown as ModelSpec;
const training = { learningRate: 0.01, clipNorm: 5, randomSeed: 11 };
/** C major for the first half of a piece, A minor for the rest (12-bit pitch-class masks). */
const C_MAJOR = (1 << 0) | (1 << 4) | (1 << 7);
const A_MINOR = (1 << 9) | (1 << 0) | (1 << 4);

function randomPiece(frames: number, seed: number) {
  const rng = createRng(seed);
  const tokens = Float32Array.from({ length: frames * P }, () => (rng.next() < 0.4 ? 1 : 0));
  const chords = Uint16Array.from({ length: frames }, (_, t) => (t < frames / 2 ? C_MAJOR : A_MINOR));
  return { name: `piece ${seed}`, tokens, chords };
}

const batchOf = (spec: PolyLstmSpec, seed: number): FrameBatch =>
  buildFrameSegments(spec, [randomPiece(10, seed), randomPiece(10, seed + 1)]).batch(
    [0, 1, 2],
    0,
    3,
  ) as unknown as FrameBatch;

let gpu: Engine;
let cpu: Engine;
beforeAll(async () => {
  if (!(await requestWebgpuAdapter()))
    throw new Error(`No WebGPU adapter: the polyphonic models cannot be checked on webgpu. ${NO_ADAPTER_HELP}.`);
  gpu = await createWebgpuEngine();
  cpu = await createWasmEngine({ threads: 1, adaptiveThreads: false });
});
afterAll(async () => {
  await gpu?.dispose();
  await cpu?.dispose();
});

describe.each(['biaxial-lstm', 'bi-lstm'] as const)('%s on webgpu against wasm', (kind) => {
  it.each(VARIANTS)('%s: the same training loss, every gradient, and the same validation loss', async (_, extra) => {
    const spec = tiny(kind, extra);
    const onCpu = await cpu.createModel(asModelSpec(spec), training);
    const weights = await onCpu.getWeights();
    // Scaled up so that every gate works away from zero and a wrong term would show.
    for (const v of Object.values(weights)) for (let i = 0; i < v.length; i++) v[i] *= 2;
    onCpu.setWeights(weights);
    const onGpu = await gpu.createModel(asModelSpec(spec), training, weights);
    expect(onGpu.engine.name).toBe('webgpu');
    const batch = batchOf(spec, 3);
    // Dropout masks are drawn from the model's own seeded stream on the host: the same on both engines.
    const [a, b] = [await onGpu.computeGradients(batch), await onCpu.computeGradients(batch)];
    expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(1e-5);
    expect(Object.keys(a.grads).sort()).toEqual(Object.keys(b.grads).sort());
    for (const name of Object.keys(b.grads)) {
      expect(relErr(a.grads[name], b.grads[name]), name).toBeLessThan(1e-4);
      expect(Math.max(...b.grads[name].map(Math.abs)), `${name} is not trivially zero`).toBeGreaterThan(1e-5);
    }
    const [va, vb] = [await onGpu.evaluate(batch), await onCpu.evaluate(batch)];
    expect(Math.abs(va - vb) / vb).toBeLessThan(1e-5);
    if (extra.dropout)
      expect(Math.abs(va - a.loss), 'evaluation has no dropout and no weighting').toBeGreaterThan(1e-3);
    onGpu.dispose();
    onCpu.dispose();
  });

  it('a run moved from one engine to the other mid-training goes on identically (both directions)', async () => {
    // Without dropout, so that the steps after the move see the same computation on both sides.
    const spec = tiny(kind);
    const batches = [0, 1, 2, 3].map((i) => batchOf(spec, 20 + 2 * i));
    for (const [first, second] of [
      [cpu, gpu],
      [gpu, cpu],
    ]) {
      const start = await first.createModel(asModelSpec(spec), training);
      for (const batch of batches.slice(0, 2)) await start.trainStep(batch);
      const weights = await start.getWeights();
      const moved = await second.createModel(asModelSpec(spec), training, weights);
      moved.setOptimizerState(await start.getOptimizerState());
      for (const batch of batches.slice(2)) {
        const [x, y] = [await start.trainStep(batch), await moved.trainStep(batch)];
        expect(Math.abs(x - y) / x).toBeLessThan(1e-4);
      }
      const [wa, wb] = [await start.getWeights(), await moved.getWeights()];
      const change = Math.max(...Object.keys(wa).map((k) => relErr(wa[k], weights[k])));
      expect(change, 'the steps after the move changed the weights').toBeGreaterThan(1e-3);
      for (const k of Object.keys(wa)) expect(relErr(wb[k], wa[k]), k).toBeLessThan(1e-4);
      expect((await moved.getOptimizerState()).step).toBe(4);
      start.dispose();
      moved.dispose();
    }
  });

  it('the same seed draws the same notes on both engines (with and without a chord progression)', async () => {
    for (const [, extra] of VARIANTS) {
      const spec = tiny(kind, extra);
      const onCpu = await cpu.createModel(asModelSpec(spec), training);
      const onGpu = await gpu.createModel(asModelSpec(spec), training, await onCpu.getWeights());
      const bars = 3;
      const framesPerBar = 4;
      const options = {
        seedFrames: [1, 0, 0, 1, 0, 0],
        bars,
        framesPerBar,
        temperature: 1,
        variations: 2,
        randomSeed: 5,
        maxRetries: 0,
        chords: spec.chords
          ? Uint16Array.from({ length: bars * framesPerBar }, (_, t) => (t < 6 ? C_MAJOR : A_MINOR))
          : undefined,
      };
      const decoders = [onCpu.createDecoder(), onGpu.createDecoder()];
      if (!decoders.every(isPolyDecoder)) throw new Error('not a poly decoder');
      const [a, b] = [await generatePolyphonic(decoders[0], options), await generatePolyphonic(decoders[1], options)];
      expect(a[0].frames).toHaveLength(bars * framesPerBar * P);
      expect(a.map((r) => Array.from(r.frames))).toEqual(b.map((r) => Array.from(r.frames)));
      expect(Array.from(a[1].frames)).not.toEqual(Array.from(a[0].frames));
      for (const d of decoders) d.dispose();
      onGpu.dispose();
      onCpu.dispose();
    }
  });
});
