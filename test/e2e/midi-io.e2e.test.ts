// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
/**
 * MIDI in and out through Web MIDI, in the loopback studio (real handlers, the bundled model, the generation worker),
 * in Debian's chromium with a fake `navigator.requestMIDIAccess` (page.addInitScript): a fake keyboard plays a short
 * 3/4 phrase at 100 bpm, a little unevenly; it is recorded as the seed, continued, and the take is sent to a fake
 * output that keeps every message with its timestamp. Checked: the recorded seed is the phrase on the sixteenth grid,
 * the take keeps the clip's 3/4 and tempo, the output got the take's notes in order at their times, and Stop ends
 * with All Notes Off. Also: the computer keys record too, and refused or missing Web MIDI is a sentence.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseMidi } from '../../src/core/midi/readMidi';
import { startStudio, type StudioHandle } from '../../src/studio/server';
import { buildRenderer, launchBrowser, screenshot, type BrowserSession } from './helpers/browser';

let dataDir: string;
let studio: StudioHandle;
let session: BrowserSession;
let page: Page;

/** Runs in the page before the app: one fake input ("Fake Keys") and one fake output ("Fake DAW"). */
function installFakeMidi(): void {
  type Sent = { data: number[]; timestamp: number | null; handedAt: number };
  const sent: Sent[] = [];
  const input = {
    id: 'fake-in',
    name: 'Fake Keys',
    manufacturer: 'Etude tests',
    type: 'input',
    state: 'connected',
    connection: 'open',
    onmidimessage: null as null | ((e: { data: Uint8Array; timeStamp: number }) => void),
  };
  const output = {
    id: 'fake-out',
    name: 'Fake DAW',
    manufacturer: 'Etude tests',
    type: 'output',
    state: 'connected',
    connection: 'open',
    send(data: number[], timestamp?: number) {
      sent.push({ data: Array.from(data), timestamp: timestamp ?? null, handedAt: performance.now() });
    },
  };
  const access = {
    inputs: new Map([[input.id, input]]),
    outputs: new Map([[output.id, output]]),
    sysexEnabled: false,
    onstatechange: null,
  };
  const requests: unknown[] = [];
  document.addEventListener(
    'click',
    (e) => ((window as unknown as { __midi: { lastClickAt: number } }).__midi.lastClickAt = e.timeStamp),
    true,
  );
  Object.defineProperty(navigator, 'requestMIDIAccess', {
    configurable: true,
    value: async (options: unknown) => {
      requests.push(options);
      return access;
    },
  });
  (window as unknown as Record<string, unknown>).__midi = {
    sent,
    requests,
    /** When the last click happened (performance.now() clock): a count-in starts there. */
    lastClickAt: 0,
    /**
     * Plays [ms, bytes] messages through the input, each stamped with its intended time: from `originMs` (the
     * performance.now() clock) when given, else from a moment from now.
     */
    play(events: [number, number[]][], originMs?: number): Promise<void> {
      const t0 = originMs ?? performance.now() + 100;
      return new Promise((resolve) => {
        let left = events.length;
        for (const [atMs, data] of events)
          setTimeout(
            () => {
              input.onmidimessage?.({ data: new Uint8Array(data), timeStamp: t0 + atMs });
              if (--left === 0) resolve();
            },
            Math.max(0, t0 + atMs - performance.now()),
          );
      });
    },
  };
}

type FakeMidi = {
  sent: { data: number[]; timestamp: number | null; handedAt: number }[];
  requests: unknown[];
  lastClickAt: number;
  play(events: [number, number[]][], originMs?: number): Promise<void>;
};

beforeAll(async () => {
  const rendererDir = await buildRenderer();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-e2e-midi-'));
  studio = await startStudio({ dataDir, rendererDir });
  session = await launchBrowser();
  page = session.page;
  await page.addInitScript(installFakeMidi);
  await page.goto(studio.url);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && page)
    await screenshot(page, `midi-io-FAILED-${ctx.task.name.replace(/\W+/g, '-').slice(0, 60)}`);
});

afterAll(async () => {
  await session?.close();
  await studio?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** 3/4 at 100 bpm: a quarter is 600 ms. [pitch, beat, beats] — three full bars. */
const BPM = 100;
const QUARTER_MS = 60_000 / BPM;
const PHRASE: [number, number, number][] = [
  [67, 0, 1],
  [64, 1, 1],
  [64, 2, 1],
  [65, 3, 1],
  [62, 4, 1],
  [62, 5, 0.5],
  [60, 5.5, 0.5],
  [60, 6, 3],
];
/** How late (+) or early (-) each note is played, and each is released 30 ms before its time is up. */
const JITTER_MS = [0, -25, 20, -8, 15, 5, 10, -11];

function phraseMessages(): [number, number[]][] {
  const events: [number, number[]][] = [];
  PHRASE.forEach(([pitch, beat, beats], i) => {
    const on = beat * QUARTER_MS + JITTER_MS[i];
    events.push([on, [0x90, pitch, 64 + i]]);
    // Half of the releases as note-on at velocity 0, as many keyboards send them.
    events.push([on + beats * QUARTER_MS - 30, i % 2 ? [0x90, pitch, 0] : [0x80, pitch, 0]]);
  });
  return events.sort((a, b) => a[0] - b[0]);
}

type N = { pitch: number; startTick: number; durationTicks: number; velocity: number };

/** Saves the take as MIDI (the studio writes a new file each time) and reads it back. */
async function savedTake() {
  const exportsDir = path.join(dataDir, 'exports');
  const before = new Set(
    readdirSync(dataDir).includes('exports') ? readdirSync(exportsDir, { withFileTypes: true }).map((d) => d.name) : [],
  );
  await page.getByTestId('save-midi').first().click();
  let file: string | undefined;
  await expect
    .poll(() => {
      if (!readdirSync(dataDir).includes('exports')) return undefined;
      file = readdirSync(exportsDir).find((f) => !before.has(f) && statSync(path.join(exportsDir, f)).size > 0);
      return file;
    })
    .toBeDefined();
  const seq = parseMidi(new Uint8Array(readFileSync(path.join(exportsDir, file!))), file!);
  const notes: N[] = seq.tracks
    .flatMap((t) => t.notes)
    .map(({ pitch, startTick, durationTicks, velocity }) => ({ pitch, startTick, durationTicks, velocity }))
    .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
  return { seq, notes };
}

const fake = () => page.evaluate(() => (window as unknown as { __midi: FakeMidi }).__midi.sent);

describe('MIDI in and out in the studio', () => {
  it('records the seed from a MIDI keyboard, continues it in its 3/4 and tempo, and sends the take to MIDI out', async () => {
    await page.keyboard.press('Control+3');
    await page.locator('[data-testid="compose-model"]').selectOption('default');
    await page.getByTestId('meter').selectOption('3/4');
    await page.getByTestId('tempo').fill(String(BPM));
    await page.getByTestId('midi-connect').click();
    await expect.poll(() => page.getByTestId('midi-input').inputValue()).toBe('fake-in');
    expect(await page.getByTestId('midi-output').inputValue()).toBe('fake-out');
    expect(await page.evaluate(() => (window as unknown as { __midi: FakeMidi }).__midi.requests)).toEqual([
      { sysex: false },
    ]);

    // Record, starting on the first note, while the fake keyboard plays the phrase.
    await page.getByTestId('record-start').selectOption('first-note');
    await page.getByTestId('record-seed').click();
    await expect.poll(() => page.getByTestId('record-status').textContent()).toContain('Waiting for the first note');
    await page.evaluate((events) => (window as unknown as { __midi: FakeMidi }).__midi.play(events), phraseMessages());
    await page.getByTestId('record-seed').click();
    expect(await page.getByTestId('record-message').textContent()).toContain(
      'Recorded 8 notes in 3 bars of 3/4 at 100 bpm',
    );
    expect(await page.getByTestId('seed-notes').textContent()).toBe('G4E4E4F4D4D4C4C4');
    expect(await page.getByTestId('continue-clip-toggle').isChecked()).toBe(true);
    expect(await page.getByTestId('continue-clip').textContent()).toContain('recorded-seed.mid');

    // Continue it by one bar, the take starting with the clip.
    await page.getByTestId('append-clip').check();
    await page.getByTestId('bars').fill('1');
    await page.getByTestId('variations').fill('1');
    await page.getByTestId('generate').click();
    await expect.poll(() => page.getByTestId('variation').count(), { timeout: 120_000 }).toBe(1);
    const { seq, notes } = await savedTake();
    expect(seq.timeSignatures[0]).toMatchObject({ numerator: 3, denominator: 4 });
    expect(seq.tempos.map((t) => Math.round(t.bpm))).toEqual([BPM]);
    expect(await page.getByTestId('tempo').inputValue()).toBe(String(BPM));
    // The seed is the phrase as played, on the sixteenth grid (ppq 480): the first eight notes of the take.
    const ppq = seq.ppq;
    expect(notes.slice(0, 8).map((n) => [n.pitch, (n.startTick * 480) / ppq, (n.durationTicks * 480) / ppq])).toEqual(
      PHRASE.map(([pitch, beat, beats]) => [pitch, beat * 480, beats * 480]),
    );
    // Then the continuation: one more bar of 3/4 after the clip's three.
    const clipEnd = 9 * ppq;
    const continuation = notes.filter((n) => n.startTick >= clipEnd);
    expect(continuation.length).toBeGreaterThan(0);
    for (const n of continuation) expect(n.startTick).toBeLessThan(12 * ppq);
    await screenshot(page, 'midi-io-recorded-take');

    // Send the take to MIDI out and let it play to the end (4 bars of 3/4 at 100 bpm: 7.2 s).
    await page.getByTestId('midi-send').click();
    expect(await page.getByTestId('midi-send').textContent()).toContain('Stop MIDI out');
    await expect
      .poll(() => page.getByTestId('midi-send').textContent(), { timeout: 20_000, interval: 250 })
      .toContain('Send to MIDI out');
    const sent = await fake();
    const msPerTick = 60_000 / (BPM * ppq);
    const expected = [
      { timeMs: 0, data: [0xc0, 0], rank: 0 },
      ...notes.flatMap((n) => [
        { timeMs: n.startTick * msPerTick, data: [0x90, n.pitch, n.velocity], rank: 2 },
        { timeMs: (n.startTick + n.durationTicks) * msPerTick, data: [0x80, n.pitch, 0], rank: 1 },
      ]),
    ].sort((a, b) => a.timeMs - b.timeMs || a.rank - b.rank);
    expect(sent.map((m) => m.data)).toEqual(expected.map((m) => m.data));
    const t0 = sent[0].timestamp!;
    sent.forEach((m, i) => {
      expect(Math.abs(m.timestamp! - t0 - expected[i].timeMs)).toBeLessThan(1);
      // Handed to the port before it is due (the port keeps the time), never late by more than a timer's slack.
      expect(m.handedAt).toBeLessThan(m.timestamp! + 20);
    });

    // Send again and Stop part way: the port is silenced with All Notes Off, now and after what it had queued.
    const before = sent.length;
    await page.getByTestId('midi-send').click();
    await page.waitForTimeout(1500);
    await page.getByTestId('midi-send').click();
    expect(await page.getByTestId('midi-send').textContent()).toContain('Send to MIDI out');
    await page.waitForTimeout(800);
    const second = (await fake()).slice(before);
    const last = second.at(-1)!;
    expect(last.data).toEqual([0xb0, 123, 0]);
    const stopAt = second.findIndex((m) => m.data[0] === 0xb0);
    expect(stopAt).toBeGreaterThan(1);
    // Everything before the stop is the take's own opening, in order; after it only releases and silence.
    expect(second.slice(0, stopAt).map((m) => m.data)).toEqual(expected.slice(0, stopAt).map((m) => m.data));
    for (const m of second.slice(stopAt)) expect([0x80, 0xb0]).toContain(m.data[0] & 0xf0);
    const lastNoteOn = Math.max(...second.filter((m) => (m.data[0] & 0xf0) === 0x90).map((m) => m.timestamp!));
    // The last All Notes Off comes after every note-on the port was given (sent without a timestamp: at once).
    expect(last.timestamp ?? last.handedAt).toBeGreaterThan(lastNoteOn);

    // The instrument chosen on the card goes out too: strings (program 48), as Save MIDI writes it.
    await page.getByTestId('variation').first().getByTestId('instrument').selectOption('48');
    const beforeStrings = (await fake()).length;
    await page.getByTestId('midi-send').click();
    await page.waitForTimeout(500);
    await page.getByTestId('midi-send').click();
    const third = (await fake()).slice(beforeStrings);
    expect(third[0]!.data).toEqual([0xc0, 48]);
    const thirdStop = third.findIndex((m) => m.data[0] === 0xb0);
    expect(thirdStop).toBeGreaterThan(1);
    expect(third.slice(1, thirdStop).map((m) => m.data)).toEqual(expected.slice(1, thirdStop).map((m) => m.data));
    expect(session.errors).toEqual([]);
  });

  it('starts bar 1 after a bar of count-in and leaves out a note that ended in it', async () => {
    await page.getByTestId('record-start').selectOption('count-in');
    await page.getByTestId('record-seed').click();
    expect(await page.getByTestId('record-status').textContent()).toContain('Count-in');
    // The phrase from bar 1 (one 3/4 bar = 1.8 s after Record), and a stray note half way through the count-in.
    const events: [number, number[]][] = [
      [900, [0x90, 50, 80]],
      [1200, [0x80, 50, 0]],
      ...phraseMessages().map(([at, data]): [number, number[]] => [at + 3 * QUARTER_MS, data]),
    ];
    await page.evaluate((events) => {
      const midi = (window as unknown as { __midi: FakeMidi }).__midi;
      return midi.play(events, midi.lastClickAt);
    }, events);
    expect(await page.getByTestId('record-status').textContent()).toContain('Recording');
    await page.getByTestId('record-seed').click();
    expect(await page.getByTestId('record-message').textContent()).toContain(
      'Recorded 8 notes in 3 bars of 3/4 at 100 bpm (1 played during the count-in left out)',
    );
    expect(await page.getByTestId('seed-notes').textContent()).toBe('G4E4E4F4D4D4C4C4');
  });

  it('records from the computer keys as well', async () => {
    await page.getByTestId('record-start').selectOption('first-note');
    await page.getByTestId('record-seed').click();
    await page.getByTestId('seed-keyboard').focus();
    // C4 and E4 a quarter apart (600 ms at 100 bpm): held keys, released before the next.
    await page.keyboard.down('a');
    await page.waitForTimeout(500);
    await page.keyboard.up('a');
    await page.waitForTimeout(100);
    await page.keyboard.down('d');
    await page.waitForTimeout(500);
    await page.keyboard.up('d');
    await page.getByTestId('record-seed').click();
    expect(await page.getByTestId('record-message').textContent()).toContain('Recorded 2 notes in 1 bar of 3/4');
    expect(await page.getByTestId('seed-notes').textContent()).toBe('C4E4');
    expect(session.errors).toEqual([]);
  });

  it('says so when Web MIDI is refused or missing', async () => {
    for (const [script, sentence] of [
      [
        () =>
          Object.defineProperty(navigator, 'requestMIDIAccess', {
            configurable: true,
            value: () => Promise.reject(new DOMException('denied', 'NotAllowedError')),
          }),
        'MIDI access was refused',
      ],
      [
        () => Object.defineProperty(navigator, 'requestMIDIAccess', { configurable: true, value: undefined }),
        'This browser has no Web MIDI',
      ],
    ] as const) {
      const other = await session.context.newPage();
      await other.addInitScript(script);
      await other.goto(studio.url);
      await other.keyboard.press('Control+3');
      await other.getByTestId('midi-connect').click();
      await expect.poll(() => other.getByTestId('midi-problem').textContent()).toContain(sentence);
      expect(await other.getByTestId('midi-input').count()).toBe(0);
      await other.close();
    }
    // Access granted, but nothing plugged in.
    const empty = await session.context.newPage();
    await empty.addInitScript(() =>
      Object.defineProperty(navigator, 'requestMIDIAccess', {
        configurable: true,
        value: async () => ({ inputs: new Map(), outputs: new Map(), sysexEnabled: false, onstatechange: null }),
      }),
    );
    await empty.goto(studio.url);
    await empty.keyboard.press('Control+3');
    await empty.getByTestId('midi-connect').click();
    await expect
      .poll(() => empty.getByTestId('midi-no-input').textContent())
      .toContain('No MIDI keyboard is connected');
    expect(await empty.getByTestId('midi-no-output').textContent()).toContain('No MIDI output is connected');
    expect(await empty.getByTestId('midi-input').inputValue()).toBe('');
    await empty.close();
  });
});
