// SPDX-License-Identifier: MIT
// A real peer reads our MusicXML: MuseScore 3 (Debian's musescore3, run headless with QT_QPA_PLATFORM=offscreen)
// converts each file to MIDI and back to MusicXML, exactly as a composer's "open, then export" would:
//
//   QT_QPA_PLATFORM=offscreen mscore3 -o out.mid in.musicxml
//   QT_QPA_PLATFORM=offscreen mscore3 -o out.musicxml in.musicxml
//
// Its MIDI, parsed with our parseMidi, must hold the source's notes (pitch, start and length in quarter notes; MuseScore
// ends every note one tick early at its 480 ppq, so lengths may be short by up to 2/480 of a quarter; triplets, which
// 1024 ppq cannot hold exactly, within the writer's 1/100-quarter rounding), time signatures
// and key signature (MuseScore's MIDI has no minor flag: the key is compared by its sharps and flats). Its MusicXML
// must keep the mode, the two staves and the chord symbols. Without MuseScore this test fails and says how to install
// it: it never skips.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { accidentalsOfKey } from '../../src/core/music/keys';
import type { Note, NoteSequence } from '../../src/core/music/NoteSequence';
import { detectChordSymbols, parseChordSymbol } from '../../src/core/musicxml/chordSymbols';
import { toMusicXml, type MusicXmlOptions } from '../../src/core/musicxml/writeMusicXml';
import { readScores } from './musicxml-helpers';

const testDir = path.dirname(fileURLToPath(import.meta.url));
const nottingham = path.resolve(testDir, '../../../shared/data/nottingham/MIDI');
const workDir = mkdtempSync(path.join(tmpdir(), 'etude-musescore-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const MSCORE_CANDIDATES = ['/usr/bin/mscore3', '/usr/bin/musescore3', '/usr/local/bin/mscore3'];

function mscore(): string {
  const found = MSCORE_CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'MuseScore 3 is not installed, and this test needs it as the peer that reads our MusicXML: ' +
        'run `apt-get install -y musescore3` (Debian/Ubuntu; .ci/run installs it).',
    );
  }
  return found;
}

/** One headless MuseScore conversion; its settings go to a throwaway home so a developer's own are untouched. */
function convert(input: string, output: string): void {
  const home = path.join(workDir, 'home');
  mkdirSync(home, { recursive: true });
  execFileSync(mscore(), ['-o', output, input], {
    env: { ...process.env, QT_QPA_PLATFORM: 'offscreen', HOME: home, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  if (!existsSync(output)) throw new Error(`MuseScore wrote no ${output} from ${input}`);
}

type QNote = { pitch: number; startQ: number; durationQ: number };

function quarterNotes(seq: NoteSequence): QNote[] {
  return seq.tracks
    .filter((t) => !t.isPercussion)
    .flatMap((t) => t.notes)
    .map((n) => ({ pitch: n.pitch, startQ: n.startTick / seq.ppq, durationQ: n.durationTicks / seq.ppq }))
    .sort((a, b) => a.startQ - b.startQ || a.pitch - b.pitch);
}

interface PeerReading {
  midi: NoteSequence;
  xml: ReturnType<typeof readScores>[number];
}

function throughMuseScore(name: string, seq: NoteSequence, options?: MusicXmlOptions): PeerReading {
  const source = path.join(workDir, `${name}.musicxml`);
  writeFileSync(source, toMusicXml(seq, options));
  const midiFile = path.join(workDir, `${name}.peer.mid`);
  const xmlFile = path.join(workDir, `${name}.peer.musicxml`);
  convert(source, midiFile);
  convert(source, xmlFile);
  return { midi: parseMidi(readFileSync(midiFile), midiFile), xml: readScores([xmlFile])[0] };
}

/**
 * MuseScore's notes equal the source's: same count, pitches, starts; lengths within MuseScore's 1-tick gap. `rounding`
 * (quarters) is the writer's documented grid rounding, 0 where the source is on an exact grid.
 */
function expectSameNotes(peer: NoteSequence, source: NoteSequence, rounding = 0): number {
  const got = quarterNotes(peer);
  const want = quarterNotes(source);
  expect(got.length).toBe(want.length);
  const slack = 2 / peer.ppq;
  got.forEach((g, i) => {
    const w = want[i];
    expect(g.pitch, `note ${i}`).toBe(w.pitch);
    expect(Math.abs(g.startQ - w.startQ), `note ${i} start ${g.startQ} vs ${w.startQ}`).toBeLessThanOrEqual(rounding);
    const short = w.durationQ - g.durationQ;
    expect(short, `note ${i} length ${g.durationQ} vs ${w.durationQ}`).toBeGreaterThanOrEqual(-2 * rounding);
    expect(short, `note ${i} length ${g.durationQ} vs ${w.durationQ}`).toBeLessThanOrEqual(slack + 2 * rounding);
  });
  return got.length;
}

function expectSameMeters(peer: NoteSequence, source: NoteSequence): void {
  const meters = (s: NoteSequence) =>
    s.timeSignatures
      .map((t) => `${t.tick / s.ppq}:${t.numerator}/${t.denominator}`)
      .filter((m, i, a) => a[i - 1] !== m);
  // MuseScore restates the meter only where it changes; the source may restate it (it never does in these files).
  expect(meters(peer)).toEqual(meters(source));
}

function fifthsOfFirstKey(s: NoteSequence): number {
  return accidentalsOfKey(s.keySignatures[0].key, s.keySignatures[0].scale);
}

const keyOfXml = (reading: PeerReading) => {
  const attrs = reading.xml.parts[0].measures[0].items.find((i) => i.kind === 'attributes')!;
  return { fifths: attrs.fifths, mode: attrs.mode };
};

function nottinghamTune(file: string): NoteSequence {
  return parseMidi(readFileSync(path.join(nottingham, file)), file);
}

describe('MuseScore 3 reads our MusicXML back', () => {
  it('is installed (else: apt-get install -y musescore3)', () => {
    expect(existsSync(mscore())).toBe(true);
  });

  it('a Nottingham tune with meter changes and a chord track: ashover1 (G major, 3/4 <-> 2/4, pickup bar)', () => {
    const tune = nottinghamTune('ashover1.mid');
    expect(tune.timeSignatures.length).toBeGreaterThan(2);
    // With the chord symbols named from its chord track: MuseScore must keep every one, in order.
    const chordSymbols = detectChordSymbols(tune);
    expect(chordSymbols.length).toBeGreaterThan(20);
    const peer = throughMuseScore('ashover1', tune, { chordSymbols });
    expect(expectSameNotes(peer.midi, tune)).toBeGreaterThan(150);
    const harmonies = peer.xml.parts[0].measures.flatMap((m) => m.items.filter((i) => i.kind === 'harmony'));
    expect(harmonies.map((h) => [h.root, h.rootAlter, h.harmonyKind])).toEqual(
      chordSymbols.map((c) => {
        const parsed = parseChordSymbol(c.symbol);
        return [parsed.root.step, parsed.root.alter, parsed.kind];
      }),
    );
    expectSameMeters(peer.midi, tune);
    expect(fifthsOfFirstKey(peer.midi)).toBe(1);
    expect(keyOfXml(peer)).toEqual({ fifths: 1, mode: 'major' });
    expect(peer.xml.parts).toHaveLength(2);
  });

  it('a Nottingham jig in 6/8 and a minor key: jigs10 (E minor)', () => {
    const tune = nottinghamTune('jigs10.mid');
    expect(tune.keySignatures[0]).toMatchObject({ key: 'E', scale: 'minor' });
    const peer = throughMuseScore('jigs10', tune);
    expect(expectSameNotes(peer.midi, tune)).toBeGreaterThan(200);
    expectSameMeters(peer.midi, tune);
    expect(fifthsOfFirstKey(peer.midi)).toBe(1);
    expect(keyOfXml(peer)).toEqual({ fifths: 1, mode: 'minor' });
  });

  it('a Nottingham hornpipe with triplets: hpps16 (written as 3:2 tuplets, 1024 ppq thirds rounded by < 1/100 quarter)', () => {
    const tune = nottinghamTune('hpps16.mid');
    const thirds = tune.tracks[0].notes.filter((n) => n.durationTicks === 341 || n.durationTicks === 342);
    expect(thirds.length).toBeGreaterThan(5);
    const peer = throughMuseScore('hpps16', tune);
    expect(expectSameNotes(peer.midi, tune, 0.01)).toBeGreaterThan(150);
    expectSameMeters(peer.midi, tune);
    expect(fifthsOfFirstKey(peer.midi)).toBe(fifthsOfFirstKey(tune));
  });

  it('a two-staff piano piece: grand staff, two voices, ties over bar lines, chromatic notes, tempo, chord symbols', () => {
    const ppq = 480;
    const n = (pitch: number, startQ: number, durationQ: number, velocity = 80): Note => ({
      pitch,
      startTick: startQ * ppq,
      durationTicks: durationQ * ppq,
      velocity,
    });
    const notes: Note[] = [
      // Right hand (staff 1): a melody with a dotted rhythm, a chromatic Db, a note tied over the bar line at 3.
      n(72, 0, 1.5),
      n(74, 1.5, 0.5),
      n(76, 2, 2),
      n(77, 4, 0.5),
      n(73, 4.5, 0.5),
      n(74, 5, 1),
      n(70, 6, 3),
      n(65, 6, 3),
      n(69, 9, 0.25),
      n(67, 9.25, 0.25),
      n(65, 9.5, 2.5),
      // Left hand (staff 2): a held bass under moving chords (two voices), a chord tied over a bar line.
      n(41, 0, 3),
      n(53, 0, 1),
      n(57, 0, 1),
      n(53, 1, 2),
      n(58, 1, 2),
      n(46, 3, 3),
      n(50, 3, 3),
      n(53, 3, 3),
      n(48, 6, 4),
      n(52, 6, 4),
      n(55, 6, 4),
      n(41, 10, 2),
    ].sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
    const piece: NoteSequence = {
      ppq,
      name: 'Two staves',
      tempos: [{ tick: 0, bpm: 96 }],
      timeSignatures: [{ tick: 0, numerator: 3, denominator: 4 }],
      keySignatures: [{ tick: 0, key: 'F', scale: 'major' }],
      tracks: [{ name: 'Piano', program: 0, channel: 0, isPercussion: false, notes }],
    };
    const chordSymbols = [
      { tick: 0, symbol: 'F' },
      { tick: 3 * ppq, symbol: 'Bb' },
      { tick: 6 * ppq, symbol: 'C7' },
      { tick: 9 * ppq, symbol: 'Dm' },
    ];
    const peer = throughMuseScore('two-staves', piece, { chordSymbols });
    expect(expectSameNotes(peer.midi, piece)).toBe(notes.length);
    expectSameMeters(peer.midi, piece);
    expect(peer.midi.tempos[0].bpm).toBeCloseTo(96, 3);
    expect(fifthsOfFirstKey(peer.midi)).toBe(-1);
    expect(keyOfXml(peer)).toEqual({ fifths: -1, mode: 'major' });
    const part = peer.xml.parts[0];
    expect(peer.xml.parts).toHaveLength(1);
    expect(part.measures[0].items.find((i) => i.kind === 'attributes')!.staves).toBe(2);
    const harmonies = part.measures.flatMap((m) => m.items.filter((i) => i.kind === 'harmony'));
    expect(harmonies.map((h) => [h.root, h.rootAlter, h.harmonyKind])).toEqual([
      ['F', 0, 'major'],
      ['B', -1, 'major'],
      ['C', 0, 'dominant'],
      ['D', 0, 'minor'],
    ]);
    // MuseScore kept our spelling of the chromatic 73 in F major: Db5 (a flat, as the key has flats), not C#5.
    const written = part.measures.flatMap((m) => m.items).filter((i) => i.kind === 'note' && !i.rest);
    expect(written.filter((i) => i.step === 'D' && i.alter === -1 && i.octave === 5)).toHaveLength(1);
  });
});
