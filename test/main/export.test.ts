// SPDX-License-Identifier: MIT
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NoteSequence } from '../../src/core/music/NoteSequence';
import { NotFoundError, openLibrary, type Library } from '../../src/main/db';
import { exportGenerationMidi, exportPieceMidi, safeFileName } from '../../src/main/services/exportService';
import { importPaths } from '../../src/main/services/importService';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataRoot = path.resolve(repoRoot, '../shared/data');

type NoteTuple = [pitch: number, startTick: number, durationTicks: number, velocity: number];

/** Notes as python3-mido reads them: note-on vel>0 opens, note-off or vel 0 closes the oldest open same channel+pitch. */
const MIDO_NOTES = `
import json, sys, mido
from collections import defaultdict, deque
out = []
for path in sys.argv[1:]:
    mid = mido.MidiFile(path)
    notes = []
    for track in mid.tracks:
        t = 0
        open_ = defaultdict(deque)
        for msg in track:
            t += msg.time
            if msg.type == 'note_on' and msg.velocity > 0:
                open_[(msg.channel, msg.note)].append((t, msg.velocity))
            elif msg.type in ('note_off', 'note_on'):
                q = open_[(msg.channel, msg.note)]
                if q:
                    start, vel = q.popleft()
                    notes.append([msg.note, start, t - start, vel])
    out.append({'ppq': mid.ticks_per_beat, 'notes': sorted(notes)})
print(json.dumps(out))
`;

function midoNotes(files: string[]): { ppq: number; notes: NoteTuple[] }[] {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', MIDO_NOTES, ...files], { encoding: 'utf8' }));
}

function midicsvNotes(file: string): NoteTuple[] {
  const csv = execFileSync('midicsv', [file], { encoding: 'latin1' });
  const open = new Map<string, { start: number; velocity: number }[]>();
  const notes: NoteTuple[] = [];
  for (const line of csv.split('\n')) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 6) continue;
    const [track, time, type, channel, pitch, velocity] = cells;
    if (type !== 'Note_on_c' && type !== 'Note_off_c') continue;
    const key = `${track}/${channel}/${pitch}`;
    const queue = open.get(key) ?? [];
    open.set(key, queue);
    if (type === 'Note_on_c' && Number(velocity) > 0) queue.push({ start: Number(time), velocity: Number(velocity) });
    else {
      const started = queue.shift();
      if (started) notes.push([Number(pitch), started.start, Number(time) - started.start, started.velocity]);
    }
  }
  return notes.sort(compareTuples);
}

function compareTuples(a: NoteTuple, b: NoteTuple): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function sequenceNotes(seq: NoteSequence): NoteTuple[] {
  return seq.tracks
    .flatMap((t) => t.notes.map((n): NoteTuple => [n.pitch, n.startTick, n.durationTicks, n.velocity]))
    .filter((n) => n[2] > 0)
    .sort(compareTuples);
}

let dir: string;
let library: Library;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'etude-export-'));
  library = openLibrary(path.join(dir, 'library.db'), { onSlowQuery: () => {} });
  const nottingham = path.join(dataRoot, 'nottingham/MIDI');
  await importPaths(library, [path.join(nottingham, 'ashover1.mid'), path.join(nottingham, 'jigs1.mid')], {
    corpusName: 'Folk',
  });
  await importPaths(library, [path.join(nottingham, 'melody')], { corpusName: 'Melodies' });
  await importPaths(library, [path.join(dataRoot, 'seed-melodies/melodies.json')], { corpusName: 'Seeds' });
});
afterAll(() => {
  library.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('export', () => {
  it('a MIDI piece, a melody/ piece and a token melody read back identically by python3-mido and midicsv', () => {
    const exports = [
      exportPieceMidi(library, 'Folk', 'ashover1'),
      exportPieceMidi(library, 'Folk', 'jigs1'),
      exportPieceMidi(library, 'Melodies', 'reelsa-c10'),
      exportPieceMidi(library, 'Seeds', 'melodies 1'),
    ];
    const files = exports.map((e, i) => {
      const file = path.join(dir, `${i}-${e.fileName}`);
      writeFileSync(file, e.bytes);
      return file;
    });
    const mido = midoNotes(files);
    exports.forEach((e, i) => {
      const expected = sequenceNotes(e.sequence);
      expect(expected.length).toBeGreaterThan(10);
      expect(mido[i].ppq).toBe(e.sequence.ppq);
      expect(mido[i].notes).toEqual(expected);
      expect(midicsvNotes(files[i])).toEqual(expected);
    });
  });

  it('the exported piece has the notes of the original file (same ticks)', () => {
    const original = midoNotes([path.join(dataRoot, 'nottingham/MIDI/ashover1.mid')])[0];
    const exported = exportPieceMidi(library, 'Folk', 'ashover1');
    const file = path.join(dir, 'again.mid');
    writeFileSync(file, exported.bytes);
    const roundTrip = midoNotes([file])[0];
    expect(roundTrip.ppq).toBe(original.ppq);
    expect(roundTrip.notes).toEqual(original.notes.filter((n) => n[2] > 0));
  });

  it('resolves pieces by id, refuses unknown corpora and pieces', () => {
    const corpus = library.corpora.requireCorpusByName('Folk');
    const id = library.pieces.findPiecesByName(corpus.id, 'jigs1')[0].id;
    expect(exportPieceMidi(library, 'Folk', String(id)).fileName).toBe('jigs1.mid');
    expect(() => exportPieceMidi(library, 'Nope', 'jigs1')).toThrow(NotFoundError);
    expect(() => exportPieceMidi(library, 'Folk', 'no such tune')).toThrow(NotFoundError);
  });

  it('exports a generation from its tokens at the requested tempo', () => {
    const model = library.models.createModel({ name: 'm', spec: {}, training: {}, corpusId: null, engine: 'wasm' });
    const g = library.generations.saveGeneration({
      modelId: model.id,
      checkpointId: null,
      request: { bpm: 90, temperature: 1, randomSeed: 3 },
      tokens: Uint8Array.of(60, 129, 62, 129, 128, 129, 64, 129, 129, 129, 128),
      sequence: null,
      name: 'idea: 1/2',
    });
    const out = exportGenerationMidi(library, g.id);
    expect(out.fileName).toBe('idea_ 1_2.mid');
    expect(out.sequence.tempos[0].bpm).toBe(90);
    const file = path.join(dir, 'generation.mid');
    writeFileSync(file, out.bytes);
    expect(midoNotes([file])[0].notes.map((n) => [n[0], n[1], n[2]])).toEqual([
      [60, 0, 240],
      [62, 240, 240],
      [64, 720, 480],
    ]);
  });

  it('makes safe file names', () => {
    expect(safeFileName('a/b:c*?')).toBe('a_b_c_.mid');
    expect(safeFileName('...')).toBe('untitled.mid');
  });
});
