// SPDX-License-Identifier: MIT
/**
 * 'compose:regenerate': regenerate bars of a melody take (src/core/model/infill.ts). The take comes as the roll's
 * notes (edits included), is encoded on the sixteenth grid, regenerated where generation runs (the runner: a worker
 * thread in the app and the studio), and answered as notes: those outside the selection exactly as sent, the
 * selection's new (src/core/model/infillNotes.ts). Nothing is stored; the Compose card keeps the result in the take's
 * history, so Undo and Redo cover it.
 */
import { NO_EVENT, melodyNotesToTokens } from '../../core/encoding/melody';
import { readCheckpointHeader } from '../../core/model/checkpoint';
import { GenerationError } from '../../core/model/generate';
import { spliceInfillNotes } from '../../core/model/infillNotes';
import { isPolySpec } from '../../core/model/spec';
import { COMMON_TIME, sixteenthsPerBar } from '../../core/music/meter';
import type { RegenerateResultDto } from '../../shared/regenerate';
import type { ParsedRequest } from '../../shared/ipc';
import type { Library } from '../db/open';
import { bundledDefaultModelPath, loadModelCheckpoint, runGeneration, type GenerationRunner } from './generation';

export async function regenerateSelection(
  library: Library,
  request: ParsedRequest<'compose:regenerate'>,
  context: { defaultModelPath?: string | null; runner?: GenerationRunner; signal?: AbortSignal } = {},
): Promise<RegenerateResultDto> {
  const { bytes } = loadModelCheckpoint(
    library,
    request.model,
    context.defaultModelPath === undefined ? bundledDefaultModelPath() : context.defaultModelPath,
  );
  if (isPolySpec(readCheckpointHeader(bytes).spec))
    throw new GenerationError(
      'GENERATION_UNSUPPORTED',
      'Regenerating bars works with melody models for now; this model writes polyphonic takes.',
    );
  const meter = request.timeSignature ?? COMMON_TIME;
  const stepsPerBar = sixteenthsPerBar(meter);
  const length = request.bars * stepsPerBar;
  const encoded = melodyNotesToTokens(request.notes, request.ppq).slice(0, length);
  const tokens = [...encoded, ...new Array<number>(length - encoded.length).fill(NO_EVENT)];
  const runner = context.runner ?? runGeneration;
  const run = await runner(
    {
      checkpoint: bytes,
      seedTokens: [],
      bars: request.bars,
      temperature: request.temperature,
      variations: 1,
      randomSeed: request.randomSeed,
      stepsPerBar,
      engine: 'auto',
      infill: {
        tokens,
        fromBar: request.fromBar,
        toBar: request.toBar,
        ...(request.candidates !== undefined ? { candidates: request.candidates } : {}),
      },
    },
    context.signal ? { signal: context.signal } : {},
  );
  const infill = run.infill;
  if (!infill) throw new Error('the generation runner answered no regenerated take');
  const notes = spliceInfillNotes(request.notes, infill.tokens, {
    ppq: request.ppq,
    meter,
    fromStep: infill.fromStep,
    toStep: infill.toStep,
  });
  return {
    notes: notes.map((n) => ({
      pitch: n.pitch,
      startTick: n.startTick,
      durationTicks: n.durationTicks,
      velocity: n.velocity,
    })),
    tokens: infill.tokens,
    seam: infill.contextSteps > 0 ? { infill: infill.seam, leftToRight: infill.seamLeftToRight } : null,
    candidates: infill.candidates,
    kept: infill.kept,
  };
}
