// SPDX-License-Identifier: MIT
// eval:poly's flags (scripts/lib/polyEvalFlags.ts): what each accepts, and the error that names a bad value. The
// readers look at process.argv, so each case sets it and puts it back.
import { afterEach, describe, expect, it } from 'vitest';
import {
  averageDecayFromFlags,
  engineFromFlags,
  isPitchRangeMode,
  kindsFromFlags,
  pitchSpanFromFlags,
  seedsFromFlags,
  specFlags,
  transposeShifts,
  weightDecayFromFlags,
} from '../../scripts/lib/polyEvalFlags';
import type { PolyBenchmark, RollPiece } from '../../src/core/data/polyBenchmark';

const argv = process.argv;
const withFlags = (...flags: string[]) => {
  process.argv = ['node', 'eval-poly.ts', ...flags];
};
afterEach(() => {
  process.argv = argv;
});

describe('eval:poly flags', () => {
  it('trains on the wasm engine unless --engine names webgpu, and refuses any other', () => {
    withFlags();
    expect(engineFromFlags()).toBe('wasm');
    withFlags('--engine', 'webgpu');
    expect(engineFromFlags()).toBe('webgpu');
    withFlags('--engine', 'tfjs-node-gpu');
    expect(() => engineFromFlags()).toThrow('--engine must be wasm or webgpu, got: tfjs-node-gpu');
  });

  it('trains both kinds, the baseline first, unless --kind names one, and refuses any other', () => {
    withFlags();
    expect(kindsFromFlags()).toEqual(['biaxial-lstm', 'bi-lstm']);
    withFlags('--kind', 'bi-lstm');
    expect(kindsFromFlags()).toEqual(['bi-lstm']);
    withFlags('--kind', 'lstm');
    expect(() => kindsFromFlags()).toThrow('--kind must be biaxial-lstm or bi-lstm, got: lstm');
  });

  it('reads --seeds as a list of whole numbers, none twice, and --seed as one', () => {
    withFlags();
    expect(seedsFromFlags()).toEqual([1]);
    withFlags('--seed', '7');
    expect(seedsFromFlags()).toEqual([7]);
    withFlags('--seeds', '1, 2,3');
    expect(seedsFromFlags()).toEqual([1, 2, 3]);
    withFlags('--seeds', '1,1.5');
    expect(() => seedsFromFlags()).toThrow('--seeds must be whole numbers 0 or more');
    withFlags('--seeds', '2,3,2');
    expect(() => seedsFromFlags()).toThrow('--seeds names a seed twice: 2,3,2');
    for (const list of ['1,,3', '', '1, ', ' ']) {
      withFlags('--seeds', list);
      expect(() => seedsFromFlags(), JSON.stringify(list)).toThrow('--seeds must be whole numbers 0 or more');
    }
  });

  it('turns --transpose K into the shifts -K..K, and refuses a shift past an octave or a fraction', () => {
    withFlags();
    expect(transposeShifts()).toEqual({ max: 0, list: [0] });
    withFlags('--transpose', '2');
    expect(transposeShifts()).toEqual({ max: 2, list: [-2, -1, 0, 1, 2] });
    for (const bad of ['13', '1.5', '-1']) {
      withFlags('--transpose', bad);
      expect(() => transposeShifts()).toThrow(
        `--transpose must be a whole number of semitones from 0 to 12, got: ${bad}`,
      );
    }
  });

  it('keeps no weight average unless --average-decay gives a decay strictly between 0 and 1', () => {
    withFlags();
    expect(averageDecayFromFlags()).toBeUndefined();
    withFlags('--average-decay', '0.8');
    expect(averageDecayFromFlags()).toBe(0.8);
    for (const bad of ['0', '1', 'half']) {
      withFlags('--average-decay', bad);
      expect(() => averageDecayFromFlags()).toThrow(
        `--average-decay must be a number above 0 and below 1, got: ${bad}`,
      );
    }
  });

  it('trains with plain Adam unless --weight-decay gives a decay within [0, 1]', () => {
    withFlags();
    expect(weightDecayFromFlags()).toBeUndefined();
    withFlags('--weight-decay', '0.05');
    expect(weightDecayFromFlags()).toBe(0.05);
    withFlags('--weight-decay', '0');
    expect(weightDecayFromFlags()).toBe(0);
    for (const bad of ['-0.1', '1.5', 'lots', '']) {
      withFlags('--weight-decay', bad);
      expect(() => weightDecayFromFlags()).toThrow(`--weight-decay must be a number within [0, 1], got: ${bad}`);
    }
  });

  it('sets only the spec fields a flag names; "none" empties a list of sizes', () => {
    withFlags();
    expect(specFlags()).toEqual({});
    withFlags('--time-sizes', '128,64', '--down-sizes', 'none', '--dropout', '0.3', '--window', '4');
    expect(specFlags()).toEqual({ timeSizes: [128, 64], downSizes: [], dropout: 0.3, window: 4 });
    withFlags('--repeat-context', '8');
    expect(specFlags()).toEqual({ repeatContext: 8 });
  });

  it('models the keys the training split sounds, or all of them with --pitch-range full', () => {
    const piece = (name: string, sounding: number[]): RollPiece => {
      const roll = new Float32Array(2 * 88);
      for (const i of sounding) roll[88 + i] = 1;
      return { name, frames: 2, pitches: 88, roll };
    };
    const bench: PolyBenchmark = {
      name: 'tiny',
      low: 21,
      pitches: 88,
      train: [piece('a', [30, 40]), piece('b', [35, 52])],
      valid: [piece('c', [10])],
      test: [piece('d', [70])],
    };
    expect(pitchSpanFromFlags(bench, 'train')).toEqual({ from: 30, count: 23 });
    expect(pitchSpanFromFlags(bench, 'full')).toEqual({ from: 0, count: 88 });
    expect(isPitchRangeMode('train') && isPitchRangeMode('full')).toBe(true);
    expect(isPitchRangeMode('88')).toBe(false);
  });
});
