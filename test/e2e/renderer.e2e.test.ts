// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
// Callbacks passed to page.evaluate run in the browser: they need the DOM types.
/**
 * The renderer against a fake bridge: shell, shortcuts, job events, failure lists, the fatal
 * screen, generation, piano-roll editing with undo, the score and MIDI export — all checked in
 * Debian's chromium, without a model or a library behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseMidi } from '../../src/core/midi/readMidi';
import { pitchName } from '../../src/core/music/keys';
import { seedFromMidi } from '../../src/renderer/src/lib/input/seedText';
import { TAKES_PER_PAGE } from '../../src/shared/dto';
import {
  buildRenderer,
  countLossChartPixels,
  countNotePixels,
  launchBrowser,
  LOSS_CURVES,
  screenshot,
  sharedData,
  type BrowserSession,
} from './helpers/browser';
import { installFakeBridge, type FakeOptions } from './helpers/fakeBridge';
import { serveStatic } from './helpers/staticServer';

const MATILDA = path.join(sharedData, 'seed-melodies/waltzing-matilda.mid');

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

async function open(options: FakeOptions = {}): Promise<Page> {
  const page = await session.context.newPage();
  await page.addInitScript(installFakeBridge, options);
  await page.goto(server.url);
  return page;
}

type FakeCall = { channel: string; payload: Record<string, unknown> };
const callsOf = (page: Page, channel: string): Promise<FakeCall[]> =>
  page.evaluate(
    (c) => (window as unknown as { __fake: { calls: FakeCall[] } }).__fake.calls.filter((x) => x.channel === c),
    channel,
  );
const emit = (page: Page, event: string, payload: unknown): Promise<void> =>
  page.evaluate(
    ([e, p]) => (window as unknown as { __fake: { emit(e: string, p: unknown): void } }).__fake.emit(e as string, p),
    [event, payload] as const,
  );

/** Accessible label of the nth piano roll: it carries the note count and the selection. */
const rollLabel = async (page: Page, index = 0): Promise<string> =>
  (await page.locator('[data-testid="piano-roll"]').nth(index).getAttribute('aria-label')) ?? '';
const noteCount = async (page: Page, index = 0): Promise<number> =>
  Number(/with (\d+) notes/.exec(await rollLabel(page, index))?.[1] ?? -1);

describe('renderer with a fake bridge', () => {
  it('shows the shell, switches tabs with Ctrl+1/2/3 and shows the engine in the status bar', async () => {
    const page = await open();
    await expect
      .poll(() => page.locator('[data-testid="status-engine"]').textContent())
      .toContain('wasm engine (fake)');
    await page.keyboard.press('Control+2');
    await expect.poll(() => page.locator('#tab-train').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#panel-train').isVisible()).toBe(true);
    expect(await page.locator('#panel-library').isVisible()).toBe(false);
    await page.keyboard.press('Control+3');
    await expect.poll(() => page.locator('#panel-compose').isVisible()).toBe(true);
    await page.keyboard.press('Control+1');
    await expect.poll(() => page.locator('#panel-library').isVisible()).toBe(true);
    await page.locator('body').press('?');
    await expect.poll(() => page.getByRole('dialog', { name: 'Keyboard shortcuts' }).isVisible()).toBe(true);
    await screenshot(page, 'fake-help');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.close();
  });

  it('imports picked files as bytes, shows job progress, then lists failures by name', async () => {
    const page = await open();
    await page.locator('[data-testid="import-corpus"]').fill('Reels');
    await page.locator('[data-testid="import-files"]').setInputFiles([
      { name: 'good.mid', mimeType: 'audio/midi', buffer: Buffer.from('MThd fake bytes') },
      { name: 'broken.mid', mimeType: 'audio/midi', buffer: Buffer.from('garbage') },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') },
    ]);
    await expect.poll(async () => (await callsOf(page, 'library:importFiles')).length).toBe(1);
    const [call] = await callsOf(page, 'library:importFiles');
    expect(call.payload.corpusName).toBe('Reels');
    const files = call.payload.files as { name: string; bytes: Record<string, number> }[];
    expect(files.map((f) => f.name)).toEqual(['good.mid', 'broken.mid']); // the .txt never leaves the page
    expect(Object.keys(files[0].bytes)).toHaveLength('MThd fake bytes'.length);

    await emit(page, 'job:progress', {
      jobId: 'job-1',
      kind: 'import',
      progress: { phase: 'parsing', current: 1, total: 2, detail: 'good.mid' },
    });
    await expect.poll(() => page.locator('[data-testid="import-progress"]').getAttribute('value')).toBe('0.5');
    await expect.poll(() => page.locator('[data-testid="status-job"]').textContent()).toContain('1/2');
    await screenshot(page, 'fake-library-importing');
    await emit(page, 'job:finished', {
      jobId: 'job-1',
      kind: 'import',
      status: 'done',
      result: {
        corpusName: 'Reels',
        files: 2,
        imported: 1,
        duplicates: 0,
        failed: [{ name: 'broken.mid', code: 'MIDI_NOT_MIDI', reason: 'not a MIDI file (no MThd header)' }],
        warnings: [
          {
            name: 'half.mid',
            code: 'MIDI_TRUNCATED',
            message: 'half.mid: the file was cut short in track 2 of 2; kept the 40 notes before the cut',
          },
        ],
      },
    });
    const warnings = page.locator('[data-testid="import-warnings"]');
    await expect.poll(() => warnings.textContent()).toContain('half.mid: the file was cut short');
    const failures = page.locator('[data-testid="import-failures"]');
    await expect.poll(() => failures.textContent()).toContain('broken.mid');
    expect(await failures.textContent()).toContain('no MThd header');
    expect(await failures.textContent()).toContain('notes.txt');
    await expect.poll(() => page.locator('[data-testid="import-summary"]').textContent()).toContain('1 imported');
    // The corpus list refreshed; choosing the corpus shows its histogram.
    await page.getByRole('button', { name: 'Reels' }).click();
    await expect.poll(() => page.locator('svg.histogram rect').count()).toBe(130);
    await screenshot(page, 'fake-library-done');

    // Rename and delete go through confirmation dialogs; Cancel changes nothing.
    await page.getByRole('button', { name: 'Rename' }).click();
    const renameDialog = page.getByRole('dialog', { name: 'Rename corpus' });
    await renameDialog.getByRole('textbox').fill('Reels & jigs');
    await renameDialog.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => page.locator('[data-testid="corpora"]').textContent()).toContain('Reels & jigs');
    expect((await callsOf(page, 'library:renameCorpus'))[0].payload).toEqual({
      corpusName: 'Reels',
      newName: 'Reels & jigs',
    });
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete corpus?' }).getByRole('button', { name: 'Cancel' }).click();
    expect(await callsOf(page, 'library:deleteCorpus')).toEqual([]);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete corpus?' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('[data-testid="corpora"]').count()).toBe(0);
    expect((await callsOf(page, 'library:deleteCorpus'))[0].payload).toEqual({ corpusName: 'Reels & jigs' });
    expect(session.errors).toEqual([]);
    await page.close();
  });

  it('trains with live loss curves that keep going across tab switches, and cancels', async () => {
    const page = await open();
    // A corpus must exist to train on: import one (the fake answers at once).
    await page
      .locator('[data-testid="import-files"]')
      .setInputFiles([{ name: 'a.mid', mimeType: 'audio/midi', buffer: Buffer.from('MThd') }]);
    await emit(page, 'job:finished', {
      jobId: 'job-1',
      kind: 'import',
      status: 'done',
      result: { corpusName: 'My corpus', files: 1, imported: 1, duplicates: 0, failed: [], warnings: [] },
    });
    await page.keyboard.press('Control+2');
    // The thesis' defaults.
    expect(await page.locator('[data-testid="train-epochs"]').inputValue()).toBe('10');
    expect(await page.locator('[data-testid="train-embedding"]').inputValue()).toBe('256');
    expect(await page.locator('[data-testid="train-hidden"]').inputValue()).toBe('256');
    await expect.poll(() => page.locator('[data-testid="train-corpus"]').inputValue()).toBe('My corpus');
    await page.locator('[data-testid="train-start"]').click();
    expect(await page.getByRole('alert').first().textContent()).toContain('Give the model a name');
    await page.locator('[data-testid="train-model-name"]').fill('reels-v1');
    await page.locator('[data-testid="train-engine"]').selectOption('tfjs-cpu');
    // The rate and its schedule follow the kind: a polyphonic model's (annealed from 0.0025), then the melody model's.
    const rateAndSchedule = async () => [
      await page.locator('[data-testid="train-lr"]').inputValue(),
      await page.locator('[data-testid="train-lr-schedule"]').inputValue(),
    ];
    expect(await rateAndSchedule()).toEqual(['0.001', 'constant']);
    await page.locator('[data-testid="train-kind"]').selectOption('bi-lstm');
    expect(await rateAndSchedule()).toEqual(['0.0025', 'anneal']);
    // "Learn repeats" is the polyphonic models' option: ticked here, it is neither shown nor sent for a melody model.
    await page.locator('[data-testid="train-repeats"]').check();
    await page.locator('[data-testid="train-kind"]').selectOption('melody-lstm');
    expect(await rateAndSchedule()).toEqual(['0.001', 'constant']);
    expect(await page.locator('[data-testid="train-repeats"]').count()).toBe(0);
    await page.locator('[data-testid="train-start"]').click();
    await expect.poll(async () => (await callsOf(page, 'train:start')).length).toBe(1);
    const [call] = await callsOf(page, 'train:start');
    expect(call.payload.spec).not.toHaveProperty('repeatContext');
    expect(call.payload).toMatchObject({
      corpusName: 'My corpus',
      modelName: 'reels-v1',
      engine: 'tfjs-cpu',
      spec: { embeddingDim: 256, hiddenSize: 256, layers: 2, window: 30 },
      training: { batchSize: 64, learningRate: 0.001, learningRateSchedule: 'constant', epochs: 10 },
    });
    const jobId = 'train-2';
    for (let step = 1; step <= 20; step++) {
      const epoch = Math.ceil(step / 10);
      await emit(page, 'job:progress', {
        jobId,
        kind: 'train',
        progress: {
          phase: 'epoch',
          current: step,
          total: 100,
          epoch,
          epochs: 10,
          step: ((step - 1) % 10) + 1,
          stepsPerEpoch: 10,
          // Step events repeat the last validation loss (as the trainer does); the chart must not plot it per step.
          loss: 2.9 - step * 0.05,
          valLoss: epoch > 1 ? 2.4 : undefined,
          sequencesPerSec: 1234,
          etaMs: 95_000,
          engine: 'tfjs-cpu',
        },
      });
      if (step % 10 === 0) {
        await emit(page, 'job:progress', {
          jobId,
          kind: 'train',
          progress: {
            phase: 'epoch done',
            current: epoch,
            total: 10,
            epoch,
            epochs: 10,
            loss: 2.9 - step * 0.05,
            valLoss: 2.8 - step * 0.04,
            sequencesPerSec: 1234,
            etaMs: 95_000,
            engine: 'tfjs-cpu',
          },
        });
      }
      // Training goes on while the user looks elsewhere.
      if (step === 10) await page.keyboard.press('Control+3');
    }
    await page.keyboard.press('Control+2');
    const progress = page.locator('[data-testid="train-progress"]');
    await expect.poll(() => progress.textContent()).toContain('epoch 2 / 10');
    expect(await progress.textContent()).toContain('1,234 seq/s');
    expect(await progress.textContent()).toContain('ETA 1 min 35 s');
    expect(await page.locator('[data-testid="status-job"]').textContent()).toContain('epoch 2/10');
    // The chart is re-mounted by the tab switch and sized by a resize observer: read it once it has been drawn.
    await expect.poll(() => countLossChartPixels(page, LOSS_CURVES.training), { timeout: 5000 }).toBeGreaterThan(50);
    expect(await countLossChartPixels(page, LOSS_CURVES.validation)).toBeGreaterThan(10);
    await screenshot(page, 'fake-train');
    await page.locator('[data-testid="train-cancel"]').click();
    await expect.poll(async () => (await callsOf(page, 'job:cancel')).length).toBe(1);
    expect((await callsOf(page, 'job:cancel'))[0].payload).toEqual({ jobId });
    await emit(page, 'job:finished', { jobId, kind: 'train', status: 'cancelled' });
    await expect.poll(() => progress.textContent()).toContain('cancelled');
    expect(await page.locator('[data-testid="train-cancel"]').count()).toBe(0);
    expect(session.errors).toEqual([]);
    await page.close();
  });

  it('shows a blocking screen, not a toast, for a library from a newer version', async () => {
    const page = await open({ appInfoErrorCode: 'LIBRARY_FROM_FUTURE' });
    const fatal = page.getByRole('alertdialog');
    await expect.poll(() => fatal.isVisible()).toBe(true);
    expect(await fatal.textContent()).toContain('newer version of Etude');
    expect(await page.locator('[role="tablist"]').count()).toBe(0);
    await screenshot(page, 'fake-fatal-newer-library');
    await page.close();
  });

  it('pages a big batch: twelve takes drawn at a time, later pages fetched when shown, forward and back', async () => {
    const page = await open();
    await page.keyboard.press('Control+3');
    await page.locator('[data-testid="variations"]').fill('30');
    await page.keyboard.press('Control+Enter');
    const cards = page.locator('[data-testid="variation"]');
    const label = page.locator('[data-testid="page-label"]');
    await expect.poll(() => cards.count()).toBe(TAKES_PER_PAGE);
    expect(await label.textContent()).toBe('Page 1 of 3');
    expect(await page.locator('[data-testid="page-prev"]').isDisabled()).toBe(true);
    const firstTitle = await cards.first().getAttribute('aria-label');
    // The result carried notes for the first page only; the next page's takes are fetched when it is shown.
    expect(await callsOf(page, 'generations:get')).toHaveLength(0);
    await page.locator('[data-testid="page-next"]').click();
    await expect.poll(() => label.textContent()).toBe('Page 2 of 3');
    await expect.poll(() => cards.count()).toBe(TAKES_PER_PAGE);
    expect(await cards.first().getAttribute('aria-label')).not.toBe(firstTitle);
    const [fetched] = await callsOf(page, 'generations:get');
    expect((fetched.payload as { generationIds: string[] }).generationIds).toHaveLength(TAKES_PER_PAGE);
    await page.locator('[data-testid="page-next"]').click();
    await expect.poll(() => cards.count()).toBe(30 - 2 * TAKES_PER_PAGE);
    expect(await page.locator('[data-testid="page-next"]').isDisabled()).toBe(true);
    await page.locator('[data-testid="page-prev"]').click();
    await page.locator('[data-testid="page-prev"]').click();
    await expect.poll(() => cards.first().getAttribute('aria-label')).toBe(firstTitle);
  });

  it('composes by keyboard, edits the piano roll with undo, draws the score and exports MIDI', async () => {
    const page = await open();
    await page.keyboard.press('Control+3');
    // Seed notes from the computer keyboard: clear, then A D G = C4 E4 G4, X = octave up, A = C5.
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('[data-testid="seed-keyboard"]').focus();
    for (const key of ['a', 'd', 'g', 'x', 'a']) await page.keyboard.press(key);
    await expect.poll(() => page.locator('[data-testid="seed-notes"]').textContent()).toBe('C4E4G4C5');
    await page.keyboard.press('Backspace');
    await expect.poll(() => page.locator('[data-testid="seed-notes"]').textContent()).toBe('C4E4G4');
    // Typed note names replace the seed.
    await page.locator('[data-testid="seed-text"]').fill('D4 F#4 A4');
    await page.locator('[data-testid="seed-text"]').press('Enter');
    await expect.poll(() => page.locator('[data-testid="seed-notes"]').textContent()).toBe('D4F#4A4');
    await page.locator('[data-testid="seed-text"]').fill('D4 H9');
    await page.locator('[data-testid="seed-text"]').press('Enter');
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('“H9”');

    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('[data-testid="variation"]').count()).toBe(3);
    const [gen] = await callsOf(page, 'compose:generate');
    expect(gen.payload).toMatchObject({
      model: 'default',
      seedNotes: [62, 66, 69],
      temperature: 1,
      bars: 8,
      variations: 3,
    });
    await expect.poll(() => countNotePixels(page, 0)).toBeGreaterThan(500);
    // The score, engraved by VexFlow: every note begins on it once (ties continue notes), one treble staff.
    const score = page.locator('[data-testid="score"]').first();
    await expect.poll(() => score.locator('.vf-stavenote').count()).toBeGreaterThanOrEqual(32);
    expect(await score.getAttribute('data-onsets')).toBe('32');
    expect(await score.getAttribute('data-staves')).toBe('1');
    await screenshot(page, 'fake-compose');

    // Unlocked seed: a second Generate sends a different random seed.
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await callsOf(page, 'compose:generate')).length).toBe(2);
    const [first, second] = await callsOf(page, 'compose:generate');
    expect(second.payload.randomSeed).not.toBe(first.payload.randomSeed);
    await expect.poll(() => noteCount(page)).toBe(32);

    // Keyboard editing on the first roll: select the first note, delete it, undo.
    const roll = page.locator('[data-testid="piano-roll"]').first();
    await roll.focus();
    await page.keyboard.press('ArrowRight');
    expect(await rollLabel(page)).toContain('selected D4 at sixteenth 1');
    await page.keyboard.press('Delete');
    await expect.poll(() => noteCount(page)).toBe(31);
    await page.keyboard.press('Control+z');
    await expect.poll(() => noteCount(page)).toBe(32);
    // Alt+Up moves the selected note a semitone; Shift+Right lengthens it by a sixteenth.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Alt+ArrowUp');
    expect(await rollLabel(page)).toContain('selected D#4 at sixteenth 1, 3 sixteenths');
    await page.keyboard.press('Shift+ArrowRight');
    expect(await rollLabel(page)).toContain('selected D#4 at sixteenth 1, 4 sixteenths');

    // Mouse: drag the first note's body up two rows and right by a beat; then drag its right edge.
    const box = await roll.boundingBox();
    if (!box) throw new Error('the piano roll has no box');
    const hit = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="piano-roll"]');
      if (!c) return null;
      const ctx = c.getContext('2d');
      if (!ctx) return null;
      const { data, width, height } = ctx.getImageData(0, 0, c.width, c.height);
      const dpr = c.width / c.getBoundingClientRect().width;
      // The leftmost note pixel column, then the middle of that note vertically.
      for (let x = 0; x < width; x++)
        for (let y = 0; y < height; y++) {
          const i = (y * width + x) * 4;
          if (data[i] > 90 && data[i] - data[i + 1] > 25 && data[i + 1] - data[i + 2] > 25)
            return { x: x / dpr, y: y / dpr };
        }
      return null;
    });
    if (!hit) throw new Error('no note pixels found');
    const startX = box.x + hit.x + 4;
    const startY = box.y + hit.y + 3;
    await page.mouse.move(startX, startY);
    await page.mouse.down();
    await page.mouse.move(startX + 10, startY - 8, { steps: 4 });
    await page.mouse.move(startX + 20, startY - 16, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => rollLabel(page)).toMatch(/selected F4 at sixteenth [2-9]/);
    await page.keyboard.press('Control+z');
    await expect.poll(() => rollLabel(page)).toContain('no note selected');
    // Two more undos (lengthen, Alt+Up) bring back the generated melody; nothing is left to undo.
    await page.getByRole('button', { name: 'Undo' }).first().click();
    await page.getByRole('button', { name: 'Undo' }).first().click();
    expect(await page.getByRole('button', { name: 'Undo' }).first().isDisabled()).toBe(true);
    await roll.focus();
    await page.keyboard.press('ArrowRight');
    expect(await rollLabel(page)).toContain('selected D4 at sixteenth 1, 3 sixteenths');

    // Save MIDI: the bytes main receives are a MIDI file with the roll's notes.
    await page.getByTestId('save-midi').first().click();
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __fake: { saved: number[][] } }).__fake.saved.length))
      .toBe(1);
    const bytes = await page.evaluate(() => (window as unknown as { __fake: { saved: number[][] } }).__fake.saved[0]);
    const seq = parseMidi(new Uint8Array(bytes), 'export.mid');
    const exported = seq.tracks.flatMap((t) => t.notes);
    expect(exported).toHaveLength(32);
    expect(exported[0]).toMatchObject({ pitch: 62, startTick: 0, durationTicks: 360 });
    expect(seq.tempos[0]?.bpm).toBeCloseTo(110, 3);
    // Drag out of the window (browser): a DownloadURL with a blob: URL of the MIDI bytes.
    const dragged = await page.evaluate(async () => {
      const grip = document.querySelector<HTMLElement>('[data-testid="variation"] [draggable="true"]');
      if (!grip) return null;
      // CSP keeps blob: out of connect-src, so catch the Blob as the URL is made instead of fetching it.
      const made: Blob[] = [];
      const original = URL.createObjectURL.bind(URL);
      URL.createObjectURL = (obj: Blob | MediaSource) => {
        if (obj instanceof Blob) made.push(obj);
        return original(obj);
      };
      const dt = new DataTransfer();
      grip.dispatchEvent(new DragEvent('dragstart', { dataTransfer: dt, bubbles: true }));
      URL.createObjectURL = original;
      const downloadUrl = dt.getData('DownloadURL');
      const head = made.length === 1 ? new Uint8Array(await made[0].arrayBuffer()).slice(0, 4) : new Uint8Array();
      return { downloadUrl, head: String.fromCharCode(...head) };
    });
    expect(dragged?.downloadUrl).toMatch(/^audio\/midi:etude-\d+-1\.mid:blob:http/);
    expect(dragged?.head).toBe('MThd');

    // Keep a favourite by name.
    const card = page.locator('[data-testid="variation"]').first();
    await card.getByPlaceholder('favourite name').fill('Morning reel');
    await card.getByRole('button', { name: '★ Keep' }).click();
    await expect.poll(() => card.textContent()).toContain('★ Morning reel');
    const [fav] = await callsOf(page, 'generations:saveFavourite');
    expect(fav.payload).toMatchObject({ name: 'Morning reel', favourite: true });
    expect(String(fav.payload.generationId)).toMatch(/^gen-\d+-0$/);

    // Seed from a MIDI file's opening, parsed in the page by the core reader.
    await page.locator('[data-testid="seed-midi"]').setInputFiles(MATILDA);
    const expected = seedFromMidi(new Uint8Array(readFileSync(MATILDA)), 'waltzing-matilda.mid')
      .map(pitchName)
      .join('');
    await expect.poll(() => page.locator('[data-testid="seed-notes"]').textContent()).toBe(expected);
    await screenshot(page, 'fake-compose-edited');
    expect(session.errors).toEqual([]);
    await page.close();
  });

  it('draws the chord symbols a take followed above its score, one per change', async () => {
    const page = await open();
    await page.keyboard.press('Control+3');
    await page.locator('[data-testid="seed-text"]').fill('C4 E4 G4');
    await page.locator('[data-testid="seed-text"]').press('Enter');
    await page.getByTestId('chords').fill('C F G C');
    await page.getByTestId('bars').fill('4');
    await page.getByTestId('generate').click();
    await expect.poll(() => page.locator('[data-testid="variation"]').count()).toBe(3);
    const [gen] = await callsOf(page, 'compose:generate');
    expect(gen.payload).toMatchObject({ chords: { progression: 'C F G C', barsPerChord: 1 } });
    const score = page.locator('[data-testid="score"]').first();
    expect(await score.getAttribute('data-chords')).toBe('C F G C');
    await expect.poll(() => score.locator('.vf-chord-symbol').count()).toBe(4);
    const drawn = await score.locator('.vf-chord-symbol text').allTextContents();
    expect(drawn).toEqual(['C', 'F', 'G', 'C']);
  });

  it('sends the key lock, range, meter and humanise; the take keeps its meter in the score and the saved MIDI', async () => {
    const page = await open();
    await page.keyboard.press('Control+3');
    await page.locator('[data-testid="seed-text"]').fill('D4 F4 A4 D5');
    await page.locator('[data-testid="seed-text"]').press('Enter');
    // The key finder's suggestion for the seed, then locking to it.
    await expect.poll(() => page.getByTestId('key-suggestion').textContent()).toContain('D minor');
    await page.getByTestId('key-lock').getByRole('button', { name: 'Use' }).click();
    expect(await page.getByTestId('key-tonic').inputValue()).toBe('D');
    await page.getByTestId('key-scale').selectOption('dorian');
    await page.getByTestId('range-low').fill('C4');
    await page.getByTestId('range-high').fill('C6');
    await page.getByTestId('strictness').fill('0.9');
    await page.getByTestId('meter').selectOption('3/4');
    await page.getByTestId('humanise').fill('0.3');
    await page.getByTestId('bars').fill('4');
    await page.getByTestId('generate').click();
    await expect.poll(() => page.locator('[data-testid="variation"]').count()).toBe(3);
    const [gen] = await callsOf(page, 'compose:generate');
    expect(gen.payload).toMatchObject({
      key: 'D dorian',
      range: { low: 60, high: 84 },
      strictness: 0.9,
      timeSignature: { numerator: 3, denominator: 4 },
      humanise: 0.3,
      bars: 4,
    });
    // Four bars of 3/4 (5760 ticks at ppq 480), each a measure of the engraved score with its 3/4 signature.
    const score = page.locator('[data-testid="score"]').first();
    await expect.poll(() => score.locator('.vf-measure').count()).toBe(4);
    expect(await score.getAttribute('data-measures')).toBe('4');
    // D dorian is written with its parent major's signature: C, no sharps or flats.
    expect(await score.getAttribute('data-key')).toBe('C');
    expect(await score.locator('.vf-timesignature').count()).toBeGreaterThanOrEqual(1);
    await page.getByTestId('save-midi').first().click();
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __fake: { saved: number[][] } }).__fake.saved.length))
      .toBe(1);
    const bytes = await page.evaluate(() => (window as unknown as { __fake: { saved: number[][] } }).__fake.saved[0]);
    const seq = parseMidi(new Uint8Array(bytes), 'export.mid');
    expect(seq.timeSignatures[0]).toMatchObject({ numerator: 3, denominator: 4 });
    // Lock off again: the request carries no control fields at all.
    await page.getByTestId('key-tonic').selectOption('off');
    await page.getByTestId('range-low').fill('');
    await page.getByTestId('range-high').fill('');
    await page.getByTestId('meter').selectOption('4/4');
    await page.getByTestId('humanise').fill('0');
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await callsOf(page, 'compose:generate')).length).toBe(2);
    const [, second] = await callsOf(page, 'compose:generate');
    for (const field of ['key', 'range', 'strictness', 'timeSignature', 'humanise', 'continueClip'])
      expect(second.payload).not.toHaveProperty(field);
    // A MIDI file as the seed can be continued whole: its bytes travel with the request.
    await page.locator('[data-testid="seed-midi"]').setInputFiles(MATILDA);
    await page.getByTestId('continue-clip-toggle').check();
    await page.getByTestId('append-clip').check();
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await callsOf(page, 'compose:generate')).length).toBe(3);
    const [, , third] = await callsOf(page, 'compose:generate');
    const clip = third.payload.continueClip as { name: string; append: boolean; bytes: Record<string, number> };
    expect(clip).toMatchObject({ name: 'waltzing-matilda.mid', append: true });
    expect(Object.keys(clip.bytes)).toHaveLength(readFileSync(MATILDA).byteLength);
    expect(session.errors).toEqual([]);
    await page.close();
  });
});
