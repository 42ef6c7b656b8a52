// SPDX-License-Identifier: MIT
// What the engine tests share: one measure of how far two tensors are apart, the tiny polyphonic models they compare
// engines on, and pointing Dawn at a software Vulkan driver on a machine without a GPU.
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { SWIFTSHADER_ICD } from '../../../src/core/engine/webgpuEngine';
import type { PolyLstmSpec } from '../../../src/core/model/polyLstmSpec';
import { DEFAULT_MELODY_SPEC, type MelodyLstmSpec } from '../../../src/core/model/spec';

/** max |a-b| / max |b|: relative to the tensor's largest entry, robust to near-zero entries. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 1e-30;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/**
 * log P(frame) of a polyphonic model from its decoder's per-pitch logits (teacher-forced), for the frame of `pitches`
 * values of x at `at`: the sum of log sigmoid(z) where the pitch sounds and log sigmoid(-z) where not, computed stably.
 */
export function frameLogProb(logits: ArrayLike<number>, x: ArrayLike<number>, pitches: number, at = 0): number {
  let s = 0;
  for (let p = 0; p < pitches; p++) {
    const y = x[at + p] > 0 ? logits[at + p] : -logits[at + p];
    s += y >= 0 ? -Math.log1p(Math.exp(-y)) : y - Math.log1p(Math.exp(y));
  }
  return s;
}

/** The melody model at a size whose every gradient the float64 reference checks in milliseconds. */
export const TINY_MELODY_SPEC: MelodyLstmSpec = {
  ...DEFAULT_MELODY_SPEC,
  vocabSize: 11,
  embeddingDim: 6,
  hiddenSize: 5,
  layers: 2,
  window: 4,
};

/** A polyphonic model of `kind` over 6 pitches with two small layers per axis, for exact checks that run in seconds. */
export function tinyPolySpec(kind: PolyLstmSpec['kind'], extra: Partial<PolyLstmSpec> = {}): PolyLstmSpec {
  return {
    kind,
    encoding: 'piano-roll-128',
    lowPitch: 60,
    pitches: 6,
    beatsPerBar: 2,
    timeSizes: [5, 4],
    pitchSizes: [4, 3],
    downSizes: kind === 'bi-lstm' ? [3] : [],
    window: kind === 'bi-lstm' ? 3 : 0,
    windowHidden: kind === 'bi-lstm' ? 3 : 0,
    dropout: 0,
    segment: 5,
    ...extra,
  };
}

/**
 * Dawn reads VK_ICD_FILENAMES when it creates its Vulkan instance: point it at Chromium's SwiftShader, unless the
 * caller chose a driver, so that the WebGPU tests run on a machine without a GPU. Call before the first adapter.
 */
export function useSwiftShaderUnlessChosen(): void {
  if (process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD))
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}
