// SPDX-License-Identifier: MIT
// The window's security settings, checked against a minimal stand-in for the `electron` module
// (the binary is not installed here). What is asserted is our configuration, not Electron itself.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const fake = vi.hoisted(() => {
  const state = {
    windows: [] as {
      options: { webPreferences: Record<string, unknown> };
      handlers: Map<string, (...a: unknown[]) => void>;
      openHandler?: (d: { url: string }) => { action: string };
      loaded?: string;
    }[],
    permissionRequest: undefined as
      | undefined
      | ((
          wc: unknown,
          permission: string,
          cb: (ok: boolean) => void,
          details: { requestingUrl: string; isMainFrame: boolean },
        ) => void),
    permissionCheck: undefined as
      | undefined
      | ((
          wc: unknown,
          permission: string,
          origin: string,
          details: { requestingUrl?: string; isMainFrame: boolean },
        ) => boolean),
    headers: undefined as
      | undefined
      | ((
          d: { responseHeaders: Record<string, string[]> },
          cb: (r: { responseHeaders: Record<string, string[]> }) => void,
        ) => void),
    beforeRequest: undefined as undefined | ((d: { url: string }, cb: (r: { cancel: boolean }) => void) => void),
    opened: [] as string[],
  };
  class BrowserWindow {
    webContents: Record<string, unknown>;
    constructor(options: { webPreferences: Record<string, unknown> }) {
      const entry: (typeof state.windows)[number] = { options, handlers: new Map() };
      state.windows.push(entry);
      this.webContents = {
        setWindowOpenHandler: (fn: (d: { url: string }) => { action: string }) => (entry.openHandler = fn),
        on: (name: string, fn: (...a: unknown[]) => void) => entry.handlers.set(name, fn),
      };
      (this as unknown as { loadURL(u: string): Promise<void> }).loadURL = async (u: string) => {
        entry.loaded = u;
      };
    }
    once() {}
    show() {}
  }
  const session = {
    defaultSession: {
      setPermissionRequestHandler: (fn: typeof state.permissionRequest) => (state.permissionRequest = fn),
      setPermissionCheckHandler: (fn: typeof state.permissionCheck) => (state.permissionCheck = fn),
      webRequest: {
        onHeadersReceived: (fn: typeof state.headers) => (state.headers = fn),
        onBeforeRequest: (fn: typeof state.beforeRequest) => (state.beforeRequest = fn),
      },
    },
  };
  const shell = { openExternal: async (url: string) => void state.opened.push(url) };
  return { state, module: { BrowserWindow, session, shell } };
});
vi.mock('electron', () => fake.module);

describe('the Electron window (built files)', () => {
  it('is isolated, sandboxed, Node-free, and loads only our renderer', async () => {
    const { createMainWindow, isOwnRendererUrl } = await import('../../src/main/window');
    createMainWindow();
    const [win] = fake.state.windows;
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    });
    // The build keeps the source layout: src/main/window.ts and out/main/main/window.js both reach out/.
    const outDir = path.resolve(repoRoot, 'src/main', '../..');
    expect(win.options.webPreferences.preload).toBe(path.join(outDir, 'preload/index.cjs'));
    const rendererDir = path.join(outDir, 'renderer');
    expect(win.loaded).toBe(pathToFileURL(path.join(rendererDir, 'index.html')).href);

    // New windows: denied; https links go to the user's browser instead.
    expect(win.openHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(win.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(fake.state.opened).toEqual(['https://example.org/']);

    // Navigation away is prevented; our own page is allowed (reload).
    const navigate = (url: string) => {
      let prevented = false;
      win.handlers.get('will-navigate')!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate(pathToFileURL(path.join(rendererDir, 'index.html')).href)).toBe(false);
    let webviewPrevented = false;
    win.handlers.get('will-attach-webview')!({ preventDefault: () => (webviewPrevented = true) });
    expect(webviewPrevented).toBe(true);

    // Every permission is refused but MIDI (never sysex) for our own page's main frame.
    const ownPage = pathToFileURL(path.join(rendererDir, 'index.html')).href;
    const request = (permission: string, requestingUrl: string, isMainFrame = true) => {
      let granted: boolean | undefined;
      fake.state.permissionRequest!({}, permission, (ok) => (granted = ok), { requestingUrl, isMainFrame });
      return granted;
    };
    expect(request('media', ownPage)).toBe(false);
    expect(request('midiSysex', ownPage)).toBe(false);
    expect(request('midi', ownPage)).toBe(true);
    expect(request('midi', ownPage, false)).toBe(false);
    expect(request('midi', 'https://evil.example/')).toBe(false);
    expect(fake.state.permissionCheck!({}, 'midi', 'file:///', { requestingUrl: ownPage, isMainFrame: true })).toBe(
      true,
    );
    expect(
      fake.state.permissionCheck!({}, 'midiSysex', 'file:///', { requestingUrl: ownPage, isMainFrame: true }),
    ).toBe(false);
    expect(
      fake.state.permissionCheck!({}, 'notifications', 'file:///', { requestingUrl: ownPage, isMainFrame: true }),
    ).toBe(false);
    expect(fake.state.permissionCheck!({}, 'midi', 'file:///', { isMainFrame: false })).toBe(false);

    // A strict CSP on every response, and no remote requests.
    let headers: Record<string, string[]> = {};
    fake.state.headers!({ responseHeaders: {} }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy'][0]).toMatch(/default-src 'self'/);
    expect(headers['Content-Security-Policy'][0]).toMatch(/object-src 'none'/);
    const blocked = (url: string) => {
      let cancel: boolean | undefined;
      fake.state.beforeRequest!({ url }, (r) => (cancel = r.cancel));
      return cancel;
    };
    expect(blocked('https://cdn.example.com/lib.js')).toBe(true);
    expect(blocked('http://127.0.0.1:8080/')).toBe(true);
    expect(blocked(pathToFileURL(path.join(rendererDir, 'assets/index.js')).href)).toBe(false);
    expect(blocked(pathToFileURL(path.join(repoRoot, 'package.json')).href)).toBe(true);
    expect(blocked('data:image/png;base64,AAAA')).toBe(false);

    expect(isOwnRendererUrl('http://localhost:5173/x', 'http://localhost:5173', rendererDir)).toBe(true);
    expect(isOwnRendererUrl('http://localhost:5174/x', 'http://localhost:5173', rendererDir)).toBe(false);
    expect(isOwnRendererUrl('not a url', undefined, rendererDir)).toBe(false);
  });
});
