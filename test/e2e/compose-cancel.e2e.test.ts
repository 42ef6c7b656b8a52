// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * Generation is a job, seen from the page: against the real loopback studio (real handlers, the bundled model, the
 * engine in a worker thread), the largest generation the Compose screen offers shows its progress, and Cancel ends
 * the job as cancelled within a second of the click (timed on the server, which sees both the job's end and, through
 * the page's own call, the click). A small generation afterwards still draws its takes.
 */
import { describe, expect, it } from 'vitest';
import type { ContractJobEvent } from '../../src/main/ipc/handlers';
import { MAX_COMPOSE_BARS, MAX_COMPOSE_VARIATIONS } from '../../src/shared/dto';
import { countNotePixels, screenshot } from './helpers/browser';
import { useStudio } from './helpers/studioSession';

/** Server-side job events with their time (performance.now() of this process). */
const events: { at: number; e: ContractJobEvent }[] = [];
const s = useStudio('cancel', {
  prepare: (services) => void services.subscribeJobEvents((e) => events.push({ at: performance.now(), e })),
});

const generateJobs = () => events.filter((x) => x.e.payload.kind === 'generate');

describe('compose: generation is a cancellable job', () => {
  it('shows progress of the largest generation offered, and Cancel ends it as cancelled within 1 s', async () => {
    await expect
      .poll(() => s.page.locator('[data-testid="status-engine"]').textContent(), { timeout: 30_000 })
      .toMatch(/engine|threads/);
    await s.page.keyboard.press('Control+3');
    await s.page.locator('[data-testid="compose-model"]').selectOption('default');
    // The largest the screen offers: its inputs' own limits.
    const maxBars = Number(await s.page.locator('[data-testid="bars"]').getAttribute('max'));
    const maxVariations = Number(await s.page.locator('[data-testid="variations"]').getAttribute('max'));
    expect(maxBars).toBe(MAX_COMPOSE_BARS);
    expect(maxVariations).toBe(MAX_COMPOSE_VARIATIONS);
    expect(maxVariations).toBeGreaterThanOrEqual(64);
    await s.page.locator('[data-testid="bars"]').fill(String(maxBars));
    await s.page.locator('[data-testid="variations"]').fill(String(maxVariations));
    await s.page.locator('[data-testid="generate"]').click();

    // Progress is shown: "Variation k of 1000" (MAX_COMPOSE_VARIATIONS), advancing.
    const text = s.page.locator('[data-testid="compose-progress-text"]');
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
    await screenshot(s.page, 'compose-generating');
    expect(generateJobs().some((x) => x.e.event === 'job:finished')).toBe(false);

    const clickedAt = performance.now();
    await s.page.locator('[data-testid="compose-cancel"]').click();
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
      .poll(() => s.page.getByRole('status').filter({ hasText: 'Generation cancelled' }).count())
      .toBeGreaterThan(0);
    await expect.poll(() => s.page.locator('[data-testid="compose-progress"]').count()).toBe(0);
    expect(await s.page.locator('[data-testid="generate"]').isDisabled()).toBe(false);
    expect(s.services.library.generations.listGenerations({})).toHaveLength(0);
  });

  it('Escape cancels a running generation too', async () => {
    const before = generateJobs().filter((x) => x.e.event === 'job:finished').length;
    await s.page.locator('[data-testid="generate"]').click();
    const text = s.page.locator('[data-testid="compose-progress-text"]');
    await expect
      .poll(() => text.textContent(), { timeout: 60_000 })
      .toMatch(new RegExp(`Variation \\d+ of ${MAX_COMPOSE_VARIATIONS}`));
    await s.page.keyboard.press('Escape');
    await expect
      .poll(() => generateJobs().filter((x) => x.e.event === 'job:finished').length, { timeout: 5000 })
      .toBe(before + 1);
    const end = generateJobs()
      .filter((x) => x.e.event === 'job:finished')
      .at(-1)!;
    expect(end.e.event === 'job:finished' && end.e.payload.status).toBe('cancelled');
    await expect.poll(() => s.page.locator('[data-testid="compose-progress"]').count()).toBe(0);
  });

  it('a small generation still draws its takes', async () => {
    await s.page.locator('[data-testid="bars"]').fill('4');
    await s.page.locator('[data-testid="variations"]').fill('2');
    await s.page.locator('[data-testid="generate"]').click();
    await expect.poll(() => s.page.locator('[data-testid="variation"]').count(), { timeout: 60_000 }).toBe(2);
    for (let i = 0; i < 2; i++) await expect.poll(() => countNotePixels(s.page, i)).toBeGreaterThan(50);
    expect(s.services.library.generations.listGenerations({})).toHaveLength(2);
    await screenshot(s.page, 'compose-after-cancel');
    expect(s.browser.errors).toEqual([]);
  });
});
