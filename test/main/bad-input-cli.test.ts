// SPDX-License-Identifier: MIT
// Issue 14, "Bad input everywhere": CLI arguments. For every command: unknown flags, missing values, words where a
// number goes, zero, negative, NaN, huge and fractional numbers, impossible keys, ranges and meters. Each must exit 2
// with exactly one line on stderr, "etude: ...", naming the flag and what it accepts, no stack trace, nothing on
// stdout, and the data folder exactly as it was. The bulk runs through the CLI's own entry (main(), in this process:
// a spawn costs ~1 s); a handful run the real bin/etude.mjs.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/etude';
import { openLibrary } from '../../src/main/db';
import { libraryFileFingerprint } from './helpers/libraryFingerprint';
import { seedMelodyPieces } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shim = path.join(repoRoot, 'bin/etude.mjs');
const midi = path.resolve(repoRoot, '../shared/data/seed-melodies/waltzing-matilda.mid');

/** [args after --data-dir DIR, what the one stderr line must say]. */
type Case = [string[], RegExp];

/** `--flag value` for each value, all refused with `message`. */
const each = (base: string[], flag: string, values: string[], message: RegExp): Case[] =>
  values.map((value) => [
    [...base, ...(value.startsWith('-') ? [`--${flag}=${value}`] : [`--${flag}`, value])],
    message,
  ]);
/** `--flag -3`: parseArgs reads -3 as a flag. */
const dashed = (command: string, flag: string) =>
  new RegExp(`^etude: ${command}: --${flag} needs a value; a value starting with a dash is written --${flag}=VALUE`);
const range = (command: string, flag: string, integer: boolean, lo: string, hi: string) =>
  new RegExp(
    `^etude: ${command}: --${flag} must be ${integer ? 'an integer' : 'a number'} within \\[${lo}, ${hi}\\], got "[^"]*"; see etude ${command} --help$`,
  );
const NOT_NUMBERS = ['NaN', 'abc', '', ' ', 'Infinity', '-Infinity', '1e400'];

const TRAIN = ['train', 'Existing', '--model', 'fresh'];
const GENERATE = ['generate', 'default', '--out', 'OUT'];
const COMPOSE = ['compose', midi, '--out', 'OUT'];
const EVALUATE = ['evaluate', 'default', '--out', 'OUT'];

const CASES: Case[] = [
  // global
  [['--bogus', 'corpora'], /^etude: unknown flag "--bogus" before the command; see etude --help$/],
  [
    ['--data-dri', 'X', 'corpora'],
    /^etude: unknown flag "--data-dri" before the command \(did you mean --data-dir\?\); see etude --help$/,
  ],
  [['frobnicate'], /^etude: unknown command "frobnicate"; commands: import, /],
  [['gnerate'], /^etude: unknown command "gnerate" \(did you mean generate\?\); commands: import, /],
  [
    [...GENERATE, '--seed', '3'],
    /^etude: generate: Unknown option '--seed' \(did you mean --random-seed or --seed-notes\?\); see etude generate --help$/,
  ],
  [
    [...GENERATE, '--tempratur', '1.1'],
    /^etude: generate: Unknown option '--tempratur' \(did you mean --temperature\?\);/,
  ],
  // import
  [['import'], /^etude: import: name at least one file or folder to import; see etude import --help$/],
  [['import', midi], /^etude: import: --corpus NAME is required/],
  [['import', midi, '--corpus'], /^etude: import: Option '-c, --corpus <value>' argument missing/],
  [['import', midi, '--corpus', 'X', '--bogus'], /^etude: import: Unknown option '--bogus'/],
  [
    ['import', midi, '--corpus', 'X', '--melody', 'loudest'],
    /--melody must be one of first-part, most-notes, merged, got "loudest"/,
  ],
  // corpora
  [['corpora', 'frobnicate'], /^etude: corpora: unknown action "frobnicate" \(rename, delete, or nothing to list\)/],
  [['corpora', 'delete', 'Existing'], /this removes "Existing" and all its pieces; add --yes to confirm/],
  [['corpora', 'rename', 'Existing'], /^etude: corpora rename: give the old and the new name/],
  [['corpora', '--limit', '3'], /^etude: corpora: Unknown option '--limit'/],
  // pieces
  [['pieces'], /^etude: pieces: name exactly one corpus/],
  ...each(
    ['pieces', 'Existing'],
    'limit',
    ['0', '-3', '1.5', '1e9', ...NOT_NUMBERS],
    range('pieces', 'limit', true, '1', '1000000'),
  ),
  ...each(
    ['pieces', 'Existing'],
    'offset',
    ['-1', '0.5', ...NOT_NUMBERS],
    range('pieces', 'offset', true, '0', '1000000000'),
  ),
  [['pieces', 'Existing', '--limit', '-3'], dashed('pieces', 'limit')],
  [['pieces', 'Existing', '--limit'], /^etude: pieces: Option '--limit <value>' argument missing/],
  // stats
  [['stats'], /^etude: stats: name exactly one corpus/],
  [['stats', 'Existing', '--svg'], /^etude: stats: Option '--svg <value>' argument missing/],
  [['stats', 'Existing', '--bins', '4'], /^etude: stats: Unknown option '--bins'/],
  // export
  [['export', 'Existing', 'm0', '--format', 'wav'], /^etude: export: --format must be midi or musicxml, got: wav/],
  [
    ['export', 'Existing', 'm0', '--format', 'musicxml', '--staves', 'three'],
    /--staves must be auto, one, grand, got: three/,
  ],
  [
    ['export', 'Existing', 'm0', '--format', 'musicxml', '--chords', 'guess'],
    /--chords must be detect or none, got: guess/,
  ],
  [['export', 'Existing', 'm0', '--staves', 'one'], /--staves and --chords apply to --format musicxml only/],
  ...each(
    ['export'],
    'generation',
    ['abc', '0', '-1', '1.5', ''],
    /^etude: export: --generation takes a generation number, got: /,
  ),
  [['export', 'Existing'], /^etude: export: give a corpus and a piece/],
  // train
  [['train'], /^etude: train: name exactly one corpus to train on/],
  [['train', 'Existing'], /^etude: train: --model NAME is required/],
  ...each(TRAIN, 'epochs', ['0', '-1', '1e9', '1.5', ...NOT_NUMBERS], range('train', 'epochs', true, '1', '1000')),
  ...each(TRAIN, 'hidden', ['0', '-5', '1e9', '2.5', 'NaN'], range('train', 'hidden', true, '1', '2048')),
  ...each(TRAIN, 'embedding', ['0', '5000', ''], range('train', 'embedding', true, '1', '2048')),
  ...each(TRAIN, 'layers', ['0', '5', '1e9', 'NaN'], range('train', 'layers', true, '1', '4')),
  ...each(TRAIN, 'dropout', ['-0.1', '1', 'NaN', ''], range('train', 'dropout', false, '0', '0.9')),
  ...each(TRAIN, 'window', ['0', '1000', '-1'], range('train', 'window', true, '1', '512')),
  ...each(TRAIN, 'batch', ['0', '100000', '1.5'], range('train', 'batch', true, '1', '4096')),
  ...each(TRAIN, 'lr', ['0', '-1', 'NaN', '2', ''], range('train', 'lr', false, '0.000001', '1')),
  ...each(TRAIN, 'seed', ['-1', '1.5', '4294967296', ''], range('train', 'seed', true, '0', '4294967295')),
  ...each(TRAIN, 'threads', ['0', '100', ''], range('train', 'threads', true, '1', '64')),
  ...each(TRAIN, 'repeat-context', ['-1', '65', '2.5', ''], range('train', 'repeat-context', true, '0', '64')),
  ...each(TRAIN, 'weight-decay', ['-0.01', '2', 'NaN', ''], range('train', 'weight-decay', false, '0', '1')),
  ...each(
    TRAIN,
    'velocity-bins',
    ['0', '1', '500', '2.5', 'abc', ''],
    /^etude: train: --velocity-bins must be a whole number within \[2, 64\] \(the loudness levels a model learns; --velocity alone uses 8\), got "[^"]*"; see etude train --help$/,
  ),
  ...each(
    TRAIN,
    'average-decay',
    ['0', '1', '-0.5', '1.5', 'half', ''],
    /^etude: train: --average-decay must be a number above 0 and below 1 \(how much of the average each epoch keeps; 0\.5 is a good start\), got "[^"]*"; see etude train --help$/,
  ),
  [[...TRAIN, '--epochs', '-1'], dashed('train', 'epochs')],
  [[...TRAIN, '--engine', 'cuda'], /^etude: train: --engine must be one of auto, .*, got "cuda"/],
  [[...TRAIN, '--loss', 'focal'], /^etude: train: --loss must be bce or weighted, got "focal"/],
  [[...TRAIN, '--lr-schedule', 'cosine'], /^etude: train: --lr-schedule must be constant or anneal, got "cosine"/],
  [[...TRAIN, '--on-weight', '3'], /^etude: train: --on-weight weighs the weighted loss; add --loss weighted/],
  [[...TRAIN, '--resume', '--hidden', '64'], /^etude: train: --resume keeps the model's shape/],
  [[...TRAIN, '--epochs'], /^etude: train: Option '--epochs <value>' argument missing/],
  [[...TRAIN, '--epoch', '3'], /^etude: train: Unknown option '--epoch'/],
  // generate (and the flags compose shares)
  [['generate'], /^etude: generate: name exactly one model/],
  ...each(GENERATE, 'bars', ['0', '-3', '1e9', '1.5', ...NOT_NUMBERS], range('generate', 'bars', true, '1', '256')),
  ...each(
    GENERATE,
    'temperature',
    ['0', '-1', '6', ...NOT_NUMBERS],
    range('generate', 'temperature', false, '0.05', '5'),
  ),
  ...each(GENERATE, 'variations', ['0', '100000', '2.5'], range('generate', 'variations', true, '1', '1000')),
  ...each(GENERATE, 'random-seed', ['-1', '4294967296', ''], range('generate', 'random-seed', true, '0', '4294967295')),
  ...each(GENERATE, 'bpm', ['0', '1000', 'NaN', ''], range('generate', 'bpm', false, '4', '400')),
  ...each(GENERATE, 'strictness', ['2', '-1', 'NaN', ''], range('generate', 'strictness', false, '0', '1')),
  ...each(GENERATE, 'humanise', ['2', '-0.5', ''], range('generate', 'humanise', false, '0', '1')),
  [[...GENERATE, '--bars', '-3'], dashed('generate', 'bars')],
  [[...GENERATE, '--temperature', '-1'], dashed('generate', 'temperature')],
  [[...GENERATE, '--key', 'H major'], /^etude: generate: --key: "H major" is not a key: write a tonic A-G/],
  [[...GENERATE, '--key', 'C ionian-ish'], /^etude: generate: --key: "C ionian-ish" is not a key/],
  [[...GENERATE, '--key', ''], /^etude: generate: --key: give a key such as "D minor"/],
  [[...GENERATE, '--range', 'C6-C3'], /^etude: generate: --range: "C6-C3": the low pitch C6 is above C3/],
  [[...GENERATE, '--range', 'low-high'], /^etude: generate: --range: "low" is not a pitch/],
  [[...GENERATE, '--range', 'C4'], /^etude: generate: --range: "C4" is not a range: write LOW-HIGH/],
  [[...GENERATE, '--range', '0-200'], /^etude: generate: --range: pitch number must be within \[0, 127\], got: 200/],
  [
    [...GENERATE, '--meter', '7/3'],
    /^etude: generate: --meter: "7\/3": the meter's denominator must be 1, 2, 4, 8 or 16/,
  ],
  [[...GENERATE, '--meter', 'waltz'], /^etude: generate: --meter: "waltz" is not a meter: write e\.g\. 3\/4 or 6\/8/],
  [[...GENERATE, '--meter', '0/4'], /^etude: generate: --meter: /],
  [[...GENERATE, '--seed-notes', 'H9'], /^etude: generate: --seed-notes: "H9" is not a pitch/],
  [
    [...GENERATE, '--seed-notes', '200'],
    /^etude: generate: --seed-notes: pitch number must be within \[0, 127\], got: 200/,
  ],
  [[...GENERATE, '--seed-notes', ''], /^etude: generate: --seed-notes: "" is not a pitch/],
  [
    [...GENERATE, '--seed-notes', 'no-such-clip.mid'],
    /^etude: generate: --seed-notes: The seed MIDI file .*no-such-clip\.mid does not exist/,
  ],
  [
    [...GENERATE, '--continue', 'no-such-clip.mid'],
    /^etude: generate: --continue: The seed MIDI file .*no-such-clip\.mid does not exist/,
  ],
  [[...GENERATE, '--continue', 'C4'], /^etude: generate: --continue needs a \.mid file, got "C4"/],
  [[...GENERATE, '--append'], /^etude: generate: --append needs --continue CLIP\.mid/],
  [[...GENERATE, '--engine', 'gpu'], /^etude: generate: --engine must be one of auto, .*, got "gpu"/],
  [[...GENERATE, '--temperature'], /^etude: generate: Option '--temperature <value>' argument missing/],
  // compose
  [['compose'], /^etude: compose: name at least one MIDI file or folder/],
  ...each(COMPOSE, 'epochs', ['0', '-2', '1e9', 'NaN', ''], range('compose', 'epochs', true, '1', '1000')),
  ...each(COMPOSE, 'threads', ['0', '65'], range('compose', 'threads', true, '1', '64')),
  ...each(COMPOSE, 'bars', ['0', '1e9'], range('compose', 'bars', true, '1', '256')),
  ...each(COMPOSE, 'variations', ['100000'], range('compose', 'variations', true, '1', '1000')),
  [[...COMPOSE, '--key', 'H major'], /^etude: compose: --key: "H major" is not a key/],
  [
    [...COMPOSE, '--continue', midi],
    /^etude: compose: to continue a clip, use `etude generate MODEL --continue CLIP\.mid`/,
  ],
  [[...COMPOSE, '--engine', 'tpu'], /^etude: compose: --engine must be one of/],
  // evaluate
  [['evaluate'], /^etude: evaluate: name exactly one model/],
  ...each(EVALUATE, 'takes', ['0', '1000', 'NaN'], range('evaluate', 'takes', true, '1', '256')),
  ...each(EVALUATE, 'bars', ['1', '300', ''], range('evaluate', 'bars', true, '2', '256')),
  ...each(EVALUATE, 'temperature', ['0', 'NaN'], range('evaluate', 'temperature', false, '0.05', '5')),
  ...each(EVALUATE, 'random-seed', ['-1'], range('evaluate', 'random-seed', true, '0', '4294967295')),
  [[...EVALUATE, '--seed-notes', 'C4,H9'], /^etude: evaluate: --seed-notes: "H9" is not a pitch/],
  [[...EVALUATE, '--engine', 'x'], /^etude: evaluate: --engine must be one of/],
  // models
  [['models', 'frobnicate'], /^etude: models: unknown action "frobnicate"/],
  [['models', 'delete'], /^etude: models delete: give one model name/],
  [['models', 'rename', 'a'], /^etude: models rename: give the old and the new name/],
  [['models', 'export'], /^etude: models export: name exactly one model/],
  [['models', 'import'], /^etude: models import: name exactly one model file/],
  [['models', 'import', 'no-such.etude-model'], /^etude: models import: .*no-such\.etude-model does not exist/],
  [['models', '--bogus'], /^etude: models: Unknown option '--bogus'/],
];

let work: string;
let dataDir: string;
let outDir: string;

/** Every file of the data folder with its size and modification time. */
function folderState(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      const info = statSync(file);
      return `${path.relative(folder, file)} ${info.size} ${info.mtimeMs}`;
    })
    .sort();
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'etude-bad-cli-'));
  dataDir = path.join(work, 'data');
  outDir = path.join(work, 'out');
  mkdirSync(dataDir);
  const library = openLibrary(path.join(dataDir, 'library.db'), { onSlowQuery: () => {} });
  library.pieces.insertPieces(library.corpora.createCorpus('Existing').id, seedMelodyPieces(5, 64));
  library.close();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const withOut = (args: string[]) => args.map((a) => (a === 'OUT' ? outDir : a));

/** Runs the CLI entry in this process; what it wrote to stdout and stderr. */
async function runInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['--data-dir', dataDir, ...withOut(args)]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function expectOneUsageLine(
  r: { code: number | null; stdout: string; stderr: string },
  message: RegExp,
  label: string,
) {
  expect(r.code, `${label}\n${r.stderr}`).toBe(2);
  const lines = r.stderr.split('\n').filter((line) => line !== '');
  expect(lines, label).toHaveLength(1);
  expect(lines[0], label).toMatch(message);
  expect(lines[0], label).toMatch(/^etude: /);
  expect(r.stderr, label).not.toMatch(/\bat .*:\d+:\d+|Error:/);
  expect(r.stdout, label).toBe('');
}

describe('bad CLI arguments', () => {
  it(`${CASES.length} bad command lines through the CLI entry: exit 2, one line naming the flag, nothing touched`, async () => {
    const library = path.join(dataDir, 'library.db');
    const fingerprint = libraryFileFingerprint(library);
    const files = folderState(dataDir);
    for (const [args, message] of CASES) {
      const r = await runInProcess(args);
      expectOneUsageLine(r, message, withOut(args).join(' '));
    }
    // The folder first: reading the fingerprint opens the file (and touches its -shm).
    expect(folderState(dataDir)).toEqual(files);
    expect(libraryFileFingerprint(library)).toBe(fingerprint);
    expect(() => readdirSync(outDir)).toThrow(/ENOENT/); // no take was written
  });

  it('the real etude (bin/etude.mjs) says the same, in one line, without a stack trace', async () => {
    const spawned: Case[] = [
      [['train', 'Existing', '--model', 'm', '--hidden', '1000000000'], range('train', 'hidden', true, '1', '2048')],
      [['generate', 'default', '--bars', '0'], range('generate', 'bars', true, '1', '256')],
      [['generate', 'default', '--key', 'H major'], /^etude: generate: --key: "H major" is not a key/],
      [['pieces', 'Existing', '--limit', 'NaN'], range('pieces', 'limit', true, '1', '1000000')],
      [['import', midi, '--corpus'], /^etude: import: Option '-c, --corpus <value>' argument missing/],
    ];
    const global: Case[] = [
      [['--data-dir=', 'corpora'], /^etude: --data-dir needs a folder/],
      [['--data-dir', '', 'corpora'], /^etude: --data-dir needs a folder/],
    ];
    const fingerprint = libraryFileFingerprint(path.join(dataDir, 'library.db'));
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        // ETUDE_DATA_DIR: where a refused --data-dir would otherwise fall back to (it must stay absent).
        const env = { ...process.env, ETUDE_DEBUG: '', ETUDE_DATA_DIR: path.join(work, 'fallback-data') };
        const child = spawn(process.execPath, [shim, ...args], { cwd: work, env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const all = [...spawned.map(([a, m]): Case => [['--data-dir', dataDir, ...a], m]), ...global];
    const results = await Promise.all(all.map(([args]) => run(args)));
    all.forEach(([args, message], i) => expectOneUsageLine(results[i], message, args.join(' ')));
    expect(libraryFileFingerprint(path.join(dataDir, 'library.db'))).toBe(fingerprint);
    expect(readdirSync(work).sort()).toEqual(['data']); // no library opened or created in the working folder
  }, 60_000);
});
