// SPDX-License-Identifier: MIT
/**
 * Composing with a model: loads a library model's latest checkpoint (or the bundled default model), runs the
 * thesis' stateful decoder (src/core/model/generate.ts), turns tokens into notes and MIDI with a real tempo, and
 * stores every variation as a generation with the full request (seed notes, temperature, bars, randomSeed, the
 * variation's derived seed, checkpoint), so the same request gives the same notes again.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeMelody, encodeMelody } from '../../core/encoding/melody';
import { selectEngine, type EngineChoice } from '../../core/engine/select';
import type { Decoder, EngineInfo } from '../../core/engine/types';
import { CancelledError, throttleProgress, type JobProgress, type ProgressSink } from '../../core/jobs/progress';
import { decodeCheckpoint, readCheckpointHeader } from '../../core/model/checkpoint';
import {
  generateMelodies,
  seedTokensFromPitches,
  SIXTEENTHS_PER_BAR,
  variationSeed,
  GenerationError,
  type GeneratedMelody,
} from '../../core/model/generate';
import { parseMidi } from '../../core/midi/readMidi';
import { writeMidi } from '../../core/midi/writeMidi';
import { parsePitchName } from '../../core/music/keys';
import type { NoteSequence } from '../../core/music/NoteSequence';
import type { ComposeResultDto } from '../../shared/dto';
import type { ParsedRequest } from '../../shared/ipc';
import { NotFoundError } from '../db/errors';
import type { Library } from '../db/open';
import type { CheckpointId, GenerationId, ModelId } from '../db/types';

/** The name that means the bundled model everywhere (CLI, app, studio). */
export const DEFAULT_MODEL_NAME = 'default';
/** Ticks per quarter of generated MIDI. */
export const GENERATED_PPQ = 480;
export const DEFAULT_BPM = 100;

/** resources/default-model/default.etude-ckpt in the source tree (the app passes its own resources path). */
export function bundledDefaultModelPath(): string {
  return path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../../resources/default-model/default.etude-ckpt',
  );
}

/** How the melody starts: pitches (each a note), explicit tokens, or the opening of a MIDI file. */
export type SeedInput =
  { pitches: number[] } | { tokens: number[] } | { midi: Uint8Array; name: string; bars?: number };

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

/** Seed tokens and the tempo a seed implies (a MIDI seed's own tempo). */
export function seedToTokens(seed: SeedInput): { tokens: number[]; bpm?: number; description: string } {
  if ('pitches' in seed) return { tokens: seedTokensFromPitches(seed.pitches), description: seed.pitches.join(',') };
  if ('tokens' in seed) return { tokens: seed.tokens, description: `${seed.tokens.length} tokens` };
  const sequence = parseMidi(seed.midi, seed.name);
  const all = encodeMelody(sequence);
  let start = 0;
  while (start < all.length && all[start] === 129) start++; // leading silence says nothing about the melody
  const tokens = all.slice(start, start + (seed.bars ?? 2) * SIXTEENTHS_PER_BAR);
  if (!tokens.some((t) => t < 128))
    throw new GenerationError(
      'GENERATION_BAD_SEED',
      `The seed MIDI file ${seed.name} has no melody notes to start from.`,
    );
  return {
    tokens,
    ...(sequence.tempos[0] ? { bpm: sequence.tempos[0].bpm } : {}),
    description: `opening of ${seed.name}`,
  };
}

export interface GenerateRequest {
  /** A model name in the library, or 'default' for the bundled model. */
  model: string;
  seed: SeedInput;
  temperature: number;
  bars: number;
  variations: number;
  randomSeed: number;
  /** Tempo of the output (default: the MIDI seed's tempo, else 100 bpm). */
  bpm?: number;
  engine?: EngineChoice;
  maxRetries?: number;
}

export interface GeneratedVariation {
  generationId: GenerationId;
  index: number;
  randomSeed: number;
  tokens: number[];
  sequence: NoteSequence;
  midi: Uint8Array;
  retries: number;
  rejected: string[];
  degenerate?: string;
}

export interface GenerateResult {
  modelName: string;
  modelId: ModelId | null;
  checkpointId: CheckpointId | null;
  engine: EngineInfo;
  bpm: number;
  seedDescription: string;
  variations: GeneratedVariation[];
}

/**
 * The checkpoint a model name refers to, as bytes (decoded where the engine runs, e.g. in the generation worker) and
 * its epoch (from the header, so this thread never walks the weights).
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
  const latest = library.checkpoints.latestCheckpoint(row.id);
  if (!latest)
    throw new GenerationError(
      'GENERATION_NO_CHECKPOINT',
      `The model "${row.name}" has no checkpoint yet (status ${row.status}); train at least one epoch.`,
    );
  return {
    bytes: latest.data,
    epoch: readCheckpointHeader(latest.data).epoch,
    modelName: row.name,
    modelId: row.id,
    checkpointId: latest.id,
  };
}

/** What the engine needs to sample melodies: plain data, so it can be posted to a worker thread. */
export interface EngineRunRequest {
  /** The checkpoint's bytes (.etude-ckpt). */
  checkpoint: Uint8Array;
  seedTokens: number[];
  bars: number;
  temperature: number;
  variations: number;
  randomSeed: number;
  maxRetries?: number;
  engine: EngineChoice;
}

export interface EngineRunResult {
  engine: EngineInfo;
  melodies: GeneratedMelody[];
}

export interface EngineRunJob {
  signal?: AbortSignal;
  onProgress?: ProgressSink;
  /**
   * Polled before every decoder step (each generated token): true stops the run with CancelledError. A worker reads
   * a shared flag here, since a run of synchronous steps never lets its 'cancel' message through.
   */
  isCancelled?: () => boolean;
}

/**
 * Where the engine runs. The default, runGeneration, runs it on the calling thread; the app and the studio pass one
 * that runs it in a worker thread (src/main/jobs/generationWorkerRunner.ts), so the thread serving IPC stays free.
 */
export type GenerationRunner = (request: EngineRunRequest, job: EngineRunJob) => Promise<EngineRunResult>;

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
    const model = await engine.createModel(checkpoint.spec, checkpoint.training, checkpoint.weights);
    const tokensPerVariation = request.bars * SIXTEENTHS_PER_BAR;
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
        const [melody] = await generateMelodies(decoder, {
          seedTokens: request.seedTokens,
          bars: request.bars,
          temperature: request.temperature,
          variations: 1,
          firstVariation: variation,
          randomSeed: request.randomSeed,
          ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
          ...(job.signal ? { signal: job.signal } : {}),
        });
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
  const seed = seedToTokens(request.seed);
  const bpm = request.bpm ?? seed.bpm ?? DEFAULT_BPM;
  const runner = context.runner ?? runGeneration;
  const progress = context.onProgress ? variationProgress(context.onProgress) : undefined;
  let run: EngineRunResult;
  try {
    run = await runner(
      {
        checkpoint: bytes,
        seedTokens: seed.tokens,
        bars: request.bars,
        temperature: request.temperature,
        variations: request.variations,
        randomSeed: request.randomSeed,
        engine: request.engine ?? 'auto',
        ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
      },
      { ...(context.signal ? { signal: context.signal } : {}), ...(progress ? { onProgress: progress } : {}) },
    );
  } finally {
    progress?.flush();
  }
  if (context.signal?.aborted) throw new CancelledError('Generation cancelled');
  const { engine, melodies } = run;
  const storedRequest = {
    model: modelName,
    seedNotes: seed.description,
    seedTokens: seed.tokens,
    temperature: request.temperature,
    bars: request.bars,
    variations: request.variations,
    randomSeed: request.randomSeed,
    bpm,
    checkpointEpoch: epoch,
  };
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const variations: GeneratedVariation[] = [];
  for (const [index, m] of melodies.entries()) {
    // Storing a take costs a few ms (MIDI, the row): yield between takes, so that a big request never holds the
    // thread that serves IPC for longer than one of them.
    if (index > 0) await new Promise((resolve) => setImmediate(resolve));
    if (context.signal?.aborted) {
      // Cancelled while storing: take back what this request stored, so a cancelled job leaves nothing behind.
      for (const v of variations) library.generations.deleteGeneration(v.generationId);
      throw new CancelledError('Generation cancelled');
    }
    const name = `${modelName} ${stamp} #${index + 1}`;
    const sequence = decodeMelody(m.tokens, { ppq: GENERATED_PPQ, bpm, name });
    const midi = writeMidi(sequence);
    const derived = variationSeed(request.randomSeed, index);
    const row = library.generations.saveGeneration({
      modelId,
      checkpointId,
      request: {
        ...storedRequest,
        variation: index,
        variationSeed: derived,
        engine: engine.name,
        retries: m.retries,
      },
      tokens: Uint8Array.from(m.tokens),
      sequence,
      name,
    });
    variations.push({
      generationId: row.id,
      index,
      randomSeed: derived,
      tokens: m.tokens,
      sequence,
      midi,
      retries: m.retries,
      rejected: m.rejected,
      ...(m.degenerate ? { degenerate: m.degenerate } : {}),
    });
  }
  return {
    modelName,
    modelId,
    checkpointId,
    engine: { ...engine },
    bpm,
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
      seed: { pitches: request.seedNotes },
      temperature: request.temperature,
      bars: request.bars,
      variations: request.variations,
      randomSeed: request.randomSeed,
    },
    context,
  );
  return {
    modelName: result.modelName,
    engine: result.engine.description,
    variations: result.variations.map((v) => ({
      generationId: String(v.generationId),
      index: v.index,
      randomSeed: v.randomSeed,
      tokens: v.tokens,
      notes: v.sequence.tracks[0].notes.map((n) => ({
        pitch: n.pitch,
        startTick: n.startTick,
        durationTicks: n.durationTicks,
        velocity: n.velocity,
      })),
      ppq: v.sequence.ppq,
      bpm: result.bpm,
      resampled: v.retries,
    })),
  };
}
