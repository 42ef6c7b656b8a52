// SPDX-License-Identifier: MIT
// Generation's re-sampling measures degeneracy as the quality report does: a note held for bars is no new note, so a
// take that holds one note past maxSilentBars is re-sampled, and the reason names the note.
import { describe, expect, it } from 'vitest';
import type { Decoder } from '../../src/core/engine/types';
import { findDegeneracy, generateMelodies } from '../../src/core/model/generate';

const SEED = [60, 129, 129, 129];

/** Logits that make `token` all but certain at temperature 1. */
function certain(token: number): Float32Array {
  const logits = new Float32Array(130);
  logits[token] = 60;
  return logits;
}

/**
 * Per try (reset), the continuation the decoder dictates: try 0 strikes E4 and holds it for 6 bars (96 sixteenths),
 * then plays a quarter-note line; later tries play the quarter-note line throughout.
 */
function holdingDecoder(): Decoder & { tries: number } {
  let step = 0;
  const line = [62, 65, 67, 69];
  const decoder = {
    tries: 0,
    reset() {
      decoder.tries++;
      step = 0;
    },
    async step() {
      step++;
      const i = step - SEED.length; // index of the continuation token the returned logits choose
      if (i < 0) return certain(129);
      if (decoder.tries === 1 && i === 0) return certain(64);
      if (decoder.tries === 1 && i < 96) return certain(129);
      return certain(i % 4 === 0 ? line[(i / 4) % 4] : 129);
    },
    dispose() {},
  };
  return decoder;
}

describe('degeneracy: a held note counts as no new note', () => {
  it('a take that holds one note for 6 bars is re-sampled, and the reason names the held note', async () => {
    const decoder = holdingDecoder();
    const [m] = await generateMelodies(decoder, {
      seedTokens: SEED,
      bars: 8,
      temperature: 1,
      variations: 1,
      randomSeed: 1,
      maxRetries: 3,
    });
    expect(decoder.tries).toBe(2);
    expect(m.retries).toBe(1);
    expect(m.rejected).toEqual(['the continuation holds E4 (64) for 6.0 bars without a new note']);
    expect(m.degenerate).toBeUndefined();
    // The kept take is the quarter-note line.
    expect(m.tokens.slice(SEED.length, SEED.length + 8)).toEqual([62, 129, 129, 129, 65, 129, 129, 129]);
  });

  it('the old checks are unchanged; a held note within the limit passes; note + silence together count', () => {
    const hold = (sixteenths: number) => Array<number>(sixteenths).fill(129);
    // Silence is still reported as silence.
    expect(findDegeneracy([60, 128, ...hold(40), 62], 1, 2)).toMatch(/silent for 2\.6 bars/);
    // A note held 2 bars (the limit) then a new note: fine.
    expect(findDegeneracy([...SEED, 64, ...hold(31), 65, ...hold(3)], 4, 2)).toBeUndefined();
    // Held 2.5 bars at the end of the take.
    expect(findDegeneracy([...SEED, 62, 129, 129, 129, 64, ...hold(39)], 4, 2)).toBe(
      'the continuation holds E4 (64) for 2.5 bars without a new note',
    );
    // 1.5 bars held then 1.5 bars of silence: no silence over the limit, but 3 bars without a new note.
    expect(findDegeneracy([...SEED, 62, 129, 129, 129, 64, ...hold(23), 128, ...hold(23), 65, 129], 4, 2)).toBe(
      'the continuation has no new note for 3.0 bars (E4 (64) held for 1.5 of them)',
    );
    // A limit of 3 bars lets both pass.
    expect(findDegeneracy([...SEED, 62, 129, 129, 129, 64, ...hold(39)], 4, 3)).toBeUndefined();
  });
});
