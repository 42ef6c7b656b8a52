// SPDX-License-Identifier: MIT
/**
 * Exposes exactly the contract as `window.etude` (STYLE §2): call(channel, payload) for the
 * channels in src/shared/ipc.ts, on(event, listener) for its events, ready(). No ipcRenderer,
 * no arbitrary channel strings, no logic. Bundled as CommonJS because sandboxed preloads cannot
 * load ES modules or node_modules.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { ERROR_CODES, fail } from '../shared/errors';
import { IPC_EVENT_CHANNEL, IPC_READY_CHANNEL, isCallName, isEventName, type EtudeBridge } from '../shared/ipc';

const bridge = {
  call(channel, payload) {
    // Checked here too so a compromised page cannot reach other ipcMain channels through us.
    if (!isCallName(channel)) {
      return Promise.resolve(fail(ERROR_CODES.UNKNOWN_CHANNEL, `Unknown channel ${String(channel).slice(0, 80)}`));
    }
    return ipcRenderer.invoke(channel, payload);
  },
  on(event, listener) {
    if (!isEventName(event)) throw new TypeError(`Unknown event ${String(event).slice(0, 80)}`);
    const forward = (_e: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (name === event) (listener as (p: unknown) => void)(payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
    };
  },
  ready() {
    ipcRenderer.send(IPC_READY_CHANNEL);
  },
} satisfies EtudeBridge;

contextBridge.exposeInMainWorld('etude', bridge);
