// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * Regenerate bars x pitches of a polyphonic take through the loopback studio (real handlers, the generation worker),
 * in Debian's chromium: three Nottingham tunes are imported, a tiny biaxial LSTM is trained on the Train screen, a take
 * is composed, bars 2-3 x pitches C4-B5 are regenerated (the pitch fields appear for a polyphonic take only); the
 * saved MIDI keeps every note of other pitches, and every note wholly outside the bars, as it was; Undo gives back the
 * take exactly, Redo the regenerated one.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { screenshot, sharedData } from './helpers/browser';
import { importInStudio, trainTinyPolyInStudio, useStudio } from './helpers/studioSession';

const TUNES = ['ashover1.mid', 'ashover2.mid', 'ashover3.mid'].map((f) => path.join(sharedData, 'nottingham/MIDI', f));

const s = useStudio('regenerate-poly');

type N = { pitch: number; startTick: number; durationTicks: number; velocity: number };

/** Saves the take as MIDI (a new file each time) and reads every track's notes back. */
async function savedNotes(): Promise<N[]> {
  const exportsDir = path.join(s.dataDir, 'exports');
  const before = new Set(readdirSync(s.dataDir).includes('exports') ? readdirSync(exportsDir) : []);
  await s.page.getByTestId('save-midi').first().click();
  let file: string | undefined;
  await expect
    .poll(
      () => {
        if (!readdirSync(s.dataDir).includes('exports')) return undefined;
        file = readdirSync(exportsDir).find((f) => !before.has(f) && statSync(path.join(exportsDir, f)).size > 0);
        return file;
      },
      { timeout: 30_000 },
    )
    .toBeDefined();
  const seq = parseMidi(new Uint8Array(readFileSync(path.join(exportsDir, file!))), file!);
  return seq.tracks
    .flatMap((t) => t.notes)
    .map(({ pitch, startTick, durationTicks, velocity }) => ({ pitch, startTick, durationTicks, velocity }))
    .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}

describe('Regenerate bars x pitches of a polyphonic take in the studio', () => {
  it('redraws only the notes inside bars 2-3 and C4-B5; Undo and Redo cover it', async () => {
    await importInStudio(s.page, 'Nottingham', TUNES);
    await trainTinyPolyInStudio(s.page, 'Nottingham', 'poly');

    await s.page.keyboard.press('Control+3');
    await s.page.locator('[data-testid="compose-model"]').selectOption({ label: 'poly' });
    await s.page.locator('[data-testid="bars"]').fill('4');
    await s.page.locator('[data-testid="variations"]').fill('1');
    await s.page.locator('[data-testid="generate"]').click();
    await expect.poll(() => s.page.getByTestId('variation').count(), { timeout: 60_000 }).toBe(1);
    const first = await savedNotes();
    expect(first.length).toBeGreaterThan(4);

    const undo = s.page.getByRole('button', { name: 'Undo' });
    const redo = s.page.getByRole('button', { name: 'Redo' });
    await s.page.getByTestId('regen-from').fill('2');
    await s.page.getByTestId('regen-to').fill('3');
    await s.page.getByTestId('regen-pitch-low').fill('C4');
    await s.page.getByTestId('regen-pitch-high').fill('B5');
    await s.page.getByTestId('regenerate').click();
    await expect.poll(() => s.page.getByTestId('regen-seam').count(), { timeout: 60_000 }).toBe(1);
    expect(await s.page.getByTestId('regen-seam').textContent()).toMatch(
      /seam -?\d+\.\d\d \(left-to-right -?\d+\.\d\d\)/,
    );
    await screenshot(s.page, 'regenerate-poly');

    const bar = 4 * 480;
    const [fromTick, toTick] = [bar, 3 * bar];
    const selectedPitch = (n: N) => n.pitch >= 60 && n.pitch <= 83;
    const regenerated = await savedNotes();
    // Notes of other pitches are the very same notes; so are selected-pitch notes wholly outside the bars.
    expect(regenerated.filter((n) => !selectedPitch(n))).toEqual(first.filter((n) => !selectedPitch(n)));
    const whollyOutside = (notes: N[]) =>
      notes.filter((n) => selectedPitch(n) && (n.startTick + n.durationTicks <= fromTick || n.startTick >= toTick));
    for (const n of whollyOutside(first)) expect(regenerated).toContainEqual(n);
    const inside = (notes: N[]) =>
      notes.filter((n) => selectedPitch(n) && n.startTick >= fromTick && n.startTick < toTick);
    expect(inside(regenerated)).not.toEqual(inside(first));
    for (const n of inside(regenerated)) expect(n.startTick + n.durationTicks).toBeLessThanOrEqual(toTick);

    await undo.click();
    expect(await savedNotes()).toEqual(first);
    await redo.click();
    expect(await savedNotes()).toEqual(regenerated);

    // A pitch range running downwards is a sentence, and nothing changes.
    await s.page.getByTestId('regen-pitch-low').fill('C6');
    await s.page.getByTestId('regen-pitch-high').fill('C4');
    await s.page.getByTestId('regenerate').click();
    await expect.poll(() => s.page.locator('body').textContent()).toContain('is above the high one');
    expect(await savedNotes()).toEqual(regenerated);
    expect(s.browser.errors).toEqual([]);
  });
});
