// SPDX-License-Identifier: MIT
/**
 * MIDI fuzzing through the importer: mutated copies of the real files in ../shared/data (truncations, bit flips,
 * chunk-length edits, inserted / deleted / duplicated byte runs, random bytes) go through the importer's MIDI path
 * (pieceFromMidi, as every import parses a file), and a share of them through importPaths into a temporary library.
 *
 *   node --import tsx scripts/fuzz-midi.ts [--count 10000] [--seed 1] [--import-every 25] [--json]
 *
 * Passes (exit 0) when: no crash (every rejection is one of the importer's coded errors, with a reason, and none is
 * an internal error the parser only wrapped), no file takes over 1 s, every file the library import rejects has a
 * code and a reason, and every file cut short that was salvaged holds exactly the original's notes that end before
 * the cut (the oracle of test/core/midi-salvage.test.ts: the strict parser on the whole file, track by track).
 * Prints the counts per mutation and outcome, and the slowest file.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { EncodingError } from '../src/core/encoding/errors';
import { MidiParseError } from '../src/core/midi/errors';
import { parseMidiSalvaging } from '../src/core/midi/readMidi';
import { readChunks, scanTrack } from '../src/core/midi/smf';
import type { NoteSequence } from '../src/core/music/NoteSequence';
import { createRng } from '../src/core/util/random';
import { openLibrary } from '../src/main/db';
import { importPaths, pieceFromMidi } from '../src/main/services/importService';
import { ImportFileError } from '../src/main/services/import/types';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_DATA_DIR = path.resolve(repoRoot, '../shared/data');
/** A file that takes longer than this to import fails the run. */
export const MAX_FILE_MS = 1000;

export const MUTATIONS = [
  'truncate',
  'bit-flips',
  'chunk-length',
  'insert-run',
  'delete-run',
  'duplicate-run',
  'random-overwrite',
  'random-file',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

type Rng = ReturnType<typeof createRng>;

/** Every .mid file under `dir` (recursively), sorted. */
export function midiFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...midiFilesUnder(full));
    else if (/\.midi?$/i.test(entry)) out.push(full);
  }
  return out.sort();
}

/** Offsets of every chunk's 4-byte length field, as the chunks are laid out. */
function chunkLengthOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    offsets.push(offset + 4);
    const length =
      ((bytes[offset + 4] << 24) | (bytes[offset + 5] << 16) | (bytes[offset + 6] << 8) | bytes[offset + 7]) >>> 0;
    offset += 8 + length;
  }
  return offsets;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A mutated copy of `bytes`; for 'truncate' also where it was cut. */
export function mutate(bytes: Uint8Array, kind: Mutation, rng: Rng): { bytes: Uint8Array; cutAt?: number } {
  const n = bytes.length;
  const runLength = () => 1 + rng.int(Math.max(1, Math.min(64, n >> 2)));
  switch (kind) {
    case 'truncate': {
      const cutAt = rng.int(n);
      return { bytes: bytes.slice(0, cutAt), cutAt };
    }
    case 'bit-flips': {
      const out = bytes.slice();
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips && n > 0; i++) out[rng.int(n)] ^= 1 << rng.int(8);
      return { bytes: out };
    }
    case 'chunk-length': {
      const out = bytes.slice();
      const offsets = chunkLengthOffsets(out);
      if (offsets.length === 0) return { bytes: out };
      const at = offsets[rng.int(offsets.length)];
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const old = view.getUint32(at);
      const choices = [
        0,
        1,
        0xffffffff,
        0x7fffffff,
        old + 1 + rng.int(16),
        Math.max(0, old - 1 - rng.int(16)),
        rng.int(2 ** 31),
      ];
      view.setUint32(at, choices[rng.int(choices.length)] >>> 0);
      return { bytes: out };
    }
    case 'insert-run': {
      const at = rng.int(n + 1);
      return { bytes: concat(bytes.subarray(0, at), randomBytes(rng, runLength()), bytes.subarray(at)) };
    }
    case 'delete-run': {
      const at = rng.int(n + 1);
      return { bytes: concat(bytes.subarray(0, at), bytes.subarray(Math.min(n, at + runLength()))) };
    }
    case 'duplicate-run': {
      const at = rng.int(n + 1);
      const run = bytes.subarray(at, Math.min(n, at + runLength()));
      return { bytes: concat(bytes.subarray(0, at), run, run, bytes.subarray(at + run.length)) };
    }
    case 'random-overwrite': {
      const out = bytes.slice();
      const run = randomBytes(rng, runLength());
      const fitted = run.subarray(0, Math.min(run.length, n));
      out.set(fitted, rng.int(Math.max(1, n - fitted.length + 1)));
      return { bytes: out };
    }
    case 'random-file': {
      // Random bytes, half of them behind a valid-looking header (so the chunk reader gets past the magic).
      const body = randomBytes(rng, rng.int(2048));
      if (rng.int(2) === 0) return { bytes: body };
      const header = Uint8Array.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, 0, 1 + rng.int(3), 1, 0xe0]);
      return { bytes: concat(header, Uint8Array.from([0x4d, 0x54, 0x72, 0x6b]), randomBytes(rng, 4), body) };
    }
  }
}

type NoteKey = string;
const noteKey = (channel: number, n: { pitch: number; startTick: number; durationTicks: number }): NoteKey =>
  `${channel}:${n.pitch}:${n.startTick}:${n.durationTicks}`;

function multiset(keys: NoteKey[]): Map<NoteKey, number> {
  const m = new Map<NoteKey, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/**
 * Whether a salvaged sequence holds exactly the whole file's notes that end before the cut: all notes of the tracks
 * before the cut track, the cut track's notes that end before the cut tick (a note ending on it may be there or not),
 * and no other note. Returns a sentence when it does not.
 */
export function checkSalvage(
  whole: Uint8Array,
  sequence: NoteSequence,
  cut: { cutInTrack: number; cutTick: number },
): string | undefined {
  const perTrack = readChunks(whole, 'whole').tracks.map((body, i) =>
    scanTrack(body, i, 'whole').notes.map((n) => ({ k: noteKey(n.channel, n), end: n.startTick + n.durationTicks })),
  );
  const must: NoteKey[] = [];
  const may: NoteKey[] = [];
  perTrack.forEach((notes, i) => {
    if (i < cut.cutInTrack - 1) must.push(...notes.map((n) => n.k));
    else if (i === cut.cutInTrack - 1)
      for (const n of notes) {
        if (n.end < cut.cutTick) must.push(n.k);
        else if (n.end === cut.cutTick) may.push(n.k);
      }
  });
  const have = multiset(sequence.tracks.flatMap((t) => t.notes.map((n) => noteKey(t.channel, n))));
  for (const [k, count] of multiset(must))
    if ((have.get(k) ?? 0) !== count) return `note ${k} ends before the cut but was not kept ${count}x`;
  const allowed = multiset([...must, ...may]);
  for (const [k, count] of have)
    if (count > (allowed.get(k) ?? 0)) return `note ${k} was kept but the whole file has no such note before the cut`;
  return undefined;
}

export interface FuzzOptions {
  count: number;
  seed?: number;
  /** Every n-th input also goes through importPaths into a temporary library (0 = none). Default 25. */
  importEvery?: number;
  dataDir?: string;
  /** Originals to draw from (default every .mid under dataDir). */
  files?: string[];
}

export interface FuzzProblem {
  input: number;
  mutation: Mutation;
  source: string;
  problem: string;
}

export interface FuzzSummary {
  inputs: number;
  originals: number;
  elapsedMs: number;
  /** Per mutation: accepted whole / accepted salvaged / rejected (coded). */
  byMutation: Record<Mutation, { accepted: number; salvaged: number; rejected: number }>;
  /** Rejections per error code. */
  rejectionCodes: Record<string, number>;
  /** Truncations that were salvaged and checked against the whole file's notes. */
  salvageChecked: number;
  slowest: { ms: number; mutation: Mutation; source: string; bytes: number };
  /** Files over MAX_FILE_MS. */
  slow: number;
  /** Through importPaths: files written, imported, duplicates, rejected, warned. */
  library: { files: number; imported: number; duplicates: number; failed: number; warnings: number };
  /** Crashes, rejections without a reason, salvage oracle failures, slow files: empty when the run passes. */
  problems: FuzzProblem[];
}

function isCoded(err: unknown): err is Error & { code: string } {
  return err instanceof MidiParseError || err instanceof ImportFileError || err instanceof EncodingError;
}

/**
 * An error the parser did not expect (a bug: an index out of range, a TypeError) that its guard wrapped into
 * MIDI_UNREADABLE: a crash in disguise. The parser's own refusals carry no cause.
 */
function wrappedBug(err: unknown): Error | undefined {
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  if (cause === undefined || cause instanceof MidiParseError) return undefined;
  return cause instanceof Error ? cause : new Error(String(cause));
}

/** Runs the fuzz; never throws for what the inputs do (that is what `problems` reports). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = performance.now();
  const rng = createRng(options.seed ?? 1);
  const files = options.files ?? midiFilesUnder(options.dataDir ?? DEFAULT_DATA_DIR);
  if (files.length === 0) throw new Error(`no .mid files under ${options.dataDir ?? DEFAULT_DATA_DIR}`);
  const cache = new Map<string, Uint8Array>();
  const original = (file: string) => {
    let bytes = cache.get(file);
    if (!bytes) cache.set(file, (bytes = new Uint8Array(readFileSync(file))));
    return bytes;
  };
  const importEvery = options.importEvery ?? 25;
  const work = mkdtempSync(path.join(tmpdir(), 'etude-fuzz-'));
  const toImport = path.join(work, 'inputs');
  mkdirSync(toImport);
  const byMutation = Object.fromEntries(
    MUTATIONS.map((m) => [m, { accepted: 0, salvaged: 0, rejected: 0 }]),
  ) as FuzzSummary['byMutation'];
  const rejectionCodes: Record<string, number> = {};
  const problems: FuzzProblem[] = [];
  let slowest: FuzzSummary['slowest'] = { ms: 0, mutation: 'truncate', source: '', bytes: 0 };
  let slow = 0;
  let salvageChecked = 0;
  let written = 0;
  try {
    for (let i = 0; i < options.count; i++) {
      const source = files[rng.int(files.length)];
      const mutation = MUTATIONS[i % MUTATIONS.length];
      const whole = original(source);
      const { bytes, cutAt } = mutate(whole, mutation, rng);
      const name = path.basename(source);
      const problem = (text: string) => problems.push({ input: i, mutation, source: name, problem: text });
      const t0 = performance.now();
      try {
        const { piece, warning } = pieceFromMidi(
          bytes,
          { path: `fuzz/${i}-${name}`, pieceName: name },
          `h${i}`,
          'first-part',
        );
        const ms = performance.now() - t0;
        if (warning) {
          byMutation[mutation].salvaged++;
          if (!warning.message.includes(`fuzz/${i}-${name}`))
            problem(`the salvage warning does not name the file: ${warning.message}`);
          if (cutAt !== undefined) {
            // Where it was cut (track, tick) is the salvaging parser's own report, as in test/core/midi-salvage.test.ts.
            const sequence = JSON.parse(piece.sequenceJson!) as NoteSequence;
            const report = parseMidiSalvaging(bytes, 'again').salvage;
            const wrong = report ? checkSalvage(whole, sequence, report) : 'salvaged, but the parser reports no cut';
            salvageChecked++;
            if (wrong) problem(`cut at byte ${cutAt}: ${wrong}`);
          }
        } else byMutation[mutation].accepted++;
        track(ms);
      } catch (err) {
        const ms = performance.now() - t0;
        track(ms);
        if (!isCoded(err)) problem(`crash: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        else {
          const bug = wrappedBug(err);
          if (bug) problem(`internal error wrapped as ${err.code}: ${bug.name}: ${bug.message}`);
          if (!err.message.trim()) problem(`rejected with ${err.code} but no reason`);
          byMutation[mutation].rejected++;
          rejectionCodes[err.code] = (rejectionCodes[err.code] ?? 0) + 1;
        }
      }
      function track(ms: number): void {
        if (ms > slowest.ms) slowest = { ms, mutation, source: name, bytes: bytes.length };
        if (ms > MAX_FILE_MS) {
          slow++;
          problem(`took ${ms.toFixed(0)} ms (limit ${MAX_FILE_MS})`);
        }
      }
      if (importEvery > 0 && i % importEvery === 0) {
        writeFileSync(path.join(toImport, `${i}-${mutation}.mid`), bytes);
        written++;
      }
    }
    const library = { files: 0, imported: 0, duplicates: 0, failed: 0, warnings: 0 };
    if (written > 0) {
      const lib = openLibrary(path.join(work, 'library.db'));
      try {
        const report = await importPaths(lib, [toImport], { corpusName: 'fuzz', workers: 0 });
        library.files = report.files;
        library.imported = report.imported;
        library.duplicates = report.duplicates;
        library.failed = report.failed.length;
        library.warnings = report.warnings.length;
        if (report.files !== written)
          problems.push({
            input: -1,
            mutation: 'truncate',
            source: 'library',
            problem: `importPaths saw ${report.files} of ${written} files`,
          });
        if (report.imported + report.duplicates + report.failed.length !== report.files)
          problems.push({
            input: -1,
            mutation: 'truncate',
            source: 'library',
            problem: 'importPaths lost count of files',
          });
        for (const f of report.failed)
          if (!f.code || !f.reason.trim())
            problems.push({
              input: -1,
              mutation: 'truncate',
              source: f.path,
              problem: `library rejection without a reason: ${JSON.stringify(f)}`,
            });
      } finally {
        lib.close();
      }
    }
    return {
      inputs: options.count,
      originals: files.length,
      elapsedMs: performance.now() - started,
      byMutation,
      rejectionCodes,
      salvageChecked,
      slowest,
      slow,
      library,
      problems,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Text lines of a summary (what the script prints). */
export function summaryLines(s: FuzzSummary): string[] {
  const lines = [
    `${s.inputs} mutated MIDI inputs from ${s.originals} files in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `${'mutation'.padEnd(18)}${'accepted'.padStart(9)}${'salvaged'.padStart(9)}${'rejected'.padStart(9)}`,
  ];
  for (const [m, c] of Object.entries(s.byMutation))
    lines.push(
      `${m.padEnd(18)}${String(c.accepted).padStart(9)}${String(c.salvaged).padStart(9)}${String(c.rejected).padStart(9)}`,
    );
  lines.push(
    `rejections by code: ${Object.entries(s.rejectionCodes)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${n}`)
      .join(', ')}`,
    `salvaged truncations checked against the whole file's notes: ${s.salvageChecked}`,
    `slowest file: ${s.slowest.ms.toFixed(1)} ms (${s.slowest.mutation} of ${s.slowest.source}, ${s.slowest.bytes} bytes); over ${MAX_FILE_MS} ms: ${s.slow}`,
    `through importPaths: ${s.library.files} files, ${s.library.imported} imported, ${s.library.duplicates} duplicates, ${s.library.failed} rejected with a reason, ${s.library.warnings} salvaged with a warning`,
    s.problems.length === 0
      ? 'no crash, no rejection without a reason, no salvage that lost or invented a note: PASS'
      : `${s.problems.length} problem(s): FAIL`,
  );
  for (const p of s.problems.slice(0, 20)) lines.push(`  #${p.input} ${p.mutation} of ${p.source}: ${p.problem}`);
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      'import-every': { type: 'string', default: '25' },
      json: { type: 'boolean' },
    },
  });
  const summary = await runFuzz({
    count: Number(values.count),
    seed: Number(values.seed),
    importEvery: Number(values['import-every']),
  });
  if (values.json) console.log(JSON.stringify(summary));
  else for (const line of summaryLines(summary)) console.log(line);
  process.exitCode = summary.problems.length === 0 ? 0 : 1;
}
