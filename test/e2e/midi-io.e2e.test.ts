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
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { screenshot } from './helpers/browser';
import { useStudio } from './helpers/studioSession';

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

const s = useStudio('midi-io', { initScript: installFakeMidi });

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
  const exportsDir = path.join(s.dataDir, 'exports');
  const before = new Set(
    readdirSync(s.dataDir).includes('exports')
      ? readdirSync(exportsDir, { withFileTypes: true }).map((d) => d.name)
      : [],
  );
  await s.page.getByTestId('save-midi').first().click();
  let file: string | undefined;
  await expect
    .poll(() => {
      if (!readdirSync(s.dataDir).includes('exports')) return undefined;
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

const fake = () => s.page.evaluate(() => (window as unknown as { __midi: FakeMidi }).__midi.sent);

describe('MIDI in and out in the studio', () => {
  it('records the seed from a MIDI keyboard, continues it in its 3/4 and tempo, and sends the take to MIDI out', async () => {
    await s.page.keyboard.press('Control+3');
    await s.page.locator('[data-testid="compose-model"]').selectOption('default');
    await s.page.getByTestId('meter').selectOption('3/4');
    await s.page.getByTestId('tempo').fill(String(BPM));
    await s.page.getByTestId('midi-connect').click();
    await expect.poll(() => s.page.getByTestId('midi-input').inputValue()).toBe('fake-in');
    expect(await s.page.getByTestId('midi-output').inputValue()).toBe('fake-out');
    expect(await s.page.evaluate(() => (window as unknown as { __midi: FakeMidi }).__midi.requests)).toEqual([
      { sysex: false },
    ]);

    // Record, starting on the first note, while the fake keyboard plays the phrase.
    await s.page.getByTestId('record-start').selectOption('first-note');
    await s.page.getByTestId('record-seed').click();
    await expect.poll(() => s.page.getByTestId('record-status').textContent()).toContain('Waiting for the first note');
    await s.page.evaluate(
      (events) => (window as unknown as { __midi: FakeMidi }).__midi.play(events),
      phraseMessages(),
    );
    await s.page.getByTestId('record-seed').click();
    expect(await s.page.getByTestId('record-message').textContent()).toContain(
      'Recorded 8 notes in 3 bars of 3/4 at 100 bpm',
    );
    expect(await s.page.getByTestId('seed-notes').textContent()).toBe('G4E4E4F4D4D4C4C4');
    expect(await s.page.getByTestId('continue-clip-toggle').isChecked()).toBe(true);
    expect(await s.page.getByTestId('continue-clip').textContent()).toContain('recorded-seed.mid');

    // Continue it by one bar, the take starting with the clip.
    await s.page.getByTestId('append-clip').check();
    await s.page.getByTestId('bars').fill('1');
    await s.page.getByTestId('variations').fill('1');
    await s.page.getByTestId('generate').click();
    await expect.poll(() => s.page.getByTestId('variation').count(), { timeout: 120_000 }).toBe(1);
    const { seq, notes } = await savedTake();
    expect(seq.timeSignatures[0]).toMatchObject({ numerator: 3, denominator: 4 });
    expect(seq.tempos.map((t) => Math.round(t.bpm))).toEqual([BPM]);
    expect(await s.page.getByTestId('tempo').inputValue()).toBe(String(BPM));
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
    await screenshot(s.page, 'midi-io-recorded-take');

    // Send the take to MIDI out and let it play to the end (4 bars of 3/4 at 100 bpm: 7.2 s).
    await s.page.getByTestId('midi-send').click();
    expect(await s.page.getByTestId('midi-send').textContent()).toContain('Stop MIDI out');
    await expect
      .poll(() => s.page.getByTestId('midi-send').textContent(), { timeout: 20_000, interval: 250 })
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
    await s.page.getByTestId('midi-send').click();
    await s.page.waitForTimeout(1500);
    await s.page.getByTestId('midi-send').click();
    expect(await s.page.getByTestId('midi-send').textContent()).toContain('Send to MIDI out');
    await s.page.waitForTimeout(800);
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
    await s.page.getByTestId('variation').first().getByTestId('instrument').selectOption('48');
    const beforeStrings = (await fake()).length;
    await s.page.getByTestId('midi-send').click();
    await s.page.waitForTimeout(500);
    await s.page.getByTestId('midi-send').click();
    const third = (await fake()).slice(beforeStrings);
    expect(third[0]!.data).toEqual([0xc0, 48]);
    const thirdStop = third.findIndex((m) => m.data[0] === 0xb0);
    expect(thirdStop).toBeGreaterThan(1);
    expect(third.slice(1, thirdStop).map((m) => m.data)).toEqual(expected.slice(1, thirdStop).map((m) => m.data));
    expect(s.browser.errors).toEqual([]);
  });

  it('starts bar 1 after a bar of count-in and leaves out a note that ended in it', async () => {
    await s.page.getByTestId('record-start').selectOption('count-in');
    await s.page.getByTestId('record-seed').click();
    expect(await s.page.getByTestId('record-status').textContent()).toContain('Count-in');
    // The phrase from bar 1 (one 3/4 bar = 1.8 s after Record), and a stray note half way through the count-in.
    const events: [number, number[]][] = [
      [900, [0x90, 50, 80]],
      [1200, [0x80, 50, 0]],
      ...phraseMessages().map(([at, data]): [number, number[]] => [at + 3 * QUARTER_MS, data]),
    ];
    await s.page.evaluate((events) => {
      const midi = (window as unknown as { __midi: FakeMidi }).__midi;
      return midi.play(events, midi.lastClickAt);
    }, events);
    expect(await s.page.getByTestId('record-status').textContent()).toContain('Recording');
    await s.page.getByTestId('record-seed').click();
    expect(await s.page.getByTestId('record-message').textContent()).toContain(
      'Recorded 8 notes in 3 bars of 3/4 at 100 bpm (1 played during the count-in left out)',
    );
    expect(await s.page.getByTestId('seed-notes').textContent()).toBe('G4E4E4F4D4D4C4C4');
  });

  it('records from the computer keys as well', async () => {
    await s.page.getByTestId('record-start').selectOption('first-note');
    await s.page.getByTestId('record-seed').click();
    await s.page.getByTestId('seed-keyboard').focus();
    // C4 and E4 a quarter apart (600 ms at 100 bpm): held keys, released before the next.
    await s.page.keyboard.down('a');
    await s.page.waitForTimeout(500);
    await s.page.keyboard.up('a');
    await s.page.waitForTimeout(100);
    await s.page.keyboard.down('d');
    await s.page.waitForTimeout(500);
    await s.page.keyboard.up('d');
    await s.page.getByTestId('record-seed').click();
    expect(await s.page.getByTestId('record-message').textContent()).toContain('Recorded 2 notes in 1 bar of 3/4');
    expect(await s.page.getByTestId('seed-notes').textContent()).toBe('C4E4');
    expect(s.browser.errors).toEqual([]);
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
      const other = await s.browser.context.newPage();
      await other.addInitScript(script);
      await other.goto(s.studio.url);
      await other.keyboard.press('Control+3');
      await other.getByTestId('midi-connect').click();
      await expect.poll(() => other.getByTestId('midi-problem').textContent()).toContain(sentence);
      expect(await other.getByTestId('midi-input').count()).toBe(0);
      await other.close();
    }
    // Access granted, but nothing plugged in.
    const empty = await s.browser.context.newPage();
    await empty.addInitScript(() =>
      Object.defineProperty(navigator, 'requestMIDIAccess', {
        configurable: true,
        value: async () => ({ inputs: new Map(), outputs: new Map(), sysexEnabled: false, onstatechange: null }),
      }),
    );
    await empty.goto(s.studio.url);
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
