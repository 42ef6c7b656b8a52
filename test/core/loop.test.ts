// SPDX-License-Identifier: MIT
// Loop mode on the bundled model (src/core/model/loop.ts): re-sampling the ending raises the wrap score (the model's
// log-probability of the first bar right after the last) over the take as drawn without loop mode; the same seed gives
// the same loop; loop mode leaves the bars before the ending as loop off draws them; the opening and the cut at the loop
// point. Measured on seeds 1..8 (8 bars from C4,E4,G4, T=1): wrap -1.86 as drawn (loop off), -1.26 after 8 tries.
import { describe, expect, it } from 'vitest';
import type { Decoder } from '../../src/core/engine/types';
import { useBundledModel } from './helpers/bundledModel';
import { generateMelodies, seedTokensFromPitches, type GenerateOptions } from '../../src/core/model/generate';
import {
  melodyLoopModel,
  melodyLoopOpening,
  melodyLoopRefiner,
  refineLoop,
  wrapScore,
} from '../../src/core/model/loop';
import { clipToLoop } from '../../src/core/midi/loopMidi';
import { takeSequence } from '../../src/core/model/takes';
import { createRng } from '../../src/core/util/random';

let decoder: Decoder;
useBundledModel((loaded) => ({ decoder } = loaded));

const seedTokens = seedTokensFromPitches([60, 64, 67]);
const request = (randomSeed: number): GenerateOptions => ({
  seedTokens,
  bars: 8,
  temperature: 1,
  variations: 1,
  randomSeed,
});
const loopOn = async (randomSeed: number, tries?: number) => {
  const options = request(randomSeed);
  const [m] = await generateMelodies(decoder, {
    ...options,
    refine: melodyLoopRefiner(decoder, options, tries !== undefined ? { tries } : {}),
  });
  return m;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('loop mode on the bundled model', () => {
  it('raises the wrap score over loop off on every one of 8 seeds (mean -1.86 -> -1.26)', async () => {
    const off: number[] = [];
    const on: number[] = [];
    const melodyModel = melodyLoopModel({ temperature: 1, seedLength: seedTokens.length });
    for (let seed = 1; seed <= 8; seed++) {
      const [plain] = await generateMelodies(decoder, request(seed));
      const looped = await loopOn(seed);
      // The wrap of the take loop off writes, scored on its own.
      const before = await wrapScore(decoder, melodyModel, plain.tokens, melodyLoopOpening(plain.tokens, 0, 16));
      expect(looped.loop!.wrapBefore).toBeCloseTo(before, 9);
      // Loop mode keeps loop off's take before the ending (the last bar).
      expect(looped.tokens.slice(0, 7 * 16)).toEqual(plain.tokens.slice(0, 7 * 16));
      expect(looped.tokens).toHaveLength(8 * 16);
      expect(looped.loop!.wrapAfter).toBeGreaterThanOrEqual(before);
      off.push(before);
      on.push(looped.loop!.wrapAfter);
    }
    console.log(`wrap score over seeds 1..8: loop off ${mean(off).toFixed(3)}, loop on ${mean(on).toFixed(3)}`);
    expect(mean(on)).toBeGreaterThan(mean(off) + 0.3);
  });

  it('the same seed gives the same loop; tries 0 only scores the take', async () => {
    const a = await loopOn(21);
    const b = await loopOn(21);
    expect(b.tokens).toEqual(a.tokens);
    expect(b.loop).toEqual(a.loop);
    const [plain] = await generateMelodies(decoder, request(21));
    const scoredOnly = await loopOn(21, 0);
    expect(scoredOnly.tokens).toEqual(plain.tokens);
    expect(scoredOnly.loop).toMatchObject({ tries: 0, kept: 0, wrapAfter: scoredOnly.loop!.wrapBefore });
  });

  it('refineLoop keeps the best of the tries it reports, and stops at the threshold', async () => {
    const [plain] = await generateMelodies(decoder, request(5));
    const melodyModel = melodyLoopModel({ temperature: 1, seedLength: seedTokens.length });
    const { take, report } = await refineLoop(decoder, melodyModel, plain.tokens, 112, createRng(9), {
      stepsPerBar: 16,
      tries: 4,
    });
    const opening = melodyLoopOpening(take, 0, 16);
    expect(await wrapScore(decoder, melodyModel, take, opening)).toBeCloseTo(report.wrapAfter, 9);
    const early = await refineLoop(decoder, melodyModel, plain.tokens, 112, createRng(9), {
      stepsPerBar: 16,
      tries: 4,
      threshold: -100,
    });
    expect(early.report).toMatchObject({ tries: 0, kept: 0 });
    expect(early.take).toEqual(plain.tokens);
  });
});

describe('the loop point', () => {
  it('the opening after a sounding note starts with silence where it opens on a hold', () => {
    expect(melodyLoopOpening([129, 129, 60, 129], 0, 3)).toEqual([128, 129, 60]);
    expect(melodyLoopOpening([129, 129, 60, 128], 0, 3)).toEqual([129, 129, 60]);
    expect(melodyLoopOpening([60, 129, 62, 129], 0, 6)).toEqual([60, 129, 62, 129, 60, 129]);
    expect(melodyLoopOpening([55, 129, 60, 129, 62, 129], 2, 2)).toEqual([60, 129]);
  });

  it('cuts the note held across the loop point, humanised timing included', () => {
    const tokens = [60, 129, 129, 129, 62, 129, 129, 129, 64, 129, 129, 129, 67, 129, 129, 129];
    const take = takeSequence(tokens, {
      bpm: 120,
      timeSignature: { numerator: 4, denominator: 4 },
      humanise: 1,
      randomSeed: 3,
      name: 'loop',
    });
    const loop = clipToLoop(take, 1920);
    expect(loop.totalTicks).toBe(1920);
    for (const n of loop.tracks[0].notes) {
      expect(n.startTick).toBeGreaterThanOrEqual(0);
      expect(n.startTick + n.durationTicks).toBeLessThanOrEqual(1920);
    }
    // Humanise may end the last note a little early; never after the loop point.
    const long = {
      ...take,
      tracks: [{ ...take.tracks[0], notes: [{ pitch: 60, startTick: 1800, durationTicks: 400, velocity: 90 }] }],
    };
    expect(clipToLoop(long, 1920).tracks[0].notes).toEqual([
      { pitch: 60, startTick: 1800, durationTicks: 120, velocity: 90 },
    ]);
  });
});
