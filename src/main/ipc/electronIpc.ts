// SPDX-License-Identifier: MIT
/**
 * Wires the shared handlers to Electron IPC: every contract call registered in ONE loop with
 * ipcMain.handle, each refusing senders that are not our window's main frame; job events go to
 * the window on one channel and wait in a queue until the renderer says it is ready (and again
 * after each reload, since a reloaded page has lost its listeners).
 */
import { ipcMain, type BrowserWindow, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import { ERROR_CODES, fail } from '../../shared/errors';
import { CALL_NAMES, IPC_EVENT_CHANNEL, IPC_READY_CHANNEL, type EventName } from '../../shared/ipc';
import {
  createHandlers,
  forwardJobEvents,
  type DoorAdapter,
  type HandlerOptions,
  type HandlerServices,
} from './handlers';

export interface ElectronIpcOptions extends HandlerOptions {
  services: HandlerServices;
  door: DoorAdapter;
  /** The one window whose renderer may call us (undefined while none is open). */
  getWindow: () => BrowserWindow | undefined;
}

/** Most events kept for a renderer that is not ready; beyond this the oldest progress events go. */
const MAX_QUEUED_EVENTS = 500;

/** Registers everything; returns a function that unregisters it (for tests and shutdown). */
export function registerElectronIpc(options: ElectronIpcOptions): () => void {
  const handlers = createHandlers(options.services, options.door, options);

  const isOurSender = (event: IpcMainEvent | IpcMainInvokeEvent) => {
    const win = options.getWindow();
    // Only our window's top frame: not another window, not a subframe.
    return (
      !!win && !win.isDestroyed() && event.sender === win.webContents && event.senderFrame === win.webContents.mainFrame
    );
  };

  for (const channel of CALL_NAMES) {
    ipcMain.handle(channel, async (event, payload: unknown) => {
      if (!isOurSender(event))
        return fail(ERROR_CODES.FORBIDDEN, `${channel} refused: the request did not come from the Etude window.`);
      return handlers[channel](payload);
    });
  }

  let ready = false;
  let queue: { event: EventName; payload: unknown }[] = [];
  const deliver = (event: EventName, payload: unknown) => {
    const win = options.getWindow();
    if (!ready || !win || win.isDestroyed()) {
      queue.push({ event, payload });
      if (queue.length > MAX_QUEUED_EVENTS) {
        const dropAt = queue.findIndex((q) => q.event === 'job:progress');
        queue.splice(dropAt >= 0 ? dropAt : 0, 1);
      }
      return;
    }
    win.webContents.send(IPC_EVENT_CHANNEL, event, payload);
  };

  const onReady = (event: IpcMainEvent) => {
    if (!isOurSender(event)) return;
    ready = true;
    const pending = queue;
    queue = [];
    for (const q of pending) deliver(q.event, q.payload);
  };
  ipcMain.on(IPC_READY_CHANNEL, onReady);

  // A navigation (reload) drops the page's listeners: queue again until it says ready.
  const watched = new WeakSet<BrowserWindow>();
  const watchWindow = () => {
    const win = options.getWindow();
    if (!win || watched.has(win)) return;
    watched.add(win);
    win.webContents.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) ready = false;
    });
  };
  const stopEvents = forwardJobEvents(
    options.services,
    (event, payload) => {
      watchWindow();
      deliver(event, payload);
    },
    options,
  );
  watchWindow();

  return () => {
    for (const channel of CALL_NAMES) ipcMain.removeHandler(channel);
    ipcMain.removeListener(IPC_READY_CHANNEL, onReady);
    stopEvents();
  };
}
