// SPDX-License-Identifier: MIT
// `etude export ... --format musicxml` end to end: bin/etude.mjs as a child process against a temp --data-dir, a
// Nottingham tune imported, exported as MusicXML and as MIDI (still the default), and a stored generation addressed by
// --generation ID. The MusicXML file is opened by MuseScore 3 (see ./musicxml-musescore.test.ts for the peer).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { openLibrary } from '../../src/main/db';
import { divisionsOf, notesOfPart, readScores } from './musicxml-helpers';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nottingham = path.resolve(repoRoot, '../shared/data/nottingham/MIDI');
const shim = path.join(repoRoot, 'bin/etude.mjs');
let work: string;
let dataDir: string;

function etude(args: string[]) {
  const result = spawnSync(process.execPath, [shim, '--data-dir', dataDir, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, ETUDE_DEBUG: '' },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'etude-musicxml-cli-'));
  dataDir = path.join(work, 'data');
  const tunes = path.join(work, 'tunes');
  mkdirSync(tunes);
  for (const name of ['ashover1.mid', 'jigs10.mid']) copyFileSync(path.join(nottingham, name), path.join(tunes, name));
  const imported = etude(['import', tunes, '--corpus', 'Folk']);
  expect(imported.code, imported.stderr).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('etude export --format musicxml', () => {
  it('writes a piece as MusicXML that holds its notes, key and meter, and MuseScore opens it', () => {
    const out = path.join(work, 'ashover1.musicxml');
    const result = etude(['export', 'Folk', 'ashover1', '--format', 'musicxml', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/wrote .*ashover1\.musicxml \(\d+ notes, \d+ bytes\)/);
    const source = parseMidi(readFileSync(path.join(nottingham, 'ashover1.mid')), 'ashover1.mid');
    const [score] = readScores([out]);
    expect(score.title).toBe('ashover1');
    const attrs = score.parts[0].measures[0].items.find((i) => i.kind === 'attributes')!;
    expect(attrs).toMatchObject({ fifths: 1, mode: 'major', beats: 3, beatType: 4 });
    // --chords detect is the default: symbols named from the chord track, starting with G in bar 2.
    const harmonies = score.parts[0].measures.flatMap((m) => m.items.filter((i) => i.kind === 'harmony'));
    expect(harmonies.length).toBeGreaterThan(20);
    expect(harmonies[0]).toMatchObject({ root: 'G', harmonyKind: 'major' });
    const read = score.parts.flatMap((p) => notesOfPart(p, divisionsOf(score)));
    expect(read.length).toBe(source.tracks.reduce((n, t) => n + t.notes.length, 0));

    // The peer: MuseScore converts it to MIDI with the same number of notes.
    const mscore = ['/usr/bin/mscore3', '/usr/bin/musescore3'].find((p) => existsSync(p));
    if (!mscore) throw new Error('MuseScore 3 is not installed: run `apt-get install -y musescore3`.');
    const peerMidi = path.join(work, 'ashover1.peer.mid');
    execFileSync(mscore, ['-o', peerMidi, out], {
      env: { ...process.env, QT_QPA_PLATFORM: 'offscreen', HOME: work, XDG_CONFIG_HOME: work },
      stdio: 'pipe',
    });
    const peer = parseMidi(readFileSync(peerMidi), peerMidi);
    expect(peer.tracks.reduce((n, t) => n + t.notes.length, 0)).toBe(read.length);
  });

  it('keeps MIDI the default and names the file after the piece', () => {
    const result = etude(['export', 'Folk', 'jigs10']);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(path.join(work, 'jigs10.mid')).subarray(0, 4).toString('latin1')).toBe('MThd');
    const xml = etude(['export', 'Folk', 'jigs10', '--format', 'musicxml', '--staves', 'grand', '--chords', 'none']);
    expect(xml.code, xml.stderr).toBe(0);
    const [score] = readScores([path.join(work, 'jigs10.musicxml')]);
    expect(score.parts[0].measures[0].items.find((i) => i.kind === 'attributes')).toMatchObject({
      beats: 6,
      beatType: 8,
      fifths: 1,
      mode: 'minor',
      staves: 2,
    });
    expect(score.parts.flatMap((p) => p.measures.flatMap((m) => m.items)).some((i) => i.kind === 'harmony')).toBe(
      false,
    );
  });

  it('exports a stored generation by --generation ID', () => {
    const library = openLibrary(path.join(dataDir, 'library.db'), { onSlowQuery: () => {} });
    let id: number;
    try {
      const model = library.models.createModel({ name: 'm', spec: {}, training: {}, corpusId: null, engine: 'wasm' });
      id = library.generations.saveGeneration({
        modelId: model.id,
        checkpointId: null,
        request: { bpm: 90, temperature: 1, randomSeed: 3 },
        // 60 for 2 steps, 62 for 2, a rest for 2, 64 for 4 (16th-note steps).
        tokens: Uint8Array.of(60, 129, 62, 129, 128, 129, 64, 129, 129, 129),
        sequence: null,
        name: 'idea 1',
      }).id;
    } finally {
      library.close();
    }
    const result = etude(['export', '--generation', `#${id}`, '--format', 'musicxml']);
    expect(result.code, result.stderr).toBe(0);
    const [score] = readScores([path.join(work, 'idea 1.musicxml')]);
    const items = score.parts[0].measures.flatMap((m) => m.items);
    expect(items.find((i) => i.kind === 'direction')).toMatchObject({ tempo: 90, perMinute: 90 });
    expect(notesOfPart(score.parts[0], divisionsOf(score)).map((n) => [n.pitch, n.startQ, n.durationQ])).toEqual([
      [60, 0, 0.5],
      [62, 0.5, 0.5],
      [64, 1.5, 1],
    ]);
  });

  it('refuses an unknown format, --staves with MIDI, and a generation with a piece', () => {
    const bad = etude(['export', 'Folk', 'jigs10', '--format', 'pdf']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be midi or musicxml, got: pdf/);
    expect(etude(['export', 'Folk', 'jigs10', '--staves', 'grand']).code).toBe(2);
    expect(etude(['export', 'Folk', 'jigs10', '--format', 'musicxml', '--chords', 'maybe']).code).toBe(2);
    expect(etude(['export', 'Folk', 'jigs10', '--generation', '1']).code).toBe(2);
    expect(etude(['export', '--generation', '999999', '--format', 'musicxml']).code).toBe(1);
  });
});
