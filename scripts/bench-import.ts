// SPDX-License-Identifier: MIT
/**
 * `npm run bench:import`: our whole import (walk, read, hash, parse, encode, store in SQLite) of
 * ../shared/data/nottingham/MIDI into a fresh temp library, against python3-mido parsing the same
 * files (parse only). Prints both rates and the ratio; the target is ratio >= 2.
 * Usage: node --import tsx scripts/bench-import.ts [folder] [--runs N]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLibrary } from '../src/main/db/open';
import { importPaths } from '../src/main/services/importService';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runsFlag = args.indexOf('--runs');
const runs = runsFlag >= 0 ? Math.max(1, Number(args[runsFlag + 1]) || 1) : 3;
const folder = path.resolve(
  args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs') ??
    path.resolve(repoRoot, '../shared/data/nottingham/MIDI'),
);

interface Run {
  files: number;
  seconds: number;
  filesPerSec: number;
}

async function ours(): Promise<Run & { imported: number; failed: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'etude-bench-import-'));
  const library = openLibrary(path.join(dir, 'library.db'), { onSlowQuery: () => {} });
  try {
    const t0 = performance.now();
    const report = await importPaths(library, [folder], { corpusName: 'bench' });
    const seconds = (performance.now() - t0) / 1000;
    return {
      files: report.files,
      seconds,
      filesPerSec: report.files / seconds,
      imported: report.imported,
      failed: report.failed.length,
    };
  } finally {
    library.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function mido(): Run {
  const out = execFileSync('/usr/bin/python3', [path.join(repoRoot, 'scripts/mido_parse_bench.py'), folder], {
    encoding: 'utf8',
  });
  const r = JSON.parse(out) as { files: number; seconds: number; files_per_sec: number };
  return { files: r.files, seconds: r.seconds, filesPerSec: r.files_per_sec };
}

function best<T extends Run>(list: T[]): T {
  return list.reduce((a, b) => (b.filesPerSec > a.filesPerSec ? b : a));
}

async function main(): Promise<void> {
  console.log(`bench:import  folder ${folder}  best of ${runs} runs each`);
  const oursRuns: Awaited<ReturnType<typeof ours>>[] = [];
  const midoRuns: Run[] = [];
  // Interleave so background load hits both sides alike.
  for (let i = 0; i < runs; i++) {
    oursRuns.push(await ours());
    midoRuns.push(mido());
  }
  const a = best(oursRuns);
  const b = best(midoRuns);
  const row = (name: string, r: Run, extra = '') =>
    `${name.padEnd(34)} ${String(r.files).padStart(6)} files ${r.seconds.toFixed(2).padStart(7)} s ${r.filesPerSec.toFixed(0).padStart(7)} files/s${extra}`;
  console.log(row('etude import (parse+encode+store)', a, `  (${a.imported} pieces, ${a.failed} failed)`));
  console.log(row('python3-mido (parse only)', b));
  const ratio = a.filesPerSec / b.filesPerSec;
  console.log(`ratio ${ratio.toFixed(2)}x  (target >= 2.00x) ${ratio >= 2 ? 'OK' : 'BELOW TARGET'}`);
  console.log(
    `all runs, ours: ${oursRuns.map((r) => r.filesPerSec.toFixed(0)).join(', ')} files/s; mido: ${midoRuns.map((r) => r.filesPerSec.toFixed(0)).join(', ')} files/s`,
  );
}

main().catch((err: unknown) => {
  console.error(`bench:import failed: ${(err as Error).message}`);
  process.exit(1);
});
