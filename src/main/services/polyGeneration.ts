// SPDX-License-Identifier: MIT
/**
 * Composing with a polyphonic model (biaxial-lstm, bi-lstm): the service side of src/core/model/generatePoly.ts, called
 * by ./generation.ts when the checkpoint's spec is a piano-roll one, so every door composes with every model kind
 * through the same request. Seeds are a chord or a MIDI clip (src/core/model/polySeed.ts); takes are stored like
 * melodies (the full request, the variation's seed), with their notes and no melody tokens, and written as two tracks
 * (upper and lower staff, split at middle C: src/core/model/takes.ts polyTakeSequence).
 *
 * Key and range locks and the density control steer every pitch's draw (src/core/model/controls.ts framePitchBias);
 * loop mode re-draws each take's last bar for the best wrap (src/core/model/polyLoop.ts) and writes loop markers; a
 * form draws sections once and their repeats varied (src/core/model/polyForm.ts). Humanise is not applied: its timing
 * jitter would pull a chord's notes apart (src/core/model/takes.ts).
 */
import type { TrainableModel } from '../../core/engine/engine';
import { CancelledError } from '../../core/jobs/progress';
import { GenerationError } from '../../core/model/generate';
import { checkForm, FormError, planForm } from '../../core/model/form';
import { polyLoopRefiner } from '../../core/model/polyLoop';
import { generatePolyForm } from '../../core/model/polyForm';
import { clipToLoop, writeLoopMidi } from '../../core/midi/loopMidi';
import { storedSettings, storeTakes } from './takeStore';
import { generatePolyphonic, type GeneratedRoll } from '../../core/model/generatePoly';
import { isPolyDecoder } from '../../core/model/polyLstm';
import { framePitchBias } from '../../core/model/controls';
import { chordSeedFrames, clipSeedFrames, framesPerBar } from '../../core/model/polySeed';
import type { PolyLstmSpec } from '../../core/model/spec';
import { GENERATED_PPQ, polyTakeSequence } from '../../core/model/takes';
import { parseMidi } from '../../core/midi/readMidi';
import { writeMidi } from '../../core/midi/writeMidi';
import { chordPlanOf, takeChords } from './chordRequest';
import { decodeMelody } from '../../core/encoding/melody';
import type { RollWindow } from '../../core/encoding/rollFrames';
import { COMMON_TIME, sixteenthsPerBar, type Meter } from '../../core/music/meter';
import { lastMeter, rescaleMeterMap, sixteenthMeterMap } from '../../core/music/meterMap';
import type { TimeSignatureEvent } from '../../core/music/NoteSequence';
import { continuationLayout } from '../../core/model/continuationLayout';
import type { ProgressSink } from '../../core/jobs/progress';
import type { Library } from '../db/open';
import type { CheckpointId, ModelId } from '../db/types';
import type {
  EngineRunJob,
  EngineRunRequest,
  GenerateRequest,
  GenerateResult,
  GenerationRunner,
} from './generationRequest';

/** The pitch window and frame rate of a polyphonic spec. */
export function rollWindowOf(spec: PolyLstmSpec): RollWindow {
  return { lowPitch: spec.lowPitch, pitches: spec.pitches, stepsPerQuarter: spec.stepsPerQuarter ?? 1 };
}

/** Frames progress is said at most this often within a take, besides once per take. */
const FRAME_PROGRESS_EVERY = 16;

/**
 * The engine side (runs where the runner puts it: this thread or the generation worker): draws the request's takes
 * one after another with progress per take and cancel checked before every frame.
 */
export async function runPolyGeneration(
  model: TrainableModel,
  request: EngineRunRequest,
  job: EngineRunJob & { engineDescription: string; cancelled: () => boolean; spec: PolyLstmSpec },
): Promise<GeneratedRoll[]> {
  const poly = request.poly;
  if (!poly) throw new GenerationError('GENERATION_BAD_SEED', 'A polyphonic model needs seed frames, not tokens.');
  const decoder = model.createDecoder();
  if (!isPolyDecoder(decoder)) {
    decoder.dispose();
    throw new GenerationError('GENERATION_BAD_SEED', 'This checkpoint is not a polyphonic model.');
  }
  // Key, range and density steer each pitch's draw (src/core/model/controls.ts framePitchBias).
  const pitchBias = framePitchBias(request.controls, job.spec);
  const sections = request.form ? planForm(request.form, request.bars) : undefined;
  const total = request.variations;
  const framesTotal = request.totalSteps ?? request.bars * poly.framesPerBar;
  // The beat input follows the clip's bar lines (a continuation of a clip whose meter changes).
  decoder.setBarPositions(poly.barPositions);
  let variation = 0;
  let frames = 0;
  const out: GeneratedRoll[] = [];
  try {
    for (variation = 0; variation < total; variation++) {
      frames = 0;
      job.onProgress?.({
        phase: 'generating',
        current: variation,
        total,
        detail: `variation ${variation + 1} of ${total}`,
        engine: job.engineDescription,
      });
      const beforeFrame = () => {
        if (job.cancelled()) throw new CancelledError('Generation cancelled');
        frames++;
        if (frames % FRAME_PROGRESS_EVERY === 0)
          job.onProgress?.({
            phase: 'generating',
            current: variation,
            total,
            detail: `variation ${variation + 1} of ${total}: frame ${Math.min(frames, framesTotal)} of ${framesTotal}`,
            engine: job.engineDescription,
          });
      };
      const options = {
        seedFrames: poly.seedFrames,
        framesPerBar: poly.framesPerBar,
        ...(request.totalSteps !== undefined ? { totalFrames: request.totalSteps } : {}),
        temperature: request.temperature,
        variations: 1,
        firstVariation: variation,
        randomSeed: request.randomSeed,
        ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
        ...(request.chords ? { chords: request.chords } : {}),
        ...(pitchBias ? { pitchBias } : {}),
        beforeFrame,
      };
      const [take] = sections
        ? await generatePolyForm(decoder, { ...options, sections })
        : await generatePolyphonic(decoder, {
            ...options,
            bars: request.bars,
            ...(request.loop
              ? {
                  refine: polyLoopRefiner(decoder, {
                    ...options,
                    ...(request.loop.tries !== undefined ? { tries: request.loop.tries } : {}),
                    ...(request.loop.loopStart !== undefined ? { loopStart: request.loop.loopStart } : {}),
                  }),
                }
              : {}),
          });
      out.push(take);
    }
  } finally {
    decoder.dispose();
  }
  return out;
}

/** What generation.ts knows before it hands a polyphonic request here. */
export interface LoadedPolyModel {
  bytes: Uint8Array;
  epoch: number;
  modelName: string;
  modelId: ModelId | null;
  checkpointId: CheckpointId | null;
  spec: PolyLstmSpec;
}

/** The seed's frames, tempo and meter. */
function polySeed(
  request: GenerateRequest,
  window: RollWindow,
): {
  frames: number[];
  bpm?: number;
  timeSignature?: Meter;
  /** A whole clip's map (ticks in frames) when its meter changes; timeSignature is then its last meter. */
  meterMap?: TimeSignatureEvent[];
  description: string;
  clipBars?: number;
} {
  const seed = request.seed;
  if ('pitches' in seed) return { frames: chordSeedFrames(seed.pitches, window), description: seed.pitches.join(',') };
  if ('tokens' in seed) {
    const sequence = decodeMelody(seed.tokens, { ppq: 480 });
    return {
      frames: clipSeedFrames(sequence, window, { name: seed.description ?? 'the seed' }),
      ...(seed.bpm ? { bpm: seed.bpm } : {}),
      ...(seed.timeSignature ? { timeSignature: seed.timeSignature } : {}),
      description: seed.description ?? `${seed.tokens.length} tokens`,
    };
  }
  const sequence = parseMidi(seed.midi, seed.name);
  const first = sequence.timeSignatures[0];
  const sixteenthsMap = seed.whole ? sixteenthMeterMap(sequence) : undefined;
  const meterMap =
    sixteenthsMap && sixteenthsMap.length > 1 ? rescaleMeterMap(sixteenthsMap, 4, window.stepsPerQuarter) : undefined;
  const timeSignature = meterMap
    ? lastMeter(meterMap)
    : first
      ? { numerator: first.numerator, denominator: first.denominator }
      : undefined;
  const meter = request.timeSignature ?? timeSignature ?? COMMON_TIME;
  const barFrames = framesPerBar(sixteenthsPerBar(meter), window.stepsPerQuarter);
  const frames = clipSeedFrames(sequence, window, {
    name: seed.name,
    // A clip with a meter map keeps its leading silence: its bar lines are where its map says.
    ...(meterMap ? {} : { barFrames }),
    ...(seed.whole ? {} : { frames: (seed.bars ?? 2) * barFrames }),
  });
  return {
    frames,
    ...(sequence.tempos[0] ? { bpm: sequence.tempos[0].bpm } : {}),
    ...(timeSignature ? { timeSignature } : {}),
    ...(meterMap ? { meterMap } : {}),
    description: seed.whole ? `all of ${seed.name}` : `opening of ${seed.name}`,
  };
}

/**
 * Generates and stores a polyphonic request's takes (see ./generation.ts generateFromLibrary, which calls this).
 * @throws GenerationError (seed, length, chords), FormError, CancelledError
 */
export async function generatePolyTakes(
  library: Library,
  request: GenerateRequest,
  loaded: LoadedPolyModel,
  context: { runner: GenerationRunner; defaultBpm: number; signal?: AbortSignal; onProgress?: ProgressSink },
): Promise<GenerateResult> {
  const key = request.key ?? null;
  const range = request.range ?? null;
  const strictness = request.strictness ?? 1;
  const density = request.density ?? 0;
  // Validates the controls before any work.
  framePitchBias({ key, range, strictness, density }, loaded.spec);
  const window = rollWindowOf(loaded.spec);
  const seed = polySeed(request, window);
  const bpm = Math.round((request.bpm ?? seed.bpm ?? context.defaultBpm) * 1000) / 1000;
  const timeSignature = request.timeSignature ?? seed.timeSignature ?? COMMON_TIME;
  const barFrames = framesPerBar(sixteenthsPerBar(timeSignature), window.stepsPerQuarter);
  const continuation = request.continuation;
  const seedCount = seed.frames.length / window.pitches;
  // A clip whose meter changes keeps its own bar lines; the continuation goes on in its last meter.
  const layout =
    continuation && seed.meterMap
      ? continuationLayout(seed.meterMap, window.stepsPerQuarter, seedCount, continuation.bars, timeSignature)
      : undefined;
  const clipBars = layout ? layout.clipBars : Math.max(1, Math.ceil(seedCount / barFrames));
  const bars = continuation ? clipBars + continuation.bars : request.bars;
  const clipEnd = layout ? layout.clipEndStep : clipBars * barFrames;
  const outputFrom = continuation && !continuation.append ? clipEnd : 0;
  const totalFrames = layout ? layout.totalSteps : bars * barFrames;
  const takeMap =
    layout && outputFrom === 0 ? rescaleMeterMap(layout.map, window.stepsPerQuarter, GENERATED_PPQ) : undefined;
  const chordPlan = chordPlanOf(request.chords, loaded.spec, loaded.modelName, barFrames, outputFrom, totalFrames);
  const form = checkForm(request.form, bars, continuation !== undefined);
  // As for melodies: a loop's ending and a form's last section would fight over the same bars.
  if (form && request.loop)
    throw new FormError('Loop mode and a form both decide how the take ends: turn off one of them.');
  const run = await context.runner(
    {
      checkpoint: loaded.bytes,
      seedTokens: [],
      poly: {
        seedFrames: seed.frames,
        framesPerBar: barFrames,
        ...(layout ? { barPositions: Array.from(layout.barPositions) } : {}),
      },
      ...(totalFrames !== bars * barFrames ? { totalSteps: totalFrames } : {}),
      bars,
      temperature: request.temperature,
      variations: request.variations,
      randomSeed: request.randomSeed,
      engine: request.engine ?? 'auto',
      ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
      ...(chordPlan ? { chords: chordPlan.track } : {}),
      ...(request.loop ? { loop: { ...request.loop, loopStart: outputFrom } } : {}),
      ...(form ? { form } : {}),
      ...(key || range || density !== 0
        ? { controls: { key, range, strictness, ...(density !== 0 ? { density } : {}) } }
        : {}),
    },
    {
      ...(context.signal ? { signal: context.signal } : {}),
      ...(context.onProgress ? { onProgress: context.onProgress } : {}),
    },
  );
  if (context.signal?.aborted) throw new CancelledError('Generation cancelled');
  const rolls = run.rolls ?? [];
  const storedRequest = {
    ...storedSettings(request, {
      model: loaded.modelName,
      seedNotes: seed.description,
      bars,
      clipBars,
      outputFrom,
      bpm,
      timeSignature,
      ...(takeMap ? { takeMap } : {}),
      key,
      strictness,
      range,
      density,
      ...(form ? { form } : {}),
      checkpointEpoch: loaded.epoch,
    }),
    kind: loaded.spec.kind,
  };
  const variations = await storeTakes(
    library,
    {
      modelName: loaded.modelName,
      modelId: loaded.modelId,
      checkpointId: loaded.checkpointId,
      randomSeed: request.randomSeed,
      engineName: run.engine.name,
      storedRequest,
      ...(context.signal ? { signal: context.signal } : {}),
    },
    rolls.length,
    (index, name, derived) => {
      const roll = rolls[index];
      const frames = outputFrom > 0 ? roll.frames.subarray(outputFrom * window.pitches) : roll.frames;
      const take = polyTakeSequence(frames, window, {
        bpm,
        timeSignature,
        randomSeed: derived,
        name,
        key,
        ...(takeMap ? { meterMap: takeMap } : {}),
      });
      // A loop is exactly its bars (nothing sounds across the loop point) and its MIDI carries loop markers.
      const loopTicks = roll.loop ? take.totalTicks! : 0;
      const sequence = roll.loop ? clipToLoop(take, loopTicks) : take;
      const chords = takeChords(chordPlan, outputFrom, take.ppq / window.stepsPerQuarter);
      const markers = chords.map((c) => ({ tick: c.tick, text: c.symbol }));
      return {
        sequence,
        midi: roll.loop ? writeLoopMidi(sequence, loopTicks, markers) : writeMidi(sequence, { markers }),
        retries: roll.retries,
        rejected: roll.rejected,
        ...(roll.degenerate ? { degenerate: roll.degenerate } : {}),
        ...(roll.loop ? { loop: roll.loop } : {}),
        chords,
        stored: {
          emptyFrameShare: roll.emptyFrameShare,
          ...(chords.length ? { chordChanges: chords } : {}),
          ...(roll.loop
            ? { wrapScore: { before: roll.loop.wrapBefore, after: roll.loop.wrapAfter, tries: roll.loop.tries } }
            : {}),
        },
      };
    },
  );
  return {
    modelName: loaded.modelName,
    modelId: loaded.modelId,
    checkpointId: loaded.checkpointId,
    engine: { ...run.engine },
    bpm,
    timeSignature,
    key,
    range,
    strictness,
    ...(form ? { form } : {}),
    seedDescription: seed.description,
    variations,
  };
}
