// SPDX-License-Identifier: MIT
// The thesis' 130-token melody format: exact round trips on its own 186 training melodies, the
// encoding rule on hand-checked examples, and quantisation of a real (fixture) MIDI file.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTokenMelodies } from '../../src/core/data/jsonCorpora';
import { EncodingError } from '../../src/core/encoding/errors';
import {
  MELODY_VOCAB,
  NO_EVENT,
  NOTE_OFF,
  decodeMelody,
  encodeMelody,
  extractMelody,
  melodyNotesToTokens,
  validateMelodyTokens,
} from '../../src/core/encoding/melody';
import { parseMidi } from '../../src/core/midi/readMidi';
import type { NoteSequence } from '../../src/core/music/NoteSequence';

const testDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(testDir, '../..');
const sharedData = path.resolve(repoRoot, '../shared/data');
const melodiesFile = path.join(sharedData, 'seed-melodies/melodies.json');

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.from(a).every((x, i) => x === b[i]);

describe('melody tokens: constants', () => {
  it('match the thesis: 0-127 pitches, 128 note-off, 129 no event, 130 symbols', () => {
    expect([NOTE_OFF, NO_EVENT, MELODY_VOCAB]).toEqual([128, 129, 130]);
  });
});

describe('encodeMelody(decodeMelody(tokens)) on the 186 seed melodies', () => {
  const melodies = readTokenMelodies(JSON.parse(readFileSync(melodiesFile, 'utf8')), 'melodies.json');

  it('returns every melody exactly, at three PPQs', () => {
    expect(melodies).toHaveLength(186);
    expect(melodies.reduce((sum, melody) => sum + melody.tokens.length, 0)).toBe(128_174);
    for (const ppq of [480, 96, 1024]) {
      const broken = melodies.filter(
        (melody) => !same(encodeMelody(decodeMelody(melody.tokens, { ppq })), melody.tokens),
      );
      expect(
        broken.map((melody) => melody.name),
        `ppq ${ppq}`,
      ).toEqual([]);
    }
  });

  it('covers the awkward cases: leading 129s and 128s, 128 after a rest, trailing 129s', () => {
    const events = (tokens: number[]) => tokens.filter((token) => token !== NO_EVENT);
    const leading129 = melodies.filter((m) => m.tokens[0] === NO_EVENT).length;
    const leading128 = melodies.filter((m) => events(m.tokens)[0] === NOTE_OFF).length;
    const doubled128 = melodies.filter((m) =>
      events(m.tokens).some((token, i, all) => token === NOTE_OFF && all[i - 1] === NOTE_OFF),
    ).length;
    const trailing129 = melodies.filter((m) => m.tokens[m.tokens.length - 1] === NO_EVENT).length;
    console.info({ leading129, leading128, doubled128, trailing129 });
    for (const count of [leading129, leading128, doubled128, trailing129]) expect(count).toBeGreaterThan(0);
  });

  it('decodes notes and rests with the thesis rule: an event lasts until the next non-129 token', () => {
    const tokens = melodies[0].tokens;
    const seq = decodeMelody(tokens, { ppq: 4 });
    const notes = seq.tracks[0].notes;
    const eventCount = tokens.filter((token) => token < NOTE_OFF).length;
    expect(notes).toHaveLength(eventCount);
    for (const note of notes) {
      const step = note.startTick;
      expect(tokens[step]).toBe(note.pitch);
      // Held: only 129 inside the note; the next token after it is an event or the end.
      for (let s = step + 1; s < step + note.durationTicks; s++) expect(tokens[s]).toBe(NO_EVENT);
      const next = step + note.durationTicks;
      if (next < tokens.length) expect(tokens[next]).not.toBe(NO_EVENT);
    }
    expect(seq.totalTicks).toBe(tokens.length);
  });
});

describe('melody encoding rule on hand-checked examples (PPQ 480: a sixteenth is 120 ticks)', () => {
  const note = (pitch: number, startTick: number, durationTicks: number) => ({
    pitch,
    startTick,
    durationTicks,
    velocity: 90,
  });

  it('writes the pitch at the start and 128 at start + duration', () => {
    expect(melodyNotesToTokens([note(60, 0, 240)], 480)).toEqual([60, 129, 128]);
    expect(melodyNotesToTokens([note(60, 240, 360)], 480)).toEqual([129, 129, 60, 129, 129, 128]);
  });

  it('writes no 128 where the next note starts (legato), and 128 before a rest', () => {
    expect(melodyNotesToTokens([note(60, 0, 240), note(62, 240, 120), note(64, 480, 120)], 480)).toEqual([
      60, 129, 62, 128, 64, 128,
    ]);
  });

  it('keeps the highest note of those starting in one sixteenth and cuts a note where the next starts', () => {
    expect(melodyNotesToTokens([note(60, 0, 480), note(67, 10, 480), note(64, 240, 240)], 480)).toEqual([
      67, 129, 64, 129, 128,
    ]);
  });

  it('quantises starts and ends to the nearest sixteenth, at least one sixteenth long', () => {
    // 59 ticks is nearer 0 than 120; 61 is nearer 120; a 10-tick note still takes a sixteenth.
    expect(melodyNotesToTokens([note(60, 59, 181), note(62, 361, 10)], 480)).toEqual([60, 129, 128, 62, 128]);
  });

  it('decodes a short list into notes, rests and a stated length', () => {
    const seq = decodeMelody([129, 129, 60, 129, 128, 129, 62], { ppq: 480, bpm: 90, velocity: 70, name: 'Tiny' });
    expect(seq.name).toBe('Tiny');
    expect(seq.tempos).toEqual([{ tick: 0, bpm: 90 }]);
    expect(seq.totalTicks).toBe(7 * 120);
    expect(seq.tracks[0].notes).toEqual([
      { pitch: 60, startTick: 240, durationTicks: 240, velocity: 70 },
      { pitch: 62, startTick: 720, durationTicks: 120, velocity: 70 },
    ]);
    expect(seq.tracks[0].rests).toEqual([{ startTick: 480, durationTicks: 240 }]);
  });

  it('round-trips edge lists: empty, only 129, a leading 128, repeated 128s, a note held to the end', () => {
    for (const tokens of [
      [],
      [129, 129, 129],
      [128, 129, 60, 128],
      [60, 128, 129, 128, 128, 62],
      [60, 129, 129],
      [128],
    ]) {
      expect(encodeMelody(decodeMelody(tokens)), JSON.stringify(tokens)).toEqual(tokens);
    }
  });

  it('without a stated length, ends with the 128 after the last note (thesis rule)', () => {
    const seq = decodeMelody([60, 129, 129]);
    expect(encodeMelody({ ...seq, totalTicks: undefined })).toEqual([60, 129, 129, 128]);
  });
});

describe('melody from a real MIDI file (test/fixtures/midi/melody-offgrid.mid, PPQ 96: a sixteenth is 24 ticks)', () => {
  const seq = parseMidi(
    new Uint8Array(readFileSync(path.resolve(testDir, '../fixtures/midi/melody-offgrid.mid'))),
    'melody-offgrid.mid',
  );
  // Worked out by hand in test/tools/make_midi_fixtures.py: D4 F#4 A4 (A3 loses) D5, rest, C#5.
  const expectedTokens = [62, 129, 66, 129, 69, 129, 74, 129, 128, 129, 129, 73, 129, 128];

  it('encodes the first part, quantised, highest note on a shared onset', () => {
    expect(encodeMelody(seq)).toEqual(expectedTokens);
    expect(encodeMelody(seq, { source: 'most-notes' })).toEqual(expectedTokens);
  });

  it('merges all pitched tracks (not the drums) when asked', () => {
    // Bass D2 (38) enters at step 8 where the flute rests, cut by C#5 at 11; A2 at 12 cuts C#5.
    expect(encodeMelody(seq, { source: 'merged' })).toEqual([
      62, 129, 66, 129, 69, 129, 74, 129, 38, 129, 129, 73, 45, 129, 129, 129, 128,
    ]);
  });

  it('extractMelody gives the quantised monophonic notes, and decode(encode) preserves them', () => {
    const melody = extractMelody(seq);
    expect(melody.map((n) => [n.pitch, n.startTick / 24, n.durationTicks / 24])).toEqual([
      [62, 0, 2],
      [66, 2, 2],
      [69, 4, 2],
      [74, 6, 2],
      [73, 11, 2],
    ]);
    const decoded = decodeMelody(encodeMelody(seq), { ppq: seq.ppq, velocity: 80 });
    expect(decoded.tracks[0].notes).toEqual(melody);
  });

  it('skips percussion for the first part', () => {
    const drumsFirst: NoteSequence = { ...seq, tracks: [seq.tracks[2], ...seq.tracks] };
    expect(encodeMelody(drumsFirst)).toEqual(expectedTokens);
    expect(extractMelody({ ...seq, tracks: [seq.tracks[2]] })).toEqual([]);
    expect(encodeMelody({ ...seq, tracks: [seq.tracks[2]] })).toEqual([]);
  });

  it('preserves the quantised melody of a real tune (waltzing-matilda.mid) through decode(encode)', () => {
    const tune = parseMidi(
      new Uint8Array(readFileSync(path.join(sharedData, 'seed-melodies/waltzing-matilda.mid'))),
      'waltzing-matilda.mid',
    );
    const tokens = encodeMelody(tune);
    // Ten slightly detached notes (455 of 480 ticks) at PPQ 480: ends round up to the beat.
    expect(tokens).toEqual([
      ...[69, 129, 129, 129, 69, 129, 129, 69, 69, 129, 129, 129, 66, 129, 129, 129],
      ...[74, 129, 129, 129, 74, 129, 129, 74, 73, 129, 129, 129, 71, 129, 129, 129, 128],
    ]);
    const melody = extractMelody(tune);
    expect(tokens.filter((token) => token < NOTE_OFF)).toHaveLength(melody.length);
    const decoded = decodeMelody(tokens, { ppq: tune.ppq });
    expect(decoded.tracks[0].notes.map((n) => [n.pitch, n.startTick, n.durationTicks])).toEqual(
      melody.map((n) => [n.pitch, n.startTick, n.durationTicks]),
    );
  });
});

describe('melodies of the 1,034 Nottingham melody/ files', () => {
  it('decode(encode(seq)) gives back extractMelody(seq) for every file', () => {
    const folder = path.join(sharedData, 'nottingham/MIDI/melody');
    const names = readdirSync(folder).filter((name) => name.endsWith('.mid'));
    expect(names.length).toBeGreaterThan(1000);
    let tokenCount = 0;
    const differing: string[] = [];
    for (const name of names) {
      const seq = parseMidi(new Uint8Array(readFileSync(path.join(folder, name))), name);
      const tokens = encodeMelody(seq);
      tokenCount += tokens.length;
      const melody = extractMelody(seq);
      const decoded = decodeMelody(tokens, { ppq: seq.ppq }).tracks[0].notes;
      const key = (notes: typeof melody) => JSON.stringify(notes.map((n) => [n.pitch, n.startTick, n.durationTicks]));
      if (key(decoded) !== key(melody) || melody.length === 0) differing.push(name);
    }
    console.info(`${names.length} Nottingham melodies -> ${tokenCount} tokens`);
    expect(differing).toEqual([]);
    expect(tokenCount).toBeGreaterThan(100_000);
  });
});

describe('invalid melody input fails with EncodingError', () => {
  it('names the bad token and its index', () => {
    for (const [tokens, index] of [
      [[60, 130], 1],
      [[-1], 0],
      [[60, 129, 1.5], 2],
      [[Number.NaN], 0],
    ] as const) {
      try {
        validateMelodyTokens(tokens);
        expect.unreachable(`accepted ${JSON.stringify(tokens)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(EncodingError);
        expect((error as EncodingError).code).toBe('MELODY_TOKEN_INVALID');
        expect((error as EncodingError).message).toContain(`melody token ${index}`);
      }
    }
    expect(() => decodeMelody([60, 200])).toThrowError(/melody token 1 .* got: 200/);
    expect(() => validateMelodyTokens(new Int32Array([0, 127, 128, 129]))).not.toThrow();
  });

  it('refuses a PPQ whose sixteenth is not a whole number of ticks', () => {
    try {
      decodeMelody([60], { ppq: 30 });
      expect.unreachable('ppq 30 accepted');
    } catch (error) {
      expect((error as EncodingError).code).toBe('ENCODING_PPQ_INVALID');
    }
  });
});
