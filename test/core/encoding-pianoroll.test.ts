// SPDX-License-Identifier: MIT
// Piano roll: onset semantics, exact round trips on the JSB and Nottingham benchmark rolls, and a
// trip through real MIDI bytes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readPianoRollSplits } from '../../src/core/data/jsonCorpora';
import { EncodingError } from '../../src/core/encoding/errors';
import {
  decodePianoRoll,
  encodePianoRoll,
  pianoRollFromFrameLists,
  type PianoRoll,
} from '../../src/core/encoding/pianoRoll';
import { parseMidi } from '../../src/core/midi/readMidi';
import { writeMidi } from '../../src/core/midi/writeMidi';
import type { NoteSequence } from '../../src/core/music/NoteSequence';

const testDir = path.dirname(fileURLToPath(import.meta.url));
const sharedData = path.resolve(testDir, '../../../shared/data');
const readSplits = (relative: string) =>
  readPianoRollSplits(JSON.parse(readFileSync(path.join(sharedData, relative), 'utf8')), relative);

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error) {
    expect(error).toBeInstanceOf(EncodingError);
    return (error as EncodingError).code;
  }
}

describe('pianoRollFromFrameLists', () => {
  it('holds a pitch across consecutive frames: an onset only where it was not sounding before', () => {
    const roll = pianoRollFromFrameLists([[64, 60, 60], [60, 64], [64], [], [60]], 4);
    expect(roll).toEqual({
      stepsPerQuarter: 4,
      frames: [
        { sounding: [60, 64], onsets: [60, 64] },
        { sounding: [60, 64], onsets: [] },
        { sounding: [64], onsets: [] },
        { sounding: [], onsets: [] },
        { sounding: [60], onsets: [60] },
      ],
    });
  });

  it('rejects pitches outside 0..127 and a bad grid', () => {
    expect(codeOf(() => pianoRollFromFrameLists([[60], [128]], 4))).toBe('PIANOROLL_INVALID');
    expect(codeOf(() => pianoRollFromFrameLists([[60.5]], 4))).toBe('PIANOROLL_INVALID');
    expect(codeOf(() => pianoRollFromFrameLists([[60]], 0))).toBe('ENCODING_PPQ_INVALID');
  });
});

describe('decodePianoRoll and encodePianoRoll', () => {
  it('decodes held notes and re-struck notes (onsets split a held pitch)', () => {
    const roll: PianoRoll = {
      stepsPerQuarter: 4,
      frames: [
        { sounding: [60, 64], onsets: [60, 64] },
        { sounding: [60, 64], onsets: [60] },
        { sounding: [64], onsets: [] },
        { sounding: [], onsets: [] },
      ],
    };
    const seq = decodePianoRoll(roll, { ppq: 480, velocity: 64 });
    expect(seq.tracks[0].notes).toEqual([
      { pitch: 60, startTick: 0, durationTicks: 120, velocity: 64 },
      { pitch: 64, startTick: 0, durationTicks: 360, velocity: 64 },
      { pitch: 60, startTick: 120, durationTicks: 120, velocity: 64 },
    ]);
    expect(seq.totalTicks).toBe(480);
    expect(encodePianoRoll(seq, 4)).toEqual(roll);
  });

  it('tells two quarter notes from one half note only by onsets', () => {
    const note = (startTick: number, durationTicks: number) => ({ pitch: 60, startTick, durationTicks, velocity: 80 });
    const base: NoteSequence = { ppq: 480, name: 'x', tempos: [], timeSignatures: [], keySignatures: [], tracks: [] };
    const track = { name: '', program: 0, channel: 0, isPercussion: false };
    const twoQuarters = encodePianoRoll({ ...base, tracks: [{ ...track, notes: [note(0, 480), note(480, 480)] }] }, 1);
    const oneHalf = encodePianoRoll({ ...base, tracks: [{ ...track, notes: [note(0, 960)] }] }, 1);
    expect(twoQuarters.frames.map((f) => f.sounding)).toEqual(oneHalf.frames.map((f) => f.sounding));
    expect(twoQuarters.frames.map((f) => f.onsets)).toEqual([[60], [60]]);
    expect(oneHalf.frames.map((f) => f.onsets)).toEqual([[60], []]);
  });

  it('encodes a MIDI fixture on sixteenths, without drums, quantising starts and ends', () => {
    const seq = parseMidi(
      new Uint8Array(readFileSync(path.resolve(testDir, '../fixtures/midi/melody-offgrid.mid'))),
      'melody-offgrid.mid',
    );
    const roll = encodePianoRoll(seq);
    expect(roll.stepsPerQuarter).toBe(4);
    // Bass D2 [0,4) A2 [4,8) D2 [8,12) A2 [12,16); flute D4 [0,2) F#4 [2,4) A4 [4,6) + A3 [4,6) D5 [6,8) C#5 [11,13).
    expect(roll.frames).toHaveLength(16);
    expect(roll.frames[0]).toEqual({ sounding: [38, 62], onsets: [38, 62] });
    expect(roll.frames[1]).toEqual({ sounding: [38, 62], onsets: [] });
    expect(roll.frames[4]).toEqual({ sounding: [45, 57, 69], onsets: [45, 57, 69] });
    expect(roll.frames[9]).toEqual({ sounding: [38], onsets: [] });
    expect(roll.frames[12]).toEqual({ sounding: [45, 73], onsets: [45] });
    expect(roll.frames.flatMap((f) => f.sounding)).not.toContain(42);
  });

  it('rejects an onset that does not sound and a PPQ the grid does not divide', () => {
    const bad: PianoRoll = { stepsPerQuarter: 4, frames: [{ sounding: [60], onsets: [62] }] };
    expect(codeOf(() => decodePianoRoll(bad))).toBe('PIANOROLL_INVALID');
    expect(codeOf(() => decodePianoRoll({ stepsPerQuarter: 4, frames: [] }, { ppq: 30 }))).toBe('ENCODING_PPQ_INVALID');
    expect(
      codeOf(() =>
        encodePianoRoll({ ppq: 480, name: '', tempos: [], timeSignatures: [], keySignatures: [], tracks: [] }, 1.5),
      ),
    ).toBe('ENCODING_PPQ_INVALID');
  });
});

describe('exact round trips on the benchmark rolls', () => {
  for (const [relative, stepsPerQuarter, pieceCount] of [
    ['jsb-chorales/jsb-chorales-16th.json', 4, 382],
    ['jsb-chorales/jsb-chorales-quarter.json', 1, 382],
    ['boulanger2012/Nottingham.json', 1, 1037],
  ] as const) {
    it(`encodePianoRoll(decodePianoRoll(roll)) === roll for every piece of ${relative}`, () => {
      const pieces = readSplits(relative);
      expect(pieces).toHaveLength(pieceCount);
      let frames = 0;
      const broken: string[] = [];
      for (const piece of pieces) {
        const roll = pianoRollFromFrameLists(piece.frames, stepsPerQuarter);
        frames += roll.frames.length;
        if (JSON.stringify(encodePianoRoll(decodePianoRoll(roll), stepsPerQuarter)) !== JSON.stringify(roll))
          broken.push(piece.name);
      }
      expect(broken).toEqual([]);
      expect(frames).toBeGreaterThan(pieceCount * 16);
    });
  }

  it('survives MIDI bytes: decode -> writeMidi -> parseMidi -> encode keeps every JSB test-split frame', () => {
    const pieces = readSplits('jsb-chorales/jsb-chorales-16th.json').filter((piece) => piece.split === 'test');
    for (const piece of pieces) {
      const roll = pianoRollFromFrameLists(piece.frames, 4);
      const back = encodePianoRoll(parseMidi(writeMidi(decodePianoRoll(roll, { ppq: 480 })), piece.name), 4);
      // MIDI has no length beyond its last note: only trailing silent frames may go.
      let lastSounding = roll.frames.length;
      while (lastSounding > 0 && roll.frames[lastSounding - 1].sounding.length === 0) lastSounding--;
      expect(back.frames, piece.name).toEqual(roll.frames.slice(0, lastSounding));
    }
  });
});
