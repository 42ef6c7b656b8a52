// SPDX-License-Identifier: MIT
// parseMidi against an independent reader: python3-mido, applying the same documented note rule
// (test/tools/mido_notes.py), over every Nottingham MIDI file (top level, melody/, chords/).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';

const testDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(testDir, '../..');
const nottingham = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');
const folders = [nottingham, path.join(nottingham, 'melody'), path.join(nottingham, 'chords')];

interface MidoSummary {
  notes?: number;
  digest?: string;
  tempos?: number[][];
  timeSignatures?: number[][];
  keySignatures?: [number, string][];
  ppq?: number;
  error?: string;
}

describe('parseMidi agrees with python3-mido on the Nottingham corpus', () => {
  it('has the corpus to compare against', () => {
    for (const folder of folders) expect(existsSync(folder), folder).toBe(true);
  });

  it('reads the same notes (count and a digest of every pitch, start and duration) and tempo/time/key maps in every file', () => {
    const stdout = execFileSync('/usr/bin/python3', [path.join(repoRoot, 'test/tools/mido_notes.py'), ...folders], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const mido = JSON.parse(stdout) as Record<string, MidoSummary>;
    const files = folders.flatMap((folder) =>
      readdirSync(folder)
        .filter((name) => name.toLowerCase().endsWith('.mid'))
        .map((name) => path.join(folder, name)),
    );
    expect(files.length).toBeGreaterThanOrEqual(3000);
    expect(Object.keys(mido).length).toBe(files.length);

    const mismatches: string[] = [];
    let totalNotes = 0;
    const buffers = files.map((file) => readFileSync(file));
    const startedMs = performance.now();
    const parsed = buffers.map((bytes, index) => parseMidi(bytes, files[index]));
    const elapsedMs = performance.now() - startedMs;
    parsed.forEach((seq, index) => {
      const expected = mido[files[index]];
      const notes = seq.tracks
        .flatMap((track) => track.notes)
        .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch || a.durationTicks - b.durationTicks);
      const text = notes.map((note) => `${note.pitch},${note.startTick},${note.durationTicks};`).join('');
      const actual = {
        notes: notes.length,
        digest: createHash('sha1').update(text).digest('hex'),
        ppq: seq.ppq,
        tempos: seq.tempos.map((tempo) => [tempo.tick, Math.round(60_000_000 / tempo.bpm)]),
        timeSignatures: seq.timeSignatures.map((signature) => [
          signature.tick,
          signature.numerator,
          signature.denominator,
        ]),
        keySignatures: seq.keySignatures.map((signature) => [
          signature.tick,
          signature.key + (signature.scale === 'minor' ? 'm' : ''),
        ]),
      };
      totalNotes += actual.notes;
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        mismatches.push(`${files[index]}: ours ${JSON.stringify(actual)} mido ${JSON.stringify(expected)}`);
      }
    });
    const filesPerSec = (files.length / elapsedMs) * 1000;
    console.info(
      `parsed ${files.length} files, ${totalNotes} notes, in ${elapsedMs.toFixed(0)} ms = ${filesPerSec.toFixed(0)} files/s`,
    );
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(totalNotes).toBeGreaterThan(700_000);
    // The maps compared are not empty: the corpus has no tempo events, but time signatures and
    // keys, minor ones included (tempos are checked in midi-write.test.ts).
    const timeSignatureEvents = Object.values(mido).flatMap((summary) => summary.timeSignatures ?? []);
    const keyEvents = Object.values(mido).flatMap((summary) => summary.keySignatures ?? []);
    expect(timeSignatureEvents.length).toBeGreaterThan(3000);
    expect(keyEvents.filter(([, key]) => key.endsWith('m')).length).toBeGreaterThan(50);
    // Several hundred files/s is the target; the floor leaves room for a loaded 2-core machine.
    expect(filesPerSec).toBeGreaterThan(150);
  });
});
