// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
// Callbacks passed to page.evaluate run in the browser: they need the DOM types.
/**
 * The whole product through the loopback studio: real handlers, real library on a temp data
 * dir, real training and generation, driven in Debian's chromium. One browser, one studio, the
 * steps in order (each builds on the last), a screenshot per screen in test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import { openLibrary } from '../../src/main/db';
import { countLossChartPixels, countNotePixels, LOSS_CURVES, screenshot, sharedData } from './helpers/browser';
import { useStudio } from './helpers/studioSession';

const MATILDA = path.join(sharedData, 'seed-melodies/waltzing-matilda.mid');

let filesDir: string;

const s = useStudio('studio');
beforeAll(() => {
  filesDir = mkdtempSync(path.join(os.tmpdir(), 'etude-e2e-files-'));
});
afterAll(() => {
  if (filesDir) rmSync(filesDir, { recursive: true, force: true });
});

const rollLabel = async (index = 0): Promise<string> =>
  (await s.page.locator('[data-testid="piano-roll"]').nth(index).getAttribute('aria-label')) ?? '';
const noteCount = async (index = 0): Promise<number> =>
  Number(/with (\d+) notes/.exec(await rollLabel(index))?.[1] ?? -1);

/** Sounding notes in a MIDI file according to python3-mido (note_on with velocity > 0). */
function midoNoteCount(file: string): number {
  const script = [
    'import sys, mido',
    'm = mido.MidiFile(sys.argv[1])',
    'print(sum(1 for t in m.tracks for msg in t if msg.type == "note_on" and msg.velocity > 0))',
  ].join('\n');
  return Number(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }).trim());
}

/** Press Tab until the focused element matches, by keyboard alone (bounded). */
async function tabTo(selector: string, maxPresses = 80): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if (await s.page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await s.page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

describe('the studio, end to end', () => {
  it('imports a MIDI file, then a folder with one broken file, naming the failure', async () => {
    await expect
      .poll(() => s.page.locator('[data-testid="status-engine"]').textContent(), { timeout: 30_000 })
      .toMatch(/engine|threads/);
    await s.page.locator('[data-testid="import-corpus"]').fill('Matilda');
    await s.page.locator('[data-testid="import-files"]').setInputFiles(MATILDA);
    await expect
      .poll(() => s.page.locator('[data-testid="import-summary"]').textContent(), { timeout: 60_000 })
      .toContain('1 imported');
    await expect.poll(() => s.page.locator('[data-testid="corpora"]').textContent()).toContain('Matilda');

    const folder = path.join(filesDir, 'tunes');
    mkdirSync(folder);
    copyFileSync(MATILDA, path.join(folder, 'matilda-copy.mid'));
    // A MIDI file cut off in its first track chunk.
    writeFileSync(path.join(folder, 'broken.mid'), readFileSync(MATILDA).subarray(0, 40));
    await s.page.locator('[data-testid="import-corpus"]').fill('Folder');
    await s.page.locator('[data-testid="import-folder"]').setInputFiles(folder);
    const failures = s.page.locator('[data-testid="import-failures"]');
    await expect.poll(() => failures.textContent(), { timeout: 60_000 }).toContain('broken.mid');
    await expect.poll(() => s.page.locator('[data-testid="import-summary"]').textContent()).toMatch(/1 failed/);
    await s.page.getByRole('button', { name: 'Matilda' }).click();
    await expect.poll(() => s.page.locator('svg.histogram rect').count()).toBe(130);
    await screenshot(s.page, 'studio-library');
  });

  it('trains a tiny model for one epoch with visible progress', async () => {
    await s.page.keyboard.press('Control+2');
    await s.page.locator('[data-testid="train-corpus"]').selectOption('Matilda');
    await s.page.locator('[data-testid="train-model-name"]').fill('tiny');
    await s.page.locator('[data-testid="train-epochs"]').fill('1');
    await s.page.getByText('Advanced').click();
    await s.page.locator('[data-testid="train-embedding"]').fill('16');
    await s.page.locator('[data-testid="train-hidden"]').fill('16');
    // Small windows and batches so the one short tune gives several steps to watch.
    await s.page.getByLabel('Window (tokens)').fill('8');
    await s.page.getByLabel('Batch size').fill('4');
    await s.page.locator('[data-testid="train-start"]').click();
    const progress = s.page.locator('[data-testid="train-progress"]');
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toMatch(/running|done/);
    await expect.poll(() => progress.textContent(), { timeout: 180_000 }).toContain('done');
    expect(await progress.textContent()).toMatch(/loss \d+\.\d{3}/);
    await expect.poll(() => s.page.locator('[data-testid="models"]').textContent()).toMatch(/tiny\s*ready/);
    // The training loss was drawn (orange pixels on the chart's canvas).
    expect(await countLossChartPixels(s.page, LOSS_CURVES.training)).toBeGreaterThan(20);

    // Resume from the checkpoint up to 2 epochs in all: the run continues at epoch 2, with the model's own training
    // settings (its batch of 4), not the form's.
    await s.page.locator('[data-testid="train-epochs"]').fill('2');
    await s.page.getByLabel('Batch size').fill('64');
    await s.page
      .locator('[data-testid="models"] tr', { hasText: 'tiny' })
      .getByRole('button', { name: 'Resume' })
      .click();
    await expect.poll(() => progress.textContent(), { timeout: 180_000 }).toMatch(/done.*epoch 2 \/ 2/s);
    const library = openLibrary(path.join(s.dataDir, 'library.db'), { onSlowQuery: () => {} });
    try {
      const row = library.models.getModelByName('tiny')!;
      expect(decodeCheckpoint(library.checkpoints.latestCheckpoint(row.id)!.data).training).toMatchObject({
        batchSize: 4,
        epochs: 2,
      });
    } finally {
      library.close();
    }
    await screenshot(s.page, 'studio-train');
  });

  it('generates 3 variations with the bundled model and draws their notes', async () => {
    await s.page.keyboard.press('Control+3');
    await s.page.locator('[data-testid="compose-model"]').selectOption('default');
    await s.page.locator('[data-testid="variations"]').fill('3');
    await s.page.locator('[data-testid="generate"]').click();
    await expect.poll(() => s.page.locator('[data-testid="variation"]').count(), { timeout: 120_000 }).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(await noteCount(i)).toBeGreaterThan(0);
      await expect.poll(() => countNotePixels(s.page, i)).toBeGreaterThan(50);
      // The engraved score: each note begins on it once (ties continue notes), drawn by VexFlow.
      const score = s.page.locator('[data-testid="score"]').nth(i);
      expect(await score.getAttribute('data-onsets')).toBe(String(await noteCount(i)));
      await expect.poll(() => score.locator('.vf-stavenote').count()).toBeGreaterThan(0);
      // 8 bars of 4/4 (the default length): 8 measures (a 9th only if the last note rings past the end).
      const measures = await score.locator('.vf-measure').count();
      expect(measures).toBeGreaterThanOrEqual(8);
      expect(measures).toBeLessThanOrEqual(9);
    }
    await screenshot(s.page, 'studio-compose');
  });

  it('starts and stops playback', async () => {
    const play = s.page.locator('[data-testid="play"]').first();
    await play.click();
    await expect.poll(() => play.getAttribute('aria-pressed')).toBe('true');
    // The playhead (accent blue) moves into the roll while playing.
    await expect
      .poll(
        () =>
          s.page.evaluate(() => {
            const c = document.querySelector<HTMLCanvasElement>('[data-testid="piano-roll"]');
            const ctx = c?.getContext('2d');
            if (!c || !ctx) return 0;
            const { data } = ctx.getImageData(0, 0, c.width, 1);
            for (let x = 0; x < c.width; x++) {
              const i = x * 4;
              if (data[i] < 120 && data[i + 2] > 180 && data[i + 1] > 150) return x;
            }
            return 0;
          }),
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0);
    await play.click();
    await expect.poll(() => play.getAttribute('aria-pressed')).toBe('false');
  });

  it('exports a MIDI file that python3-mido reads with the same notes', async () => {
    const shown = await noteCount(0);
    await s.page.locator('[data-testid="save-midi"]').first().click();
    const toast = s.page.getByRole('status').filter({ hasText: 'Saved' });
    await expect.poll(() => toast.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const savedPath = /Saved (.+\.mid)/.exec((await toast.first().textContent()) ?? '')?.[1];
    expect(savedPath).toBeTruthy();
    expect(path.resolve(savedPath as string).startsWith(path.resolve(s.dataDir))).toBe(true);
    expect(midoNoteCount(savedPath as string)).toBe(shown);
  });

  it('runs one full compose round by keyboard alone', async () => {
    await s.page.keyboard.press('Control+3');
    await s.page.locator('body').focus();
    await tabTo('[data-testid="seed-keyboard"]');
    await s.page.keyboard.press('Backspace');
    for (const key of ['a', 'd', 'g', 'k']) await s.page.keyboard.press(key);
    await expect.poll(() => s.page.locator('[data-testid="seed-notes"]').textContent()).toMatch(/C4E4G4C5$/);
    const before = await s.page.locator('[data-testid="variation"] h3 + span').first().textContent();
    await s.page.keyboard.press('Control+Enter');
    await expect
      .poll(() => s.page.locator('[data-testid="variation"] h3 + span').first().textContent(), { timeout: 120_000 })
      .not.toBe(before);
    await tabTo('[data-testid="piano-roll"]');
    await s.page.keyboard.press('Space');
    await expect.poll(() => s.page.locator('[data-testid="play"]').first().getAttribute('aria-pressed')).toBe('true');
    await s.page.keyboard.press('Space');
    await expect.poll(() => s.page.locator('[data-testid="play"]').first().getAttribute('aria-pressed')).toBe('false');
    // Back from the roll: the instrument select, Save WAV, then Save MIDI.
    const focused = () => s.page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
    await s.page.keyboard.press('Shift+Tab');
    await expect.poll(focused).toBe('instrument');
    await s.page.keyboard.press('Shift+Tab');
    await expect.poll(focused).toBe('save-wav');
    await s.page.keyboard.press('Shift+Tab');
    await expect.poll(focused).toBe('save-midi');
    const savedBefore = await s.page.getByRole('status').filter({ hasText: 'Saved' }).count();
    await s.page.keyboard.press('Enter');
    await expect
      .poll(() => s.page.getByRole('status').filter({ hasText: 'Saved' }).count(), { timeout: 30_000 })
      .toBeGreaterThan(savedBefore);
    await screenshot(s.page, 'studio-compose-keyboard');
    expect(s.browser.errors).toEqual([]);
  });
});
