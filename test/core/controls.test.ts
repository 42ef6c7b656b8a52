// SPDX-License-Identifier: MIT
// Key, scale and range lock (core/music/scales.ts, core/model/controls.ts, the sampler's bias) and dynamics.
import { describe, expect, it } from 'vitest';
import { melodyPitchBias, pitchAllowed } from '../../src/core/model/controls';
import { biasedProbabilities, sampleToken, temperatureProbabilities } from '../../src/core/model/sampler';
import { applyDynamics } from '../../src/core/music/dynamics';
import { metricWeight, sixteenthsPerBar } from '../../src/core/music/meter';
import { parsePitchRange, parseScaleKey, scalePitchClasses } from '../../src/core/music/scales';
import { createRng } from '../../src/core/util/random';

describe('scales', () => {
  it('parses keys with every offered scale and "off"', () => {
    expect(parseScaleKey('D minor')).toEqual({ tonic: 'D', scale: 'minor' });
    expect(parseScaleKey('f# Dorian')).toEqual({ tonic: 'F#', scale: 'dorian' });
    expect(parseScaleKey('Bb')).toEqual({ tonic: 'Bb', scale: 'major' });
    expect(parseScaleKey('A minor pentatonic')).toEqual({ tonic: 'A', scale: 'minor pentatonic' });
    expect(parseScaleKey('off')).toBeNull();
    expect(() => parseScaleKey('H major')).toThrow(/not a key/);
    expect(() => parseScaleKey('C bebop')).toThrow(/not a key/);
  });
  it('takes pitch classes from tonal', () => {
    expect(scalePitchClasses({ tonic: 'C', scale: 'major' })).toEqual([0, 2, 4, 5, 7, 9, 11]);
    expect(scalePitchClasses({ tonic: 'D', scale: 'minor' })).toEqual([2, 4, 5, 7, 9, 10, 0]);
    expect(scalePitchClasses({ tonic: 'A', scale: 'harmonic minor' })).toEqual([9, 11, 0, 2, 4, 5, 8]);
    expect(scalePitchClasses({ tonic: 'D', scale: 'dorian' })).toEqual([2, 4, 5, 7, 9, 11, 0]);
    expect(scalePitchClasses({ tonic: 'E', scale: 'blues' })).toEqual([4, 7, 9, 10, 11, 2]);
    expect(scalePitchClasses({ tonic: 'G', scale: 'major pentatonic' })).toEqual([7, 9, 11, 2, 4]);
  });
  it('parses ranges', () => {
    expect(parsePitchRange('C3-C6')).toEqual({ low: 48, high: 84 });
    expect(parsePitchRange('48 - 84')).toEqual({ low: 48, high: 84 });
    expect(() => parsePitchRange('C6-C3')).toThrow(/above/);
    expect(() => parsePitchRange('C3')).toThrow(/not a range/);
  });
});

describe('pitch bias', () => {
  it('is absent when off, at strictness 0, or without key and range', () => {
    expect(melodyPitchBias(undefined)).toBeUndefined();
    expect(melodyPitchBias({ key: null, strictness: 1 })).toBeUndefined();
    expect(melodyPitchBias({ key: { tonic: 'C', scale: 'major' }, strictness: 0 })).toBeUndefined();
    expect(() => melodyPitchBias({ key: { tonic: 'C', scale: 'major' }, strictness: 1.5 })).toThrow(/strictness/);
  });
  it('adds log(1 - s) to out-of-scale and out-of-range note-ons only', () => {
    const bias = melodyPitchBias({
      key: { tonic: 'C', scale: 'major' },
      range: { low: 48, high: 84 },
      strictness: 0.9,
    })!;
    expect(bias[60]).toBe(0);
    expect(bias[61]).toBeCloseTo(Math.log(0.1), 12);
    expect(bias[36]).toBeCloseTo(Math.log(0.1), 12); // C2: in the scale, below the range
    expect(bias[128]).toBe(0);
    expect(bias[129]).toBe(0);
    expect(pitchAllowed(61, { key: { tonic: 'C', scale: 'major' } })).toBe(false);
  });
  it('keeps (1 - s) of an outside token at any temperature, and never samples it at s = 1', () => {
    const logits = Float32Array.from({ length: 130 }, (_, i) => Math.sin(i) * 3);
    for (const t of [0.5, 1, 2]) {
      const plain = temperatureProbabilities(logits, t);
      const bias = melodyPitchBias({ key: { tonic: 'C', scale: 'major' }, strictness: 0.5 })!;
      const biased = biasedProbabilities(logits, t, bias);
      // Ratio of an outside to an inside token halves.
      expect(biased[61] / biased[60]).toBeCloseTo((plain[61] / plain[60]) * 0.5, 10);
      expect(biased[129] / biased[60]).toBeCloseTo(plain[129] / plain[60], 10);
    }
    const strict = melodyPitchBias({ key: { tonic: 'C', scale: 'major' }, strictness: 1 })!;
    const rng = createRng(7);
    for (let i = 0; i < 2000; i++) {
      const token = sampleToken(logits, 1.5, rng, strict);
      if (token < 128) expect([0, 2, 4, 5, 7, 9, 11]).toContain(token % 12);
    }
  });
  it('without a bias draws exactly what the old sampler drew', () => {
    const logits = Float32Array.from({ length: 130 }, (_, i) => Math.cos(i * 0.7) * 2);
    const a = createRng(3);
    const b = createRng(3);
    for (let i = 0; i < 200; i++) expect(sampleToken(logits, 0.8, a, undefined)).toBe(sampleToken(logits, 0.8, b));
  });
});

describe('meter and dynamics', () => {
  it('counts sixteenths per bar', () => {
    expect(
      [
        [4, 4],
        [3, 4],
        [6, 8],
        [2, 4],
        [5, 4],
      ].map(([numerator, denominator]) => sixteenthsPerBar({ numerator, denominator })),
    ).toEqual([16, 12, 12, 8, 20]);
    expect(() => sixteenthsPerBar({ numerator: 3, denominator: 32 })).toThrow(/sixteenths/);
    expect(metricWeight(0, { numerator: 6, denominator: 8 })).toBe(3);
    expect(metricWeight(6, { numerator: 6, denominator: 8 })).toBe(1);
    expect(metricWeight(2, { numerator: 6, denominator: 8 })).toBe(0);
    expect(metricWeight(8, { numerator: 4, denominator: 4 })).toBe(2);
  });
  const notes = Array.from({ length: 64 }, (_, i) => ({
    pitch: 60 + (i % 5),
    startTick: i * 120,
    durationTicks: 120,
    velocity: 100,
  }));
  it('accents downbeats, never writes 0, and is deterministic', () => {
    const meter = { numerator: 4, denominator: 4 };
    const shaped = applyDynamics(notes, { ppq: 480, meter });
    expect(shaped.every((n) => n.velocity >= 1 && n.velocity <= 127)).toBe(true);
    const down = shaped.filter((n) => n.startTick % 1920 === 0).map((n) => n.velocity);
    const off = shaped.filter((n) => n.startTick % 480 !== 0).map((n) => n.velocity);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(down)).toBeGreaterThan(mean(off) + 10);
    const h1 = applyDynamics(notes, { ppq: 480, meter, humanise: 1, randomSeed: 5 });
    expect(applyDynamics(notes, { ppq: 480, meter, humanise: 1, randomSeed: 5 })).toEqual(h1);
    expect(applyDynamics(notes, { ppq: 480, meter, humanise: 1, randomSeed: 6 })).not.toEqual(h1);
    expect(h1.some((n, i) => n.startTick !== notes[i].startTick)).toBe(true);
    for (let i = 0; i + 1 < h1.length; i++) {
      expect(h1[i].startTick).toBeLessThan(notes[i + 1].startTick);
      expect(h1[i].startTick + h1[i].durationTicks).toBeLessThanOrEqual(notes[i + 1].startTick);
      expect(h1[i].durationTicks).toBeGreaterThanOrEqual(1);
      expect(h1[i + 1].startTick).toBeGreaterThan(h1[i].startTick);
    }
    expect(() => applyDynamics(notes, { ppq: 480, meter, humanise: 2 })).toThrow(/humanise/);
  });
});
