import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { MidiParseError } from '../../src/core/midi/errors';
import {
  MAX_SEED_NOTES,
  MIDI_SEED_MAX_NOTES,
  parseSeedText,
  seedFromMidi,
} from '../../src/renderer/src/lib/input/seedText';
import { midiFileName, variationMidiBytes } from '../../src/renderer/src/lib/util/exportMidi';
import { batchFiles, triageFiles } from '../../src/renderer/src/lib/util/fileCollect';
import { MAX_IMPORT_FILES } from '../../src/shared/dto';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const matildaPath = path.resolve(repoRoot, '../shared/data/seed-melodies/waltzing-matilda.mid');

describe('typed seed notes', () => {
  it('reads note names and MIDI numbers separated by spaces or commas', () => {
    expect(parseSeedText('C4 E4 G4')).toEqual({ pitches: [60, 64, 67] });
    expect(parseSeedText(' c#4, Bb3;60 ')).toEqual({ pitches: [61, 58, 60] });
  });

  it('names the first bad word, refuses empty input and more than the contract allows', () => {
    const bad = parseSeedText('C4 H2 E4');
    expect('error' in bad && bad.error).toContain('“H2”');
    expect('error' in parseSeedText('  ')).toBe(true);
    const tooMany = parseSeedText(Array.from({ length: MAX_SEED_NOTES + 1 }, () => 'C4').join(' '));
    expect('error' in tooMany && tooMany.error).toContain(`At most ${MAX_SEED_NOTES}`);
  });
});

describe('seed notes from a MIDI file opening', () => {
  it('takes the melody line of the first two bars of waltzing-matilda.mid', () => {
    const bytes = new Uint8Array(readFileSync(matildaPath));
    const seq = parseMidi(bytes, 'waltzing-matilda.mid');
    const pitches = seedFromMidi(bytes, 'waltzing-matilda.mid');
    expect(pitches.length).toBeGreaterThan(0);
    expect(pitches.length).toBeLessThanOrEqual(MIDI_SEED_MAX_NOTES);
    // Independently: the first track's notes starting within two bars of the first note.
    const notes = seq.tracks.flatMap((t) => t.notes).sort((a, b) => a.startTick - b.startTick || b.pitch - a.pitch);
    const first = notes[0];
    expect(pitches[0]).toBe(first.pitch);
    const inTwoBars = new Set(notes.filter((n) => n.startTick < first.startTick + seq.ppq * 8).map((n) => n.pitch));
    for (const p of pitches) expect(inTwoBars.has(p)).toBe(true);
  });

  it('throws the core MIDI error (with a code) for bytes that are not MIDI', () => {
    try {
      seedFromMidi(new TextEncoder().encode('not a midi file at all'), 'notes.txt');
      expect.unreachable('should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(MidiParseError);
      expect((error as MidiParseError).code).toBe('MIDI_NOT_MIDI');
    }
  });
});

describe('MIDI export of a variation', () => {
  it('writes the notes, tempo and PPQ so that parseMidi reads them back exactly', () => {
    const notes = [
      { pitch: 62, startTick: 0, durationTicks: 360, velocity: 90 },
      { pitch: 66, startTick: 480, durationTicks: 240, velocity: 0 }, // velocity 0 would be a note-off on the wire
      { pitch: 69, startTick: 960, durationTicks: 960, velocity: 127 },
    ];
    const seq = parseMidi(variationMidiBytes(notes, 480, 96, 'Variation'), 'v.mid');
    expect(seq.ppq).toBe(480);
    expect(seq.tempos[0].bpm).toBeCloseTo(96, 3);
    const back = seq.tracks.flatMap((t) => t.notes);
    expect(back.map((n) => [n.pitch, n.startTick, n.durationTicks])).toEqual(
      notes.map((n) => [n.pitch, n.startTick, n.durationTicks]),
    );
    expect(back[1].velocity).toBeGreaterThan(0);
  });

  it('makes safe file names', () => {
    expect(midiFileName('My tune: take 2/3')).toBe('My-tune-take-23.mid');
    expect(midiFileName('  ')).toBe('etude.mid');
    expect(midiFileName('Mélodie été')).toBe('Mélodie-été.mid');
  });
});

describe('import file triage and batching', () => {
  const file = (name: string, size = 10, relativePath?: string) => ({
    name,
    relativePath,
    file: new File([new Uint8Array(size)], name),
  });

  it('sends MIDI and JSON, skips other files by name with a reason, ignores dotfiles', () => {
    const { send, skipped } = triageFiles([
      file('a.mid'),
      file('b.MIDI'),
      file('c.json'),
      file('readme.txt', 5, 'folk/readme.txt'),
      file('.DS_Store'),
    ]);
    expect(send.map((f) => f.name)).toEqual(['a.mid', 'b.MIDI', 'c.json']);
    expect(skipped).toEqual([{ name: 'folk/readme.txt', reason: expect.stringContaining('not a MIDI') }]);
  });

  it('splits into batches within the contract limit on files per call, keeping order', () => {
    const many = Array.from({ length: MAX_IMPORT_FILES + 3 }, (_, i) => file(`${i}.mid`, 1));
    const batches = batchFiles(many);
    expect(batches.map((b) => b.length)).toEqual([MAX_IMPORT_FILES, 3]);
    expect(batches.flat().map((f) => f.name)).toEqual(many.map((f) => f.name));
  });
});
