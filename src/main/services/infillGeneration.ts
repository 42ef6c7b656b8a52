// SPDX-License-Identifier: MIT
/**
 * 'compose:regenerate': regenerate bars of a take. A melody take (src/core/model/infill.ts) comes as the roll's notes
 * (edits included), is encoded on the sixteenth grid, regenerated where generation runs (the runner: a worker thread in
 * the app and the studio), and answered as notes: those outside the selection exactly as sent, the selection's new
 * (src/core/model/infillNotes.ts). A polyphonic take (src/core/model/polyInfill.ts) is read into the model's frames and
 * only its selected bars x pitches are drawn again (src/core/model/polyInfill.ts splicePolyInfillNotes).
 *
 * The take's lock and chords: given the take's generation id, its stored key/range/strictness/density lock steers the
 * drawn steps and its stored chord progression is heard (a chord-conditioned model), as when the take was generated.
 * Nothing is stored; the Compose card keeps the result in the take's history, so Undo and Redo cover it.
 */
import { NO_EVENT, melodyNotesToTokens } from '../../core/encoding/melody';
import { flatRoll } from '../../core/encoding/rollFrames';
import { readCheckpointHeader } from '../../core/model/checkpoint';
import type { PitchControls } from '../../core/model/controls';
import { GenerationError } from '../../core/model/generate';
import { spliceInfillNotes } from '../../core/model/infillNotes';
import { splicePolyInfillNotes } from '../../core/model/polyInfill';
import { framesPerBar } from '../../core/model/polySeed';
import { isPolySpec, type ModelSpec } from '../../core/model/spec';
import { COMMON_TIME, sixteenthsPerBar } from '../../core/music/meter';
import type { Note } from '../../core/music/NoteSequence';
import { parsePitchRange, parseScaleKey } from '../../core/music/scales';
import type { RegenerateResultDto } from '../../shared/regenerate';
import type { ParsedRequest } from '../../shared/ipc';
import { NotFoundError } from '../db/errors';
import type { Library } from '../db/open';
import type { GenerationId } from '../db/types';
import { chordPlanOf, type ChordRequest } from './chordRequest';
import { bundledDefaultModelPath, loadModelCheckpoint, runGeneration } from './generation';
import type { GenerationRunner } from './generationRequest';
import { rollWindowOf } from './polyGeneration';

type RegenerateRequest = ParsedRequest<'compose:regenerate'>;

/** What a stored take was locked to and the chords it followed (the fields its stored request keeps). */
export interface TakeSteering {
  controls?: PitchControls;
  chords?: ChordRequest;
}

/**
 * The lock and chords a stored take was generated with (undefined fields: none).
 * @throws NotFoundError for a take that is not in the library
 */
export function takeSteering(library: Library, generationId: string): TakeSteering {
  const row = /^\d+$/.test(generationId)
    ? library.generations.getGeneration(Number(generationId) as GenerationId)
    : undefined;
  if (!row)
    throw new NotFoundError(
      'take',
      /^\d+$/.test(generationId) ? Number(generationId) : generationId,
      'Regenerate bars of a take that is still in the library.',
    );
  const stored = (row.request ?? {}) as {
    key?: string;
    range?: string;
    strictness?: number;
    density?: number;
    chords?: ChordRequest;
  };
  const key = stored.key ? parseScaleKey(stored.key) : null;
  const range = stored.range && stored.range !== 'full' ? parsePitchRange(stored.range) : null;
  const density = stored.density ?? 0;
  const locked = key || range || density !== 0;
  return {
    ...(locked
      ? { controls: { key, range, strictness: stored.strictness ?? 1, ...(density !== 0 ? { density } : {}) } }
      : {}),
    ...(stored.chords ? { chords: stored.chords } : {}),
  };
}

/**
 * Whether a model writes polyphonic takes (so a take to regenerate is all its notes, not a melody line).
 * @throws NotFoundError, GenerationError as loadModelCheckpoint
 */
export function regeneratesPolyphonic(
  library: Library,
  model: string,
  defaultModelPath: string | null = bundledDefaultModelPath(),
): boolean {
  return isPolySpec(readCheckpointHeader(loadModelCheckpoint(library, model, defaultModelPath).bytes).spec);
}

/** The notes of a result as the contract answers them. */
function noteDtos(notes: readonly Note[]): RegenerateResultDto['notes'] {
  return notes.map((n) => ({
    pitch: n.pitch,
    startTick: n.startTick,
    durationTicks: n.durationTicks,
    velocity: n.velocity,
  }));
}

export async function regenerateSelection(
  library: Library,
  request: RegenerateRequest,
  context: { defaultModelPath?: string | null; runner?: GenerationRunner; signal?: AbortSignal } = {},
): Promise<RegenerateResultDto> {
  const loaded = loadModelCheckpoint(
    library,
    request.model,
    context.defaultModelPath === undefined ? bundledDefaultModelPath() : context.defaultModelPath,
  );
  const { spec } = readCheckpointHeader(loaded.bytes);
  const steering = request.generationId ? takeSteering(library, request.generationId) : {};
  const runner = context.runner ?? runGeneration;
  const job = context.signal ? { signal: context.signal } : {};
  const meter = request.timeSignature ?? COMMON_TIME;
  // What the engine run of either kind takes from the request: one take, from no seed, on the best engine.
  const engineRun = {
    checkpoint: loaded.bytes,
    seedTokens: [],
    bars: request.bars,
    temperature: request.temperature,
    variations: 1,
    randomSeed: request.randomSeed,
    engine: 'auto' as const,
    ...(steering.controls ? { controls: steering.controls } : {}),
  };
  if (isPolySpec(spec)) {
    const window = rollWindowOf(spec);
    const barFrames = framesPerBar(sixteenthsPerBar(meter), window.stepsPerQuarter);
    const length = request.bars * barFrames;
    const roll = flatRoll(
      {
        name: 'take',
        ppq: request.ppq,
        tempos: [],
        timeSignatures: [],
        keySignatures: [],
        tracks: [{ name: 'take', program: 0, channel: 0, isPercussion: false, notes: request.notes }],
      },
      window,
    );
    const frames = new Array<number>(length * window.pitches).fill(0);
    for (let i = 0; i < Math.min(frames.length, roll.values.length); i++) frames[i] = roll.values[i];
    const chords = takeChordTrack(steering.chords, spec, loaded.modelName, barFrames, length);
    const run = await runner(
      {
        ...engineRun,
        ...(chords ? { chords } : {}),
        infill: {
          tokens: [],
          poly: { frames, framesPerBar: barFrames, ...(request.pitches ? { pitchRange: request.pitches } : {}) },
          fromBar: request.fromBar,
          toBar: request.toBar,
          ...(request.candidates !== undefined ? { candidates: request.candidates } : {}),
        },
      },
      job,
    );
    const infill = run.polyInfill;
    if (!infill) throw new Error('the generation runner answered no regenerated take');
    const notes = splicePolyInfillNotes(request.notes, infill.frames, {
      ppq: request.ppq,
      meter,
      stepsPerQuarter: window.stepsPerQuarter,
      lowPitch: window.lowPitch,
      pitches: window.pitches,
      fromFrame: infill.fromFrame,
      toFrame: infill.toFrame,
      pitchRange: infill.pitchRange,
    });
    return {
      notes: noteDtos(notes),
      tokens: [],
      seam: infill.contextFrames > 0 ? { infill: infill.seam, leftToRight: infill.seamLeftToRight } : null,
      candidates: infill.candidates,
      kept: infill.kept,
    };
  }
  if (request.pitches)
    throw new GenerationError(
      'GENERATION_UNSUPPORTED',
      'A pitch range selects notes of a polyphonic take; a melody take regenerates whole bars, so leave the pitch range out.',
    );
  const stepsPerBar = sixteenthsPerBar(meter);
  const length = request.bars * stepsPerBar;
  const encoded = melodyNotesToTokens(request.notes, request.ppq).slice(0, length);
  const tokens = [...encoded, ...new Array<number>(length - encoded.length).fill(NO_EVENT)];
  const chords = takeChordTrack(steering.chords, spec, loaded.modelName, stepsPerBar, length);
  const run = await runner(
    {
      ...engineRun,
      stepsPerBar,
      ...(chords ? { chords } : {}),
      infill: {
        tokens,
        fromBar: request.fromBar,
        toBar: request.toBar,
        ...(request.candidates !== undefined ? { candidates: request.candidates } : {}),
      },
    },
    job,
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
    notes: noteDtos(notes),
    tokens: infill.tokens,
    seam: infill.contextSteps > 0 ? { infill: infill.seam, leftToRight: infill.seamLeftToRight } : null,
    candidates: infill.candidates,
    kept: infill.kept,
  };
}

/**
 * The chord of every step (frame) of a take of `total` steps that followed `chords` from its first bar, for a model
 * trained with chords. A model trained without chords regenerates as it generated: without them.
 */
function takeChordTrack(
  chords: ChordRequest | undefined,
  spec: ModelSpec,
  modelName: string,
  stepsPerBar: number,
  total: number,
): number[] | undefined {
  if (!chords || spec.chords !== 'chroma') return undefined;
  return chordPlanOf(chords, spec, modelName, stepsPerBar, 0, total)?.track;
}
