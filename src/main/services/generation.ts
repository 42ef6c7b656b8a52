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
import type { EngineInfo } from '../../core/engine/types';
import { decodeCheckpoint, type Checkpoint } from '../../core/model/checkpoint';
import {
  generateMelodies,
  seedTokensFromPitches,
  SIXTEENTHS_PER_BAR,
  variationSeed,
  GenerationError,
} from '../../core/model/generate';
import { parseMidi } from '../../core/midi/readMidi';
import { writeMidi } from '../../core/midi/writeMidi';
import { parsePitchName } from '../../core/music/keys';
import type { NoteSequence } from '../../core/music/NoteSequence';
import type { CallResponse, ParsedRequest } from '../../shared/ipc';
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

/** The checkpoint a model name refers to. @throws NotFoundError, GenerationError */
export function loadModelCheckpoint(
  library: Library,
  model: string,
  defaultModelPath: string | null = bundledDefaultModelPath(),
): { checkpoint: Checkpoint; modelName: string; modelId: ModelId | null; checkpointId: CheckpointId | null } {
  if (model === DEFAULT_MODEL_NAME) {
    if (!defaultModelPath || !existsSync(defaultModelPath))
      throw new GenerationError(
        'GENERATION_NO_DEFAULT_MODEL',
        `The bundled default model is missing (${defaultModelPath ?? 'no resources folder'}); reinstall Etude or train a model.`,
      );
    return {
      checkpoint: decodeCheckpoint(new Uint8Array(readFileSync(defaultModelPath))),
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
  return { checkpoint: decodeCheckpoint(latest.data), modelName: row.name, modelId: row.id, checkpointId: latest.id };
}

/**
 * Generates and stores `variations` melodies.
 * @throws NotFoundError (model), GenerationError (seed/length), CheckpointError, CancelledError
 */
export async function generateFromLibrary(
  library: Library,
  request: GenerateRequest,
  context: { defaultModelPath?: string | null; signal?: AbortSignal } = {},
): Promise<GenerateResult> {
  const { checkpoint, modelName, modelId, checkpointId } = loadModelCheckpoint(
    library,
    request.model,
    context.defaultModelPath === undefined ? bundledDefaultModelPath() : context.defaultModelPath,
  );
  const seed = seedToTokens(request.seed);
  const bpm = request.bpm ?? seed.bpm ?? DEFAULT_BPM;
  // Batch-1 decoding gains nothing from threads.
  const engine = await selectEngine({ engine: request.engine ?? 'auto', threads: 1 });
  try {
    const model = await engine.createModel(checkpoint.spec, checkpoint.training, checkpoint.weights);
    const decoder = model.createDecoder();
    let melodies;
    try {
      melodies = await generateMelodies(decoder, {
        seedTokens: seed.tokens,
        bars: request.bars,
        temperature: request.temperature,
        variations: request.variations,
        randomSeed: request.randomSeed,
        ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
      });
    } finally {
      decoder.dispose();
      model.dispose();
    }
    const storedRequest = {
      model: modelName,
      seedNotes: seed.description,
      seedTokens: seed.tokens,
      temperature: request.temperature,
      bars: request.bars,
      variations: request.variations,
      randomSeed: request.randomSeed,
      bpm,
      checkpointEpoch: checkpoint.epoch,
    };
    const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const variations = melodies.map((m, index): GeneratedVariation => {
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
          engine: engine.info.name,
          retries: m.retries,
        },
        tokens: Uint8Array.from(m.tokens),
        sequence,
        name,
      });
      return {
        generationId: row.id,
        index,
        randomSeed: derived,
        tokens: m.tokens,
        sequence,
        midi,
        retries: m.retries,
        rejected: m.rejected,
        ...(m.degenerate ? { degenerate: m.degenerate } : {}),
      };
    });
    return {
      modelName,
      modelId,
      checkpointId,
      engine: { ...engine.info },
      bpm,
      seedDescription: seed.description,
      variations,
    };
  } finally {
    await engine.dispose();
  }
}

/** The app/studio door's generator (AppServicesOptions.generator): 'compose:generate' -> generateFromLibrary. */
export async function generateFromRequest(
  library: Library,
  request: ParsedRequest<'compose:generate'>,
  context: { defaultModelPath: string | null },
): Promise<CallResponse<'compose:generate'>> {
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
    { defaultModelPath: context.defaultModelPath },
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
