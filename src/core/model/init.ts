// SPDX-License-Identifier: MIT
/**
 * Initial weights of any model spec (./initializers.ts says how), so that the same randomSeed gives the same starting
 * weights on the wasm engine and the tfjs engines alike.
 */
import type { NamedWeights } from '../engine/types';
import { getModelDefinition } from './registry';
import type { ModelSpec } from './spec';

export { initTensors, orthogonal } from './initializers';

/** The initial weights of `spec` for `randomSeed` (the model registry's initialiser for spec.kind). */
export function initWeights(spec: ModelSpec, randomSeed: number): NamedWeights {
  return getModelDefinition(spec.kind).initWeights(spec, randomSeed);
}
