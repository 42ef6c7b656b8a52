// SPDX-License-Identifier: MIT
/**
 * Composing with a model: loads a library model's latest checkpoint (or the bundled default model), runs the
 * thesis' stateful decoder (src/core/model/generate.ts), turns tokens into notes and MIDI with a real tempo, meter and
 * velocities, and stores every variation as a generation with the full request (seed notes, temperature, bars,
 * randomSeed, the variation's derived seed, checkpoint, key lock, meter, tempo, humanise), so the same request gives
 * the same notes again.
 *
 * Tempo: the request's bpm, else the seed's (a MIDI seed's first tempo, or the corpus piece's), else 120 bpm, the
 * MIDI default. Meter: the request's, else the seed's first time signature, else 4/4; `bars` are bars of that meter.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMelody } from '../../core/encoding/melody';
import { selectEngine } from '../../core/engine/select';
import type { Decoder } from '../../core/engine/types';
import { CancelledError, throttleProgress, type JobProgress, type ProgressSink } from '../../core/jobs/progress';
import { composingWeights, decodeCheckpoint, readCheckpointHeader } from '../../core/model/checkpoint';
import { isPolySpec } from '../../core/model/spec';
import {
  seedTokensFromPitches,
  setChordOf,
  SIXTEENTHS_PER_BAR,
  GenerationError,
  variationSeed,
  type GeneratedMelody,
} from '../../core/model/generate';
import { parseMidi } from '../../core/midi/readMidi';
import { writeMidi } from '../../core/midi/writeMidi';
import { chordPlanOf, takeChords } from './chordRequest';
import { composingCheckpoint } from './composingCheckpoint';
import { findKey, formatKey } from '../../core/analysis/keyFinder';
import { melodyPitchBias } from '../../core/model/controls';
import { melodyLoopRefiner } from '../../core/model/loop';
import { clipToLoop, writeLoopMidi } from '../../core/midi/loopMidi';
import { checkForm, FormError, melodyGenerator } from '../../core/model/form';
import { melodyVelocityBins } from '../../core/model/melodyLstmSpec';
import { drawVelocities, isVelocityDecoder, velocityFeedingDecoder, velocitySeed } from '../../core/model/velocity';
import { createRng } from '../../core/util/random';
import { GENERATED_PPQ, takeSequence } from '../../core/model/takes';
import { continuationLayout } from '../../core/model/continuationLayout';
import { lastMeter, rescaleMeterMap, sixteenthMeterMap } from '../../core/music/meterMap';
import { parsePitchName } from '../../core/music/keys';
import { COMMON_TIME, sixteenthsPerBar, type Meter } from '../../core/music/meter';
import type { Note, NoteSequence, TimeSignatureEvent } from '../../core/music/NoteSequence';
import { formatScaleKey, parseScaleKey, type ScaleKey } from '../../core/music/scales';
import { TAKES_PER_PAGE, type ComposeResultDto, type TimeSignatureDto } from '../../shared/dto';
import type { ParsedRequest } from '../../shared/ipc';
import { NotFoundError } from '../db/errors';
import { meterChangesOf } from './dto';
import type { Library } from '../db/open';
import type { CheckpointId, ModelId } from '../db/types';
import { generatePolyTakes, runPolyGeneration } from './polyGeneration';
import { runInfill, runPolyInfill } from './infillRun';
import { storedSettings, storeTakes } from './takeStore';
import type {
  SeedInput,
  GenerateRequest,
  GenerateResult,
  EngineRunRequest,
  EngineRunResult,
  EngineRunJob,
  GenerationRunner,
} from './generationRequest';

/** The name that means the bundled model everywhere (CLI, app, studio). */
export const DEFAULT_MODEL_NAME = 'default';
export { GENERATED_PPQ } from '../../core/model/takes';
/** How strictly a continuation holds the clip's key when the request names no key. */
export const CONTINUATION_STRICTNESS = 0.9;
/** Where nothing sets a tempo: the MIDI default, what every player assumes for a file without a tempo event. */
export const DEFAULT_BPM = 120;

/** resources/default-model/default.etude-ckpt in the source tree (the app passes its own resources path). */
export function bundledDefaultModelPath(): string {
  return path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../../resources/default-model/default.etude-ckpt',
  );
}

/**
 * Parses a --seed-notes value: "60", "C4,E4,G4" (numbers or names), or a path to a .mid/.midi file.
 * @throws PitchNameError for a bad pitch, GenerationError when a named MIDI file does not exist.
 */
export function parseSeedArgument(text: string, cwd = process.cwd()): SeedInput {
  if (/\.midi?$/i.test(text)) {
    const file = path.resolve(cwd, text);
    if (!existsSync(file))
      throw new GenerationError('GENERATION_BAD_SEED', `The seed MIDI file ${file} does not exist.`);
    return { midi: new Uint8Array(readFileSync(file)), name: path.basename(file) };
  }
  return { pitches: text.split(',').map((p) => parsePitchName(p)) };
}

/** What a seed gives the generation: its tokens, and the tempo and meter it implies (a MIDI seed's own). */
export interface SeedTokens {
  tokens: number[];
  bpm?: number;
  timeSignature?: Meter;
  /**
   * A whole MIDI clip's time-signature map, ticks in sixteenths (its tokens' steps): where its bar lines are when its
   * meter changes. `timeSignature` is then the meter the clip ends in, the one a continuation goes on in.
   */
  meterMap?: TimeSignatureEvent[];
  description: string;
}

/** The notes of seed tokens, each held until the next event (for the key finder; ticks are sixteenths). */
function seedNotes(tokens: readonly number[]): Note[] {
  const notes: Note[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] >= 128) continue;
    let end = i + 1;
    while (end < tokens.length && tokens[end] === 129) end++;
    notes.push({ pitch: tokens[i], startTick: i, durationTicks: end - i, velocity: 100 });
  }
  return notes;
}

/**
 * The most likely key of some melody tokens by the analysis module's Krumhansl-Schmuckler key finder, as a lockable
 * key ("D minor"), or undefined when they hold no note.
 */
export function suggestKey(tokens: readonly number[]): ScaleKey | undefined {
  const notes = seedNotes(tokens);
  if (notes.length === 0) return undefined;
  const [tonic, mode] = formatKey(findKey(notes)).split(' ');
  return { tonic, scale: mode === 'minor' ? 'minor' : 'major' };
}

/** The first time signature a piece states whose bar the sixteenth grid holds, else undefined. */
export function meterOf(sequence: Pick<NoteSequence, 'timeSignatures'>): Meter | undefined {
  const first = sequence.timeSignatures[0];
  if (!first) return undefined;
  try {
    sixteenthsPerBar(first);
    return { numerator: first.numerator, denominator: first.denominator };
  } catch {
    return undefined;
  }
}

/** Steps of a clip's tokens: the encoder closes the last note with a note-off one step after it, not part of the clip. */
function clipStepsOf(tokens: readonly number[]): number {
  return tokens.length - (tokens[tokens.length - 1] === 128 ? 1 : 0);
}

/** Seed tokens and the tempo and meter a seed implies (a MIDI seed's own). */
export function seedToTokens(seed: SeedInput): SeedTokens {
  if ('pitches' in seed) return { tokens: seedTokensFromPitches(seed.pitches), description: seed.pitches.join(',') };
  if ('tokens' in seed)
    return {
      tokens: seed.tokens,
      ...(seed.bpm ? { bpm: seed.bpm } : {}),
      ...(seed.timeSignature ? { timeSignature: seed.timeSignature } : {}),
      description: seed.description ?? `${seed.tokens.length} tokens`,
    };
  const sequence = parseMidi(seed.midi, seed.name);
  const meterMap = seed.whole ? sixteenthMeterMap(sequence) : undefined;
  const timeSignature = meterMap ? lastMeter(meterMap) : meterOf(sequence);
  const all = encodeMelody(sequence);
  const barSteps = sixteenthsPerBar(timeSignature ?? COMMON_TIME);
  let start = 0;
  while (start < all.length && all[start] === 129) start++; // leading silence says nothing about the melody...
  start -= start % barSteps; // ...but whole bars of it are skipped only, so a pickup keeps its place before the bar line
  const tokens = seed.whole ? all : all.slice(start, start + (seed.bars ?? 2) * barSteps);
  if (!tokens.some((t) => t < 128))
    throw new GenerationError(
      'GENERATION_BAD_SEED',
      `The seed MIDI file ${seed.name} has no melody notes to start from.`,
    );
  return {
    tokens,
    ...(sequence.tempos[0] ? { bpm: sequence.tempos[0].bpm } : {}),
    ...(timeSignature ? { timeSignature } : {}),
    ...(meterMap && meterMap.length > 1 ? { meterMap } : {}),
    description: seed.whole ? `all of ${seed.name}` : `opening of ${seed.name}`,
  };
}

/**
 * The checkpoint a model name composes with (its best on valid: ./composingCheckpoint.ts), as bytes (decoded where
 * the engine runs, e.g. in the generation worker) and its epoch (from the header, so this thread never walks the
 * weights).
 * @throws NotFoundError, GenerationError, CheckpointError (a file that is not a checkpoint)
 */
export function loadModelCheckpoint(
  library: Library,
  model: string,
  defaultModelPath: string | null = bundledDefaultModelPath(),
): { bytes: Uint8Array; epoch: number; modelName: string; modelId: ModelId | null; checkpointId: CheckpointId | null } {
  if (model === DEFAULT_MODEL_NAME) {
    if (!defaultModelPath || !existsSync(defaultModelPath))
      throw new GenerationError(
        'GENERATION_NO_DEFAULT_MODEL',
        `The bundled default model is missing (${defaultModelPath ?? 'no resources folder'}); reinstall Etude or train a model.`,
      );
    const bytes = new Uint8Array(readFileSync(defaultModelPath));
    return {
      bytes,
      epoch: readCheckpointHeader(bytes).epoch,
      modelName: DEFAULT_MODEL_NAME,
      modelId: null,
      checkpointId: null,
    };
  }
  const row = /^\d+$/.test(model)
    ? (library.models.getModel(Number(model) as ModelId) ?? library.models.getModelByName(model))
    : library.models.getModelByName(model);
  if (!row) throw new NotFoundError('model', model, 'List models with `etude models`; `default` is the bundled model.');
  // The best on valid, not the newest (./composingCheckpoint.ts).
  const composing = composingCheckpoint(library, row.id);
  if (!composing)
    throw new GenerationError(
      'GENERATION_NO_CHECKPOINT',
      `The model "${row.name}" has no checkpoint yet (status ${row.status}); train at least one epoch.`,
    );
  return {
    bytes: composing.data,
    epoch: readCheckpointHeader(composing.data).epoch,
    modelName: row.name,
    modelId: row.id,
    checkpointId: composing.id,
  };
}

/**
 * At most 10 progress events a second, except that the start of each variation (a new `current`) or phase always goes
 * out, so a listener sees every variation however fast they come (at most `variations` extra events).
 */
function variationProgress(sink: ProgressSink): ProgressSink & { flush(): void } {
  const throttled = throttleProgress(sink);
  let last: JobProgress | undefined;
  let pending = false;
  const each = ((p: JobProgress) => {
    if (!last || p.current !== last.current || p.phase !== last.phase) {
      last = p;
      pending = false;
      sink(p);
    } else {
      last = p;
      pending = true;
      throttled(p);
    }
  }) as ProgressSink & { flush(): void };
  each.flush = () => {
    if (pending) throttled.flush();
    pending = false;
  };
  return each;
}

/** Keeps the velocity stream that feeds a form's or a loop's sampling apart from the one that draws its velocities. */
const FEEDING_SALT = 0x51ed27;

/** Progress is said at most this often from inside a variation (tokens), besides once per variation. */
const TOKEN_PROGRESS_EVERY = 64;

/**
 * A decoder that counts steps and stops when asked: cancel is then checked per token whatever the engine, and
 * whether its step answers logits or (an asynchronous engine) a promise of them.
 */
function watchedDecoder(inner: Decoder, onStep: () => void): Decoder {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'step')
        return (token: number) => {
          onStep();
          return target.step(token);
        };
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Samples the request's variations one after another on this thread, reporting progress per variation (and every
 * TOKEN_PROGRESS_EVERY tokens within one) and checking cancel before every decoder step.
 * @throws GenerationError (seed/length), CheckpointError, EngineUnavailableError, CancelledError
 */
export async function runGeneration(request: EngineRunRequest, job: EngineRunJob = {}): Promise<EngineRunResult> {
  const cancelled = () => (job.signal?.aborted ?? false) || (job.isCancelled?.() ?? false);
  if (cancelled()) throw new CancelledError('Generation cancelled');
  const checkpoint = decodeCheckpoint(request.checkpoint);
  const total = request.variations;
  job.onProgress?.({ phase: 'loading model', current: 0, total });
  // Batch-1 decoding gains nothing from threads.
  const engine = await selectEngine({ engine: request.engine, threads: 1 });
  try {
    const model = await engine.createModel(checkpoint.spec, checkpoint.training, composingWeights(checkpoint).weights);
    if (isPolySpec(checkpoint.spec)) {
      try {
        if (request.infill) {
          const polyInfill = await runPolyInfill(model, checkpoint.spec, request, job, cancelled);
          return { engine: { ...engine.info }, melodies: [], polyInfill };
        }
        const rolls = await runPolyGeneration(model, request, {
          ...job,
          cancelled,
          spec: checkpoint.spec,
          engineDescription: engine.info.description,
        });
        job.onProgress?.({ phase: 'generated', current: total, total, engine: engine.info.description });
        return { engine: { ...engine.info }, melodies: [], rolls };
      } finally {
        model.dispose();
      }
    }
    if (request.infill) {
      try {
        return { engine: { ...engine.info }, melodies: [], infill: await runInfill(model, request, job, cancelled) };
      } finally {
        model.dispose();
      }
    }
    const stepsPerBar = request.stepsPerBar ?? SIXTEENTHS_PER_BAR;
    const tokensPerVariation = request.totalSteps ?? request.bars * stepsPerBar;
    // A velocity-aware model writes its own velocities (src/core/model/velocity.ts).
    const centres = melodyVelocityBins(checkpoint.spec) > 0 ? checkpoint.spec.velocityCentres : undefined;
    const bias = melodyPitchBias(request.controls);
    let variation = 0;
    let steps = 0;
    const decoder = watchedDecoder(model.createDecoder(), () => {
      if (cancelled()) throw new CancelledError('Generation cancelled');
      steps++;
      if (steps % TOKEN_PROGRESS_EVERY === 0)
        job.onProgress?.({
          phase: 'generating',
          current: variation,
          total,
          detail: `variation ${variation + 1} of ${total}: ${Math.min(steps, tokensPerVariation)} of ${tokensPerVariation} sixteenths`,
          engine: engine.info.description,
        });
    });
    const melodies: GeneratedMelody[] = [];
    try {
      for (variation = 0; variation < total; variation++) {
        steps = 0;
        job.onProgress?.({
          phase: 'generating',
          current: variation,
          total,
          detail: `variation ${variation + 1} of ${total}`,
          engine: engine.info.description,
        });
        // Awaited per variation: works for a synchronous decoder and for one whose steps are asynchronous.
        const options = {
          seedTokens: request.seedTokens,
          bars: request.bars,
          temperature: request.temperature,
          variations: 1,
          firstVariation: variation,
          randomSeed: request.randomSeed,
          stepsPerBar,
          ...(request.totalSteps !== undefined ? { totalSteps: request.totalSteps } : {}),
          ...(request.chords ? { chords: request.chords } : {}),
          ...(centres ? { velocityCentres: centres } : {}),
          ...(bias ? { logitBias: () => bias } : {}),
          ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
          ...(job.signal ? { signal: job.signal } : {}),
        };
        // Forms and loops step tokens themselves: a velocity-aware model is fed its velocity input on the way.
        const velocitySeedOf = velocitySeed(variationSeed(request.randomSeed, variation));
        const sampler =
          centres && isVelocityDecoder(decoder) && (request.form || request.loop)
            ? velocityFeedingDecoder(decoder, request.temperature, createRng(velocitySeedOf ^ FEEDING_SALT))
            : decoder;
        const [melody] = await melodyGenerator(request.form)(sampler, {
          ...options,
          ...(request.loop ? { refine: melodyLoopRefiner(sampler, options, request.loop) } : {}),
        });
        // A form's or a loop's tokens are drawn piecewise: their velocities are drawn over the finished tokens.
        if (centres && isVelocityDecoder(decoder) && (request.form || request.loop || !melody.velocities)) {
          const chords = request.chords;
          melody.velocities = await drawVelocities(decoder, melody.tokens, {
            temperature: request.temperature,
            rng: createRng(velocitySeedOf),
            centres,
            ...(chords ? { chordOf: (step: number) => setChordOf(decoder, chords, step) } : {}),
          });
        }
        melodies.push(melody);
      }
    } finally {
      decoder.dispose();
      model.dispose();
    }
    job.onProgress?.({ phase: 'generated', current: total, total, engine: engine.info.description });
    return { engine: { ...engine.info }, melodies };
  } finally {
    await engine.dispose();
  }
}

/**
 * Generates and stores `variations` melodies. The engine runs where `context.runner` puts it (default: this thread);
 * progress goes to `context.onProgress` (throttled to 10/s), cancel is checked per generated token, and nothing is
 * stored for a cancelled run.
 * @throws NotFoundError (model), GenerationError (seed/length), CheckpointError, CancelledError
 */
export async function generateFromLibrary(
  library: Library,
  request: GenerateRequest,
  context: {
    defaultModelPath?: string | null;
    signal?: AbortSignal;
    onProgress?: ProgressSink;
    runner?: GenerationRunner;
  } = {},
): Promise<GenerateResult> {
  const { bytes, epoch, modelName, modelId, checkpointId } = loadModelCheckpoint(
    library,
    request.model,
    context.defaultModelPath === undefined ? bundledDefaultModelPath() : context.defaultModelPath,
  );
  const { spec } = readCheckpointHeader(bytes);
  if (isPolySpec(spec)) {
    const progress = context.onProgress ? variationProgress(context.onProgress) : undefined;
    try {
      return await generatePolyTakes(
        library,
        request,
        { bytes, epoch, modelName, modelId, checkpointId, spec },
        {
          runner: context.runner ?? runGeneration,
          defaultBpm: DEFAULT_BPM,
          ...(context.signal ? { signal: context.signal } : {}),
          ...(progress ? { onProgress: progress } : {}),
        },
      );
    } finally {
      progress?.flush();
    }
  }
  const seed = seedToTokens(request.seed);
  // A tempo read from MIDI is 60e6 / whole microseconds (90 bpm reads 90.00009): keep three decimals.
  const bpm = Math.round((request.bpm ?? seed.bpm ?? DEFAULT_BPM) * 1000) / 1000;
  const timeSignature = request.timeSignature ?? seed.timeSignature ?? COMMON_TIME;
  const stepsPerBar = sixteenthsPerBar(timeSignature);
  const suggestedKey = suggestKey(seed.tokens);
  const continuation = request.continuation;
  // A clip whose meter changes keeps its own bar lines; the continuation goes on in its last meter.
  const layout =
    continuation && seed.meterMap
      ? continuationLayout(seed.meterMap, 4, clipStepsOf(seed.tokens), continuation.bars, timeSignature)
      : undefined;
  const key = request.key !== undefined ? request.key : continuation ? (suggestedKey ?? null) : null;
  const range = request.range ?? null;
  const strictness = request.strictness ?? (continuation && request.key === undefined ? CONTINUATION_STRICTNESS : 1);
  const humanise = request.humanise ?? 0;
  // A continuation runs to `continuation.bars` bars after the clip's last (partial) bar.
  // The encoder closes the clip's last note with a note-off one step after it: that step is not part of the clip.
  const clipSteps = clipStepsOf(seed.tokens);
  const clipBars = layout ? layout.clipBars : Math.max(1, Math.ceil(clipSteps / stepsPerBar));
  const bars = continuation ? clipBars + continuation.bars : request.bars;
  const clipEnd = layout ? layout.clipEndStep : clipBars * stepsPerBar;
  const outputFrom = continuation && !continuation.append ? clipEnd : 0;
  const totalSteps = layout ? layout.totalSteps : bars * stepsPerBar;
  // The take's bar lines, ticks in sixteenths: the clip's map then its last meter (append), else the one meter.
  const takeMap = layout && outputFrom === 0 ? layout.map : undefined;
  // Validates strictness (and the scale), and the form, before any work.
  const density = request.density ?? 0;
  melodyPitchBias({ key, range, strictness, density });
  const form = checkForm(request.form, bars, continuation !== undefined);
  // A loop's ending is re-drawn to lead into its first bar; a form's last section is a varied repeat of its first:
  // the two would fight over the same bars.
  if (form && request.loop)
    throw new FormError('Loop mode and a form both decide how the take ends: turn off one of them.');
  const chordPlan = chordPlanOf(request.chords, spec, modelName, stepsPerBar, outputFrom, totalSteps);
  const runner = context.runner ?? runGeneration;
  const progress = context.onProgress ? variationProgress(context.onProgress) : undefined;
  let run: EngineRunResult;
  try {
    run = await runner(
      {
        checkpoint: bytes,
        seedTokens: seed.tokens,
        bars,
        temperature: request.temperature,
        variations: request.variations,
        randomSeed: request.randomSeed,
        engine: request.engine ?? 'auto',
        ...(stepsPerBar !== SIXTEENTHS_PER_BAR ? { stepsPerBar } : {}),
        ...(totalSteps !== bars * stepsPerBar ? { totalSteps } : {}),
        ...(key || range || density !== 0
          ? { controls: { key, range, strictness, ...(density !== 0 ? { density } : {}) } }
          : {}),
        ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
        ...(request.loop ? { loop: { ...request.loop, loopStart: outputFrom } } : {}),
        ...(form ? { form } : {}),
        ...(chordPlan ? { chords: chordPlan.track } : {}),
      },
      { ...(context.signal ? { signal: context.signal } : {}), ...(progress ? { onProgress: progress } : {}) },
    );
  } finally {
    progress?.flush();
  }
  if (context.signal?.aborted) throw new CancelledError('Generation cancelled');
  const { engine, melodies } = run;
  const storedRequest = {
    ...storedSettings(request, {
      model: modelName,
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
      checkpointEpoch: epoch,
    }),
    seedTokens: seed.tokens,
    humanise,
  };
  const variations = await storeTakes(
    library,
    {
      modelName,
      modelId,
      checkpointId,
      randomSeed: request.randomSeed,
      engineName: engine.name,
      storedRequest,
      ...(context.signal ? { signal: context.signal } : {}),
    },
    melodies.length,
    (index, name, derived) => {
      const m = melodies[index];
      const tokens = outputFrom > 0 ? m.tokens.slice(outputFrom) : m.tokens;
      const velocities = m.velocities && (outputFrom > 0 ? m.velocities.slice(outputFrom) : m.velocities);
      const take = takeSequence(tokens, {
        bpm,
        timeSignature,
        humanise,
        randomSeed: derived,
        name,
        key,
        ...(velocities ? { velocities } : {}),
        ...(takeMap ? { meterMap: rescaleMeterMap(takeMap, 4, GENERATED_PPQ) } : {}),
      });
      // A loop is exactly its bars (nothing sounds across the loop point) and its MIDI carries loop markers.
      const loopTicks = m.loop ? (tokens.length * take.ppq) / 4 : 0;
      const sequence = m.loop ? clipToLoop(take, loopTicks) : take;
      const chords = takeChords(chordPlan, outputFrom, take.ppq / 4);
      const markers = chords.map((c) => ({ tick: c.tick, text: c.symbol }));
      return {
        sequence,
        midi: m.loop ? writeLoopMidi(sequence, loopTicks, markers) : writeMidi(sequence, { markers }),
        tokens,
        retries: m.retries,
        rejected: m.rejected,
        ...(m.degenerate ? { degenerate: m.degenerate } : {}),
        ...(m.loop ? { loop: m.loop } : {}),
        chords,
        stored: {
          ...(chords.length ? { chordChanges: chords } : {}),
          ...(m.loop ? { wrapScore: { before: m.loop.wrapBefore, after: m.loop.wrapAfter, tries: m.loop.tries } } : {}),
        },
      };
    },
  );
  return {
    modelName,
    modelId,
    checkpointId,
    engine: { ...engine },
    bpm,
    timeSignature,
    ...(suggestedKey ? { suggestedKey } : {}),
    key,
    range,
    strictness,
    ...(form ? { form } : {}),
    seedDescription: seed.description,
    variations,
  };
}

/** The app/studio door's generator (AppServicesOptions.generator): a 'compose:generate' job -> generateFromLibrary. */
export async function generateFromRequest(
  library: Library,
  request: ParsedRequest<'compose:generate'>,
  context: {
    defaultModelPath: string | null;
    signal?: AbortSignal;
    onProgress?: ProgressSink;
    runner?: GenerationRunner;
  },
): Promise<ComposeResultDto> {
  const result = await generateFromLibrary(
    library,
    {
      model: request.model,
      seed: request.continueClip
        ? { midi: request.continueClip.bytes, name: request.continueClip.name, whole: true }
        : { pitches: request.seedNotes },
      ...(request.continueClip ? { continuation: { bars: request.bars, append: request.continueClip.append } } : {}),
      temperature: request.temperature,
      bars: request.bars,
      variations: request.variations,
      randomSeed: request.randomSeed,
      ...(request.key !== undefined ? { key: parseScaleKey(request.key) } : {}),
      ...(request.strictness !== undefined ? { strictness: request.strictness } : {}),
      ...(request.range ? { range: request.range } : {}),
      ...(request.timeSignature ? { timeSignature: request.timeSignature } : {}),
      ...(request.bpm !== undefined ? { bpm: request.bpm } : {}),
      ...(request.humanise !== undefined ? { humanise: request.humanise } : {}),
      ...(request.density !== undefined ? { density: request.density } : {}),
      ...(request.loop ? { loop: {} } : {}),
      ...(request.form !== undefined ? { form: request.form } : {}),
      ...(request.chords ? { chords: request.chords } : {}),
    },
    context,
  );
  return {
    modelName: result.modelName,
    engine: result.engine.description,
    ...(result.suggestedKey ? { suggestedKey: formatScaleKey(result.suggestedKey) } : {}),
    key: result.key ? formatScaleKey(result.key) : 'off',
    variations: result.variations.map((v) => {
      const common = {
        generationId: String(v.generationId),
        index: v.index,
        randomSeed: v.randomSeed,
        ppq: v.sequence.ppq,
        bpm: result.bpm,
        timeSignature: result.timeSignature as TimeSignatureDto,
        ...meterChangesOf(v.sequence),
        resampled: v.retries,
        // A melody take's tokens include its seed; a polyphonic take has none (two staves' tracks instead).
        ...(v.tokens.length === 0 ? { polyphonic: true as const } : {}),
        ...(v.loop
          ? { loop: { wrapBefore: v.loop.wrapBefore, wrapAfter: v.loop.wrapAfter, tries: v.loop.tries } }
          : {}),
        ...(v.chords ? { chords: v.chords } : {}),
      };
      // Beyond the first page the screen fetches a take when it shows it (generations:get): the result stays small.
      if (v.index >= TAKES_PER_PAGE) return { ...common, tokens: [], notes: [], deferred: true as const };
      // Every track's notes (a polyphonic take has two staves), in time order for the roll.
      const notes = v.sequence.tracks
        .flatMap((t) => t.notes)
        .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch)
        .map((n) => ({
          pitch: n.pitch,
          startTick: n.startTick,
          durationTicks: n.durationTicks,
          velocity: n.velocity,
        }));
      return { ...common, tokens: v.tokens, notes };
    }),
  };
}
