// SPDX-License-Identifier: MIT
/**
 * One studio per browser test file: registers the vitest hooks that build the renderer, start the loopback studio on
 * a fresh data folder (optionally with services the test prepared first), open Debian's chromium on it, screenshot a
 * failing test, and take it all down afterwards. The returned object's fields are set once beforeAll has run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { createAppServices, type AppServices } from '../../../src/main/services/app';
import { startStudio, type StudioHandle } from '../../../src/studio/server';
import { buildRenderer, launchBrowser, repoRoot, screenshot, type BrowserSession } from './browser';

export interface StudioSession {
  dataDir: string;
  studio: StudioHandle;
  /** The services behind the studio, opened on dataDir by this helper (tests read the library through them). */
  services: AppServices;
  browser: BrowserSession;
  page: Page;
}

export interface StudioSessionOptions {
  /** Runs on services over the fresh data folder before the studio starts (fixtures, event subscriptions). */
  prepare?: (services: AppServices, dataDir: string) => void | Promise<void>;
  /** Appended to the studio's URL (which carries its token in the query already), e.g. the test-seams switch. */
  query?: string;
  /** Runs in the page before any of its own scripts, on every load (page.addInitScript): fakes of browser APIs. */
  initScript?: () => void;
}

/** `name` prefixes the data folder and the failure screenshots. */
export function useStudio(name: string, options: StudioSessionOptions = {}): StudioSession {
  const session = {} as StudioSession;
  beforeAll(async () => {
    const rendererDir = await buildRenderer();
    session.dataDir = mkdtempSync(path.join(os.tmpdir(), `etude-e2e-${name}-`));
    if (options.prepare) {
      session.services = createAppServices({
        dataDir: session.dataDir,
        resourcesDir: path.join(repoRoot, 'resources'),
      });
      await options.prepare(session.services, session.dataDir);
    }
    session.studio = await startStudio({ dataDir: session.dataDir, rendererDir, services: session.services });
    session.browser = await launchBrowser();
    session.page = session.browser.page;
    if (options.initScript) await session.page.addInitScript(options.initScript);
    await session.page.goto(options.query ? `${session.studio.url}&${options.query}` : session.studio.url);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && session.page)
      await screenshot(session.page, `${name}-FAILED-${ctx.task.name.replace(/\W+/g, '-').slice(0, 60)}`);
  });
  afterAll(async () => {
    await session.browser?.close();
    await session.studio?.close();
    await session.services?.close();
    if (session.dataDir) rmSync(session.dataDir, { recursive: true, force: true });
  });
  return session;
}

/**
 * Imports `files` on the Library screen into the corpus `corpus` (once the engine line shows the studio is up) and
 * waits for the summary to say "`count` imported".
 */
export async function importInStudio(page: Page, corpus: string, files: string[], count = files.length): Promise<void> {
  await expect
    .poll(() => page.locator('[data-testid="status-engine"]').textContent(), { timeout: 30_000 })
    .toMatch(/engine|threads/);
  await page.locator('[data-testid="import-corpus"]').fill(corpus);
  await page.locator('[data-testid="import-files"]').setInputFiles(files);
  await expect
    .poll(() => page.locator('[data-testid="import-summary"]').textContent(), { timeout: 60_000 })
    .toContain(`${count} imported`);
}

/** Trains a tiny biaxial-lstm `name` on `corpus` for one epoch on the Train screen and waits until it is ready. */
export async function trainTinyPolyInStudio(page: Page, corpus: string, name: string): Promise<void> {
  await page.keyboard.press('Control+2');
  await page.locator('[data-testid="train-corpus"]').selectOption(corpus);
  await page.locator('[data-testid="train-model-name"]').fill(name);
  await page.locator('[data-testid="train-kind"]').selectOption('biaxial-lstm');
  await page.locator('[data-testid="train-epochs"]').fill('1');
  await page.getByText('Advanced').click();
  await page.locator('[data-testid="train-time-sizes"]').fill('8');
  await page.locator('[data-testid="train-pitch-sizes"]').fill('4');
  await page.locator('[data-testid="train-start"]').click();
  await expect
    .poll(() => page.locator('[data-testid="train-progress"]').textContent(), { timeout: 120_000 })
    .toContain('done');
  await expect.poll(() => page.locator('[data-testid="models"]').textContent()).toMatch(new RegExp(`${name}\\s*ready`));
}
