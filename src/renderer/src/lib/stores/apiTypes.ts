// SPDX-License-Identifier: MIT
/**
 * The slice of the typed client (src/renderer/src/lib/api, written from the contract) that the
 * stores and screens use. Stated structurally so components can be driven by a fake built from
 * the same contract types in tests.
 */
import type { CallName, CallRequest, CallResponse, EventName, EventPayload } from '../../../../shared/ipc';

export interface RendererApi {
  call<C extends CallName>(channel: C, payload: CallRequest<C>): Promise<CallResponse<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** What a failed call throws: the code picks the presentation. */
export interface ApiFailure {
  code: string;
  message: string;
}

export function asFailure(error: unknown): ApiFailure {
  if (error && typeof error === 'object' && 'code' in error && 'message' in error) {
    return {
      code: String((error as { code: unknown }).code),
      message: String((error as { message: unknown }).message),
    };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
