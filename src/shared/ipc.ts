// SPDX-License-Identifier: MIT
import { z } from 'zod';
import {
  TAKES_PER_PAGE,
  MAX_EXPORT_BYTES,
  MAX_MODEL_FILE_BYTES,
  MAX_IMPORT_FILES,
  MAX_IMPORT_TOTAL_BYTES,
  appInfoSchema,
  bytesSchema,
  corpusSchema,
  corpusStatsSchema,
  engineChoiceSchema,
  evaluationSchema,
  generationRequestSchema,
  generationSchema,
  idSchema,
  importFileSchema,
  jobErrorSchema,
  jobKindSchema,
  jobProgressSchema,
  jobSnapshotSchema,
  modelSchema,
  nameSchema,
  pieceListSchema,
  specOverridesSchema,
  modelKindSchema,
  trainingOverridesSchema,
} from './dto';
import type { Envelope } from './errors';
import { regenerateRequestSchema, regenerateResultSchema } from './regenerate';

/**
 * THE process contract: every call and every event between the renderer and main, for all
 * three doors (Electron IPC, the loopback studio's WebSocket, tests). The key is the wire name.
 * Preload, the renderer client, the Electron registration and the studio server are all derived
 * from these two maps; there is no second list of channel names anywhere.
 *
 * Requests are untrusted: main parses every request with its schema before any service runs,
 * and (in dev/test) parses its own responses too.
 */

const empty = z.object({}).strict();
const jobStarted = z.object({ jobId: z.string() });

export const calls = {
  /** Version, data folder, the engine 'auto' picks, whether the bundled model is present, what this door can do. */
  'app:info': { request: empty, response: appInfoSchema },

  /** Corpora with piece counts, by name. */
  'library:listCorpora': { request: empty, response: z.array(corpusSchema) },
  'library:corpusStats': { request: z.object({ corpusName: nameSchema }).strict(), response: corpusStatsSchema },
  'library:renameCorpus': {
    request: z.object({ corpusName: nameSchema, newName: nameSchema }).strict(),
    response: corpusSchema,
  },
  'library:deleteCorpus': {
    request: z.object({ corpusName: nameSchema }).strict(),
    response: z.object({ corpusName: z.string() }),
  },
  'library:listPieces': {
    request: z
      .object({
        corpusName: nameSchema,
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict(),
    response: pieceListSchema,
  },
  /**
   * Imports files sent as bytes (file input, folder input, drag and drop) into a corpus (created
   * when missing). Answers at once with a job; the report arrives with job:finished.
   */
  'library:importFiles': {
    request: z
      .object({
        corpusName: nameSchema,
        files: z
          .array(importFileSchema)
          .min(1, 'must name at least one file')
          .max(MAX_IMPORT_FILES, `at most ${MAX_IMPORT_FILES} files per call; send several calls`)
          .refine((files) => files.reduce((n, f) => n + f.bytes.byteLength, 0) <= MAX_IMPORT_TOTAL_BYTES, {
            message: `at most ${MAX_IMPORT_TOTAL_BYTES / 1024 / 1024} MiB per call; send several calls`,
          }),
        /** Frames per quarter note of piano-roll JSON files that do not state it themselves (never guessed). */
        stepsPerQuarter: z.number().int().min(1).max(96).optional(),
      })
      .strict(),
    response: jobStarted,
  },
  /**
   * Electron: main shows its own open dialog and imports what the user picks (jobId null when the
   * user cancels). The browser studio answers UNSUPPORTED: use library:importFiles there.
   */
  'library:importDialog': {
    request: z.object({ corpusName: nameSchema, mode: z.enum(['files', 'folder']) }).strict(),
    response: z.object({ jobId: z.string().nullable() }),
  },

  /** Starts training (or resuming) a model on a corpus; progress via job:progress. */
  'train:start': {
    request: z
      .object({
        corpusName: nameSchema,
        modelName: nameSchema,
        /** The kind of a new model (default melody-lstm); a resumed one keeps its own. */
        kind: modelKindSchema.optional(),
        spec: specOverridesSchema.default({}),
        training: trainingOverridesSchema.default({}),
        engine: engineChoiceSchema.default('auto'),
        /** Worker threads for the wasm engine; omitted = the machine's cores (at most 8). */
        threads: z.number().int().min(1).max(64).optional(),
        /** Continue from this model's latest checkpoint (its id) instead of starting fresh. */
        resumeFromModel: idSchema.optional(),
      })
      .strict(),
    response: jobStarted,
  },

  'job:cancel': {
    request: z.object({ jobId: idSchema }).strict(),
    /** false when no such running job exists (already finished, or unknown). */
    response: z.object({ cancelled: z.boolean() }),
  },
  'job:list': { request: empty, response: z.array(jobSnapshotSchema) },

  /** Library models plus the bundled default (builtin: true, id 'default') when present. */
  'models:list': { request: empty, response: z.array(modelSchema) },
  'models:delete': {
    request: z.object({ modelId: idSchema }).strict(),
    response: z.object({ modelId: z.string() }),
  },

  /**
   * One trained model as an .etude-model file's bytes (latest checkpoint, spec, training record, corpus name), for
   * the renderer to save. The bundled model and a model without a checkpoint are refused (MODEL_NOT_EXPORTABLE).
   */
  'models:export': {
    request: z.object({ modelId: idSchema }).strict(),
    response: z.object({ fileName: z.string(), modelName: z.string(), bytes: bytesSchema }),
  },
  /**
   * Adds the model in an .etude-model file to the library, under its own name or `name`. Refused with a sentence:
   * a name clash (NAME_TAKEN), a file from a newer Etude (MODEL_FILE_FROM_NEWER_ETUDE), a truncated or damaged file.
   */
  'models:import': {
    request: z
      .object({
        bytes: bytesSchema.refine((b) => b.byteLength > 0 && b.byteLength <= MAX_MODEL_FILE_BYTES, {
          message: `must be 1 byte to ${MAX_MODEL_FILE_BYTES / 1024 / 1024} MiB`,
        }),
        fileName: nameSchema.default('the model file'),
        name: nameSchema.optional(),
      })
      .strict(),
    response: modelSchema,
  },
  /**
   * The quality report of a model ('default' = the bundled one): `takes` takes of `bars` bars, generated off the
   * thread that serves calls and not stored, measured against `corpusName` (default: the model's own corpus; the
   * JSB soprano lines for the bundled model). Bounded: at most 32 takes of 32 bars (a few seconds).
   */
  'models:evaluate': {
    request: z
      .object({
        modelId: idSchema,
        corpusName: nameSchema.optional(),
        takes: z.number().int().min(1).max(32).default(8),
        bars: z.number().int().min(2).max(32).default(8),
      })
      .strict(),
    response: evaluationSchema,
  },
  /**
   * Starts a generation job: `variations` melodies sampled off the thread that serves calls, each stored as a
   * generation (not yet a favourite). Answers { jobId } at once; job:progress says which variation is being sampled
   * (current/total); job:cancel stops it within a token; job:finished carries a composeResultSchema (kind 'generate').
   */
  'compose:generate': {
    request: generationRequestSchema.strict(),
    response: jobStarted,
  },
  /**
   * Regenerates bars of a melody take (infill, src/core/model/infill.ts), or bars x a pitch range of a polyphonic take
   * (src/core/model/polyInfill.ts), off the thread that serves calls, steered by the stored take's lock and chords when
   * its generation id is given, and answers the take's new notes (outside the selection as sent) and the seam scores.
   * Nothing is stored: the Compose card puts the notes in the take's history, so Undo takes them back.
   */
  'compose:regenerate': { request: regenerateRequestSchema, response: regenerateResultSchema },
  'generations:list': {
    request: z
      .object({
        modelId: idSchema.optional(),
        favouritesOnly: z.boolean().default(false),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    response: z.array(generationSchema),
  },
  /** Stored generations by id, in the order asked (a page of a big batch: see variationSchema.deferred). */
  'generations:get': {
    request: z.object({ generationIds: z.array(idSchema).min(1).max(TAKES_PER_PAGE) }).strict(),
    response: z.array(generationSchema),
  },
  'generations:saveFavourite': {
    request: z.object({ generationId: idSchema, name: nameSchema, favourite: z.boolean().default(true) }).strict(),
    response: generationSchema,
  },

  /**
   * Saves MIDI bytes the renderer encoded. Main owns the path: Electron shows a save dialog
   * (path null when cancelled); the studio writes into <dataDir>/exports/ and answers the path.
   */
  'file:saveMidi': {
    request: z
      .object({
        bytes: bytesSchema.refine((b) => b.byteLength > 0 && b.byteLength <= MAX_EXPORT_BYTES, {
          message: `must be 1 byte to ${MAX_EXPORT_BYTES / 1024 / 1024} MiB`,
        }),
        suggestedName: nameSchema,
        /** 'midi' (default) or 'musicxml' (the bytes are the MusicXML text, UTF-8) for notation programs. */
        format: z.enum(['midi', 'musicxml']).optional(),
      })
      .strict(),
    response: z.object({ path: z.string().nullable() }),
  },
  /**
   * Renders a take to WAV through the bundled SoundFont, as a job, and saves it where file:saveMidi saves (Electron: a
   * save dialog, shown first; the studio: <dataDir>/exports/). The renderer sends the take's MIDI (a program change a
   * track), never audio. Answers { jobId } once the place is chosen (null when the user cancelled the dialog);
   * job:progress says the seconds of audio rendered (current/total); job:cancel stops it within a second and writes
   * nothing; job:finished carries a wavExportResultSchema (kind 'render') with the path written.
   */
  'file:saveWav': {
    request: z
      .object({
        midi: bytesSchema.refine((b) => b.byteLength > 0 && b.byteLength <= MAX_EXPORT_BYTES, {
          message: `must be 1 byte to ${MAX_EXPORT_BYTES / 1024 / 1024} MiB`,
        }),
        suggestedName: nameSchema,
        /** Where the take ends in the MIDI's ticks (its bars); the WAV is this long plus a 2 s release tail. */
        endTick: z.number().int().min(1).max(100_000_000),
        /** A loop take: exactly endTick long, its release tail folded onto its start. */
        loop: z.boolean(),
      })
      .strict(),
    response: z.object({ jobId: z.string().nullable() }),
  },
  /** Electron: starts a native drag of a temporary .mid. Studio: a no-op (use DownloadURL in the page). */
  'file:startDrag': {
    request: z
      .object({
        bytes: bytesSchema.refine((b) => b.byteLength > 0 && b.byteLength <= MAX_EXPORT_BYTES, {
          message: `must be 1 byte to ${MAX_EXPORT_BYTES / 1024 / 1024} MiB`,
        }),
        fileName: nameSchema,
      })
      .strict(),
    response: z.object({ started: z.boolean() }),
  },
} as const satisfies Record<`${string}:${string}`, { request: z.ZodType; response: z.ZodType }>;

export const events = {
  /** At most ~10 per second per job. */
  'job:progress': z.object({ jobId: z.string(), kind: jobKindSchema, progress: jobProgressSchema }),
  /** Exactly one per job. result: importReportSchema / trainResultSchema / composeResultSchema by kind. */
  'job:finished': z.object({
    jobId: z.string(),
    kind: jobKindSchema,
    status: z.enum(['done', 'cancelled', 'failed']),
    result: z.unknown().optional(),
    error: jobErrorSchema.optional(),
  }),
} as const satisfies Record<`${string}:${string}`, z.ZodType>;

export type Calls = typeof calls;
export type CallName = keyof Calls;
/** What the caller sends (defaults may be omitted). */
export type CallRequest<C extends CallName> = z.input<Calls[C]['request']>;
/** What the handler receives after parsing (defaults filled in). */
export type ParsedRequest<C extends CallName> = z.output<Calls[C]['request']>;
export type CallResponse<C extends CallName> = z.output<Calls[C]['response']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const CALL_NAMES = Object.keys(calls) as CallName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isCallName(value: unknown): value is CallName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(calls, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(events, value);
}

/**
 * What preload exposes as `window.etude` (and what the studio's WebSocket transport imitates).
 * Calls never throw for a failed operation: they answer an envelope; the renderer client unwraps it.
 */
export interface EtudeBridge {
  call<C extends CallName>(channel: C, payload: CallRequest<C>): Promise<Envelope<CallResponse<C>>>;
  /** Returns an unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** Tells main the renderer listens now; events queued until then are delivered. */
  ready(): void;
}

/** The Electron IPC channel names used under the hood for events and the ready signal. */
export const IPC_EVENT_CHANNEL = 'etude:event';
export const IPC_READY_CHANNEL = 'etude:ready';

// ---- the studio's WebSocket wire format ----

/**
 * Client -> server. `channel` is a contract call, or 'ready' (id 0): the transport's signal that
 * the page listens, after which queued events are delivered (sent again after each reconnect).
 */
export interface WsRequest {
  id: number;
  channel: string;
  payload: unknown;
}
/** Server -> client: an answer to request `id`, or an event. */
export type WsMessage = { id: number; envelope: Envelope<unknown> } | { event: EventName; payload: unknown };
