// SPDX-License-Identifier: MIT
/**
 * Milliseconds per training frame of a polyphonic model on one engine: the median of timed Adam steps after warm-up,
 * over batches of random rolls (the step's cost depends on the sizes, not on the notes). `await trainStep` reads the
 * loss back, so on a GPU the step's work has finished when the clock stops.
 */
import type { Engine } from '../../src/core/engine/engine';
import { buildFrameSegments } from '../../src/core/model/polyLstm';
import type { PolyLstmSpec } from '../../src/core/model/polyLstmSpec';
import { DEFAULT_TRAINING, type ModelSpec } from '../../src/core/model/spec';
import { createRng } from '../../src/core/util/random';
import { median } from './abRounds';

export interface PolyStepTiming {
  engine: Engine;
  spec: PolyLstmSpec;
  /** Segments per batch (each spec.segment frames long). */
  batch: number;
  steps: number;
  warmup: number;
  /** The engine's running count of GPU dispatches (webgpu), read around the timed steps. */
  dispatches?: () => number;
}

export interface PolyStepFigures {
  msPerTrainingFrame: number;
  /** Dispatches per timed step, when `dispatches` was given. */
  dispatchesPerStep?: number;
}

export async function timePolyTrainingStep({
  engine,
  spec,
  batch,
  steps,
  warmup,
  dispatches,
}: PolyStepTiming): Promise<PolyStepFigures> {
  const rng = createRng(3);
  const pieces = Array.from({ length: batch }, (_, i) => ({
    name: `random ${i}`,
    tokens: Float32Array.from({ length: spec.segment * spec.pitches }, () => (rng.next() < 0.05 ? 1 : 0)),
  }));
  const set = buildFrameSegments(spec, pieces);
  const order = Array.from({ length: batch }, (_, i) => i % set.size);
  const model = await engine.createModel(spec as unknown as ModelSpec, { ...DEFAULT_TRAINING, randomSeed: 1 });
  try {
    const times: number[] = [];
    let dispatchesBefore = 0;
    for (let s = 0; s < warmup + steps; s++) {
      const data = set.batch(order, 0, batch);
      if (s === warmup) dispatchesBefore = dispatches?.() ?? 0;
      const start = performance.now();
      await model.trainStep(data);
      if (s >= warmup) times.push(performance.now() - start);
    }
    const dispatchesPerStep = dispatches ? (dispatches() - dispatchesBefore) / steps : undefined;
    return {
      msPerTrainingFrame: median(times) / (batch * spec.segment),
      ...(dispatchesPerStep !== undefined ? { dispatchesPerStep } : {}),
    };
  } finally {
    model.dispose();
  }
}
