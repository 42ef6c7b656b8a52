// SPDX-License-Identifier: MIT
/**
 * Storing a request's takes as generations, for every model kind (./generation.ts melodies, ./polyGeneration.ts
 * piano rolls): each take is named "<model> <time> #<n>", stored with the request every take shares, its variation
 * and derived random seed, the engine, its retries and what its kind adds, and answered as a GeneratedVariation.
 *
 * Storing a take costs a few ms (MIDI, the row): the loop yields between takes, so a big request never holds the
 * thread that serves IPC for longer than one of them; a request cancelled while storing takes back what it stored, so
 * a cancelled job leaves nothing behind.
 */
import { CancelledError } from '../../core/jobs/progress';
import { variationSeed } from '../../core/model/generate';
import type { LoopReport } from '../../core/model/loop';
import type { Meter } from '../../core/music/meter';
import type { MeterMap } from '../../core/music/meterMap';
import type { NoteSequence } from '../../core/music/NoteSequence';
import { formatPitchRange, formatScaleKey, type PitchRange, type ScaleKey } from '../../core/music/scales';
import type { Library } from '../db/open';
import type { CheckpointId, GenerationId, ModelId } from '../db/types';
import type { ChordRequest, TakeChord } from './chordRequest';

/** One stored take, as a request's answer lists it. */
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
  /** Loop mode's wrap scores. */
  loop?: LoopReport;
  /** The chord changes the take followed (also marker events in its MIDI). */
  chords?: TakeChord[];
}

/** One take as its kind builds it, given its name and derived random seed. */
export interface BuiltTake {
  sequence: NoteSequence;
  midi: Uint8Array;
  /** A melody take's tokens (stored and answered); none for a polyphonic take. */
  tokens?: number[];
  retries: number;
  rejected: string[];
  degenerate?: string;
  loop?: LoopReport;
  chords?: TakeChord[];
  /** Fields this take adds to the stored request (retries, the engine and the variation are added here). */
  stored?: Record<string, unknown>;
}

export interface TakeBatch {
  modelName: string;
  modelId: ModelId | null;
  checkpointId: CheckpointId | null;
  randomSeed: number;
  engineName: string;
  /** The fields of the stored request every take of the batch shares. */
  storedRequest: Record<string, unknown>;
  signal?: AbortSignal;
}

/** The fields of a generation request the stored record copies as they were asked (./generationRequest.ts). */
export interface AskedSettings {
  temperature: number;
  bars: number;
  variations: number;
  randomSeed: number;
  continuation?: { bars: number; append: boolean };
  loop?: object;
  chords?: ChordRequest;
}

/** What a generation of any model kind resolved from its request, for the stored record. */
export interface ResolvedSettings {
  model: string;
  seedNotes: string;
  /** Bars of the whole take (for a continuation, the clip's bars included). */
  bars: number;
  clipBars: number;
  /** The take's first step within the primed clip (0 unless a continuation leaves the clip out). */
  outputFrom: number;
  bpm: number;
  timeSignature: Meter;
  /** The take's meter changes, when its meter changes (the take's own ticks). */
  takeMap?: MeterMap;
  key: ScaleKey | null;
  strictness: number;
  range: PitchRange | null;
  density: number;
  form?: string;
  checkpointEpoch: number;
}

/**
 * The fields of the stored request every kind records the same way (a kind adds its own beside them): the bars a
 * take has as stored (a continuation without its clip: the continuation's bars), the meter and its changes, the key
 * and range as their names ('off', 'full' for none), and a progression with its bars per chord.
 */
export function storedSettings(request: AskedSettings, t: ResolvedSettings): Record<string, unknown> {
  const { continuation } = request;
  return {
    model: t.model,
    seedNotes: t.seedNotes,
    temperature: request.temperature,
    bars: continuation ? (t.outputFrom > 0 ? continuation.bars : t.bars) : request.bars,
    ...(continuation ? { continuation: { ...continuation, clipBars: t.clipBars } } : {}),
    variations: request.variations,
    randomSeed: request.randomSeed,
    bpm: t.bpm,
    timeSignature: `${t.timeSignature.numerator}/${t.timeSignature.denominator}`,
    ...(t.takeMap ? { meterMap: t.takeMap.map((s) => `${s.tick}:${s.numerator}/${s.denominator}`) } : {}),
    key: t.key ? formatScaleKey(t.key) : 'off',
    strictness: t.strictness,
    range: t.range ? formatPitchRange(t.range) : 'full',
    ...(t.density !== 0 ? { density: t.density } : {}),
    ...(request.loop ? { loop: true } : {}),
    ...(t.form ? { form: t.form } : {}),
    ...(request.chords ? { chords: { ...request.chords, barsPerChord: request.chords.barsPerChord ?? 1 } } : {}),
    checkpointEpoch: t.checkpointEpoch,
  };
}

/**
 * Builds and stores `count` takes (see the header).
 * @throws CancelledError when the signal fires while storing (what was stored is deleted first)
 */
export async function storeTakes(
  library: Library,
  batch: TakeBatch,
  count: number,
  build: (index: number, name: string, randomSeed: number) => BuiltTake,
): Promise<GeneratedVariation[]> {
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const variations: GeneratedVariation[] = [];
  for (let index = 0; index < count; index++) {
    if (index > 0) await new Promise((resolve) => setImmediate(resolve));
    if (batch.signal?.aborted) {
      for (const v of variations) library.generations.deleteGeneration(v.generationId);
      throw new CancelledError('Generation cancelled');
    }
    const name = `${batch.modelName} ${stamp} #${index + 1}`;
    const derived = variationSeed(batch.randomSeed, index);
    const take = build(index, name, derived);
    const row = library.generations.saveGeneration({
      modelId: batch.modelId,
      checkpointId: batch.checkpointId,
      request: {
        ...batch.storedRequest,
        variation: index,
        variationSeed: derived,
        engine: batch.engineName,
        retries: take.retries,
        ...take.stored,
      },
      tokens: take.tokens ? Uint8Array.from(take.tokens) : null,
      sequence: take.sequence,
      name,
    });
    variations.push({
      generationId: row.id,
      index,
      randomSeed: derived,
      tokens: take.tokens ?? [],
      sequence: take.sequence,
      midi: take.midi,
      retries: take.retries,
      rejected: take.rejected,
      ...(take.degenerate ? { degenerate: take.degenerate } : {}),
      ...(take.loop ? { loop: take.loop } : {}),
      ...(take.chords?.length ? { chords: take.chords } : {}),
    });
  }
  return variations;
}
