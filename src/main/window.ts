// SPDX-License-Identifier: MIT
/**
 * The one application window, locked down: isolated, sandboxed renderer without Node; a strict CSP;
 * no navigation away, no new windows, no webviews, no remote content, every permission denied but MIDI devices for our
 * own page (./permissions.ts).
 * [electron/electron docs/tutorial/security.md checklist]
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BrowserWindow, session, shell, type Session } from 'electron';
import { permissionAllowed } from './permissions';

/** The CSP for every response the renderer gets (the page also carries it as a <meta>). */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
  "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self'; worker-src 'self' blob:; object-src 'none'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The build keeps the source layout: this file is out/main/main/window.js, next to out/preload and out/renderer.
const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface MainWindowOptions {
  /** The Vite dev server URL (electron-vite dev sets ELECTRON_RENDERER_URL); absent = the built files. */
  devServerUrl?: string;
}

/** Whether a URL is our own renderer: the built index.html folder, or the dev server's origin. */
export function isOwnRendererUrl(url: string, devServerUrl: string | undefined, rendererDir: string): boolean {
  try {
    const parsed = new URL(url);
    if (devServerUrl) return parsed.origin === new URL(devServerUrl).origin;
    if (parsed.protocol !== 'file:') return false;
    const file = fileURLToPath(parsed);
    return file === rendererDir || file.startsWith(rendererDir + path.sep);
  } catch {
    return false;
  }
}

let sessionHardened = false;

function hardenSession(ses: Session, devServerUrl: string | undefined, rendererDir: string) {
  if (sessionHardened) return;
  sessionHardened = true;
  const isOwnPage = (url: string) => isOwnRendererUrl(url, devServerUrl, rendererDir);
  ses.setPermissionRequestHandler((_wc, permission, callback, details) =>
    callback(
      permissionAllowed(
        { permission, requestingUrl: details.requestingUrl, isMainFrame: details.isMainFrame },
        isOwnPage,
      ),
    ),
  );
  ses.setPermissionCheckHandler((_wc, permission, _origin, details) =>
    permissionAllowed(
      { permission, requestingUrl: details.requestingUrl, isMainFrame: details.isMainFrame },
      isOwnPage,
    ),
  );
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [RENDERER_CSP],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });
  // No remote content: only our files (and the dev server during development), plus in-page data.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const { protocol } = new URL(details.url);
    const allowed =
      protocol === 'data:' ||
      protocol === 'blob:' ||
      protocol === 'devtools:' ||
      isOwnRendererUrl(details.url, devServerUrl, rendererDir) ||
      (devServerUrl !== undefined && details.url.startsWith(new URL(devServerUrl).origin.replace(/^http/, 'ws')));
    callback({ cancel: !allowed });
  });
}

export function createMainWindow(options: MainWindowOptions = {}): BrowserWindow {
  const rendererDir = path.join(outDir, 'renderer');
  hardenSession(session.defaultSession, options.devServerUrl, rendererDir);

  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: '#15171c',
    title: 'Etude',
    webPreferences: {
      preload: path.join(outDir, 'preload/index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // A middle click on a link must not open a window (electronegativity AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
    },
  });

  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    // Links to the web open in the user's browser, never inside the app.
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isOwnRendererUrl(url, options.devServerUrl, rendererDir)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!isOwnRendererUrl(url, options.devServerUrl, rendererDir)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());

  if (options.devServerUrl) void win.loadURL(options.devServerUrl);
  else void win.loadURL(pathToFileURL(path.join(rendererDir, 'index.html')).href);
  return win;
}
