// SPDX-License-Identifier: MIT
// Parse-level fuzz: corrupted variants of real Nottingham files must give a sane sequence or a
// MidiParseError with a known code — never another error type, never a hang.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MidiParseError, type MidiErrorCode } from '../../src/core/midi/errors';
import { parseMidi } from '../../src/core/midi/readMidi';
import type { NoteSequence } from '../../src/core/music/NoteSequence';
import { createRng } from '../../src/core/util/random';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nottingham = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');
const CODES: MidiErrorCode[] = [
  'MIDI_EMPTY',
  'MIDI_NOT_MIDI',
  'MIDI_TRUNCATED',
  'MIDI_SMPTE',
  'MIDI_NO_NOTES',
  'MIDI_UNREADABLE',
];

interface Variant {
  label: string;
  bytes: Uint8Array;
}

/** Offsets of every chunk's 4-byte length field. */
function chunkLengthOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    offsets.push(offset + 4);
    const length =
      ((bytes[offset + 4] << 24) | (bytes[offset + 5] << 16) | (bytes[offset + 6] << 8) | bytes[offset + 7]) >>> 0;
    offset += 8 + length;
  }
  return offsets;
}

function buildVariants(): Variant[] {
  const rng = createRng(20261128);
  const names = readdirSync(nottingham)
    .filter((name) => name.endsWith('.mid'))
    .sort();
  const sources = Array.from({ length: 12 }, (_, index) => names[(index * 83) % names.length]).map((name) => ({
    name,
    bytes: new Uint8Array(readFileSync(path.join(nottingham, name))),
  }));
  const variants: Variant[] = [{ label: 'empty', bytes: new Uint8Array(0) }];
  for (const { name, bytes } of sources) {
    // Truncations: every few bytes in the header and first chunk headers, then spread over the file.
    for (const cut of [
      1,
      4,
      8,
      13,
      14,
      18,
      22,
      23,
      40,
      Math.floor(bytes.length / 3),
      Math.floor(bytes.length / 2),
      bytes.length - 3,
      bytes.length - 1,
    ]) {
      variants.push({ label: `${name} cut at ${cut}`, bytes: bytes.slice(0, cut) });
    }
    // Flipped bytes: 1 to 10 random positions XORed with a random non-zero value.
    for (let round = 0; round < 40; round++) {
      const flips = 1 + (round % 10);
      const copy = bytes.slice();
      for (let i = 0; i < flips; i++) copy[rng.int(copy.length)] ^= 1 + rng.int(255);
      variants.push({ label: `${name} ${flips} flipped`, bytes: copy });
    }
    // Wrong chunk lengths: zero, off by ±1, huge.
    const lengthOffsets = chunkLengthOffsets(bytes);
    for (const [label, value] of [
      ['0', 0],
      ['+1', 1],
      ['-1', -1],
      ['huge', 0x7fffffff],
    ] as const) {
      const copy = bytes.slice();
      const at = lengthOffsets[1 + rng.int(Math.max(1, lengthOffsets.length - 1))] ?? lengthOffsets[0];
      const old = ((copy[at] << 24) | (copy[at + 1] << 16) | (copy[at + 2] << 8) | copy[at + 3]) >>> 0;
      const next = label === 'huge' ? value : label === '0' ? 0 : Math.max(0, old + value);
      copy[at] = (next >>> 24) & 0xff;
      copy[at + 1] = (next >>> 16) & 0xff;
      copy[at + 2] = (next >>> 8) & 0xff;
      copy[at + 3] = next & 0xff;
      variants.push({ label: `${name} chunk length ${label}`, bytes: copy });
    }
    // Random garbage in the track data after a valid header.
    const garbled = bytes.slice();
    for (let i = 22; i < garbled.length; i++) if (rng.next() < 0.2) garbled[i] = rng.int(256);
    variants.push({ label: `${name} 20% of track bytes random`, bytes: garbled });
  }
  // Random bytes, bare and behind a valid header.
  const header = sources[0].bytes.slice(0, 22);
  for (let i = 0; i < 20; i++) {
    const random = Uint8Array.from({ length: 1 + rng.int(400) }, () => rng.int(256));
    variants.push({ label: `random ${i}`, bytes: random });
    const behindHeader = new Uint8Array(header.length + random.length);
    behindHeader.set(header);
    behindHeader.set(random, header.length);
    variants.push({ label: `header + random ${i}`, bytes: behindHeader });
  }
  return variants;
}

function assertSane(seq: NoteSequence, label: string): void {
  expect(Number.isInteger(seq.ppq) && seq.ppq > 0, label).toBe(true);
  for (const track of seq.tracks) {
    for (const note of track.notes) {
      expect(note.pitch >= 0 && note.pitch <= 127 && note.durationTicks > 0 && note.startTick >= 0, label).toBe(true);
      expect(note.velocity >= 1 && note.velocity <= 127, label).toBe(true);
    }
  }
}

describe('parseMidi under corruption', () => {
  it('returns a sane sequence or throws MidiParseError with a code, for 200+ variants, each fast', () => {
    const variants = buildVariants();
    expect(variants.length).toBeGreaterThanOrEqual(200);
    const outcomes = new Map<string, number>();
    let slowestMs = 0;
    let slowestLabel = '';
    for (const { label, bytes } of variants) {
      const startedMs = performance.now();
      let outcome: string;
      try {
        assertSane(parseMidi(bytes, label), label);
        outcome = 'parsed';
      } catch (error) {
        if (!(error instanceof MidiParseError))
          throw new Error(`${label}: threw ${String(error)} instead of MidiParseError`);
        expect(CODES, label).toContain(error.code);
        expect(error.message.length, label).toBeGreaterThan(label.length + 10);
        outcome = error.code;
      }
      const elapsedMs = performance.now() - startedMs;
      if (elapsedMs > slowestMs) {
        slowestMs = elapsedMs;
        slowestLabel = label;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    console.info(
      `${variants.length} variants:`,
      Object.fromEntries(outcomes),
      `slowest ${slowestMs.toFixed(1)} ms (${slowestLabel})`,
    );
    // Bounded work: no variant may take long (real files parse in about a millisecond).
    expect(slowestMs).toBeLessThan(1000);
    // The corruption kinds must actually reach the specific codes, not only MIDI_UNREADABLE.
    for (const code of ['MIDI_EMPTY', 'MIDI_NOT_MIDI', 'MIDI_TRUNCATED', 'MIDI_UNREADABLE'] as const) {
      expect(outcomes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });

  it('stays linear on a crafted file of 100,000 unmatched note-ons and note-offs', () => {
    // @tonejs/midi's pairing needed 8.5 s for 40,000 of these; a reader must not hang on them.
    const count = 100_000;
    const body: number[] = [];
    for (let i = 0; i < count; i++) body.push(0x00, 0x90, 60, 100);
    for (let i = 0; i < count; i++) body.push(0x00, 0x80, 61, 0);
    body.push(0x01, 0xff, 0x2f, 0x00);
    const length = body.length;
    const bytes = new Uint8Array([
      ...[0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0],
      ...[0x4d, 0x54, 0x72, 0x6b, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff],
      ...body,
    ]);
    const startedMs = performance.now();
    const seq = parseMidi(bytes, 'unmatched.mid');
    const elapsedMs = performance.now() - startedMs;
    console.info(`${bytes.length} bytes, ${count} unclosed notes: ${elapsedMs.toFixed(0)} ms`);
    // Never closed: every note ends at the end of the track, one tick after the last event.
    expect(seq.tracks[0].notes).toHaveLength(count);
    expect(seq.tracks[0].notes[count - 1]).toEqual({ pitch: 60, startTick: 0, durationTicks: 1, velocity: 100 });
    expect(elapsedMs).toBeLessThan(2000);
  });
});
