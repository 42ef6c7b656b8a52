// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * Learnt dynamics through the page, on the real loopback studio: import accented tunes (loud downbeats, { soft other
 * notes) in the Library, tick "Learn dynamics (velocity)" on the Train screen (it is offered for the melody model
 * only), train a tiny model, and compose a take: the model's stored spec has the velocity bins of the corpus, and the
 * saved MIDI file, read by python3-mido, has every note at one of those bins' velocities (not the default dynamics).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeMidi } from '../../src/core/midi/writeMidi';
import { decodeCheckpoint, type Checkpoint } from '../../src/core/model/checkpoint';
import type { MelodyLstmSpec } from '../../src/core/model/melodyLstmSpec';
import type { Note } from '../../src/core/music/NoteSequence';
import { createRng } from '../../src/core/util/random';
import { openLibrary } from '../../src/main/db';
import { countLossChartPixels, LOSS_CURVES, repoRoot, screenshot } from './helpers/browser';
import { importInStudio, useStudio } from './helpers/studioSession';

let tunes: string[];

/** 12 accented 4/4 tunes (downbeats about 110, other notes about 60) as MIDI files in `dir`. */
function writeAccentedTunes(dir: string): void {
  tunes = Array.from({ length: 12 }, (_, i) => {
    const rng = createRng(i + 1);
    const notes: Note[] = [];
    for (let bar = 0; bar < 8; bar++)
      for (const [at, length] of [
        [0, 6],
        [6, 2],
        [8, 4],
        [12, 4],
      ])
        notes.push({
          pitch: 60 + rng.int(12),
          startTick: (bar * 16 + at) * 120,
          durationTicks: length * 120,
          velocity: Math.round((at === 0 ? 110 : 60) + rng.uniform(-8, 8)),
        });
    const file = path.join(dir, `accented-${i}.mid`);
    writeFileSync(
      file,
      writeMidi({
        ppq: 480,
        name: `tune ${i}`,
        tempos: [{ tick: 0, bpm: 120 }],
        timeSignatures: [{ tick: 0, numerator: 4, denominator: 4 }],
        keySignatures: [],
        tracks: [{ name: 'melody', program: 0, channel: 0, isPercussion: false, notes }],
      }),
    );
    return file;
  });
}

const s = useStudio('dynamics', { prepare: (_services, dataDir) => writeAccentedTunes(dataDir) });

interface MidoDump {
  tracks: { name: string; notes: [number, number, number, number, number][] }[];
}

describe('learnt dynamics, from the Train screen to the saved file', () => {
  it('trains with "Learn dynamics (velocity)" and saves a take whose notes are at the learnt velocities', async () => {
    await importInStudio(s.page, 'Accented', tunes);

    await s.page.keyboard.press('Control+2');
    await s.page.locator('[data-testid="train-corpus"]').selectOption('Accented');
    await s.page.locator('[data-testid="train-model-name"]').fill('dyn');
    // Offered for the melody model only.
    await s.page.locator('[data-testid="train-kind"]').selectOption('biaxial-lstm');
    expect(await s.page.locator('[data-testid="train-velocity"]').count()).toBe(0);
    await s.page.locator('[data-testid="train-kind"]').selectOption('melody-lstm');
    await s.page.locator('[data-testid="train-velocity"]').check();
    await s.page.locator('[data-testid="train-epochs"]').fill('2');
    await s.page.getByText('Advanced').click();
    await s.page.locator('[data-testid="train-hidden"]').fill('16');
    await s.page.locator('[data-testid="train-embedding"]').fill('8');
    // With the weight average too: the model then composes with whichever of the two was better on validation.
    await s.page.locator('[data-testid="train-average"]').check();
    // And AdamW's weight decay, which reaches the checkpoint's training settings.
    await s.page.locator('[data-testid="train-weight-decay"]').fill('0.05');
    await s.page.locator('[data-testid="train-start"]').click();
    await expect
      .poll(() => s.page.locator('[data-testid="train-progress"]').textContent(), { timeout: 120_000 })
      .toContain('done');
    await expect.poll(() => s.page.locator('[data-testid="models"]').textContent()).toMatch(/dyn\s*ready/);
    // The loss chart draws the weight average's validation curve (green) and names it.
    expect(await countLossChartPixels(s.page, LOSS_CURVES.average)).toBeGreaterThan(10);
    expect(await s.page.locator('.legend').textContent()).toContain('weight average (validation)');

    const library = openLibrary(path.join(s.dataDir, 'library.db'), { onSlowQuery: () => {} });
    let latest: Checkpoint;
    try {
      const row = library.models.getModelByName('dyn')!;
      latest = decodeCheckpoint(library.checkpoints.latestCheckpoint(row.id)!.data);
    } finally {
      library.close();
    }
    const spec = latest.spec as MelodyLstmSpec;
    expect(latest.training.weightAverageDecay).toBe(0.5);
    expect(latest.training.weightDecay).toBe(0.05);
    expect(latest.average).toBeDefined();
    expect(latest.metrics.averageValLossHistory).toHaveLength(2);
    // The Models table says which epoch composes, and whether it is the average.
    const best = latest.metrics;
    expect(typeof best.bestEpoch).toBe('number');
    const composing = s.page.locator('tr', { hasText: 'dyn' }).locator('[data-testid="model-composing-epoch"]');
    expect((await composing.textContent())?.trim()).toBe(`${best.bestEpoch}${best.bestIsAverage ? ', averaged' : ''}`);
    expect(spec.velocityBins).toBe(8);
    expect(Math.max(...spec.velocityCentres!) - Math.min(...spec.velocityCentres!)).toBeGreaterThan(40);

    await s.page.keyboard.press('Control+3');
    await s.page.locator('[data-testid="compose-model"]').selectOption({ label: 'dyn' });
    await s.page.locator('[data-testid="bars"]').fill('4');
    await s.page.locator('[data-testid="variations"]').fill('1');
    await s.page.locator('[data-testid="generate"]').click();
    await expect.poll(() => s.page.locator('[data-testid="variation"]').count(), { timeout: 60_000 }).toBe(1);
    await screenshot(s.page, 'dynamics-compose');
    await s.page.locator('[data-testid="save-midi"]').first().click();
    const toast = s.page.getByRole('status').filter({ hasText: 'Saved' });
    await expect.poll(() => toast.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const saved = /Saved (.+\.mid)/.exec((await toast.first().textContent()) ?? '')?.[1] as string;
    const dump = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(repoRoot, 'test/tools/mido_dump.py'), saved], { encoding: 'utf8' }),
    ) as MidoDump;
    const velocities = dump.tracks.flatMap((t) => t.notes.map((n) => n[4]));
    expect(velocities.length).toBeGreaterThan(0);
    for (const v of velocities) expect(spec.velocityCentres).toContain(v);
    expect(s.browser.errors).toEqual([]);
  });
});
