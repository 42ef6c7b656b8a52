// SPDX-License-Identifier: MIT
/**
 * `npm run bench:scale`: Etude at a composer's scale, each figure beside its target.
 *
 *   1. Import: 10,000 MIDI files made from ../shared/data/nottingham/MIDI/melody by transposition (-5..+6 semitones)
 *      and concatenation (every third file is two pieces back to back) are imported into a fresh library by a child
 *      process (so its peak memory is the import's alone): peak RSS (getrusage maxRSS) < 1 GB, and the worst
 *      event-loop delay of the thread that runs the import (the thread that would serve the page) < 50 ms.
 *   2. Listing: a library with 1,000 checkpoints (100 models x 10, 4 KB each) and 10,000 generations: models:list and
 *      generations:list (100, and the contract's maximum of 1,000) through the app services < 100 ms each (worst of
 *      5 runs after the first).
 *   3. Heap: 500 variations of 8 bars generated and stored (bundled model, on this thread) in 5 rounds of 100;
 *      heapUsed after a full GC after round 1 vs after round 5: growth < 5 MB.
 *
 *   node --expose-gc --import tsx scripts/bench-scale.ts [--files 10000] [--variations 500] [--keep DIR]
 * Exit code 1 when a figure misses its target.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseMidi } from '../src/core/midi/readMidi';
import { writeMidi } from '../src/core/midi/writeMidi';
import type { NoteSequence } from '../src/core/music/NoteSequence';
import { openLibrary } from '../src/main/db';
import type { ModelId } from '../src/main/db/types';
import { createAppServices } from '../src/main/services/app';
import { generateFromLibrary, runGeneration } from '../src/main/services/generation';
import { importPaths } from '../src/main/services/importService';
import { midiFilesUnder } from './fuzz-midi';

const here = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(here), '..');
const sources = path.resolve(repoRoot, '../shared/data/nottingham/MIDI/melody');
const warmUpFile = path.resolve(repoRoot, '../shared/data/seed-melodies/waltzing-matilda.mid');

/** A copy moved by `semitones`, notes outside 0..127 dropped. */
function transpose(seq: NoteSequence, semitones: number): NoteSequence {
  return {
    ...seq,
    tracks: seq.tracks.map((t) => ({
      ...t,
      notes: t.isPercussion
        ? t.notes
        : t.notes.map((n) => ({ ...n, pitch: n.pitch + semitones })).filter((n) => n.pitch >= 0 && n.pitch <= 127),
    })),
  };
}

/** `b` after `a` (b's ticks rescaled to a's ppq, tracks paired by index; b's meta events dropped). */
function concatenate(a: NoteSequence, b: NoteSequence): NoteSequence {
  const scale = a.ppq / b.ppq;
  let end = 0;
  for (const t of a.tracks) for (const n of t.notes) end = Math.max(end, n.startTick + n.durationTicks);
  const offset = Math.ceil(end / (a.ppq * 4)) * a.ppq * 4;
  const tracks = a.tracks.map((t, i) => {
    const other = b.tracks[i]?.notes ?? [];
    const moved = other.map((n) => ({
      ...n,
      startTick: offset + Math.round(n.startTick * scale),
      durationTicks: Math.max(1, Math.round(n.durationTicks * scale)),
    }));
    return { ...t, notes: [...t.notes, ...moved] };
  });
  return { ...a, name: `${a.name} + ${b.name}`, tracks };
}

/** Writes `count` files into `dir`; returns their total size in bytes. */
function makeCorpus(dir: string, count: number): number {
  mkdirSync(dir, { recursive: true });
  const originals = midiFilesUnder(sources).map((f) => parseMidi(new Uint8Array(readFileSync(f)), path.basename(f)));
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const a = originals[i % originals.length];
    const shift = (Math.floor(i / originals.length) % 12) - 5;
    let seq = transpose(a, shift);
    if (i % 3 === 2) seq = concatenate(seq, transpose(originals[(i * 7 + 1) % originals.length], shift));
    const data = writeMidi(seq);
    bytes += data.length;
    // 100 files per folder, as a composer's collection would be sorted.
    const folder = path.join(dir, String(Math.floor(i / 100)).padStart(3, '0'));
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `${i}.mid`), data);
  }
  return bytes;
}

/** Child mode: import `dir` into a fresh library and print one JSON line of figures. */
async function importChild(dir: string, libraryFile: string): Promise<void> {
  // Queries over 40 ms (the library's slow-query threshold): what blocks the importing thread, if anything.
  let slowest = { label: '-', durationMs: 0, rows: 0 };
  let slowQueries = 0;
  const library = openLibrary(libraryFile, {
    onSlowQuery: (q) => {
      slowQueries++;
      if (q.durationMs > slowest.durationMs) slowest = { label: q.label, durationMs: q.durationMs, rows: q.rows ?? 0 };
    },
  });
  // Warm-up: a first import loads (and, under tsx, compiles) the importer's modules and starts nothing else; the
  // figures below are of the big import only, as in the app, whose code is loaded once per run.
  await importPaths(library, [warmUpFile], { corpusName: 'warm-up' });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const t0 = performance.now();
  const report = await importPaths(library, [dir], { corpusName: 'scale' });
  const seconds = (performance.now() - t0) / 1000;
  delay.disable();
  library.close();
  console.log(
    JSON.stringify({
      files: report.files,
      imported: report.imported,
      duplicates: report.duplicates,
      failed: report.failed.length,
      seconds,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      worstDelayMs: delay.max / 1e6,
      p99DelayMs: delay.percentile(99) / 1e6,
      slowQueries,
      slowest,
    }),
  );
}

interface Row {
  figure: string;
  value: number;
  unit: string;
  target: number;
  detail?: string;
}

function print(rows: Row[]): boolean {
  let ok = true;
  for (const r of rows) {
    const pass = r.value < r.target;
    ok &&= pass;
    console.log(
      `${r.figure.padEnd(52)} ${r.value.toFixed(r.unit === 'MB' ? 0 : 1).padStart(8)} ${r.unit.padEnd(3)} target < ${r.target} ${r.unit}  ${pass ? 'ok' : 'MISSED'}${r.detail ? `  (${r.detail})` : ''}`,
    );
  }
  return ok;
}

async function listingBench(work: string): Promise<Row[]> {
  const dataDir = path.join(work, 'listing');
  mkdirSync(dataDir, { recursive: true });
  const library = openLibrary(path.join(dataDir, 'library.db'), { onSlowQuery: () => {} });
  const t0 = performance.now();
  const corpus = library.corpora.createCorpus('c');
  const checkpoint = new Uint8Array(4096).fill(3);
  const notes = Array.from({ length: 32 }, (_, i) => ({
    pitch: 60 + (i % 12),
    startTick: i * 240,
    durationTicks: 240,
    velocity: 90,
  }));
  const sequence: NoteSequence = {
    ppq: 480,
    name: 'take',
    tempos: [{ tick: 0, bpm: 100 }],
    timeSignatures: [],
    keySignatures: [],
    tracks: [{ name: 'melody', program: 0, channel: 0, isPercussion: false, notes }],
  };
  const models: ModelId[] = [];
  for (let m = 0; m < 100; m++) {
    const model = library.models.createModel({
      name: `model ${m}`,
      spec: { kind: 'melody-lstm' },
      training: {},
      corpusId: corpus.id,
      engine: 'wasm',
      status: 'ready',
      metrics: { loss: 1, valLoss: 1.1, epoch: 10 },
    });
    models.push(model.id);
    for (let e = 1; e <= 10; e++)
      library.checkpoints.saveCheckpoint({ modelId: model.id, epoch: e, step: e * 100, data: checkpoint, metrics: {} });
  }
  for (let g = 0; g < 10_000; g++)
    library.generations.saveGeneration({
      modelId: models[g % models.length],
      checkpointId: null,
      request: { model: `model ${g % 100}`, temperature: 1, bars: 8, randomSeed: g },
      tokens: Uint8Array.from({ length: 128 }, (_, i) => (i % 4 === 0 ? 60 + (i % 12) : 129)),
      sequence,
      name: `take ${g}`,
    });
  library.close();
  const fillSeconds = (performance.now() - t0) / 1000;
  const services = createAppServices({ dataDir, resourcesDir: path.join(repoRoot, 'resources') });
  const worst = (fn: () => unknown): { worst: number; first: number } => {
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const s = performance.now();
      fn();
      times.push(performance.now() - s);
    }
    return { first: times[0], worst: Math.max(...times.slice(1)) };
  };
  try {
    const listed = services.listModels() as unknown[];
    const models = worst(() => services.listModels());
    const gen100 = worst(() => services.listGenerations({ favouritesOnly: false, limit: 100 }));
    const gen1000 = worst(() => services.listGenerations({ favouritesOnly: false, limit: 1000 }));
    const detail = (t: { first: number }) => `first call ${t.first.toFixed(1)} ms`;
    return [
      {
        figure: `models:list (${listed.length} models, 1,000 checkpoints)`,
        value: models.worst,
        unit: 'ms',
        target: 100,
        detail: `${detail(models)}; library filled in ${fillSeconds.toFixed(1)} s`,
      },
      {
        figure: 'generations:list, 100 of 10,000',
        value: gen100.worst,
        unit: 'ms',
        target: 100,
        detail: detail(gen100),
      },
      {
        figure: 'generations:list, 1,000 of 10,000',
        value: gen1000.worst,
        unit: 'ms',
        target: 100,
        detail: detail(gen1000),
      },
    ];
  } finally {
    await services.close();
  }
}

async function heapBench(work: string, variations: number): Promise<Row[]> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:scale does)');
  const library = openLibrary(path.join(work, 'heap.db'), { onSlowQuery: () => {} });
  const rounds = 5;
  const perRound = Math.ceil(variations / rounds);
  const heap: number[] = [];
  const t0 = performance.now();
  try {
    for (let r = 0; r < rounds; r++) {
      const result = await generateFromLibrary(
        library,
        {
          model: 'default',
          seed: { pitches: [60, 62, 64, 65] },
          temperature: 1,
          bars: 8,
          variations: perRound,
          randomSeed: r + 1,
          engine: 'wasm',
        },
        { runner: runGeneration },
      );
      if (result.variations.length !== perRound) throw new Error('a round generated too few variations');
      gc();
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
  } finally {
    library.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const mb = (b: number) => b / 1024 / 1024;
  return [
    {
      figure: `heap growth over ${rounds * perRound} variations (round 1 -> ${rounds})`,
      value: mb(heap[heap.length - 1] - heap[0]),
      unit: 'MB',
      target: 5,
      detail: `heapUsed after GC per round: ${heap.map((h) => mb(h).toFixed(1)).join(', ')} MB; ${seconds.toFixed(0)} s`,
    },
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '10000' },
      variations: { type: 'string', default: '500' },
      keep: { type: 'string' },
      'import-child': { type: 'string' },
      library: { type: 'string' },
    },
  });
  if (values['import-child']) {
    await importChild(values['import-child'], values.library!);
    return;
  }
  const work = values.keep ? path.resolve(values.keep) : mkdtempSync(path.join(tmpdir(), 'etude-bench-scale-'));
  mkdirSync(work, { recursive: true });
  const rows: Row[] = [];
  try {
    const files = Number(values.files);
    let t0 = performance.now();
    const corpusDir = path.join(work, 'corpus');
    const bytes = makeCorpus(corpusDir, files);
    console.log(
      `made ${files} MIDI files (${(bytes / 1024 / 1024).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    t0 = performance.now();
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, here, '--import-child', corpusDir, '--library', path.join(work, 'scale.db')],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    );
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
      files: number;
      imported: number;
      duplicates: number;
      failed: number;
      seconds: number;
      maxRssBytes: number;
      worstDelayMs: number;
      p99DelayMs: number;
      slowQueries: number;
      slowest: { label: string; durationMs: number; rows: number };
    };
    const importDetail = `${r.files} files, ${r.imported} imported, ${r.duplicates} duplicates, ${r.failed} failed, ${r.seconds.toFixed(1)} s`;
    rows.push(
      {
        figure: `import of ${files} files: peak memory (maxRSS)`,
        value: r.maxRssBytes / 1024 / 1024,
        unit: 'MB',
        target: 1024,
        detail: importDetail,
      },
      {
        figure: 'import: worst event-loop delay of its thread',
        value: r.worstDelayMs,
        unit: 'ms',
        target: 50,
        detail: `p99 ${r.p99DelayMs.toFixed(1)} ms; ${r.slowQueries} queries over 40 ms, slowest ${r.slowest.label} ${r.slowest.durationMs.toFixed(0)} ms (${r.slowest.rows} rows)`,
      },
    );
    print(rows.slice(-2));
    rows.push(...(await listingBench(work)));
    print(rows.slice(-3));
    rows.push(...(await heapBench(work, Number(values.variations))));
    print(rows.slice(-1));
    console.log('');
    const ok = print(rows);
    console.log(ok ? 'every figure within its target' : 'a figure missed its target');
    process.exitCode = ok ? 0 : 1;
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

await main();
