// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
// Callbacks passed to page.evaluate run in the browser: they need the DOM types.
/**
 * A polyphonic model through the page, on the real loopback studio: import a few Nottingham tunes (melody and chords)
 * in the Library, { train a tiny biaxial LSTM for one epoch on the Train screen, compose two takes, and check what the
 * composer sees and keeps: the piano roll draws notes at more than one pitch at the same time (read back from the
 * canvas), the score is a grand staff engraved by VexFlow (two staves a measure, a brace), playback starts, and the
 * saved MIDI file, read by python3-mido, has the two staves as two tracks split at middle C, each with the instrument
 * (GM program) its select chose.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, screenshot, sharedData } from './helpers/browser';
import { importInStudio, trainTinyPolyInStudio, useStudio } from './helpers/studioSession';

const TUNES = ['ashover1.mid', 'ashover2.mid', 'ashover3.mid'].map((f) => path.join(sharedData, 'nottingham/MIDI', f));

const s = useStudio('grand');

/**
 * Canvas columns of the nth roll where notes of two or more pitches sound at once: runs of note-coloured pixels
 * (the orange of countNotePixels) in one column, separated by background.
 */
function chordColumns(index: number): Promise<number> {
  return s.page.evaluate((i) => {
    const canvas = document.querySelectorAll<HTMLCanvasElement>('[data-testid="piano-roll"]')[i];
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || canvas.width === 0) return -1;
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const isNote = (x: number, y: number): boolean => {
      const k = (y * width + x) * 4;
      return data[k] > 90 && data[k] - data[k + 1] > 25 && data[k + 1] - data[k + 2] > 25;
    };
    let columns = 0;
    // Skip the edge strips where off-screen notes are marked (3 px at top and bottom).
    for (let x = 0; x < width; x++) {
      let runs = 0;
      let inRun = false;
      for (let y = 4; y < height - 4; y++) {
        const note = isNote(x, y);
        if (note && !inRun) runs++;
        inRun = note;
      }
      if (runs >= 2) columns++;
    }
    return columns;
  }, index);
}

interface MidoDump {
  tracks: { name: string; programs: [number, number][]; notes: [number, number, number, number, number][] }[];
}

describe('a polyphonic take, from training to the saved file', () => {
  it('trains a tiny biaxial model on imported tunes, draws chords in the roll, a grand staff, and saves two staves', async () => {
    // Import through the Library screen.
    await importInStudio(s.page, 'Nottingham', TUNES);

    // Train: the polyphonic kind, tiny sizes, one epoch.
    await trainTinyPolyInStudio(s.page, 'Nottingham', 'poly');

    // Compose two takes of four bars with it.
    await s.page.keyboard.press('Control+3');
    await s.page.locator('[data-testid="compose-model"]').selectOption({ label: 'poly' });
    await s.page.locator('[data-testid="bars"]').fill('4');
    await s.page.locator('[data-testid="variations"]').fill('2');
    await s.page.locator('[data-testid="generate"]').click();
    await expect.poll(() => s.page.locator('[data-testid="variation"]').count(), { timeout: 60_000 }).toBe(2);

    // The roll: notes at two or more pitches at the same time, read back from its pixels.
    await expect.poll(() => chordColumns(0), { timeout: 10_000 }).toBeGreaterThan(10);
    const label = (await s.page.locator('[data-testid="piano-roll"]').first().getAttribute('aria-label')) ?? '';
    const shown = Number(/with (\d+) notes/.exec(label)?.[1] ?? -1);
    expect(shown).toBeGreaterThan(0);

    // The score: a grand staff (treble and bass staves each measure, a brace), every note begun once on it.
    const score = s.page.locator('[data-testid="score"]').first();
    expect(await score.getAttribute('data-staves')).toBe('2');
    expect(await score.getAttribute('data-onsets')).toBe(String(shown));
    const measures = Number(await score.getAttribute('data-measures'));
    expect(measures).toBeGreaterThanOrEqual(4);
    await expect.poll(() => score.locator('.vf-stave').count()).toBe(2 * measures);
    expect(await score.locator('.vf-brace').count()).toBeGreaterThanOrEqual(1);
    expect(await score.locator('.vf-stavenote').count()).toBeGreaterThan(0);
    await screenshot(s.page, 'grand-staff-compose');

    // An instrument per staff: strings on the right hand, acoustic bass on the left.
    const selects = s.page.getByTestId('variation').first().getByTestId('instrument');
    expect(await selects.count()).toBe(2);
    await selects.nth(0).selectOption('48');
    await selects.nth(1).selectOption('32');

    // Playback starts and stops (through the sampled instrument: no fallback notice).
    const play = s.page.locator('[data-testid="play"]').first();
    await play.click();
    await expect.poll(() => play.getAttribute('aria-pressed')).toBe('true');
    expect(await s.page.getByTestId('instrument-notice').count()).toBe(0);
    await play.click();
    await expect.poll(() => play.getAttribute('aria-pressed')).toBe('false');

    // The saved file: the two staves as two tracks, split at middle C, every note of the roll.
    await s.page.locator('[data-testid="save-midi"]').first().click();
    const toast = s.page.getByRole('status').filter({ hasText: 'Saved' });
    await expect.poll(() => toast.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const saved = /Saved (.+\.mid)/.exec((await toast.first().textContent()) ?? '')?.[1] as string;
    const dump = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(repoRoot, 'test/tools/mido_dump.py'), saved], { encoding: 'utf8' }),
    ) as MidoDump;
    const staves = dump.tracks.filter((t) => t.notes.length > 0);
    expect(staves.map((t) => t.name)).toEqual(['Right hand', 'Left hand']);
    expect(staves.map((t) => t.programs)).toEqual([[[0, 48]], [[1, 32]]]);
    expect(staves[0].notes.every(([, pitch]) => pitch >= 60)).toBe(true);
    expect(staves[1].notes.every(([, pitch]) => pitch < 60)).toBe(true);
    expect(staves[0].notes.length + staves[1].notes.length).toBe(shown);
    expect(s.browser.errors).toEqual([]);
  });
});
