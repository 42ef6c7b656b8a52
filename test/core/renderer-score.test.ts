// The score's engraving plan (src/renderer/src/lib/score/engrave.ts): quantising, bars, ties, rests, chords,
// notatable values, beams and the grand staff's split, on hand-made takes; VexFlow draws exactly this plan.
import { describe, expect, it } from 'vitest';
import {
  beatSixteenths,
  engrave,
  GRAND_STAFF_SPLIT,
  splitDuration,
  vexKey,
  type EngravedEvent,
} from '../../src/renderer/src/lib/score/engrave';
import { barLengthTicks } from '../../src/renderer/src/lib/score/staff';
import { keySignatureOf, spellInKey, vexKeySignature } from '../../src/renderer/src/lib/score/keySignature';
import { variationMidiBytes } from '../../src/renderer/src/lib/util/exportMidi';
import { parseMidi } from '../../src/core/midi/readMidi';

const ppq = 480;
const q = ppq;
const e8 = ppq / 2;
const s16 = ppq / 4;
const note = (pitch: number, startTick: number, durationTicks: number) => ({ pitch, startTick, durationTicks });
/** A measure as "code[.]:keys" strings: "q:c/4", "8.:c/4~" (tied on), "qr" (rest). */
const show = (events: EngravedEvent[]) =>
  events.map((e) =>
    e.keys.length === 0
      ? `${e.duration}${e.dots ? '.' : ''}r`
      : `${e.duration}${e.dots ? '.' : ''}:${e.keys.map((k) => `${k.key}${k.accidental ?? ''}${k.tieToNext ? '~' : ''}`).join(',')}`,
  );

describe('spelling, key signatures and bar length', () => {
  it('spells sharps without a key; VexFlow keys carry the octave', () => {
    expect(spellInKey(70, keySignatureOf('off'))).toEqual({ letter: 5, alteration: 1, octave: 4 });
    expect([60, 61, 71, 72, 47].map((p) => vexKey(p))).toEqual(['c/4', 'c#/4', 'b/4', 'c/5', 'b/2']);
    expect(barLengthTicks(480, 3, 4)).toBe(1440);
    expect(barLengthTicks(480)).toBe(1920);
  });

  it('finds the signature of a locked key, modes by their parent major, and spells in it', () => {
    const sig = (text: string) => {
      const k = keySignatureOf(text);
      return `${vexKeySignature(k)} ${k.mode}`;
    };
    expect(
      ['D major', 'D minor', 'D dorian', 'Bb major', 'F# minor', 'E phrygian', 'G mixolydian', 'Eb blues', 'off'].map(
        sig,
      ),
    ).toEqual(['D major', 'F minor', 'C major', 'Bb major', 'A minor', 'C major', 'C major', 'Gb minor', 'C major']);
    expect(vexKey(70, keySignatureOf('F major'))).toBe('bb/4');
    expect(vexKey(61, keySignatureOf('D minor'))).toBe('c#/4'); // the leading tone
    expect(vexKey(60, keySignatureOf('C# major'))).toBe('b#/3'); // B#3 sounds as C4
  });

  it('prints accidentals against the signature: none for its notes, a natural for a note it alters', () => {
    const score = engrave([note(66, 0, q), note(65, q, q), note(66, 2 * q, q), note(72, 3 * q, q)], {
      ppq,
      key: keySignatureOf('G major'),
    });
    expect(show(score.staves[0].measures[0])).toEqual(['q:f#/4', 'q:f/4n', 'q:f#/4#', 'q:c/5']);
  });
});

describe('notatable values', () => {
  it('splits lengths into the longest values inside a beat or from beat to beat', () => {
    const codes = (start: number, length: number, beat = 4) =>
      splitDuration(start, length, beat).map((v) => `${v.duration}${v.dots ? '.' : ''}`);
    expect(codes(0, 16)).toEqual(['w']);
    expect(codes(0, 12)).toEqual(['h.']);
    expect(codes(4, 12)).toEqual(['h.']); // beat 2 to the bar line
    expect(codes(0, 5)).toEqual(['q', '16']);
    expect(codes(2, 4)).toEqual(['8', '8']); // across the beat: tied eighths
    expect(codes(1, 3)).toEqual(['8.']);
    expect(codes(0, 7, 6)).toEqual(['q.', '16']); // 6/8
    expect(codes(2, 4, 6)).toEqual(['q']); // inside a dotted-quarter beat
    expect(
      [4, 3, 2, 6, 9, 12].map((n) => beatSixteenths({ numerator: n, denominator: n === 2 ? 2 : n > 4 ? 8 : 4 })),
    ).toEqual([4, 4, 8, 6, 6, 6]);
  });
});

describe('engraving a take', () => {
  it('a C-major scale in eighths: one treble measure, two beamed per beat', () => {
    const scale = [60, 62, 64, 65, 67, 69, 71, 72].map((p, i) => note(p, i * e8, e8));
    const score = engrave(scale, { ppq });
    expect(score.measureCount).toBe(1);
    expect(score.staves).toHaveLength(1);
    expect(score.staves[0].clef).toBe('treble');
    const [m] = score.staves[0].measures;
    expect(show(m)).toEqual(['8:c/4', '8:d/4', '8:e/4', '8:f/4', '8:g/4', '8:a/4', '8:b/4', '8:c/5']);
    expect(m.map((e) => e.beam)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(m.reduce((n, e) => n + e.onsets, 0)).toBe(8);
  });

  it('a chord is one event with all its keys; sharps printed once per bar, a natural cancels', () => {
    const score = engrave(
      [note(60, 0, q), note(64, 0, q), note(67, 0, q), note(61, q, q), note(61, 2 * q, q), note(60, 3 * q, q)],
      {
        ppq,
      },
    );
    expect(show(score.staves[0].measures[0])).toEqual(['q:c/4,e/4,g/4', 'q:c#/4#', 'q:c#/4', 'q:c/4n']);
    expect(score.staves[0].measures[0][0].onsets).toBe(3);
  });

  it('a note across the bar line is split there and tied; the continuation prints no accidental', () => {
    const score = engrave([note(66, 3 * q, 2 * q)], { ppq });
    expect(score.measureCount).toBe(2);
    expect(show(score.staves[0].measures[0])).toEqual(['h.r', 'q:f#/4#~']);
    expect(show(score.staves[0].measures[1])).toEqual(['q:f#/4', 'h.r']);
    expect(score.staves[0].measures[1][0].onsets).toBe(0);
  });

  it('rests fill the gaps and the take up to its end; a dotted length that crosses a beat is tied', () => {
    const score = engrave([note(72, s16, 3 * s16), note(74, 6 * s16, 6 * s16)], { ppq, endTick: 2 * 4 * q });
    expect(score.measureCount).toBe(2);
    expect(show(score.staves[0].measures[0])).toEqual(['16r', '8.:c/5', '8r', '8:d/5~', 'q:d/5', 'qr']);
    expect(show(score.staves[0].measures[1])).toEqual(['wr']);
  });

  it('quantises to the sixteenth grid and merges a pitch overlapping itself', () => {
    const score = engrave([note(60, 10, q - 20), note(60, q - 130, q + 130), note(64, 2 * q + 7, 2 * q)], { ppq });
    expect(show(score.staves[0].measures[0])).toEqual(['h:c/4', 'h:e/4']);
  });

  it('3/4: three quarters a bar', () => {
    const score = engrave(
      [0, 1, 2, 3, 4, 5].map((i) => note(67 + i, i * q, q)),
      { ppq, meter: { numerator: 3, denominator: 4 } },
    );
    expect(score.measureCount).toBe(2);
    expect(score.sixteenthsPerMeasure).toBe(12);
    expect(score.staves[0].measures.map((m) => m.map((e) => e.duration).join(' '))).toEqual(['q q q', 'q q q']);
  });

  it('6/8: eighths beamed in threes, a dotted quarter per beat', () => {
    const eighths = [0, 1, 2].map((i) => note(60 + 2 * i, i * e8, e8));
    const score = engrave([...eighths, note(67, 3 * e8, 3 * e8)], { ppq, meter: { numerator: 6, denominator: 8 } });
    const [m] = score.staves[0].measures;
    expect(show(m)).toEqual(['8:c/4', '8:d/4', '8:e/4', 'q.:g/4']);
    expect(m.map((e) => e.beam)).toEqual([0, 0, 0, null]);
  });

  it('a low melody gets a bass clef; a polyphonic take a grand staff split at middle C', () => {
    expect(engrave([note(40, 0, q), note(43, q, q)], { ppq }).staves[0].clef).toBe('bass');
    expect(GRAND_STAFF_SPLIT).toBe(60);
    const score = engrave(
      [note(48, 0, 2 * q), note(55, 0, 2 * q), note(60, 0, q), note(64, q, q), note(59, 2 * q, 2 * q)],
      {
        ppq,
        grandStaff: true,
      },
    );
    expect(score.staves.map((s) => s.clef)).toEqual(['treble', 'bass']);
    expect(show(score.staves[0].measures[0])).toEqual(['q:c/4', 'q:e/4', 'hr']);
    expect(show(score.staves[1].measures[0])).toEqual(['h:c/3,g/3', 'h:b/3']);
  });

  it('overlapping notes on one staff become chords with ties where a note goes on', () => {
    const score = engrave([note(60, 0, 2 * q), note(64, q, q)], { ppq });
    expect(show(score.staves[0].measures[0])).toEqual(['q:c/4~', 'q:c/4,e/4', 'hr']);
  });
});

describe('the MIDI export of a polyphonic take', () => {
  it('writes the grand staff as two tracks split at middle C; a melody stays one track', () => {
    const notes = [60, 64, 48, 55].map((pitch) => ({ pitch, startTick: 0, durationTicks: q, velocity: 80 }));
    const poly = parseMidi(variationMidiBytes(notes, ppq, 100, 'take', undefined, true), 'poly.mid');
    expect(poly.tracks.map((t) => [t.name, t.notes.map((n) => n.pitch)])).toEqual([
      ['Right hand', [60, 64]],
      ['Left hand', [48, 55]],
    ]);
    expect(parseMidi(variationMidiBytes(notes, ppq, 100, 'take'), 'melody.mid').tracks).toHaveLength(1);
  });
});

describe('chord symbols on the score', () => {
  it('sit in the measure and at the sixteenth that hold their tick; none beyond the take', () => {
    const notes = [{ pitch: 60, startTick: 0, durationTicks: 480 * 12, velocity: 80 }];
    const score = engrave(notes, {
      ppq: 480,
      meter: { numerator: 3, denominator: 4 },
      endTick: 480 * 12,
      chords: [
        { tick: 0, symbol: 'C' },
        { tick: 480 * 4, symbol: 'F' },
        { tick: 480 * 3 + 120 * 2, symbol: 'G7' },
        { tick: 480 * 12, symbol: 'Am' },
      ],
    });
    expect(score.measureCount).toBe(4);
    expect(score.chords).toEqual([
      { measure: 0, start: 0, symbol: 'C' },
      { measure: 1, start: 4, symbol: 'F' },
      { measure: 1, start: 2, symbol: 'G7' },
    ]);
  });
});
