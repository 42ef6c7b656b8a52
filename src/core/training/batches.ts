// SPDX-License-Identifier: MIT
/**
 * The training and validation batches of a run, for any model kind: pieces are split BY PIECE (./../model/windows.ts
 * splitByPiece), then the model registry's batch builder for spec.kind cuts each side into batches. Transpositions
 * augment the training side only (validation measures the music as written).
 */
import type { ModelSpec, TrainingConfig } from '../model/spec';
import { getModelDefinition } from '../model/registry';
import { splitByPiece, type SplitPiece, type WindowSet } from '../model/windows';
import type { Rng } from '../util/random';

export interface TrainingBatches<T extends SplitPiece> {
  train: WindowSet;
  valid: WindowSet;
  /** The pieces on each side of the split. */
  split: { train: T[]; valid: T[] };
}

/**
 * Splits `pieces` with `splitRng` and builds both sides' batches with the registry's builder for spec.kind.
 * @throws UnknownModelKindError for a kind this Etude does not know.
 */
export function buildTrainingBatches<T extends SplitPiece>(
  spec: ModelSpec,
  pieces: T[],
  training: Pick<TrainingConfig, 'validationFraction' | 'transpositions'>,
  splitRng: Rng,
): TrainingBatches<T> {
  const definition = getModelDefinition(spec.kind);
  const split = splitByPiece(pieces, training.validationFraction, splitRng);
  const shifts = training.transpositions.length ? [0, ...training.transpositions] : [0];
  return {
    train: definition.buildBatches(spec, split.train, shifts),
    valid: definition.buildBatches(spec, split.valid, [0]),
    split,
  };
}
