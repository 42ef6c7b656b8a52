// SPDX-License-Identifier: MIT
export { createApi, apiFromBridge, createWsBridge, studioSocketUrl, ApiError } from './client';
export type { EtudeApi, CreateApiOptions, JobCallName, WsBridgeOptions, WebSocketLike } from './client';
export type { CallName, CallRequest, CallResponse, EventName, EventPayload } from '../../../../shared/ipc';
export * from '../../../../shared/dto';
