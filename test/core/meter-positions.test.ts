// SPDX-License-Identifier: MIT
// The bar/beat position a model reads comes from a piece's own time-signature map: the polyphonic models' beat input
// (training segments and the decoder), and where a continuation of a clip whose meter changes starts and ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameBatch } from '../../src/core/engine/types';
import type { Engine } from '../../src/core/engine/engine';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { continuationLayout } from '../../src/core/model/continuationLayout';
import { buildFrameSegments, isPolyDecoder } from '../../src/core/model/polyLstm';
import type { PolyLstmSpec } from '../../src/core/model/polyLstmSpec';
import type { ModelSpec } from '../../src/core/model/spec';
import { applyDynamics } from '../../src/core/music/dynamics';
import { meterMapOf, stepsIntoBar } from '../../src/core/music/meterMap';
import { pieceBarPositions } from '../../src/main/services/training';

const P = 4;
const spec: PolyLstmSpec = {
  kind: 'biaxial-lstm',
  encoding: 'piano-roll-128',
  lowPitch: 60,
  pitches: P,
  beatsPerBar: 16,
  stepsPerQuarter: 4,
  timeSizes: [5],
  pitchSizes: [4],
  downSizes: [],
  window: 0,
  windowHidden: 0,
  dropout: 0,
  segment: 24,
};
// Sixteenths: one bar of 4/4 (16), then 3/4 (12 a bar).
const MAP = meterMapOf([{ tick: 16, numerator: 3, denominator: 4 }]);

let wasm: Engine;
beforeAll(async () => {
  wasm = await createWasmEngine({ threads: 1, adaptiveThreads: false });
});
afterAll(async () => {
  await wasm.dispose();
});

/** The beat one-hot's hot index of every frame of a one-row batch. */
function beatsOf(batch: FrameBatch, frames: number): number[] {
  const dim = batch.condition!.dim;
  return Array.from({ length: frames }, (_, t) => {
    for (let j = 0; j < spec.beatsPerBar; j++) if (batch.condition!.values[t * dim + j] > 0) return j;
    return -1;
  });
}

describe('bar positions from the meter map', () => {
  it("a piece's training segments count beats from its own bar lines (a 3/4 bar's 13th sixteenth is a downbeat)", () => {
    const roll = new Float32Array(40 * P).map((_, i) => (i % 7 === 0 ? 1 : 0));
    const positions = stepsIntoBar(MAP, 4, 1, 40);
    const withMap = buildFrameSegments(spec, [{ name: 'a', tokens: roll, barPositions: positions }]);
    const without = buildFrameSegments(spec, [{ name: 'a', tokens: roll }]);
    const mapped = beatsOf(withMap.batch([0], 0, 1) as unknown as FrameBatch, 24);
    expect(mapped.slice(14, 24)).toEqual([14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
    const second = beatsOf(withMap.batch([1], 0, 1) as unknown as FrameBatch, 24); // frames 16..39
    expect(second[12]).toBe(0); // frame 28: the second 3/4 bar
    expect(beatsOf(without.batch([1], 0, 1) as unknown as FrameBatch, 24)[12]).toBe(12); // as before maps: 28 mod 16
  });

  it('the training service reads the positions from a piece at its own PPQ', () => {
    const positions = pieceBarPositions(
      {
        ppq: 96,
        name: 'p',
        tempos: [],
        keySignatures: [],
        tracks: [],
        timeSignatures: [
          { tick: 0, numerator: 6, denominator: 8 },
          { tick: 96 * 6, numerator: 2, denominator: 4 },
        ],
      },
      40,
      4,
    );
    expect(Array.from(positions.slice(10, 16))).toEqual([10, 11, 0, 1, 2, 3]); // 6/8: 12 sixteenths
    expect(Array.from(positions.slice(22, 34))).toEqual([10, 11, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1]); // 2/4 from 24
  });

  it('the decoder follows the positions it is given, and only then', async () => {
    const model = await wasm.createModel(spec as unknown as ModelSpec, {
      learningRate: 0.01,
      clipNorm: 5,
      randomSeed: 3,
    });
    const decoder = model.createDecoder();
    if (!isPolyDecoder(decoder)) throw new Error('not a polyphonic decoder');
    const frames = new Float32Array(32 * P).map((_, i) => (i % 5 === 0 ? 1 : 0));
    const score = async (positions?: ArrayLike<number>) => {
      decoder.setBarPositions(positions);
      decoder.reset();
      return Array.from(await decoder.scoreFrames(frames, 32));
    };
    const plain = await score();
    const identity = await score(Int32Array.from({ length: 32 }, (_, i) => i));
    const mapped = await score(stepsIntoBar(MAP, 4, 1, 32));
    expect(identity).toEqual(plain);
    // Up to frame 27 the map and the index agree (mod 16); frame 28 starts the second 3/4 bar (0, not 12).
    expect(mapped.slice(0, 28 * P)).toEqual(plain.slice(0, 28 * P));
    expect(mapped.slice(28 * P)).not.toEqual(plain.slice(28 * P));
    decoder.dispose();
    model.dispose();
  });

  it('a continuation of a clip ending in 3/4 starts at its bar line and runs whole 3/4 bars', () => {
    // 2 bars of 4/4 then a 3/4 bar and a bit: the clip ends 4 sixteenths into its 4th bar.
    const clipMap = meterMapOf([{ tick: 32, numerator: 3, denominator: 4 }]);
    const layout = continuationLayout(clipMap, 4, 48, 4);
    expect(layout.meter).toEqual({ numerator: 3, denominator: 4 });
    expect(layout).toMatchObject({ stepsPerBar: 12, clipEndStep: 56, clipBars: 4, totalSteps: 56 + 48 });
    expect(layout.map).toEqual(clipMap);
    expect(layout.barPositions[56]).toBe(0);
    expect(layout.barPositions[56 + 12 * 3 + 11]).toBe(11);
    // A meter the request names starts at the clip's bar line.
    const asked = continuationLayout(clipMap, 4, 48, 2, { numerator: 6, denominator: 8 });
    expect(asked.map.at(-1)).toEqual({ tick: 56, numerator: 6, denominator: 8 });
    expect(asked.totalSteps).toBe(56 + 24);
    // On quarter-note frames a 3/8 bar is not whole frames: a sentence, not a wrong grid.
    expect(() => continuationLayout(clipMap, 1, 12, 2, { numerator: 3, denominator: 8 })).toThrow(/pick another meter/);
  });

  it("a take's accents follow its map: a 3/4 downbeat is accented where 4/4 would have a weak beat", () => {
    // 4/4 for 2 bars, then 3/4: 5280 ticks is the downbeat of the second 3/4 bar (beat 4 of bar 3 in plain 4/4).
    const map = meterMapOf([{ tick: 3840, numerator: 3, denominator: 4 }]);
    const notes = [0, 3840, 4320, 5280, 5760].map((startTick) => ({
      pitch: 60,
      startTick,
      durationTicks: 240,
      velocity: 80,
    }));
    const plain = applyDynamics(notes, { ppq: 480, meter: { numerator: 4, denominator: 4 } });
    const mapped = applyDynamics(notes, { ppq: 480, meter: { numerator: 4, denominator: 4 }, meterMap: map });
    const at = (list: typeof notes, tick: number) => list.find((n) => n.startTick === tick)!.velocity;
    expect(at(mapped, 5280) - at(plain, 5280)).toBeGreaterThan(5);
    expect(at(mapped, 5280)).toBeGreaterThan(at(mapped, 5760));
    expect(at(mapped, 0)).toBe(at(plain, 0));
  });
});
