// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * Models travel, seen from the page: on the real loopback studio, Export on the Train screen downloads one
 * .etude-model file, which decodes to the model; importing it back refuses the name clash with a sentence, and
 * imports it under a new name, which then lists as ready with the corpus it learned from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpointHeader } from '../../src/core/model/checkpoint';
import { decodeModelFile } from '../../src/core/model/modelFile';
import { type AppServices } from '../../src/main/services/app';
import { repoRoot, screenshot } from './helpers/browser';
import { useStudio } from './helpers/studioSession';

/** A trained model in the library (a fixture checkpoint), as training would leave it. */
function addJigsFixture(services: AppServices): void {
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
}

const s = useStudio('models', { prepare: addJigsFixture });

describe('models travel from the Train screen', () => {
  it('exports a model to one file and imports it back under a new name', async () => {
    await s.page.keyboard.press('Control+2');
    const row = s.page.locator('[data-testid="models"] tr', { hasText: 'Jigs' });
    const [download] = await Promise.all([
      s.page.waitForEvent('download'),
      row.locator('[data-testid="model-export"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe('Jigs.etude-model');
    const file = path.join(s.dataDir, 'downloaded.etude-model');
    await download.saveAs(file);
    const decoded = decodeModelFile(new Uint8Array(readFileSync(file)));
    expect(decoded.header).toMatchObject({ name: 'Jigs', corpusName: 'Nottingham jigs', spec: { layers: 1 } });

    // Same name: refused, saying what to do.
    await s.page.locator('[data-testid="model-import"]').setInputFiles(file);
    await expect
      .poll(() => s.page.getByRole('alert').filter({ hasText: 'already exists' }).count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    // A new name: imported, listed ready with its corpus.
    await s.page.locator('[data-testid="model-import-name"]').fill('Jigs from Ann');
    await s.page.locator('[data-testid="model-import"]').setInputFiles(file);
    const imported = s.page.locator('[data-testid="models"] tr', { hasText: 'Jigs from Ann' });
    await expect.poll(() => imported.textContent(), { timeout: 10_000 }).toMatch(/ready\s*Nottingham jigs/);
    expect(s.services.library.models.getModelByName('Jigs from Ann')?.status).toBe('ready');
    await screenshot(s.page, 'models-transfer');
    expect(s.browser.errors.filter((e) => !e.includes('already exists'))).toEqual([]);
  });
});
