// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * Models travel, seen from the page: on the real loopback studio, Export on the Train screen downloads one
 * .etude-model file, which decodes to the model; importing it back refuses the name clash with a sentence, and
 * imports it under a new name, which then lists as ready with the corpus it learned from.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readCheckpointHeader } from '../../src/core/model/checkpoint';
import { decodeModelFile } from '../../src/core/model/modelFile';
import { createAppServices, type AppServices } from '../../src/main/services/app';
import { startStudio, type StudioHandle } from '../../src/studio/server';
import { buildRenderer, launchBrowser, repoRoot, screenshot, type BrowserSession } from './helpers/browser';

let dataDir: string;
let services: AppServices;
let studio: StudioHandle;
let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  const rendererDir = await buildRenderer();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-e2e-models-'));
  services = createAppServices({ dataDir, resourcesDir: path.join(repoRoot, 'resources') });
  // A trained model in the library (a fixture checkpoint), as training would leave it.
  const data = new Uint8Array(readFileSync(path.join(repoRoot, 'test/fixtures/models/melody-1layer.etude-ckpt')));
  const header = readCheckpointHeader(data);
  const model = services.library.models.createModel({
    name: 'Jigs',
    spec: header.spec,
    training: header.training,
    corpusId: services.library.corpora.createCorpus('Nottingham jigs').id,
    engine: header.engine,
    status: 'ready',
  });
  services.library.checkpoints.saveCheckpoint({ modelId: model.id, epoch: header.epoch, step: header.step, data });
  studio = await startStudio({ dataDir, rendererDir, services });
  session = await launchBrowser();
  page = session.page;
  await page.goto(studio.url);
});

afterAll(async () => {
  await session?.close();
  await studio?.close();
  await services?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('models travel from the Train screen', () => {
  it('exports a model to one file and imports it back under a new name', async () => {
    await page.keyboard.press('Control+2');
    const row = page.locator('[data-testid="models"] tr', { hasText: 'Jigs' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.locator('[data-testid="model-export"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe('Jigs.etude-model');
    const file = path.join(dataDir, 'downloaded.etude-model');
    await download.saveAs(file);
    const decoded = decodeModelFile(new Uint8Array(readFileSync(file)));
    expect(decoded.header).toMatchObject({ name: 'Jigs', corpusName: 'Nottingham jigs', spec: { layers: 1 } });

    // Same name: refused, saying what to do.
    await page.locator('[data-testid="model-import"]').setInputFiles(file);
    await expect
      .poll(() => page.getByRole('alert').filter({ hasText: 'already exists' }).count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    // A new name: imported, listed ready with its corpus.
    await page.locator('[data-testid="model-import-name"]').fill('Jigs from Ann');
    await page.locator('[data-testid="model-import"]').setInputFiles(file);
    const imported = page.locator('[data-testid="models"] tr', { hasText: 'Jigs from Ann' });
    await expect.poll(() => imported.textContent(), { timeout: 10_000 }).toMatch(/ready\s*Nottingham jigs/);
    expect(services.library.models.getModelByName('Jigs from Ann')?.status).toBe('ready');
    await screenshot(page, 'models-transfer');
    expect(session.errors.filter((e) => !e.includes('already exists'))).toEqual([]);
  });
});
