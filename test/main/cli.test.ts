// SPDX-License-Identifier: MIT
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibrary } from '../../src/main/db';
import { tokenMelodyPiece } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataRoot = path.resolve(repoRoot, '../shared/data');
const shim = path.join(repoRoot, 'bin/etude.mjs');

let work: string;
let dataDir: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'etude-cli-'));
  dataDir = path.join(work, 'data');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Same, without blocking, so independent invocations overlap (each pays tsx's start-up). */
function etudeAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [shim, ...args], { cwd: work, env: { ...process.env, ETUDE_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the real shim from a folder outside the repo, as a user would. */
function etude(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [shim, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, ETUDE_DEBUG: '', ...env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('etude CLI (bin/etude.mjs as a child process)', () => {
  it('--version and --help', () => {
    const v = etude(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^etude \d+\.\d+\.\d+/);
    const h = etude(['--help']);
    expect(h.code).toBe(0);
    for (const name of ['import', 'corpora', 'pieces', 'stats', 'export']) expect(h.stdout).toContain(name);
    const ih = etude(['import', '--help']);
    expect(ih.code).toBe(0);
    expect(ih.stdout).toContain('--corpus');
  });

  it('import -> corpora -> stats (SVG) -> export, against a temp --data-dir', () => {
    const imp = etude(['--data-dir', dataDir, 'import', path.join(dataRoot, 'seed-melodies'), '--corpus', 'Seeds']);
    expect(imp.stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)/); // no stack trace
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/Imported into "Seeds": \d+ imported, \d+ duplicates, 0 failed/);
    expect(existsSync(path.join(dataDir, 'library.db'))).toBe(true);

    // Non-TTY: plain progress lines, no carriage returns.
    expect(imp.stderr).not.toContain('\r');

    const again = etude(['--data-dir', dataDir, 'import', path.join(dataRoot, 'seed-melodies'), '--corpus', 'seeds']);
    expect(again.stdout).toMatch(/: 0 imported, 187 duplicates, 0 failed/);

    const list = etude(['--data-dir', dataDir, 'corpora', '--json']);
    expect(list.code).toBe(0);
    const corpora = JSON.parse(list.stdout) as { name: string; pieces: number }[];
    expect(corpora).toHaveLength(1);
    expect(corpora[0].name).toBe('Seeds');
    expect(corpora[0].pieces).toBeGreaterThan(150);
    const table = etude(['--data-dir', dataDir, 'corpora']);
    expect(table.stdout).toMatch(/Seeds\s+\d+\s+\d+/);

    const stats = etude(['--data-dir', dataDir, 'stats', 'Seeds']);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain('pitch range');
    expect(stats.stdout).toMatch(/no event\s+\d+ #+/);
    const svgPath = path.join(work, 'Seeds-histogram.svg');
    expect(existsSync(svgPath)).toBe(true);
    // Valid XML with bars, checked by an independent parser.
    const bars = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        "import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); print(sum(1 for x in r.iter('{http://www.w3.org/2000/svg}rect') if x.get('class')=='bar'))",
        svgPath,
      ],
      { encoding: 'utf8' },
    );
    expect(Number(bars)).toBeGreaterThan(20);

    const pieces = JSON.parse(etude(['--data-dir', dataDir, 'pieces', 'Seeds', '--json', '--limit', '500']).stdout) as {
      id: number;
      name: string;
    }[];
    expect(pieces.length).toBe(corpora[0].pieces);
    const matilda = pieces.find((p) => p.name === 'waltzing-matilda');
    expect(matilda).toBeDefined();
    const byId = etude([
      '--data-dir',
      dataDir,
      'export',
      'Seeds',
      String(matilda!.id),
      '--out',
      path.join(work, 'by-id.mid'),
    ]);
    expect(byId.code).toBe(0);

    const out = path.join(work, 'matilda.mid');
    const exp = etude(['--data-dir', dataDir, 'export', 'Seeds', 'waltzing-matilda', '--out', out]);
    expect(exp.code).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString('latin1')).toBe('MThd');
    const notes = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        "import sys,mido; print(sum(1 for t in mido.MidiFile(sys.argv[1]).tracks for m in t if m.type=='note_on' and m.velocity>0))",
        out,
      ],
      {
        encoding: 'utf8',
      },
    );
    const originalNotes = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        "import sys,mido; print(sum(1 for t in mido.MidiFile(sys.argv[1]).tracks for m in t if m.type=='note_on' and m.velocity>0))",
        path.join(dataRoot, 'seed-melodies/waltzing-matilda.mid'),
      ],
      { encoding: 'utf8' },
    );
    expect(Number(notes)).toBeGreaterThan(5);
    expect(Number(notes)).toBe(Number(originalNotes));
  });

  it('corpora rename and delete (delete needs --yes)', () => {
    const d = path.join(work, 'manage');
    // Seed the library in-process (each CLI run costs a Node + tsx start-up).
    mkdirSync(d);
    const seeded = openLibrary(path.join(d, 'library.db'));
    const corpus = seeded.corpora.createCorpus('A');
    seeded.pieces.insertPieces(corpus.id, [tokenMelodyPiece('p', 'h', [60, 128])]);
    seeded.close();
    expect(etude(['--data-dir', d, 'corpora', 'rename', 'A', 'B']).stdout).toContain('renamed "A" to "B"');
    const refused = etude(['--data-dir', d, 'corpora', 'delete', 'B']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/add --yes/);
    expect(etude(['--data-dir', d, 'corpora', 'delete', 'B', '--yes']).stdout).toContain('deleted "B" (1 pieces)');
    expect(JSON.parse(etude(['--data-dir', d, 'corpora', '--json']).stdout)).toEqual([]);
  });

  it('ETUDE_DATA_DIR is honoured when no flag is given', () => {
    const envDir = path.join(work, 'env-data');
    const r = etude(['corpora'], { ETUDE_DATA_DIR: envDir });
    expect(r.code).toBe(0);
    expect(existsSync(path.join(envDir, 'library.db'))).toBe(true);
  });

  it('errors are one line on stderr with exit code 1 or 2, never a stack trace', async () => {
    const cases: [string[], number, RegExp][] = [
      [['frobnicate'], 2, /unknown command "frobnicate"/],
      [['--data-dir', dataDir, 'import'], 2, /name at least one file or folder/],
      [['--data-dir', dataDir, 'import', work], 2, /--corpus NAME is required/],
      [['--data-dir', dataDir, 'import', work, '--corpus', 'x', '--bogus'], 2, /Unknown option '--bogus'/],
      [['--data-dir', dataDir, 'stats', 'NoSuchCorpus'], 1, /No corpus named "NoSuchCorpus"/],
      [
        ['--data-dir', dataDir, 'export', 'Seeds', 'no such piece', '--out', 'x.mid'],
        1,
        /No piece named "no such piece"/,
      ],
      [['--data-dir', path.join(repoRoot, 'package.json'), 'corpora'], 1, /data folder/],
    ];
    const results = await Promise.all(cases.map(([args]) => etudeAsync(args)));
    for (const [i, [args, code, message]] of cases.entries()) {
      const r = results[i];
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses a foreign file as library without touching it', () => {
    const foreignDir = path.join(work, 'foreign');
    mkdirSync(foreignDir);
    const db = path.join(foreignDir, 'library.db');
    execFileSync('/usr/bin/python3', ['-c', `open(${JSON.stringify(db)}, 'w').write('not a database at all ' * 20)`]);
    const before = readFileSync(db);
    const r = etude(['--data-dir', foreignDir, 'corpora']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not an Etude library/);
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('Ctrl-C (SIGINT) cancels an import cleanly: exit 130, summary printed, pieces so far kept', async () => {
    const child = spawn(
      process.execPath,
      [
        shim,
        '--data-dir',
        path.join(work, 'sigint'),
        'import',
        path.join(dataRoot, 'nottingham/MIDI'),
        '--corpus',
        'N',
      ],
      {
        cwd: work,
        env: { ...process.env, ETUDE_DEBUG: '' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Interrupt once the import is under way.
      if (/importing \d+\/\d+/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    const kept = Number(/Cancelled; kept in "N": (\d+) imported/.exec(stdout)?.[1]);
    expect(kept).toBeLessThan(3089);
    expect(stderr).not.toMatch(/\n\s+at /);
    // What the summary says was kept is what the library holds.
    const list = JSON.parse(etude(['--data-dir', path.join(work, 'sigint'), 'corpora', '--json']).stdout) as {
      pieces: number;
    }[];
    expect(list[0].pieces).toBe(kept);
  });
});
