// SPDX-License-Identifier: MIT
/**
 * The engine side of 'compose:regenerate': runs src/core/model/infill.ts where generation runs (the generation worker,
 * through runGeneration's `infill` request), checking cancel before every decoder step.
 */
import type { Decoder, TrainableModel } from '../../core/engine/types';
import { CancelledError, type JobProgress } from '../../core/jobs/progress';
import { infillMelody, type InfillResult } from '../../core/model/infill';
import { isVelocityDecoder, velocityFeedingDecoder, velocitySeed } from '../../core/model/velocity';
import { createRng } from '../../core/util/random';

/** What an infill needs besides the checkpoint (plain data, posted to the worker). */
export interface InfillRunRequest {
  tokens: number[];
  fromBar: number;
  toBar: number;
  candidates?: number;
}

export async function runInfill(
  model: Pick<TrainableModel, 'createDecoder'>,
  request: { infill?: InfillRunRequest; temperature: number; randomSeed: number; stepsPerBar?: number },
  job: { onProgress?: (p: JobProgress) => void },
  cancelled: () => boolean,
): Promise<InfillResult> {
  const infill = request.infill;
  if (!infill) throw new Error('runInfill needs an infill request');
  const created = model.createDecoder();
  // A velocity-aware model is fed its velocity input as it steps (src/core/model/velocity.ts); the new bars' notes
  // still get the default dynamics (src/core/model/infillNotes.ts).
  const inner = isVelocityDecoder(created)
    ? velocityFeedingDecoder(created, request.temperature, createRng(velocitySeed(request.randomSeed)))
    : created;
  const decoder: Decoder = {
    reset: () => inner.reset(),
    step: (input) => {
      if (cancelled()) throw new CancelledError('Regeneration cancelled');
      return inner.step(input);
    },
    dispose: () => inner.dispose(),
  };
  try {
    job.onProgress?.({ phase: 'regenerating', current: 0, total: 1 });
    const result = await infillMelody(decoder, infill.tokens, {
      fromBar: infill.fromBar,
      toBar: infill.toBar,
      temperature: request.temperature,
      randomSeed: request.randomSeed,
      ...(request.stepsPerBar !== undefined ? { stepsPerBar: request.stepsPerBar } : {}),
      ...(infill.candidates !== undefined ? { candidates: infill.candidates } : {}),
    });
    job.onProgress?.({ phase: 'regenerated', current: 1, total: 1 });
    return result;
  } finally {
    decoder.dispose();
  }
}
