// SPDX-License-Identifier: MIT
// Issue 14, "Bad input everywhere": JSON corpora. Each malformed file is refused with one sentence naming the file
// and what is wrong in it, and the library (an existing corpus included) is left exactly as it was, through the
// import service and through `etude import`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAMES_PER_FILE, MAX_FRAMES_PER_PIECE } from '../../src/core/data/jsonCorpora';
import { openLibrary, type Library } from '../../src/main/db';
import { createHandlers, dispatch } from '../../src/main/ipc/handlers';
import { createAppServices } from '../../src/main/services/app';
import { importPaths } from '../../src/main/services/importService';
import { createStudioDoor } from '../../src/studio/exportsDoor';
import { libraryFileFingerprint, libraryFingerprint } from './helpers/libraryFingerprint';
import { seedMelodyPieces } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shim = path.join(repoRoot, 'bin/etude.mjs');

/** A piece of `n` frames whose frame 12 (1-based) holds `pitch`. */
const pieceWith = (pitch: unknown) => Array.from({ length: 12 }, (_, i) => (i === 11 ? [60, pitch] : [60]));
const rollWithBadPitch = (pitch: unknown) => JSON.stringify({ train: [[[60]], [[62]], pieceWith(pitch)] });
const silentFrames = (n: number) => `[${Array.from({ length: n }, () => '[]').join(',')}]`;

/** [file name, contents (null = a folder), failure code, what the reason must say]. */
const CASES: [string, string | null, string, RegExp][] = [
  ['not-json.json', 'this is not JSON at all', 'JSON_INVALID', /not valid JSON/],
  ['empty-file.json', '', 'JSON_INVALID', /not valid JSON/],
  ['python-nan.json', '{"train": [[[NaN]]]}', 'JSON_INVALID', /not valid JSON/],
  ['settings.json', '{"theme": "dark", "volume": 3}', 'JSON_UNKNOWN_LAYOUT', /neither a token-melody list nor/],
  ['bare-list.json', '[1, 2, 3]', 'JSON_UNKNOWN_LAYOUT', /neither a token-melody list nor/],
  ['null.json', 'null', 'JSON_UNKNOWN_LAYOUT', /neither a token-melody list nor/],
  ['split-number.json', '{"train": 5}', 'CORPUS_FORMAT_INVALID', /^"train" is not a list of pieces \(got 5\)/],
  ['split-object.json', '{"valid": {"a": 1}}', 'CORPUS_FORMAT_INVALID', /^"valid" is not a list of pieces/],
  ['first-piece-text.json', '{"train": ["x"]}', 'CORPUS_FORMAT_INVALID', /^train piece 1 is not a list of frames/],
  [
    'later-piece-text.json',
    '{"train": [[[60]]], "test": [[[60]], 7]}',
    'CORPUS_FORMAT_INVALID',
    /^test piece 2 is not a list of frames \(got 7\)/,
  ],
  [
    'frame-number.json',
    '{"valid": [[[60], 61]]}',
    'CORPUS_FORMAT_INVALID',
    /^valid piece 1, frame 2 is not a list of pitches \(got 61\)/,
  ],
  [
    'pitch-200.json',
    rollWithBadPitch(200),
    'CORPUS_FORMAT_INVALID',
    /^train piece 3, frame 12: .*\[0, 127\].*got: 200$/,
  ],
  ['pitch-minus-5.json', rollWithBadPitch(-5), 'CORPUS_FORMAT_INVALID', /^train piece 3, frame 12: .*got: -5$/],
  ['pitch-1.5.json', rollWithBadPitch(1.5), 'CORPUS_FORMAT_INVALID', /^train piece 3, frame 12: .*got: 1\.5$/],
  ['pitch-string.json', rollWithBadPitch('60'), 'CORPUS_FORMAT_INVALID', /^train piece 3, frame 12: .*got: "60"$/],
  ['pitch-null.json', rollWithBadPitch(null), 'CORPUS_FORMAT_INVALID', /^train piece 3, frame 12: .*got: null$/],
  ['pitch-true.json', rollWithBadPitch(true), 'CORPUS_FORMAT_INVALID', /^train piece 3, frame 12: .*got: true$/],
  ['pitch-object.json', rollWithBadPitch({}), 'CORPUS_FORMAT_INVALID', /^train piece 3, frame 12: .*got: \{\}$/],
  [
    'pitch-overflow.json',
    '{"train": [[[60], [1e400]]]}',
    'CORPUS_FORMAT_INVALID',
    /^train piece 1, frame 2: .*got: Infinity$/,
  ],
  ['empty-splits.json', '{"train": [], "valid": [], "test": []}', 'JSON_EMPTY', /holds no pieces/],
  ['empty-melodies.json', '{"melodies": []}', 'JSON_EMPTY', /holds no melodies/],
  ['no-frames.json', '{"train": [[]]}', 'PIECE_EMPTY', /has no frames/],
  ['all-silent.json', '{"train": [[[], [-1, -1], []]]}', 'PIECE_EMPTY', /has no notes \(3 silent frames\)/],
  ['bad-token.json', '{"melodies": [[60, 129], [60, 300]]}', 'CORPUS_FORMAT_INVALID', /^melody 2/],
  [
    'unknown-format.json',
    '{"format": "remi", "melodies": []}',
    'CORPUS_FORMAT_INVALID',
    /unknown melody format "remi"/,
  ],
  [
    'huge-piece.json',
    `{"train": [${silentFrames(MAX_FRAMES_PER_PIECE + 1)}]}`,
    'CORPUS_FORMAT_INVALID',
    new RegExp(
      `^train piece 1 has ${MAX_FRAMES_PER_PIECE + 1} frames; a piece may have at most ${MAX_FRAMES_PER_PIECE}`,
    ),
  ],
  [
    'huge-file.json',
    `{"train": [${Array.from({ length: MAX_FRAMES_PER_FILE / MAX_FRAMES_PER_PIECE + 1 }, () => silentFrames(MAX_FRAMES_PER_PIECE)).join(',')}]}`,
    'CORPUS_FORMAT_INVALID',
    new RegExp(`more than ${MAX_FRAMES_PER_FILE} frames .*split it into several files`),
  ],
  ['folder.json', null, 'NOT_A_FILE', /folder named like a JSON file/],
];

let work: string;
let library: Library;
const files = new Map<string, string>();

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'etude-bad-json-'));
  for (const [name, contents] of CASES) {
    const file = path.join(work, 'corpora', name);
    mkdirSync(path.dirname(file), { recursive: true });
    if (contents === null) {
      mkdirSync(file);
      writeFileSync(path.join(file, 'inside.json'), '{"train": [[[60]]]}');
    } else writeFileSync(file, contents);
    files.set(name, file);
  }
  library = openLibrary(path.join(work, 'library.db'), { onSlowQuery: () => {} });
  const existing = library.corpora.createCorpus('Existing');
  library.pieces.insertPieces(existing.id, seedMelodyPieces(5, 64));
});
afterAll(() => {
  library.close();
  rmSync(work, { recursive: true, force: true });
});

describe('bad JSON corpora', () => {
  const rows = CASES.map(([name, , code, reason]) => ({ name, code, reason }));
  it.each(rows)('$name: refused with $code, the library untouched', async ({ name, code, reason }) => {
    const before = libraryFingerprint(library.db);
    const file = files.get(name)!;
    const report = await importPaths(library, [file], { corpusName: 'Existing' });
    expect(report.imported).toBe(0);
    expect(report.failed, JSON.stringify(report.failed)).toHaveLength(1);
    const [failure] = report.failed;
    expect(failure.code).toBe(code);
    expect(failure.path.startsWith(file)).toBe(true); // the file, or file#item for one piece of it
    expect(failure.reason).toMatch(reason);
    // One sentence: no stack, no repeated path (the path is the failure's own field).
    expect(failure.reason).not.toMatch(/\n|\bat .*:\d+:\d+/);
    expect(failure.reason).not.toContain(work);
    expect(libraryFingerprint(library.db)).toBe(before);
  });

  it('etude import: every bad file named on its own line, exit 1, no stack trace, the library file untouched', () => {
    const dataDir = path.join(work, 'cli-data');
    mkdirSync(dataDir);
    const dbPath = path.join(dataDir, 'library.db');
    const seeded = openLibrary(dbPath, { onSlowQuery: () => {} });
    seeded.pieces.insertPieces(seeded.corpora.createCorpus('Existing').id, seedMelodyPieces(3, 32));
    seeded.close();
    const before = libraryFileFingerprint(dbPath);
    const names = CASES.map(([name]) => name).filter((name) => !name.startsWith('huge')); // the service test has them
    const r = spawnSync(
      process.execPath,
      [shim, '--data-dir', dataDir, 'import', ...names.map((n) => files.get(n)!), '--corpus', 'Existing'],
      { cwd: work, encoding: 'utf8', env: { ...process.env, ETUDE_DEBUG: '' }, timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`"Existing": 0 imported, 0 duplicates, ${names.length} failed`));
    for (const name of names) {
      const lines = r.stdout.split('\n').filter((line) => line.includes(`${path.sep}${name}`));
      expect(lines, name).toHaveLength(1);
      expect(lines[0].split(files.get(name)!).length - 1, `${name}: path said once`).toBe(1);
    }
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |unexpected error/);
    expect(libraryFileFingerprint(dbPath)).toBe(before);
  });

  it('uploaded through the app and studio door (library:importFiles): the same sentences, the library untouched', async () => {
    const dataDir = path.join(work, 'app-data');
    const app = createAppServices({ dataDir, resourcesDir: path.join(work, 'no-resources') });
    try {
      app.library.pieces.insertPieces(app.library.corpora.createCorpus('Existing').id, seedMelodyPieces(3, 32));
      const handlers = createHandlers(app, createStudioDoor(dataDir), { validateResponses: true, logError: () => {} });
      const uploads = CASES.filter(([name, contents]) => contents !== null && !name.startsWith('huge'));
      const before = libraryFingerprint(app.library.db);
      const started = await dispatch(handlers, 'library:importFiles', {
        corpusName: 'Existing',
        files: uploads.map(([name]) => ({
          name,
          relativePath: `corpora/${name}`,
          bytes: readFileSync(files.get(name)!),
        })),
      });
      expect(started.ok, JSON.stringify(started)).toBe(true);
      const job = await app.jobs.wait((started as { value: { jobId: string } }).value.jobId);
      expect(job.status).toBe('done');
      const report = job.result as { imported: number; failed: { name: string; code: string; reason: string }[] };
      expect(report.imported).toBe(0);
      for (const [name, , code, reason] of uploads) {
        const failure = report.failed.find((f) => f.name.startsWith(`corpora/${name}`));
        expect(failure, name).toBeDefined();
        expect(failure!.code, name).toBe(code);
        expect(failure!.reason, name).toMatch(reason);
      }
      expect(report.failed).toHaveLength(uploads.length);
      expect(libraryFingerprint(app.library.db)).toBe(before);
    } finally {
      await app.close();
    }
  });
});
