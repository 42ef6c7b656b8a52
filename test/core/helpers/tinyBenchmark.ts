// SPDX-License-Identifier: MIT
// A tiny benchmark file in the layout of shared/data/boulanger2012, and a bi-lstm small enough to train on it in
// seconds: for the tests of the scripts that evaluate polyphonic models (eval:poly, eval:average).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_BI_LSTM_SPEC, type PolyLstmSpec } from '../../../src/core/model/polyLstmSpec';
import type { ModelSpec } from '../../../src/core/model/spec';

/** Writes `dir`/tiny.json: 6 training pieces of 48 frames, one valid and one test piece of 40, pitches 60..65. */
export function tinyBenchmark(dir: string, seed = 7): string {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const piece = (frames: number) =>
    Array.from({ length: frames }, () => [60, 61, 62, 63, 64, 65].filter(() => rand() < 0.3));
  const file = path.join(dir, 'tiny.json');
  writeFileSync(
    file,
    JSON.stringify({
      train: Array.from({ length: 6 }, () => piece(48)),
      valid: [piece(40)],
      test: [piece(40)],
    }),
  );
  return file;
}

/** A bi-lstm over the tiny benchmark's 6 keys. */
export const TINY_BI_LSTM_SPEC = {
  ...DEFAULT_BI_LSTM_SPEC,
  lowPitch: 60,
  pitches: 6,
  timeSizes: [8],
  pitchSizes: [4],
  downSizes: [4],
  window: 2,
  windowHidden: 4,
} satisfies PolyLstmSpec as unknown as ModelSpec;
