// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * Generation is a job, seen from the page: against the real loopback studio (real handlers, the bundled model, the
 * engine in a worker thread), the largest generation the Compose screen offers shows its progress, and Cancel ends
 * the job as cancelled within a second of the click (timed on the server, which sees both the job's end and, through
 * the page's own call, the click). A small generation afterwards still draws its takes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ContractJobEvent } from '../../src/main/ipc/handlers';
import { createAppServices, type AppServices } from '../../src/main/services/app';
import { MAX_COMPOSE_BARS, MAX_COMPOSE_VARIATIONS } from '../../src/shared/dto';
import { startStudio, type StudioHandle } from '../../src/studio/server';
import {
  buildRenderer,
  countNotePixels,
  launchBrowser,
  repoRoot,
  screenshot,
  type BrowserSession,
} from './helpers/browser';

let dataDir: string;
let services: AppServices;
let studio: StudioHandle;
let session: BrowserSession;
let page: Page;
/** Server-side job events with their time (performance.now() of this process). */
const events: { at: number; e: ContractJobEvent }[] = [];

beforeAll(async () => {
  const rendererDir = await buildRenderer();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-e2e-cancel-'));
  services = createAppServices({ dataDir, resourcesDir: path.join(repoRoot, 'resources') });
  services.subscribeJobEvents((e) => events.push({ at: performance.now(), e }));
  studio = await startStudio({ dataDir, rendererDir, services });
  session = await launchBrowser();
  page = session.page;
  await page.goto(studio.url);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && page)
    await screenshot(page, `compose-cancel-FAILED-${ctx.task.name.replace(/\W+/g, '-').slice(0, 60)}`);
});

afterAll(async () => {
  await session?.close();
  await studio?.close();
  await services?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const generateJobs = () => events.filter((x) => x.e.payload.kind === 'generate');

describe('compose: generation is a cancellable job', () => {
  it('shows progress of the largest generation offered, and Cancel ends it as cancelled within 1 s', async () => {
    await expect
      .poll(() => page.locator('[data-testid="status-engine"]').textContent(), { timeout: 30_000 })
      .toMatch(/engine|threads/);
    await page.keyboard.press('Control+3');
    await page.locator('[data-testid="compose-model"]').selectOption('default');
    // The largest the screen offers: its inputs' own limits.
    const maxBars = Number(await page.locator('[data-testid="bars"]').getAttribute('max'));
    const maxVariations = Number(await page.locator('[data-testid="variations"]').getAttribute('max'));
    expect(maxBars).toBe(MAX_COMPOSE_BARS);
    expect(maxVariations).toBe(MAX_COMPOSE_VARIATIONS);
    expect(maxVariations).toBeGreaterThanOrEqual(64);
    await page.locator('[data-testid="bars"]').fill(String(maxBars));
    await page.locator('[data-testid="variations"]').fill(String(maxVariations));
    await page.locator('[data-testid="generate"]').click();

    // Progress is shown: "Variation k of 1000" (MAX_COMPOSE_VARIATIONS), advancing.
    const text = page.locator('[data-testid="compose-progress-text"]');
    await expect
      .poll(() => text.textContent(), { timeout: 60_000 })
      .toMatch(new RegExp(`Variation \\d+ of ${MAX_COMPOSE_VARIATIONS}`));
    await expect
      .poll(async () => Number(/Variation (\d+)/.exec((await text.textContent()) ?? '')?.[1] ?? 0), {
        timeout: 60_000,
      })
      .toBeGreaterThanOrEqual(2);
    const progressed = generateJobs().filter((x) => x.e.event === 'job:progress');
    expect(progressed.length).toBeGreaterThan(0);
    await screenshot(page, 'compose-generating');
    expect(generateJobs().some((x) => x.e.event === 'job:finished')).toBe(false);

    const clickedAt = performance.now();
    await page.locator('[data-testid="compose-cancel"]').click();
    await expect
      .poll(() => generateJobs().find((x) => x.e.event === 'job:finished'), { timeout: 5000, interval: 10 })
      .toBeTruthy();
    const end = generateJobs().find((x) => x.e.event === 'job:finished')!;
    expect(end.e.event === 'job:finished' && end.e.payload.status).toBe('cancelled');
    const cancelMs = end.at - clickedAt;
    console.log(`compose cancel: job ended as cancelled ${cancelMs.toFixed(0)} ms after the click`);
    expect(cancelMs).toBeLessThan(1000);

    // The page says so and is ready again; nothing was stored.
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Generation cancelled' }).count())
      .toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid="compose-progress"]').count()).toBe(0);
    expect(await page.locator('[data-testid="generate"]').isDisabled()).toBe(false);
    expect(services.library.generations.listGenerations({})).toHaveLength(0);
  });

  it('Escape cancels a running generation too', async () => {
    const before = generateJobs().filter((x) => x.e.event === 'job:finished').length;
    await page.locator('[data-testid="generate"]').click();
    const text = page.locator('[data-testid="compose-progress-text"]');
    await expect
      .poll(() => text.textContent(), { timeout: 60_000 })
      .toMatch(new RegExp(`Variation \\d+ of ${MAX_COMPOSE_VARIATIONS}`));
    await page.keyboard.press('Escape');
    await expect
      .poll(() => generateJobs().filter((x) => x.e.event === 'job:finished').length, { timeout: 5000 })
      .toBe(before + 1);
    const end = generateJobs()
      .filter((x) => x.e.event === 'job:finished')
      .at(-1)!;
    expect(end.e.event === 'job:finished' && end.e.payload.status).toBe('cancelled');
    await expect.poll(() => page.locator('[data-testid="compose-progress"]').count()).toBe(0);
  });

  it('a small generation still draws its takes', async () => {
    await page.locator('[data-testid="bars"]').fill('4');
    await page.locator('[data-testid="variations"]').fill('2');
    await page.locator('[data-testid="generate"]').click();
    await expect.poll(() => page.locator('[data-testid="variation"]').count(), { timeout: 60_000 }).toBe(2);
    for (let i = 0; i < 2; i++) await expect.poll(() => countNotePixels(page, i)).toBeGreaterThan(50);
    expect(services.library.generations.listGenerations({})).toHaveLength(2);
    await screenshot(page, 'compose-after-cancel');
    expect(session.errors).toEqual([]);
  });
});
