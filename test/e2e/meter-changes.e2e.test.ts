// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * A clip whose meter changes (2 bars of 4/4, then 2 of 3/4) continued by the bundled model through the loopback studio
 * and the page: the take keeps the clip's bar lines and goes on in 3/4. The score writes a time signature at measure 1
 * and again at measure 3 (VexFlow's time-signature groups, counted in the SVG), and the piano roll draws its bar lines
 * at the map's ticks (bar-coloured pixel columns read back from the canvas).
 */
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeMidi } from '../../src/core/midi/writeMidi';
import { screenshot } from './helpers/browser';
import { useStudio } from './helpers/studioSession';

const clip = path.join(os.tmpdir(), `etude-e2e-meter-clip-${process.pid}.mid`);

/** The clip to continue: 8 quarter notes in 4/4, then 6 in 3/4, at 90 bpm. */
function writeClip(): void {
  const pitches = [60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 67, 64];
  writeFileSync(
    clip,
    writeMidi({
      ppq: 480,
      name: 'clip',
      tempos: [{ tick: 0, bpm: 90 }],
      timeSignatures: [
        { tick: 0, numerator: 4, denominator: 4 },
        { tick: 3840, numerator: 3, denominator: 4 },
      ],
      keySignatures: [],
      tracks: [
        {
          name: 'clip',
          program: 0,
          channel: 0,
          isPercussion: false,
          notes: pitches.map((pitch, i) => ({ pitch, startTick: i * 480, durationTicks: 400, velocity: 90 })),
        },
      ],
    }),
  );
}

const s = useStudio('meter', { prepare: writeClip });
afterAll(() => rmSync(clip, { force: true }));

/** x (device pixels) of the canvas columns drawn in the bar-line colour (#3a404b) over most of the roll's height. */
function barColumns(index: number): Promise<{ columns: number[]; width: number }> {
  return s.page.evaluate((i) => {
    const canvas = document.querySelectorAll<HTMLCanvasElement>('[data-testid="piano-roll"]')[i];
    const ctx = canvas.getContext('2d')!;
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const columns: number[] = [];
    for (let x = 0; x < width; x++) {
      let hits = 0;
      for (let y = 0; y < height; y++) {
        const k = (y * width + x) * 4;
        if (data[k] === 0x3a && data[k + 1] === 0x40 && data[k + 2] === 0x4b) hits++;
      }
      if (hits > height * 0.4) columns.push(x);
    }
    return { columns, width };
  }, index);
}

describe('a clip that changes meter, continued in the page', () => {
  it('writes a time signature at each change in the score and draws the bar lines at the map in the roll', async () => {
    await s.page.keyboard.press('Control+3');
    await s.page.locator('[data-testid="compose-model"]').selectOption('default');
    await s.page.locator('[data-testid="seed-midi"]').setInputFiles(clip);
    await s.page.getByTestId('continue-clip-toggle').check();
    await s.page.getByTestId('append-clip').check();
    await s.page.locator('[data-testid="variations"]').fill('1');
    await s.page.locator('[data-testid="bars"]').fill('2');
    await s.page.locator('[data-testid="generate"]').click();
    await expect.poll(() => s.page.locator('[data-testid="variation"]').count(), { timeout: 120_000 }).toBe(1);

    // 2 bars of 4/4, 2 of 3/4 (the clip), 2 more of 3/4: six measures, a time signature at the 1st and the 3rd.
    const score = s.page.locator('[data-testid="score"]').first();
    await expect.poll(() => score.locator('.vf-measure').count(), { timeout: 30_000 }).toBe(6);
    expect(await score.getAttribute('data-measures')).toBe('6');
    expect(await score.locator('.vf-timesignature').count()).toBe(2);
    const measuresWithTime = await score
      .locator('.vf-measure')
      .evaluateAll((groups) =>
        groups.filter((g) => g.querySelector('.vf-timesignature')).map((g) => g.getAttribute('data-measure')),
      );
    expect(measuresWithTime).toEqual(['1', '3']);

    // The roll is fitted to the take (3840 + 2 * 1440 + 2 * 1440 = 9600 ticks across its width): bar lines at
    // 1920, 3840, 5280, 6720 and 8160 ticks, a 3/4 bar three quarters the width of a 4/4 one.
    const { columns, width } = await barColumns(0);
    const expected = [1920, 3840, 5280, 6720, 8160].map((tick) => (tick / 9600) * width);
    for (const x of expected) expect(columns.some((c) => Math.abs(c - x) <= 2)).toBe(true);
    // None where 4/4 bars would be after the change (4/4 would put one at 5760 ticks).
    expect(columns.some((c) => Math.abs(c - (5760 / 9600) * width) <= 2)).toBe(false);
    await s.page.locator('[data-testid="variation"]').first().scrollIntoViewIfNeeded();
    await screenshot(s.page, 'meter-changes');
    expect(s.browser.errors).toEqual([]);
  });
});
