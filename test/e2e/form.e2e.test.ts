// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * The Compose screen's Form select against a fake bridge: choosing a form moves Bars to a length it takes and says
 * the sections, the request carries the form, a length the form cannot take is refused before anything is sent, and
 * form off sends no form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { buildRenderer, launchBrowser, type BrowserSession } from './helpers/browser';
import { installFakeBridge } from './helpers/fakeBridge';
import { serveStatic } from './helpers/staticServer';

let server: { url: string; close(): Promise<void> };
let session: BrowserSession;

beforeAll(async () => {
  server = await serveStatic(await buildRenderer());
  session = await launchBrowser();
});

afterAll(async () => {
  await session?.close();
  await server?.close();
});

type FakeCall = { channel: string; payload: Record<string, unknown> };
const generateCalls = (page: Page): Promise<FakeCall[]> =>
  page.evaluate(() =>
    (window as unknown as { __fake: { calls: FakeCall[] } }).__fake.calls.filter(
      (x) => x.channel === 'compose:generate',
    ),
  );

describe('Compose: form', () => {
  it('sends the form with a length it takes, refuses one it cannot, and sends none when off', async () => {
    const page = await session.context.newPage();
    await page.addInitScript(installFakeBridge, {});
    await page.goto(server.url);
    await page.keyboard.press('Control+3');
    await page.getByTestId('form').selectOption('AABA');
    expect(await page.getByTestId('bars').inputValue()).toBe('32');
    expect(await page.getByTestId('form-summary').textContent()).toContain('A A B A, 8 bars each');
    await page.getByTestId('bars').fill('64');
    await expect.poll(() => page.getByTestId('form-summary').textContent()).toContain('A A B A, 16 bars each');
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await generateCalls(page)).length).toBe(1);
    expect((await generateCalls(page))[0].payload).toMatchObject({ form: 'AABA', bars: 64 });
    // Each take says its sections.
    await expect.poll(() => page.getByTestId('take-form').count()).toBe(3);
    expect(await page.getByTestId('take-form').first().textContent()).toBe(
      'AABA: A 1-16 · A 17-32 · B 33-48 · A 49-64',
    );
    await expect.poll(() => page.getByTestId('generate').isEnabled()).toBe(true);

    // 50 bars do not divide into four sections: said under the select, and Generate sends nothing.
    await page.getByTestId('bars').fill('50');
    await expect.poll(() => page.getByTestId('form-summary').textContent()).toContain('divides by 4');
    await page.getByTestId('generate').click();
    await expect.poll(() => page.locator('body').textContent()).toContain('Form: The AABA form splits the piece');
    expect(await generateCalls(page)).toHaveLength(1);

    await page.getByTestId('form').selectOption('off');
    await page.getByTestId('bars').fill('8');
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await generateCalls(page)).length).toBe(2);
    expect((await generateCalls(page))[1].payload).not.toHaveProperty('form');
    await expect.poll(() => page.getByTestId('take-form').count()).toBe(0);
    expect(session.errors).toEqual([]);
    await page.close();
  });
});
