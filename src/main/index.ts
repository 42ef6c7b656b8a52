// SPDX-License-Identifier: MIT
/**
 * The Electron entry: single instance, one window, crash log, the shared services and handlers.
 * Everything that is not Electron lives in services/ and ipc/handlers.ts, which the CLI and the
 * loopback studio use too.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, dialog, shell } from 'electron';
import { registerElectronIpc } from './ipc/electronIpc';
import { createElectronDoor } from './ipc/electronDoor';
import { createAppServices, type AppServices } from './services/app';
import { resolveDataDir } from './services/paths';
import { createMainWindow } from './window';

const dataDir = resolveDataDir();
const logDir = path.join(dataDir, 'logs');

/** Appends to <dataDir>/logs/main.log; never throws (logging must not crash the app). */
function logToFile(kind: string, detail: unknown) {
  try {
    mkdirSync(logDir, { recursive: true });
    const text = detail instanceof Error ? `${detail.name}: ${detail.message}\n${detail.stack ?? ''}` : String(detail);
    appendFileSync(path.join(logDir, 'main.log'), `${new Date().toISOString()} [${kind}] ${text}\n`);
  } catch {
    // Nowhere left to report to.
  }
}

process.on('uncaughtException', (err) => logToFile('uncaughtException', err));
process.on('unhandledRejection', (reason) => logToFile('unhandledRejection', reason));

let mainWindow: BrowserWindow | undefined;
let services: AppServices | undefined;
let unregisterIpc: (() => void) | undefined;

if (!app.requestSingleInstanceLock()) {
  // Another Etude owns the library (one writer); it gets focused by its 'second-instance' handler.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  app.on('web-contents-created', (_event, contents) => {
    // Belt and braces for any webContents, including ones we did not create.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });

  app.on('render-process-gone', (_event, _contents, details) =>
    logToFile('render-process-gone', `${details.reason} (exit ${details.exitCode})`),
  );
  app.on('child-process-gone', (_event, details) =>
    logToFile('child-process-gone', `${details.type} ${details.reason} (exit ${details.exitCode})`),
  );

  void app.whenReady().then(start);

  app.on('window-all-closed', () => app.quit());

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !services) return;
    // Cancel jobs and close the library before exiting, so WAL is checkpointed and no job is cut mid-write.
    event.preventDefault();
    quitting = true;
    unregisterIpc?.();
    void services
      .close()
      .catch((err: unknown) => logToFile('shutdown', err))
      .finally(() => app.quit());
  });
}

async function start() {
  const resourcesDir = app.isPackaged
    ? path.join(process.resourcesPath, 'resources')
    : path.join(app.getAppPath(), 'resources');
  try {
    services = createAppServices({ dataDir, resourcesDir, appVersion: app.getVersion() });
  } catch (err) {
    // A library from a newer Etude, another program's file, an unusable folder: say which, offer choices.
    logToFile('startup', err);
    const message = err instanceof Error ? err.message : String(err);
    const choice = await dialog.showMessageBox({
      type: 'error',
      title: 'Etude cannot open its library',
      message: 'Etude cannot open its library',
      detail: `${message}\n\nData folder: ${dataDir}`,
      buttons: ['Quit', 'Show data folder'],
      defaultId: 0,
      cancelId: 0,
    });
    if (choice.response === 1) await shell.openPath(dataDir);
    app.exit(1);
    return;
  }
  // Warm the engine probe while the window loads, so the status bar's first app:info is quick.
  void Promise.resolve(services.appInfo()).catch((err: unknown) => logToFile('engine probe', err));
  const getWindow = () => mainWindow;
  unregisterIpc = registerElectronIpc({
    services,
    door: createElectronDoor(getWindow),
    getWindow,
    validateResponses: !app.isPackaged,
    logError: (channel, err) => logToFile(`ipc ${channel}`, err),
  });
  mainWindow = createMainWindow({ devServerUrl: app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL });
  mainWindow.on('closed', () => (mainWindow = undefined));
}
