// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
// Callbacks passed to page.evaluate run in the browser: they need the DOM types.
/**
 * E2E plumbing: build the renderer once (vite + the Svelte plugin, same as the app build),
 * launch Debian's chromium through playwright-core with a fresh profile, save screenshots.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../../scripts/chromium';
import { RENDERER_ALIASES } from '../../../scripts/rendererAliases';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const artifactsDir = path.join(repoRoot, 'test-artifacts');
export const sharedData = path.resolve(repoRoot, '../shared/data');
export { CHROMIUM } from '../../../scripts/chromium';

/** Builds src/renderer into a folder (once per process) and answers it. */
let built: Promise<string> | null = null;
export function buildRenderer(): Promise<string> {
  built ??= (async () => {
    const outDir = path.join(os.tmpdir(), `etude-e2e-renderer-${process.pid}`);
    const { build } = await import('vite');
    const { svelte } = await import('@sveltejs/vite-plugin-svelte');
    await build({
      root: path.join(repoRoot, 'src/renderer'),
      base: './',
      logLevel: 'warn',
      configFile: false,
      plugins: [svelte()],
      resolve: { alias: RENDERER_ALIASES },
      build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 4000 },
    });
    return outDir;
  })();
  return built;
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (a clean run has none). */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-e2e-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, '--autoplay-policy=user-gesture-required'],
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`http ${r.status()}: ${r.url()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  if (!existsSync(artifactsDir)) mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** An inclusive range per channel: the pixels of one curve of the loss chart, over its dark background. */
export interface ColourRange {
  r: [number, number];
  g: [number, number];
  b: [number, number];
}

/** The loss chart's curves (src/renderer/src/components/LossChart.svelte): orange, blue and green. */
export const LOSS_CURVES = {
  training: { r: [201, 255], g: [131, 189], b: [0, 109] },
  validation: { r: [0, 119], g: [151, 255], b: [191, 255] },
  average: { r: [91, 159], g: [171, 255], b: [91, 159] },
} satisfies Record<string, ColourRange>;

/** Counts the loss chart's pixels in `colour`: 0 before the chart is laid out and drawn. */
export async function countLossChartPixels(page: Page, colour: ColourRange): Promise<number> {
  return page.evaluate(({ r, g, b }) => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid="loss-chart"]');
    const ctx = c?.getContext('2d');
    if (!c || !ctx || c.width === 0 || c.height === 0) return 0;
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    const within = (v: number, [lo, hi]: [number, number]) => v >= lo && v <= hi;
    let n = 0;
    for (let i = 0; i < data.length; i += 4)
      if (within(data[i], r) && within(data[i + 1], g) && within(data[i + 2], b)) n++;
    return n;
  }, colour);
}

/**
 * Counts canvas pixels of the note colour (the orange #e8a34a family, at any velocity opacity
 * over the dark background) in the nth piano roll: proof that notes were drawn, read back from
 * the canvas itself.
 */
export async function countNotePixels(page: Page, rollIndex: number): Promise<number> {
  return page.evaluate((index) => {
    const canvases = document.querySelectorAll<HTMLCanvasElement>('[data-testid="piano-roll"]');
    const canvas = canvases[index];
    if (!canvas) return -1;
    const ctx = canvas.getContext('2d');
    if (!ctx) return -1;
    // Not laid out yet (sized by a resize observer): nothing drawn so far.
    if (canvas.width === 0 || canvas.height === 0) return 0;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i];
      const g = data[i + 1];
      const b = data[i + 2];
      // Note fill: red clearly above green, green clearly above blue (grid and rows are grey-blue).
      if (r > 90 && r - g > 25 && g - b > 25) count++;
    }
    return count;
  }, rollIndex);
}
