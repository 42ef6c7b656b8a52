// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * Regenerate bars through the loopback studio (real handlers, the bundled model, the generation worker), in Debian's
 * chromium: a take is composed, bars 3-4 are regenerated, the saved MIDI shows every note outside them as it was and
 * new notes inside; Undo (the button) gives back the take exactly, Redo the regenerated one, and Ctrl+Z in the roll
 * undoes it again.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseMidi } from '../../src/core/midi/readMidi';
import { startStudio, type StudioHandle } from '../../src/studio/server';
import { buildRenderer, launchBrowser, screenshot, type BrowserSession } from './helpers/browser';

let dataDir: string;
let studio: StudioHandle;
let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  const rendererDir = await buildRenderer();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-e2e-regen-'));
  studio = await startStudio({ dataDir, rendererDir });
  session = await launchBrowser();
  page = session.page;
  await page.goto(studio.url);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && page)
    await screenshot(page, `regenerate-FAILED-${ctx.task.name.replace(/\W+/g, '-').slice(0, 60)}`);
});

afterAll(async () => {
  await session?.close();
  await studio?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

type N = { pitch: number; startTick: number; durationTicks: number; velocity: number };

/** Saves the take as MIDI (the studio writes a new file each time) and reads its notes back. */
async function savedNotes(): Promise<N[]> {
  const exportsDir = path.join(dataDir, 'exports');
  const before = new Set(readdirSync(exportsDir, { withFileTypes: true }).map((d) => d.name));
  await page.getByTestId('save-midi').click();
  let file: string | undefined;
  await expect
    .poll(() => {
      file = readdirSync(exportsDir).find((f) => !before.has(f) && statSync(path.join(exportsDir, f)).size > 0);
      return file;
    })
    .toBeDefined();
  const seq = parseMidi(new Uint8Array(readFileSync(path.join(exportsDir, file!))), file!);
  return seq.tracks
    .flatMap((t) => t.notes)
    .map(({ pitch, startTick, durationTicks, velocity }) => ({ pitch, startTick, durationTicks, velocity }))
    .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}

describe('Regenerate bars in the studio', () => {
  it('regenerates bars 3-4 only; Undo and Redo (buttons and Ctrl+Z) cover it', async () => {
    await page.keyboard.press('Control+3');
    await page.locator('[data-testid="compose-model"]').selectOption('default');
    await page.locator('[data-testid="variations"]').fill('1');
    await page.locator('[data-testid="generate"]').click();
    await expect.poll(() => page.getByTestId('variation').count(), { timeout: 120_000 }).toBe(1);
    // Exports go to <dataDir>/exports (created on the first save).
    const first = await (async () => {
      await page.getByTestId('save-midi').click();
      const exportsDir = path.join(dataDir, 'exports');
      await expect.poll(() => readdirSync(dataDir).includes('exports') && readdirSync(exportsDir).length).toBe(1);
      const file = readdirSync(exportsDir)[0];
      const seq = parseMidi(new Uint8Array(readFileSync(path.join(exportsDir, file))), file);
      return seq.tracks
        .flatMap((t) => t.notes)
        .map(({ pitch, startTick, durationTicks, velocity }) => ({ pitch, startTick, durationTicks, velocity }))
        .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
    })();
    expect(first.length).toBeGreaterThan(4);

    const undo = page.getByRole('button', { name: 'Undo' });
    const redo = page.getByRole('button', { name: 'Redo' });
    expect(await undo.isDisabled()).toBe(true);
    await page.getByTestId('regen-from').fill('3');
    await page.getByTestId('regen-to').fill('4');
    await page.getByTestId('regenerate').click();
    await expect.poll(() => page.getByTestId('regen-seam').count(), { timeout: 60_000 }).toBe(1);
    expect(await page.getByTestId('regen-seam').textContent()).toMatch(
      /seam -?\d+\.\d\d \(left-to-right -?\d+\.\d\d\)/,
    );
    expect(await undo.isEnabled()).toBe(true);
    await screenshot(page, 'regenerate-bars');

    const bar = 4 * 480;
    const [fromTick, toTick] = [2 * bar, 4 * bar];
    // What sounds outside the selection: notes before it cut at its start, notes after it from its end on.
    const outside = (notes: N[]) => [
      ...notes
        .filter((n) => n.startTick < fromTick)
        .map((n) => [n.pitch, n.startTick, Math.min(n.startTick + n.durationTicks, fromTick), n.velocity]),
      ...notes
        .filter((n) => n.startTick + n.durationTicks > toTick)
        .map((n) => [n.pitch, Math.max(n.startTick, toTick), n.startTick + n.durationTicks]),
    ];
    const inside = (notes: N[]) => notes.filter((n) => n.startTick >= fromTick && n.startTick < toTick);
    const regenerated = await savedNotes();
    expect(outside(regenerated)).toEqual(outside(first));
    // Notes wholly outside the selection are the very same notes.
    const whollyOutside = (notes: N[]) =>
      notes.filter((n) => n.startTick + n.durationTicks <= fromTick || n.startTick >= toTick);
    for (const n of whollyOutside(first).filter((n) => n.startTick !== toTick)) expect(regenerated).toContainEqual(n);
    expect(inside(regenerated)).not.toEqual(inside(first));
    for (const n of inside(regenerated)) expect(n.startTick + n.durationTicks).toBeLessThanOrEqual(toTick);

    await undo.click();
    expect(await savedNotes()).toEqual(first);
    expect(await redo.isEnabled()).toBe(true);
    await redo.click();
    expect(await savedNotes()).toEqual(regenerated);
    // Ctrl+Z in the roll undoes it too, Ctrl+Shift+Z redoes.
    await page.getByTestId('piano-roll').first().focus();
    await page.keyboard.press('Control+z');
    expect(await savedNotes()).toEqual(first);
    await page.getByTestId('piano-roll').first().focus();
    await page.keyboard.press('Control+Shift+z');
    expect(await savedNotes()).toEqual(regenerated);

    // A selection that cannot be regenerated is a sentence, and nothing changes.
    await page.getByTestId('regen-from').fill('1');
    await page.getByTestId('regenerate').click();
    await expect.poll(() => page.locator('body').textContent()).toContain('Bar 1 cannot be regenerated');
    expect(await savedNotes()).toEqual(regenerated);
    expect(session.errors).toEqual([]);
  });
});
