// SPDX-License-Identifier: MIT
/**
 * The call handlers every door shares (Electron IPC, the loopback studio, tests). No Electron here:
 * door-specific abilities (native dialogs, native drag) come in through a small DoorAdapter.
 *
 * Each handler: (1) parses the request with the contract's schema BEFORE anything runs (renderer
 * input is untrusted), (2) calls a service, (3) answers an envelope; thrown typed errors become
 * { code, message } (never a stack trace), and in dev/test the response is parsed against the
 * contract too, so a service that drifts from the contract fails loudly instead of confusing the UI.
 */
import type { z } from 'zod';
import {
  calls,
  events,
  isCallName,
  type CallName,
  type CallResponse,
  type EventName,
  type EventPayload,
  type ParsedRequest,
} from '../../shared/ipc';
import { ERROR_CODES, fail, ok, type Envelope, type ErrorPayload } from '../../shared/errors';
import type { AppInfoDto } from '../../shared/dto';
import type { ExportFormat } from './fileNames';
import type { HandlerServices } from '../services/contract';

type MaybePromise<T> = T | Promise<T>;

// The interface lives with the services (the handlers import the services, never the reverse); re-exported for
// the doors that build handlers.
export type { ContractJobEvent, HandlerServices } from '../services/contract';

/** What only one door can do. */
export interface DoorAdapter {
  door: AppInfoDto['door'];
  /** Electron: an open dialog; answers chosen paths, or null when the user cancelled. Absent = UNSUPPORTED. */
  chooseImportPaths?(mode: 'files' | 'folder'): Promise<string[] | null>;
  /**
   * Saves a take's bytes (MIDI, or MusicXML text as UTF-8) where this door decides; answers the path, or null when the
   * user cancelled.
   */
  saveMidi(bytes: Uint8Array, suggestedName: string, format?: ExportFormat): Promise<string | null>;
  /**
   * Chooses where a file that takes a while to make will go, before it is made (Electron: the save dialog; the
   * studio: <dataDir>/exports/), and answers how to write it there once made, or null when the user cancelled. Writes
   * nothing by itself: a render that is cancelled leaves no file.
   */
  chooseSaveTarget(suggestedName: string, format: ExportFormat): Promise<SaveTarget | null>;
  /** Starts a native drag of the bytes as a file; false where there is no native drag. */
  startDrag(bytes: Uint8Array, fileName: string): Promise<boolean>;
}

/** Where a file will be saved; `write` answers the path written. */
export interface SaveTarget {
  write(bytes: Uint8Array): Promise<string>;
}

export type Handler<C extends CallName> = (payload: unknown) => Promise<Envelope<CallResponse<C>>>;
export type Handlers = { [C in CallName]: Handler<C> };

export interface HandlerOptions {
  /** Parse responses against the contract (default: on unless NODE_ENV is 'production'). */
  validateResponses?: boolean;
  /** Where unexpected (non-typed) errors go with their stack; the caller only ever sees code + message. */
  logError?: (channel: string, err: unknown) => void;
}

/** Turns zod issues into one sentence naming the field(s), e.g. "files.0.bytes: file is larger than 8 MiB". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(payload)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Maps anything thrown by a service to an error payload. Typed errors (a string `code`) keep their
 * code and message; anything else is INTERNAL with a message saying which call failed.
 */
export function toErrorPayload(channel: string, err: unknown): ErrorPayload {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; name?: unknown; details?: unknown };
    if (typeof e.code === 'string' && e.code && typeof e.message === 'string') {
      // Node system errors (ENOENT, EACCES...) carry a code too; their message names the path.
      const payload: ErrorPayload = { code: e.code, message: e.message };
      if (e.details !== undefined && isPlainData(e.details)) payload.details = e.details;
      return payload;
    }
    if (e.name === 'CancelledError') return { code: ERROR_CODES.CANCELLED, message: `${channel} was cancelled` };
    if (typeof e.message === 'string' && e.message) {
      return { code: ERROR_CODES.INTERNAL, message: `${channel} failed: ${e.message}` };
    }
  }
  return { code: ERROR_CODES.INTERNAL, message: `${channel} failed: ${String(err)}` };
}

function isPlainData(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/** Builds one handler per contract channel, all following the same parse -> call -> envelope steps. */
export function createHandlers(services: HandlerServices, door: DoorAdapter, options: HandlerOptions = {}): Handlers {
  const validateResponses = options.validateResponses ?? process.env.NODE_ENV !== 'production';
  const logError = options.logError ?? ((channel, err) => console.error(`[etude] ${channel} failed`, err));

  // One implementation per channel, typed by the contract; `satisfies` makes a missing channel a compile error.
  const impl = {
    'app:info': async () => ({
      ...(await services.appInfo()),
      door: door.door,
      capabilities: {
        importDialog: door.chooseImportPaths !== undefined,
        saveDialog: door.door === 'electron',
        nativeDrag: door.door === 'electron',
      },
    }),
    'library:listCorpora': () => services.listCorpora(),
    'library:corpusStats': (r) => services.corpusStats(r.corpusName),
    'library:renameCorpus': (r) => services.renameCorpus(r.corpusName, r.newName),
    'library:deleteCorpus': async (r) => {
      await services.deleteCorpus(r.corpusName);
      return { corpusName: r.corpusName };
    },
    'library:listPieces': (r) => services.listPieces(r.corpusName, r.offset, r.limit),
    'library:importFiles': async (r) => ({
      jobId: await services.startImportFiles(r.corpusName, r.files, r.stepsPerQuarter),
    }),
    'library:importDialog': async (r) => {
      if (!door.chooseImportPaths) {
        throw Object.assign(
          new Error(
            'Choosing files with a native dialog only works in the desktop app; in the browser, use the file or folder picker (or drag files onto the window).',
          ),
          {
            code: ERROR_CODES.UNSUPPORTED,
          },
        );
      }
      const paths = await door.chooseImportPaths(r.mode);
      if (!paths || paths.length === 0) return { jobId: null };
      return { jobId: await services.startImportPaths(r.corpusName, paths) };
    },
    'train:start': async (r) => ({ jobId: await services.startTraining(r) }),
    'job:cancel': async (r) => ({ cancelled: await services.cancelJob(r.jobId) }),
    'job:list': () => services.listJobs(),
    'models:list': () => services.listModels(),
    'models:delete': async (r) => {
      await services.deleteModel(r.modelId);
      return { modelId: r.modelId };
    },
    'models:export': (r) => services.exportModel(r.modelId),
    'models:import': (r) => services.importModel(r),
    'models:evaluate': (r) => services.evaluateModel(r),
    'compose:generate': async (r) => ({ jobId: await services.startGeneration(r) }),
    'compose:regenerate': (r) => services.regenerate(r),
    'generations:list': (r) => services.listGenerations(r),
    'generations:get': (r) => services.getGenerations(r.generationIds),
    'generations:saveFavourite': (r) => services.saveFavourite(r.generationId, r.name, r.favourite),
    'file:saveMidi': async (r) => ({ path: await door.saveMidi(r.bytes, r.suggestedName, r.format) }),
    'file:saveWav': async (r) => {
      // The place first (a dialog), then the render as a job: the user is never asked where after a minute's wait.
      const target = await door.chooseSaveTarget(r.suggestedName, 'wav');
      if (!target) return { jobId: null };
      const save = (wav: Uint8Array) => target.write(wav);
      return {
        jobId: await services.startWavExport({ midi: r.midi, endTick: r.endTick, loop: r.loop }, save, r.suggestedName),
      };
    },
    'file:startDrag': async (r) => ({ started: await door.startDrag(r.bytes, r.fileName) }),
  } satisfies { [C in CallName]: (request: ParsedRequest<C>) => MaybePromise<CallResponse<C>> };

  const handlers = {} as Record<CallName, Handler<CallName>>;
  for (const channel of Object.keys(calls) as CallName[]) {
    const schema = calls[channel];
    const run = impl[channel] as (request: unknown) => MaybePromise<unknown>;
    handlers[channel] = async (payload: unknown) => {
      const parsed = schema.request.safeParse(payload ?? {});
      if (!parsed.success) {
        return fail(ERROR_CODES.INVALID_PAYLOAD, `Invalid request for ${channel}: ${describeIssues(parsed.error)}`);
      }
      let value: unknown;
      try {
        value = await run(parsed.data);
      } catch (err) {
        const payload = toErrorPayload(channel, err);
        if (payload.code === ERROR_CODES.INTERNAL) logError(channel, err);
        return { ok: false, error: payload };
      }
      if (validateResponses) {
        const checked = schema.response.safeParse(value);
        if (!checked.success) {
          logError(channel, checked.error);
          return fail(
            ERROR_CODES.INVALID_RESPONSE,
            `${channel} answered data that does not match the contract: ${describeIssues(checked.error)}`,
          );
        }
        value = checked.data;
      }
      return ok(value) as Envelope<CallResponse<CallName>>;
    };
  }
  return handlers as Handlers;
}

/** Runs a call by wire name; unknown channels answer UNKNOWN_CHANNEL instead of throwing. */
export async function dispatch(handlers: Handlers, channel: unknown, payload: unknown): Promise<Envelope<unknown>> {
  if (!isCallName(channel)) {
    return fail(
      ERROR_CODES.UNKNOWN_CHANNEL,
      `Unknown channel ${JSON.stringify(String(channel)).slice(0, 80)}; see src/shared/ipc.ts for the calls main answers.`,
    );
  }
  return handlers[channel](payload);
}

/**
 * Forwards job events in contract shape. In dev/test each payload is parsed against the contract
 * first; a payload that does not match is logged and dropped rather than sent malformed.
 */
export function forwardJobEvents(
  services: HandlerServices,
  send: <E extends EventName>(event: E, payload: EventPayload<E>) => void,
  options: HandlerOptions = {},
): () => void {
  const validate = options.validateResponses ?? process.env.NODE_ENV !== 'production';
  const logError = options.logError ?? ((channel, err) => console.error(`[etude] ${channel} event dropped`, err));
  return services.subscribeJobEvents((e) => {
    if (validate) {
      const checked = events[e.event].safeParse(e.payload);
      if (!checked.success) {
        logError(e.event, checked.error);
        return;
      }
    }
    send(e.event, e.payload as never);
  });
}
