// SPDX-License-Identifier: MIT
// AdamW's decoupled weight decay (TrainingConfig.weightDecay): the training setting, and what one training step does
// with it to a model's weights. Each backend's kernel is held to the float64 reference in engine.backend.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/engine/engine';
import type { NamedWeights } from '../../src/core/engine/types';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { initWeights } from '../../src/core/model/init';
import { DEFAULT_TRAINING, trainingConfigProblem } from '../../src/core/model/spec';
import { createRng } from '../../src/core/util/random';
import { TINY_MELODY_SPEC } from './helpers/engineCompare';

const spec = TINY_MELODY_SPEC;

describe('weight decay (AdamW)', () => {
  let engine: Engine | undefined;
  afterAll(async () => {
    await engine?.dispose();
  });

  it('is a training setting within [0, 1], absent by default', () => {
    expect(DEFAULT_TRAINING.weightDecay).toBeUndefined();
    for (const decay of [0, 0.01, 1])
      expect(trainingConfigProblem({ ...DEFAULT_TRAINING, weightDecay: decay })).toBeUndefined();
    for (const decay of [-0.01, 1.5, Number.NaN, '0.1', null])
      expect(trainingConfigProblem({ ...DEFAULT_TRAINING, weightDecay: decay })).toMatch(
        /^its weightDecay must be a number within \[0, 1\], got: /,
      );
  });

  it('shrinks every weight by learningRate x weightDecay beside the Adam step; 0 is plain Adam exactly', async () => {
    engine = await createWasmEngine({ threads: 1, adaptiveThreads: false });
    const start = initWeights(spec, 3);
    const rng = createRng(11);
    const batch = {
      inputs: new Int32Array(3 * spec.window).map(() => rng.int(spec.vocabSize)),
      targets: new Int32Array(3).map(() => rng.int(spec.vocabSize)),
      batchSize: 3,
    };
    const afterOneStep = async (weightDecay?: number): Promise<NamedWeights> => {
      const training = {
        learningRate: 0.01,
        clipNorm: 5,
        randomSeed: 7,
        ...(weightDecay !== undefined ? { weightDecay } : {}),
      };
      const model = await engine!.createModel(spec, training, start);
      await model.trainStep(batch);
      const weights = await model.getWeights();
      model.dispose();
      return weights;
    };
    const plain = await afterOneStep();
    const zero = await afterOneStep(0);
    const decayed = await afterOneStep(0.5);
    let largest = 0;
    for (const name of Object.keys(start)) {
      expect(Array.from(zero[name]), name).toEqual(Array.from(plain[name]));
      for (let i = 0; i < start[name].length; i++) {
        // The same gradient and moments either way, so the runs differ by the shrink alone: 0.01 * 0.5 * w.
        const shrink = plain[name][i] - decayed[name][i];
        expect(Math.abs(shrink - 0.005 * start[name][i]), `${name}[${i}]`).toBeLessThan(1e-6);
        largest = Math.max(largest, Math.abs(shrink));
      }
    }
    expect(largest).toBeGreaterThan(1e-3);
  });
});
