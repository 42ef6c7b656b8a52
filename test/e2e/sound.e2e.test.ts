// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
// Callbacks passed to page.evaluate run in the browser: they need the DOM types.
/**
 * Real sound through the page, on the real loopback studio (its CSP, its asset serving): compose a take with the
 * bundled model, pick an instrument per track, play it through the sampled instrument (spessasynth_lib's AudioWorklet
 * with the bundled SoundFont, no fallback notice), save it as MIDI and WAV. Then:
 * - the take's saved MIDI rendered offline in the page (window.etudeSound.renderOffline: the same processor and
 *   SoundFont as playback) matches FluidSynth's render of the same MIDI with the same SoundFont
 *   (`fluidsynth -ni -F out.wav -r 44100 -g 0.5 etude-gm.sf3 take.mid`): chroma correlation, log-spectrum cosine and
 *   energy-envelope correlation above thresholds that the same take a tritone higher, or on another instrument, fails;
 * - the saved WAV, read by sox, lasts bars x beats x 60/bpm plus the documented 2 s release tail.
 * The seam exists only on a page opened with ?test-seams (src/renderer/src/lib/testSeams.ts); a plain page has none.
 * And Save WAV of a long take (64 bars at 20 bpm: minutes of audio) shows its progress on the card, and Cancel, or
 * Escape, stops it with no file written.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { writeMidi } from '../../src/core/midi/writeMidi';
import type { NoteSequence } from '../../src/core/music/NoteSequence';
import { RELEASE_TAIL_SEC } from '../../src/core/audio/renderLength';
import { TEST_SEAMS_PARAM } from '../../src/renderer/src/lib/testSeams';
import { decodeWav16, monoMix, similarity, type Similarity } from '../audio/spectral';
import { repoRoot, screenshot } from './helpers/browser';
import { useStudio } from './helpers/studioSession';

const SOUNDFONT = path.join(repoRoot, 'resources/soundfont/etude-gm.sf3');
const BARS = 4;

let work: string;

const s = useStudio('sound', { query: TEST_SEAMS_PARAM });
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'etude-e2e-sound-work-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const exportsOf = (extension: string) =>
  readdirSync(path.join(s.dataDir, 'exports'))
    .filter((f) => f.endsWith(extension))
    .map((f) => path.join(s.dataDir, 'exports', f));

/** The page renders MIDI bytes offline; answers its stereo audio as 16-bit WAV bytes (compact to hand back). */
async function renderInPage(midi: Uint8Array, lengthSec: number): Promise<Float32Array> {
  const base64 = await s.page.evaluate(
    async ({ bytes, seconds }) => {
      const sound = (
        window as unknown as {
          etudeSound: { renderOffline(m: Uint8Array, s: number): Promise<AudioBuffer> };
        }
      ).etudeSound;
      const buffer = await sound.renderOffline(new Uint8Array(bytes), seconds);
      const left = buffer.getChannelData(0);
      const right = buffer.getChannelData(1);
      const pcm = new Int16Array(left.length);
      let peak = 0;
      for (let i = 0; i < left.length; i++) peak = Math.max(peak, Math.abs(left[i] + right[i]) / 2);
      const gain = peak > 0 ? 0.9 / peak : 1;
      for (let i = 0; i < left.length; i++) pcm[i] = Math.round(((left[i] + right[i]) / 2) * gain * 32767);
      let binary = '';
      const raw = new Uint8Array(pcm.buffer);
      for (let i = 0; i < raw.length; i += 0x8000) binary += String.fromCharCode(...raw.subarray(i, i + 0x8000));
      return btoa(binary);
    },
    { bytes: Array.from(midi), seconds: lengthSec },
  );
  const raw = Buffer.from(base64, 'base64');
  const pcm = new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  return monoMix([Float32Array.from(pcm, (s) => s / 32768)]);
}

function fluidsynth(sequence: NoteSequence, name: string): Float32Array {
  const mid = path.join(work, `${name}.mid`);
  const wav = path.join(work, `${name}.wav`);
  writeFileSync(mid, writeMidi(sequence));
  execFileSync('fluidsynth', ['-ni', '-F', wav, '-r', '44100', '-g', '0.5', SOUNDFONT, mid], { stdio: 'ignore' });
  return monoMix(decodeWav16(readFileSync(wav)).channels);
}

const show = (s: Similarity) =>
  `chroma ${s.chroma.toFixed(3)}, log-spectrum ${s.logSpectrum.toFixed(3)}, envelope ${s.envelope.toFixed(3)} (${s.frames} frames)`;

describe('sampled sound in the studio', () => {
  it('plays a take through the sampled instrument, which sounds as FluidSynth renders it; Save WAV lasts its bars + 2 s', async () => {
    await s.page.keyboard.press('Control+3');
    await s.page.getByTestId('bars').fill(String(BARS));
    await s.page.getByTestId('variations').fill('1');
    await s.page.getByTestId('generate').click();
    await expect.poll(() => s.page.getByTestId('variation').count(), { timeout: 90_000 }).toBe(1);
    const card = s.page.getByTestId('variation').first();

    // A melody: one track, piano by default; every bundled instrument offered.
    const select = card.getByTestId('instrument');
    expect(await select.count()).toBe(1);
    expect(await select.inputValue()).toBe('0');
    expect(await select.locator('option').allTextContents()).toContain('Nylon guitar');

    // Play: the sampled instrument loads (SoundFont + worklet under the studio's CSP), no fallback notice.
    await card.getByTestId('play').click();
    await expect.poll(() => card.getByTestId('play').textContent(), { timeout: 30_000 }).toContain('Stop');
    expect(await card.getByTestId('instrument-notice').count()).toBe(0);
    await card.getByTestId('play').click();
    await screenshot(s.page, 'sound-take');

    await card.getByTestId('save-midi').click();
    await expect.poll(() => exportsOf('.mid').length, { timeout: 30_000 }).toBe(1);
    const midi = readFileSync(exportsOf('.mid')[0]!);
    const take = parseMidi(midi, 'take.mid');
    const bpm = take.tempos[0]!.bpm;
    const beats = take.timeSignatures[0]?.numerator ?? 4;
    const takeSec = (BARS * beats * 60) / bpm;
    expect(take.tracks[0]!.program).toBe(0);

    await card.getByTestId('save-wav').click();
    await expect.poll(() => exportsOf('.wav').length, { timeout: 60_000 }).toBe(1);
    const wavSec = Number(execFileSync('soxi', ['-D', exportsOf('.wav')[0]!], { encoding: 'utf8' }).trim());
    console.log(`Save WAV: ${wavSec} s by soxi -D; ${BARS} bars x ${beats} beats x 60/${bpm} + ${RELEASE_TAIL_SEC} s`);
    expect(wavSec).toBeCloseTo(takeSec + RELEASE_TAIL_SEC, 3);

    const lengthSec = takeSec + RELEASE_TAIL_SEC;
    const started = Date.now();
    const page44k = await renderInPage(midi, lengthSec);
    const renderMs = Date.now() - started;
    const transposed = {
      ...take,
      tracks: take.tracks.map((t) => ({ ...t, notes: t.notes.map((n) => ({ ...n, pitch: n.pitch + 6 })) })),
    };
    const strings = { ...take, tracks: take.tracks.map((t) => ({ ...t, program: 48 })) };
    const same = similarity(page44k, fluidsynth(take, 'same'), 44_100);
    const tritone = similarity(page44k, fluidsynth(transposed, 'tritone'), 44_100);
    const otherInstrument = similarity(page44k, fluidsynth(strings, 'strings'), 44_100);
    console.log(
      `page render (${renderMs} ms for ${lengthSec.toFixed(2)} s) vs fluidsynth:\n  same take:      ${show(same)}\n` +
        `  tritone higher: ${show(tritone)}\n  strings (48):   ${show(otherInstrument)}`,
    );
    expect(same.chroma).toBeGreaterThan(0.9);
    expect(same.logSpectrum).toBeGreaterThan(0.95);
    expect(same.envelope).toBeGreaterThan(0.8);
    // A wrong render fails: wrong notes on chroma, a wrong instrument on the spectrum.
    expect(tritone.chroma).toBeLessThan(0.6);
    expect(otherInstrument.logSpectrum).toBeLessThan(0.93);
    expect(s.browser.errors).toEqual([]);
  });

  it('has no window.etudeSound on a page opened without ?test-seams, and has it with', async () => {
    const plain = await s.browser.context.newPage();
    try {
      await plain.goto(s.studio.url);
      await plain.getByTestId('generate').waitFor({ state: 'attached' });
      expect(await plain.evaluate(() => 'etudeSound' in window)).toBe(false);
      expect(await s.page.evaluate(() => 'etudeSound' in window)).toBe(true);
    } finally {
      await plain.close();
    }
  });

  it("shows a long take's Save WAV progress on the card; Cancel and Escape stop it and nothing is written", async () => {
    await s.page.keyboard.press('Control+3');
    await s.page.getByTestId('bars').fill('64');
    await s.page.getByTestId('variations').fill('1');
    await s.page.getByTestId('generate').click();
    await expect
      .poll(() => s.page.getByTestId('variation').first().getAttribute('aria-label'), { timeout: 120_000 })
      .toBe('Variation 1');
    await expect.poll(() => s.page.getByTestId('compose-progress').count(), { timeout: 120_000 }).toBe(0);
    await s.page.getByTestId('tempo').fill('20');
    await s.page.getByTestId('tempo').press('Tab');
    const card = s.page.getByTestId('variation').first();
    const wavsBefore = exportsOf('.wav').length;
    const exportsBefore = readdirSync(path.join(s.dataDir, 'exports')).length;

    for (const stop of ['Cancel', 'Escape'] as const) {
      await card.getByTestId('save-wav').click();
      const text = card.getByTestId('wav-progress-text');
      // 64 bars at 20 bpm: 12 min of audio or more; the bar shows seconds rendered of the total as they grow.
      const seconds = async () => {
        const match = /^WAV (\d+) s of (\d+) s$/.exec((await text.textContent()) ?? '');
        return match ? { rendered: Number(match[1]), total: Number(match[2]) } : { rendered: 0, total: 0 };
      };
      await expect.poll(async () => (await seconds()).rendered, { timeout: 30_000, interval: 50 }).toBeGreaterThan(0);
      const first = await seconds();
      await expect.poll(async () => (await seconds()).rendered, { timeout: 30_000, interval: 50 }).toBeGreaterThan(30);
      const { rendered, total } = await seconds();
      expect(rendered).toBeGreaterThan(first.rendered);
      expect(total).toBe(first.total);
      expect(total).toBeGreaterThan(600);
      expect(Number(await card.getByTestId('wav-progress').locator('progress').getAttribute('value'))).toBeCloseTo(
        rendered / total,
        1,
      );
      if (stop === 'Cancel') await screenshot(s.page, 'sound-wav-rendering');
      if (stop === 'Cancel') await card.getByTestId('wav-cancel').click();
      else await s.page.keyboard.press('Escape');
      const stoppedAt = Date.now();
      await card.getByTestId('save-wav').waitFor({ timeout: 5_000 });
      const stopMs = Date.now() - stoppedAt;
      console.log(`Save WAV stopped by ${stop} at ${rendered} s of ${total} s, the button back after ${stopMs} ms`);
      expect(stopMs).toBeLessThan(2_000);
      await expect
        .poll(() => s.page.getByRole('status').allTextContents())
        .toContainEqual(expect.stringMatching(/Save WAV of Variation 1 cancelled; nothing was written\./));
    }
    // Nothing was written, then or later: no WAV, no partial file.
    await s.page.waitForTimeout(1000);
    expect(exportsOf('.wav').length).toBe(wavsBefore);
    expect(readdirSync(path.join(s.dataDir, 'exports')).length).toBe(exportsBefore);
    expect(s.browser.errors).toEqual([]);
  });

  it('falls back to the built-in synth with a one-line notice when the SoundFont cannot load', async () => {
    const blocked = await s.browser.context.newPage();
    try {
      await blocked.route('**/*.sf3', (route) => route.abort());
      await blocked.goto(s.studio.url);
      await blocked.keyboard.press('Control+3');
      await blocked.getByTestId('bars').fill('2');
      await blocked.getByTestId('variations').fill('1');
      await blocked.getByTestId('generate').click();
      await expect.poll(() => blocked.getByTestId('variation').count(), { timeout: 90_000 }).toBe(1);
      const card = blocked.getByTestId('variation').first();
      await card.getByTestId('play').click();
      await expect.poll(() => card.getByTestId('play').textContent(), { timeout: 30_000 }).toContain('Stop');
      const notice = await card.getByTestId('instrument-notice').textContent();
      console.log(`fallback notice: ${notice}`);
      expect(notice).toMatch(/^Sampled instruments unavailable \(.+\); playing the built-in synth instead\.$/);
      await card.getByTestId('play').click();
    } finally {
      await blocked.close();
    }
  });
});
