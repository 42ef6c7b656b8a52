// SPDX-License-Identifier: MIT
/**
 * The engine side of 'compose:regenerate': runs src/core/model/infill.ts (melody) or src/core/model/polyInfill.ts
 * (polyphonic) where generation runs (the generation worker, through runGeneration's `infill` request), checking cancel
 * before every decoder step. The take's key/range/density lock (the run request's `controls`) steers the drawn steps
 * and its chords (`chords`) are heard, as when the take was generated.
 */
import type { Decoder } from '../../core/engine/types';
import type { TrainableModel } from '../../core/engine/engine';
import { CancelledError, type JobProgress } from '../../core/jobs/progress';
import { framePitchBias, melodyPitchBias, type PitchControls } from '../../core/model/controls';
import { GenerationError } from '../../core/model/generate';
import { infillMelody, type InfillResult } from '../../core/model/infill';
import { isVelocityDecoder, velocityFeedingDecoder, velocitySeed } from '../../core/model/velocity';
import { createRng } from '../../core/util/random';
import { isPolyDecoder } from '../../core/model/polyLstm';
import { infillPoly, type PitchSpan, type PolyInfillResult } from '../../core/model/polyInfill';
import type { PolyLstmSpec } from '../../core/model/spec';

/** What an infill needs besides the checkpoint (plain data, posted to the worker). */
export interface InfillRunRequest {
  /** A melody take's tokens (one per sixteenth). */
  tokens: number[];
  /** A polyphonic take's frames (flattened, the model's pitch window), instead of tokens, and frames per bar. */
  poly?: { frames: number[]; framesPerBar: number; pitchRange?: PitchSpan };
  fromBar: number;
  toBar: number;
  candidates?: number;
}

interface InfillEngineRequest {
  infill?: InfillRunRequest;
  temperature: number;
  randomSeed: number;
  stepsPerBar?: number;
  controls?: PitchControls;
  chords?: number[];
}

/** Regenerates a melody take's bars. */
export async function runInfill(
  model: Pick<TrainableModel, 'createDecoder'>,
  request: InfillEngineRequest,
  job: { onProgress?: (p: JobProgress) => void },
  cancelled: () => boolean,
): Promise<InfillResult> {
  const infill = request.infill;
  if (!infill) throw new Error('runInfill needs an infill request');
  const bias = melodyPitchBias(request.controls);
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
    ...(inner.setCondition ? { setCondition: (v: ArrayLike<number>) => inner.setCondition!(v) } : {}),
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
      ...(bias ? { logitBias: () => bias } : {}),
      ...(request.chords ? { chords: request.chords } : {}),
    });
    job.onProgress?.({ phase: 'regenerated', current: 1, total: 1 });
    return result;
  } finally {
    decoder.dispose();
  }
}

/** Regenerates a polyphonic take's selected bars x pitches. */
export async function runPolyInfill(
  model: Pick<TrainableModel, 'createDecoder'>,
  spec: PolyLstmSpec,
  request: InfillEngineRequest,
  job: { onProgress?: (p: JobProgress) => void },
  cancelled: () => boolean,
): Promise<PolyInfillResult> {
  const poly = request.infill?.poly;
  if (!request.infill || !poly) throw new Error('runPolyInfill needs a polyphonic infill request');
  const decoder = model.createDecoder();
  if (!isPolyDecoder(decoder)) {
    decoder.dispose();
    throw new GenerationError('GENERATION_BAD_SEED', 'This checkpoint is not a polyphonic model.');
  }
  const pitchBias = framePitchBias(request.controls, spec);
  try {
    job.onProgress?.({ phase: 'regenerating', current: 0, total: 1 });
    const result = await infillPoly(decoder, Uint8Array.from(poly.frames), {
      fromBar: request.infill.fromBar,
      toBar: request.infill.toBar,
      framesPerBar: poly.framesPerBar,
      lowPitch: spec.lowPitch,
      temperature: request.temperature,
      randomSeed: request.randomSeed,
      beforeFrame: () => {
        if (cancelled()) throw new CancelledError('Regeneration cancelled');
      },
      ...(poly.pitchRange ? { pitchRange: poly.pitchRange } : {}),
      ...(request.infill.candidates !== undefined ? { candidates: request.infill.candidates } : {}),
      ...(pitchBias ? { pitchBias } : {}),
      ...(request.chords ? { chords: request.chords } : {}),
    });
    job.onProgress?.({ phase: 'regenerated', current: 1, total: 1 });
    return result;
  } finally {
    decoder.dispose();
  }
}
