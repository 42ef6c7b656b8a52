// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * Regenerate bars through the loopback studio (real handlers, the bundled model, the generation worker), in Debian's
 * chromium: a take is composed, bars 3-4 are regenerated, the saved MIDI shows every note outside them as it was and
 * new notes inside; Undo (the button) gives back the take exactly, Redo the regenerated one, and Ctrl+Z in the roll
 * undoes it again.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { screenshot } from './helpers/browser';
import { useStudio } from './helpers/studioSession';

const s = useStudio('regen');

type N = { pitch: number; startTick: number; durationTicks: number; velocity: number };

/** Saves the take as MIDI (the studio writes a new file each time) and reads its notes back. */
async function savedNotes(): Promise<N[]> {
  const exportsDir = path.join(s.dataDir, 'exports');
  const before = new Set(readdirSync(exportsDir, { withFileTypes: true }).map((d) => d.name));
  await s.page.getByTestId('save-midi').click();
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
    await s.page.keyboard.press('Control+3');
    await s.page.locator('[data-testid="compose-model"]').selectOption('default');
    await s.page.locator('[data-testid="variations"]').fill('1');
    await s.page.locator('[data-testid="generate"]').click();
    await expect.poll(() => s.page.getByTestId('variation').count(), { timeout: 120_000 }).toBe(1);
    // Exports go to <dataDir>/exports (created on the first save).
    const first = await (async () => {
      await s.page.getByTestId('save-midi').click();
      const exportsDir = path.join(s.dataDir, 'exports');
      await expect.poll(() => readdirSync(s.dataDir).includes('exports') && readdirSync(exportsDir).length).toBe(1);
      const file = readdirSync(exportsDir)[0];
      const seq = parseMidi(new Uint8Array(readFileSync(path.join(exportsDir, file))), file);
      return seq.tracks
        .flatMap((t) => t.notes)
        .map(({ pitch, startTick, durationTicks, velocity }) => ({ pitch, startTick, durationTicks, velocity }))
        .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
    })();
    expect(first.length).toBeGreaterThan(4);

    const undo = s.page.getByRole('button', { name: 'Undo' });
    const redo = s.page.getByRole('button', { name: 'Redo' });
    expect(await undo.isDisabled()).toBe(true);
    await s.page.getByTestId('regen-from').fill('3');
    await s.page.getByTestId('regen-to').fill('4');
    await s.page.getByTestId('regenerate').click();
    await expect.poll(() => s.page.getByTestId('regen-seam').count(), { timeout: 60_000 }).toBe(1);
    expect(await s.page.getByTestId('regen-seam').textContent()).toMatch(
      /seam -?\d+\.\d\d \(left-to-right -?\d+\.\d\d\)/,
    );
    expect(await undo.isEnabled()).toBe(true);
    await screenshot(s.page, 'regenerate-bars');

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
    await s.page.getByTestId('piano-roll').first().focus();
    await s.page.keyboard.press('Control+z');
    expect(await savedNotes()).toEqual(first);
    await s.page.getByTestId('piano-roll').first().focus();
    await s.page.keyboard.press('Control+Shift+z');
    expect(await savedNotes()).toEqual(regenerated);

    // A selection that cannot be regenerated is a sentence, and nothing changes.
    await s.page.getByTestId('regen-from').fill('1');
    await s.page.getByTestId('regenerate').click();
    await expect.poll(() => s.page.locator('body').textContent()).toContain('Bar 1 cannot be regenerated');
    expect(await savedNotes()).toEqual(regenerated);
    expect(s.browser.errors).toEqual([]);
  });
});
