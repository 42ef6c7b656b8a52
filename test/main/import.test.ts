// SPDX-License-Identifier: MIT
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMidi } from '../../src/core/midi/readMidi';
import { openLibrary, type Library } from '../../src/main/db';
import {
  ImportCancelledError,
  importPaths,
  topVoiceTokens,
  type ImportFailureCode,
} from '../../src/main/services/importService';
import { pianoRollFromFrameLists } from '../../src/core/encoding/pianoRoll';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataRoot = path.resolve(repoRoot, '../shared/data');
const nottingham = path.join(dataRoot, 'nottingham/MIDI');
const seedMelodies = path.join(dataRoot, 'seed-melodies');

let dir: string;
let library: Library;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'etude-import-'));
  library = openLibrary(path.join(dir, 'library.db'), { onSlowQuery: () => {} });
});
afterAll(() => {
  library.close();
  rmSync(dir, { recursive: true, force: true });
});

function listMidiFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...listMidiFiles(full));
    else if (/\.midi?$/i.test(entry.name)) out.push(full);
  }
  return out;
}

describe('importPaths', () => {
  it('imports the seed-melodies folder: every distinct melody once, tokens stored byte for byte', async () => {
    const raw = JSON.parse(readFileSync(path.join(seedMelodies, 'melodies.json'), 'utf8')) as { melodies: number[][] };
    const distinct = new Map<string, number[]>();
    for (const m of raw.melodies) if (!distinct.has(m.join(','))) distinct.set(m.join(','), m);

    const report = await importPaths(library, [seedMelodies], { corpusName: 'Seeds' });
    expect(report.failed).toEqual([]);
    expect(report.files).toBe(2); // melodies.json + waltzing-matilda.mid
    expect(report.imported).toBe(distinct.size + 1);
    expect(report.duplicates).toBe(raw.melodies.length - distinct.size);

    const rows = library.pieces.getMelodyTokens(report.corpus.id);
    const stored = new Set(rows.map((r) => Array.from(r.tokens).join(',')));
    for (const key of distinct.keys()) expect(stored.has(key)).toBe(true);
    const matilda = library.pieces.findPiecesByName(report.corpus.id, 'waltzing-matilda');
    expect(matilda).toHaveLength(1);
    expect(matilda[0].format).toBe('midi');
    expect(library.pieces.getPiece(matilda[0].id)!.sequence).toEqual(
      parseMidi(
        readFileSync(path.join(seedMelodies, 'waltzing-matilda.mid')),
        path.join(seedMelodies, 'waltzing-matilda.mid'),
      ),
    );
  });

  it('imports all of nottingham/MIDI (subfolders included); a second import adds nothing', async () => {
    const files = listMidiFiles(nottingham);
    expect(files.length).toBeGreaterThan(3000);
    const distinctHashes = new Set(files.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex')));

    const events: number[] = [];
    const t0 = performance.now();
    const first = await importPaths(library, [nottingham], {
      corpusName: 'Nottingham',
      onProgress: (p) => events.push(p.current),
    });
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `nottingham import: ${files.length} files in ${seconds.toFixed(2)} s = ${(files.length / seconds).toFixed(0)} files/s`,
    );

    expect(first.files).toBe(files.length);
    expect(first.failed).toEqual([]);
    expect(first.imported).toBe(distinctHashes.size);
    expect(first.imported + first.duplicates).toBe(files.length);
    expect(library.pieces.countPieces(first.corpus.id)).toBe(distinctHashes.size);
    // Throttled to <= ~10 events/s, and it did report progress.
    expect(events.length).toBeGreaterThan(1);
    expect(events.length).toBeLessThan(seconds * 12 + 5);
    // A gross regression guard only; the 2x-mido target is measured by `npm run bench:import`.
    expect(files.length / seconds).toBeGreaterThan(250);

    // Subfolder files keep their relative path as name, so melody/ and chords/ versions stay apart.
    expect(library.pieces.findPiecesByName(first.corpus.id, 'melody/ashover1')).toHaveLength(1);
    expect(library.pieces.findPiecesByName(first.corpus.id, 'ashover1')).toHaveLength(1);

    const second = await importPaths(library, [nottingham], { corpusName: 'nottingham' });
    expect(second.imported).toBe(0);
    expect(second.duplicates).toBe(files.length);
    expect(second.corpus.id).toBe(first.corpus.id);
  });

  it('reports every damaged file by path with a code, imports the good ones, and does not hang', async () => {
    const bad = path.join(dir, 'damaged');
    mkdirSync(bad);
    const originals = listMidiFiles(nottingham)
      .filter((f) => !f.includes(`${path.sep}melody${path.sep}`) && !f.includes(`${path.sep}chords${path.sep}`))
      .slice(0, 30);
    const mustFail = new Set<string>();
    const mayFail = new Set<string>();
    // Cut short (or a chunk claiming more bytes than the file has): imported up to the damage with a warning that
    // names the file, or refused as MIDI_TRUNCATED when no complete note comes before it.
    const salvageable = new Set<string>();
    const good = new Set<string>();
    let rng = 12345;
    const random = () => {
      rng = (rng * 1103515245 + 12345) % 2147483648;
      return rng / 2147483648;
    };
    const write = (name: string, bytes: Uint8Array, set: Set<string>) => {
      const p = path.join(bad, name);
      writeFileSync(p, bytes);
      set.add(p);
    };

    originals.forEach((file, i) => {
      const bytes = readFileSync(file);
      const base = path.basename(file, '.mid');
      if (i < 10) write(`good-${base}.mid`, bytes, good);
      // Truncations: anywhere after the header start and before the last byte leaves a chunk short.
      for (let k = 1; k <= 4; k++) {
        const cut = Math.max(1, Math.floor((bytes.length - 1) * (k / 5)));
        write(`trunc-${k}-${base}.mid`, bytes.subarray(0, cut), salvageable);
      }
      // A track chunk claiming more bytes than the file has.
      const long = Buffer.from(bytes);
      const mtrk = long.indexOf('MTrk');
      long.writeUInt32BE(long.length * 4, mtrk + 4);
      write(`longchunk-${base}.mid`, long, salvageable);
      // A header with a wrong length.
      const header = Buffer.from(bytes);
      header.writeUInt32BE(0x7fffffff, 4);
      write(`badheader-${base}.mid`, header, mustFail);
      // Flipped bytes inside the tracks: may still be a valid file, must never crash the import.
      const flipped = Buffer.from(bytes);
      for (let f = 0; f < 8; f++) {
        const at = 22 + Math.floor(random() * (flipped.length - 22));
        flipped[at] ^= 0xff;
      }
      write(`flipped-${base}.mid`, flipped, mayFail);
    });
    for (let i = 0; i < 20; i++) {
      write(
        `random-${i}.mid`,
        Uint8Array.from({ length: 50 + i * 37 }, () => Math.floor(random() * 256)),
        mustFail,
      );
    }
    write('empty.mid', new Uint8Array(0), mustFail);
    write('header-only.mid', readFileSync(originals[0]).subarray(0, 14), mustFail);
    mkdirSync(path.join(bad, 'bad.mid'));
    mustFail.add(path.join(bad, 'bad.mid'));
    writeFileSync(path.join(bad, 'notes.txt'), 'ignored');
    expect(mustFail.size + mayFail.size + salvageable.size).toBeGreaterThanOrEqual(200);

    const t0 = performance.now();
    const report = await importPaths(library, [bad], { corpusName: 'Damaged' });
    expect(performance.now() - t0).toBeLessThan(20_000);

    const failedByPath = new Map(report.failed.map((f) => [f.path, f]));
    expect(failedByPath.size).toBe(report.failed.length); // each file reported once
    const allowed: ImportFailureCode[] = [
      'MIDI_EMPTY',
      'MIDI_NOT_MIDI',
      'MIDI_TRUNCATED',
      'MIDI_SMPTE',
      'MIDI_NO_NOTES',
      'MIDI_UNREADABLE',
      'NOT_A_FILE',
      'MELODY_EMPTY',
    ];
    for (const p of mustFail) {
      const failure = failedByPath.get(p);
      expect(failure, `${p} should be reported`).toBeDefined();
      expect(allowed).toContain(failure!.code);
      expect(failure!.reason.length).toBeGreaterThan(10);
    }
    expect(failedByPath.get(path.join(bad, 'empty.mid'))!.code).toBe('MIDI_EMPTY');
    expect(failedByPath.get(path.join(bad, 'bad.mid'))!.code).toBe('NOT_A_FILE');
    expect(failedByPath.get(path.join(bad, 'random-3.mid'))!.code).toBe('MIDI_NOT_MIDI');
    for (const p of good) expect(failedByPath.has(p), `${p} is a good file`).toBe(false);
    const warnedByPath = new Map(report.warnings.map((w) => [w.path, w]));
    let salvaged = 0;
    for (const p of salvageable) {
      const warning = warnedByPath.get(p);
      if (warning) {
        salvaged++;
        expect(warning.code).toBe('MIDI_TRUNCATED');
        expect(warning.message.startsWith(`${p}: the file was cut short`)).toBe(true);
        expect(failedByPath.has(p)).toBe(false);
      } else expect(failedByPath.get(p)?.code, `${p} is salvaged or refused as cut short`).toBe('MIDI_TRUNCATED');
    }
    expect(salvaged).toBeGreaterThan(salvageable.size / 2);
    for (const w of report.warnings) expect(salvageable.has(w.path), `${w.path} warned`).toBe(true);
    const names = new Set(library.pieces.listPieces(report.corpus.id).map((p) => p.name));
    for (const p of good) expect(names.has(path.basename(p, '.mid'))).toBe(true);
    // Every file accounted for exactly once: imported, duplicate or failed.
    const midiFiles = mustFail.size + mayFail.size + salvageable.size + good.size - 1; // bad.mid is a folder
    expect(report.files).toBe(midiFiles);
    expect(report.imported + report.duplicates + report.failed.length).toBe(midiFiles + 1);
    expect(report.ignoredFiles).toBe(1);
  });

  it('survives a symbolic link loop and imports a folder reached twice only once', async () => {
    const looped = path.join(dir, 'looped');
    mkdirSync(path.join(looped, 'inner'), { recursive: true });
    writeFileSync(
      path.join(looped, 'inner', 'tune.mid'),
      readFileSync(path.join(seedMelodies, 'waltzing-matilda.mid')),
    );
    symlinkSync(looped, path.join(looped, 'inner', 'back-up'));
    const t0 = performance.now();
    const report = await importPaths(library, [looped, looped], { corpusName: 'Looped' });
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(report.files).toBe(1);
    expect(report.imported).toBe(1);
    expect(report.failed).toEqual([]);
  });

  it('reports named paths that do not exist or are not importable; ignores other files in folders', async () => {
    const mixed = path.join(dir, 'mixed');
    mkdirSync(mixed);
    writeFileSync(path.join(mixed, 'readme.txt'), 'hello');
    writeFileSync(path.join(mixed, 'TUNE.MID'), readFileSync(path.join(seedMelodies, 'waltzing-matilda.mid')));
    const report = await importPaths(library, [path.join(dir, 'nope'), path.join(mixed, 'readme.txt'), mixed], {
      corpusName: 'Mixed',
    });
    expect(report.failed.map((f) => [path.basename(f.path), f.code])).toEqual([
      ['nope', 'NOT_FOUND'],
      ['readme.txt', 'UNSUPPORTED_FILE'],
    ]);
    expect(report.imported).toBe(1);
    expect(report.ignoredFiles).toBe(1);
    expect(library.pieces.listPieces(report.corpus.id)[0].name).toBe('TUNE');
  });

  it('piano-roll JSON: one piece per split piece, split kept, top-voice melody at sixteenths', async () => {
    const folder = path.join(dir, 'rolls');
    mkdirSync(folder);
    const frames = [[60, 64], [60, 64], [], [55, 62]];
    // The resolution is stated by the file or by the user, never read off the name.
    writeFileSync(
      path.join(folder, 'tiny-16th.json'),
      JSON.stringify({ stepsPerQuarter: 4, train: [frames], valid: [[[70]]], test: [] }),
    );
    writeFileSync(path.join(folder, 'other.json'), JSON.stringify({ hello: 'world' }));
    writeFileSync(path.join(folder, 'broken.json'), '{"train": [');
    writeFileSync(path.join(folder, 'unstated-16th.json'), JSON.stringify({ train: [frames] }));
    const report = await importPaths(library, [folder], { corpusName: 'Rolls' });
    expect(report.failed.map((f) => [path.basename(f.path), f.code]).sort()).toEqual([
      ['broken.json', 'JSON_INVALID'],
      ['other.json', 'JSON_UNKNOWN_LAYOUT'],
      ['unstated-16th.json', 'JSON_RESOLUTION_MISSING'],
    ]);
    expect(report.failed.find((f) => f.code === 'JSON_RESOLUTION_MISSING')!.reason).toMatch(
      /etude import --steps-per-quarter N, or the Library's "JSON piano-roll frames" choice.*or add "stepsPerQuarter": N to the file/,
    );
    const quarter = path.join(dir, 'rolls-quarter');
    mkdirSync(quarter);
    writeFileSync(path.join(quarter, 'tiny-quarter.json'), JSON.stringify({ train: [frames] }));
    writeFileSync(path.join(quarter, 'says-16th.json'), JSON.stringify({ stepsPerQuarter: 4, train: [[[72]]] }));
    const stated = await importPaths(library, [quarter], { corpusName: 'Rolls', stepsPerQuarter: 1 });
    expect(stated.failed.map((f) => [path.basename(f.path), f.code])).toEqual([
      ['says-16th.json', 'JSON_RESOLUTION_CONFLICT'],
    ]);
    const rows = library.pieces.getMelodyTokens(report.corpus.id);
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect(Array.from(byName.get('tiny-16th train 1')!.tokens)).toEqual([64, 129, 128, 62, 128]);
    expect(byName.get('tiny-16th valid 1')!.split).toBe('valid');
    expect(Array.from(byName.get('tiny-quarter train 1')!.tokens)).toEqual([
      64, 129, 129, 129, 129, 129, 129, 129, 128, 129, 129, 129, 62, 129, 129, 129, 128,
    ]);
    const piece = library.pieces.getPiece(byName.get('tiny-16th train 1')!.pieceId)!;
    expect(piece.format).toBe('pianoroll-json');
    expect(piece.pianoRollFrames).toEqual(frames);
    expect(piece.noteCount).toBe(4); // 60 and 64 held two frames, then 55 and 62
  });

  it('top voice re-strikes a repeated top note and follows the top when it changes', () => {
    const roll = pianoRollFromFrameLists([[60], [60], [], [60], [48, 67], [48]], 4);
    expect(topVoiceTokens(roll)).toEqual([60, 129, 128, 60, 67, 48, 128]);
  });

  it('cancels between files: throws ImportCancelledError, keeps what was committed', async () => {
    const controller = new AbortController();
    let seen = 0;
    const promise = importPaths(library, [nottingham], {
      corpusName: 'Cancelled',
      signal: controller.signal,
      batchSize: 50,
      onProgress: (p) => {
        if (p.phase === 'importing' && ++seen === 2) controller.abort();
      },
    });
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportCancelledError);
    const report = (error as ImportCancelledError).report;
    const total = listMidiFiles(nottingham).length;
    expect(report.imported).toBeLessThan(total);
    expect(library.pieces.countPieces(report.corpus.id)).toBe(report.imported);
  });

  it('worker threads and the in-thread path store identical pieces in the same order', async () => {
    const folder = path.join(nottingham, 'melody');
    const threaded = await importPaths(library, [folder], { corpusName: 'Threaded', workers: 2 });
    const inline = await importPaths(library, [folder], { corpusName: 'Inline', workers: 0 });
    expect(threaded.failed).toEqual(inline.failed);
    expect(threaded.imported).toBe(inline.imported);
    const strip = (rows: { name: string; tokens: Uint8Array }[]) =>
      rows.map((r) => [r.name, Array.from(r.tokens).join(',')]);
    expect(strip(library.pieces.getMelodyTokens(threaded.corpus.id))).toEqual(
      strip(library.pieces.getMelodyTokens(inline.corpus.id)),
    );
    const a = library.pieces.listPieces(threaded.corpus.id, { limit: 5 });
    const b = library.pieces.listPieces(inline.corpus.id, { limit: 5 });
    expect(a.map((p) => [p.name, p.contentHash, p.noteCount])).toEqual(
      b.map((p) => [p.name, p.contentHash, p.noteCount]),
    );
    expect(library.pieces.getPiece(a[0].id)!.sequence).toEqual(library.pieces.getPiece(b[0].id)!.sequence);
  });

  it('pieces land in the file order of a sorted walk', () => {
    const corpus = library.corpora.requireCorpusByName('Nottingham');
    const names = library.pieces.listPieces(corpus.id, { limit: 3 }).map((p) => p.name);
    const top = readdirSync(nottingham)
      .filter((n) => statSync(path.join(nottingham, n)).isFile() && n.endsWith('.mid'))
      .sort()
      .slice(0, 3)
      .map((n) => n.replace(/\.mid$/, ''));
    expect(names).toEqual(top);
  });
});
