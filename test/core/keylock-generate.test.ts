// SPDX-License-Identifier: MIT
// The key lock on the bundled model: strictness 1 leaves no out-of-scale note in 100 bars, the lock off gives the
// unlocked tokens exactly (same random stream), and strictness 0.5 lowers the out-of-scale share without removing it.
import { describe, expect, it } from 'vitest';
import type { Decoder } from '../../src/core/engine/types';
import { useBundledModel } from './helpers/bundledModel';
import { melodyPitchBias, type PitchControls } from '../../src/core/model/controls';
import { generateMelodies, seedTokensFromPitches } from '../../src/core/model/generate';

const C_MAJOR = new Set([0, 2, 4, 5, 7, 9, 11]);
let decoder: Decoder;
useBundledModel((loaded) => ({ decoder } = loaded));

async function generate(controls: PitchControls | undefined, bars: number, randomSeed: number, temperature = 1.5) {
  const bias = melodyPitchBias(controls);
  const seedTokens = seedTokensFromPitches([60, 64, 67]);
  const [m] = await generateMelodies(decoder, {
    seedTokens,
    bars,
    temperature,
    variations: 1,
    randomSeed,
    maxRetries: 0,
    ...(bias ? { logitBias: () => bias } : {}),
  });
  return m.tokens.slice(seedTokens.length);
}
const outside = (tokens: number[]) => {
  const notes = tokens.filter((t) => t < 128);
  return { notes: notes.length, outside: notes.filter((t) => !C_MAJOR.has(t % 12)).length };
};

describe('key lock at generation', () => {
  it('C major at strictness 1.0: 100 bars hold no out-of-scale pitch', async () => {
    const locked = outside(await generate({ key: { tonic: 'C', scale: 'major' }, strictness: 1 }, 100, 11));
    expect(locked.notes).toBeGreaterThan(100);
    expect(locked.outside).toBe(0);
  });

  it('lock off (or strictness 0) gives the unlocked tokens exactly', async () => {
    const plain = await generate(undefined, 16, 42);
    expect(await generate({ key: null, strictness: 1 }, 16, 42)).toEqual(plain);
    expect(await generate({ key: { tonic: 'C', scale: 'major' }, strictness: 0 }, 16, 42)).toEqual(plain);
    // Not vacuous: this take has out-of-scale notes, which the lock would have changed.
    expect(outside(plain).outside).toBeGreaterThan(0);
    expect(await generate({ key: { tonic: 'C', scale: 'major' }, strictness: 1 }, 16, 42)).not.toEqual(plain);
  });

  it('strictness 0.5 lowers the out-of-scale share without removing it', async () => {
    const count = async (controls: PitchControls | undefined) => {
      let notes = 0;
      let out = 0;
      for (let seed = 1; seed <= 4; seed++) {
        const o = outside(await generate(controls, 50, seed, 2));
        notes += o.notes;
        out += o.outside;
      }
      return out / notes;
    };
    const free = await count(undefined);
    const half = await count({ key: { tonic: 'C', scale: 'major' }, strictness: 0.5 });
    console.log(
      `out-of-C-major share at temperature 2: lock off ${free.toFixed(3)}, strictness 0.5 ${half.toFixed(3)}`,
    );
    expect(half).toBeGreaterThan(0);
    expect(half).toBeLessThan(free * 0.8);
  });
});
