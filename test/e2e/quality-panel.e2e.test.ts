// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * The quality panel, seen from the page: on the real loopback studio, Evaluate on the bundled model's row of the Train
 * screen, then Measure, shows every measure for the takes beside the JSB soprano corpus, the validation NLL, and the
 * two charts (takes and corpus bars for 12 pitch classes and 16 note lengths).
 */
import { describe, expect, it } from 'vitest';
import { METRIC_LABELS } from '../../src/main/services/evaluation';
import { screenshot } from './helpers/browser';
import { useStudio } from './helpers/studioSession';

const s = useStudio('quality');

describe('quality panel on the Train screen', () => {
  it('measures the bundled model against its corpus', async () => {
    await s.page.keyboard.press('Control+2');
    const panel = s.page.locator('[data-testid="quality-panel"]');
    await expect.poll(() => panel.textContent()).toContain('Pick “Evaluate” on a model');
    const row = s.page.locator('[data-testid="models"] tr', { hasText: 'bundled' });
    await row.locator('[data-testid="model-evaluate"]').click();
    await panel.getByLabel('Takes').fill('2');
    await panel.getByLabel('Bars').fill('4');
    await panel.locator('[data-testid="quality-run"]').click();
    const table = panel.locator('[data-testid="quality-table"]');
    await table.waitFor({ timeout: 60_000 });
    const text = (await panel.textContent()) ?? '';
    expect(text).toMatch(/2 takes of 4 bars against JSB chorales \(soprano lines\) \(382 pieces\)/);
    expect(text).toMatch(/validation NLL 0\.\d{4}/);
    for (const label of Object.values(METRIC_LABELS)) expect(text).toContain(label);
    // Mean ± std in both columns of the in-key row, the corpus' near 1.
    const inKey = await table.locator('tr', { hasText: METRIC_LABELS.inKeyShare }).locator('td').allTextContents();
    expect(inKey[1]).toMatch(/^[01]\.\d\d ± \d\.\d\d$/);
    expect(inKey[2]).toMatch(/^0\.9\d ± 0\.0\d$/);
    await expect.poll(() => panel.locator('[data-testid="quality-bar"]').count()).toBe((12 + 16) * 2);
    await screenshot(s.page, 'quality-panel');
  }, 120_000);
});
