// SPDX-License-Identifier: MIT
/**
 * The shapes of a generation, shared by every model kind's service (./generation.ts melodies, ./polyGeneration.ts
 * piano rolls) and the generation worker: what a request asks, what it answers, and what the engine run between them
 * takes and gives (plain data, so that it can be posted to a worker thread). Types only: the services import these,
 * never each other's modules for them.
 */
import type { EngineChoice } from '../../core/engine/select';
import type { EngineInfo } from '../../core/engine/types';
import type { ProgressSink } from '../../core/jobs/progress';
import type { GeneratedMelody } from '../../core/model/generate';
import type { GeneratedRoll } from '../../core/model/generatePoly';
import type { InfillResult } from '../../core/model/infill';
import type { PolyInfillResult } from '../../core/model/polyInfill';
import type { Meter } from '../../core/music/meter';
import type { PitchRange, ScaleKey } from '../../core/music/scales';
import type { CheckpointId, ModelId } from '../db/types';
import type { ChordRequest } from './chordRequest';
import type { InfillRunRequest } from './infillRun';
import type { GeneratedVariation } from './takeStore';

/**
 * How the melody starts: pitches (each a note), explicit tokens (with the tempo and meter of the piece they come
 * from, when known), or the opening of a MIDI file (`bars` bars of its own meter, default 2), or (`whole`) all of it,
 * leading silence included so that its bars stay where they are (a clip to continue).
 */
export type SeedInput =
  | { pitches: number[] }
  | { tokens: number[]; bpm?: number; timeSignature?: Meter; description?: string }
  | { midi: Uint8Array; name: string; bars?: number; whole?: boolean };

export interface GenerateRequest {
  /** A model name in the library, or 'default' for the bundled model. */
  model: string;
  seed: SeedInput;
  temperature: number;
  bars: number;
  variations: number;
  randomSeed: number;
  /** Tempo of the output (default: the seed's tempo, else 120 bpm). */
  bpm?: number;
  /** Meter of the output and of `bars` (default: the seed's, else 4/4). */
  timeSignature?: Meter;
  /** Key lock: a scale, or null/undefined for none. */
  key?: ScaleKey | null;
  /** Pitch range lock. */
  range?: PitchRange | null;
  /** 0..1: how strictly key and range hold (default 1). */
  strictness?: number;
  /** -1..1: sparser or busier than the model on its own (src/core/model/controls.ts; default 0). */
  density?: number;
  /** 0..1: timing and velocity jitter of the written notes (default 0). */
  humanise?: number;
  /**
   * Continue my clip: the seed (a MIDI clip, `whole`) primes the decoder in full and the model writes `bars` more bars
   * after the clip's last bar (the rest of that bar is filled too); `bars` of the request is then ignored. `append`:
   * the take is the clip (as the grid hears it) followed by the continuation; otherwise the continuation alone, from
   * the bar line after the clip. Unless `key` is given (null = off), the take is locked to the clip's key (the key
   * finder's) at strictness CONTINUATION_STRICTNESS (or the request's).
   */
  continuation?: { bars: number; append: boolean };
  /**
   * Loop mode (src/core/model/loop.ts): each take's last bar is re-sampled up to `tries` times (default 8) for the
   * best wrap into its first bar; the take is cut to exactly its bars and its MIDI carries loop markers.
   */
  loop?: { tries?: number };
  /** A form template (src/core/model/form.ts: AABA, ABAC, AAB, verse-chorus) over `bars`; undefined/'off' = none. */
  form?: string;
  /** Chords (a model trained with chords): a progression repeated over the take (./chordRequest.ts). */
  chords?: ChordRequest;
  engine?: EngineChoice;
  maxRetries?: number;
}

export interface GenerateResult {
  modelName: string;
  modelId: ModelId | null;
  checkpointId: CheckpointId | null;
  engine: EngineInfo;
  bpm: number;
  timeSignature: Meter;
  /** The seed's most likely key (Krumhansl-Schmuckler), shown as the default suggestion. */
  suggestedKey?: ScaleKey;
  /** What the take was locked to (null = off). */
  key: ScaleKey | null;
  range: PitchRange | null;
  strictness: number;
  /** The form the takes were generated in, if any. */
  form?: string;
  seedDescription: string;
  variations: GeneratedVariation[];
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
  /** Sixteenths per bar of the meter (default 16). */
  stepsPerBar?: number;
  /** Total steps (frames) of a take when not `bars` whole bars: a continuation of a clip whose meter changes. */
  totalSteps?: number;
  /** Key and range lock (plain data, so it can be posted to a worker). */
  controls?: { key?: ScaleKey | null; range?: PitchRange | null; strictness?: number; density?: number };
  /**
   * A polyphonic model's seed (flattened frames of its pitch window) and frames per bar; seedTokens is then []. With
   * `barPositions`, every frame's place in its bar (a clip's meter map) for the model's beat input.
   */
  poly?: { seedFrames: number[]; framesPerBar: number; barPositions?: number[] };
  /** Loop mode: re-sampled endings per take, and the step where the loop starts (default 0). */
  loop?: { tries?: number; loopStart?: number };
  /** A form template name (checked by generateFromLibrary); absent = no form. */
  form?: string;
  /** The chord of every step (melody) or frame (polyphonic) of a take, 12-bit masks, for a chord-conditioned model. */
  chords?: number[];
  /** Regenerate bars of these tokens (or a polyphonic take's frames) instead of sampling takes (./infillGeneration.ts). */
  infill?: InfillRunRequest;
  engine: EngineChoice;
}

export interface EngineRunResult {
  engine: EngineInfo;
  /** A melody model's takes ([] for a polyphonic model). */
  melodies: GeneratedMelody[];
  /** A polyphonic model's takes. */
  rolls?: GeneratedRoll[];
  /** The regenerated take, when the request was an infill. */
  infill?: InfillResult;
  /** The regenerated polyphonic take, when the request was an infill of a polyphonic model. */
  polyInfill?: PolyInfillResult;
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
