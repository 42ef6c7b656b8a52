// SPDX-License-Identifier: MIT
import { z } from 'zod';

/**
 * Error codes that cross the process boundary. Services may add their own domain codes
 * (e.g. 'MIDI_TRUNCATED', 'LIBRARY_FROM_FUTURE'); those pass through unchanged, so the type
 * stays open. The renderer picks the presentation by `code`, never by class identity
 * (class identity does not survive IPC or a WebSocket).
 */
export const ERROR_CODES = {
  /** The request did not match the contract; the message names the field. */
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  /** A channel that is not in the contract. */
  UNKNOWN_CHANNEL: 'UNKNOWN_CHANNEL',
  /** This door cannot do that (e.g. a native dialog in the browser studio). */
  UNSUPPORTED: 'UNSUPPORTED',
  /** The named corpus / model / generation / job does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** A name that must be unique (corpus, model) is already taken (the library's NameTakenError). */
  NAME_TAKEN: 'NAME_TAKEN',
  /** A job of that kind is already running and cannot run twice (e.g. training the same model name). */
  BUSY: 'BUSY',
  /** The request was refused for security reasons (wrong sender, token, origin). */
  FORBIDDEN: 'FORBIDDEN',
  /** The transport is gone (window closing, socket dropped and not back in time). */
  TRANSPORT_CLOSED: 'TRANSPORT_CLOSED',
  /** No answer within the client's time limit. */
  TIMEOUT: 'TIMEOUT',
  /** The operation was cancelled by the user. */
  CANCELLED: 'CANCELLED',
  /** Main answered something that does not match the contract: a bug, reported as such. */
  INVALID_RESPONSE: 'INVALID_RESPONSE',
  /** Anything unexpected; the message says what was being done. */
  INTERNAL: 'INTERNAL',
} as const;

export type KnownErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];
/** A known code or a service's domain code. */
export type ErrorCode = KnownErrorCode | (string & {});

export const errorPayloadSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
  details: z.unknown().optional(),
});

/** What a failed call answers: data, never a thrown object (Electron keeps only `message` of thrown errors). */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** Every call answers an envelope. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

export function ok<T>(value: T): Envelope<T> {
  return { ok: true, value };
}

export function fail(code: ErrorCode, message: string, details?: unknown): Envelope<never> {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * A failed call, thrown by the renderer client so `await api.call(...)` reads naturally.
 * Compare `code`, not the class: a rebuilt error from another process is a different class instance.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.code = payload.code;
    this.details = payload.details;
  }
}
