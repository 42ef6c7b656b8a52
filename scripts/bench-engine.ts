// SPDX-License-Identifier: MIT
/**
 * `npm run bench:engine`: the thesis model (DEFAULT_MELODY_SPEC, batch 64, window 30) on our engine, 1 and 2 threads,
 * next to the PyTorch peer on the same cores, in the same run (this machine is shared: only side-by-side ratios mean
 * much). Figures: ms per training step (median of >= 5 timed steps after warm-up), sequences/s, ms for 128 generated
 * tokens, peak memory (maxRSS of a child process that runs only that configuration), and the engine.
 *
 * Rounds (scripts/lib/abRounds.ts): each round runs, for 1 then 2 threads, ours and the peer back to back (ours first
 * in odd rounds, the peer first in even ones), so drifting load hits both. Printed: every round's pair and ratio,
 * then per thread setting the medians over the rounds and the median ratio ours / peer with its spread (min-max, IQR),
 * and the 2-thread speed-up of each side (1-thread / 2-thread figure of the same round).
 *
 *   node --import tsx scripts/bench-engine.ts [--rounds 5] [--steps 8] [--quick] [--busy] [--json]
 *
 * --quick: 2 rounds of 5 steps (a smoke run). --busy holds one core with a spinning child process and shows
 * 2-thread vs 1-thread under that contention (ours only, one pass).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEngineOurs, melodyBenchBatch } from './bench-engine-ours';
import { DEFAULT_MELODY_SPEC } from '../src/core/model/spec';
import { rooflineLine, simdPeakGflops, trainStepMacs } from './lib/roofline';
import { formatRatio, roundsFlag, runAbRounds, spread, summarizePairs, type RoundResult } from './lib/abRounds';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const torchScript = path.resolve(repoRoot, '../shared/bench/torch_lstm_baseline.py');
const python = '/usr/bin/python3';

interface Row {
  label: string;
  engine: string;
  threads: number;
  trainMsPerStep: number;
  sequencesPerSec: number;
  generateMs128: number;
  peakRssMb: number;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Child mode: one configuration, one JSON line (so maxRSS belongs to this configuration alone). */
async function child(threads: number, steps: number, adaptive: boolean): Promise<void> {
  const r = await benchEngineOurs(threads, steps, 3, adaptive);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ...r, peakRssMb }) + '\n');
}

function runOurs(threads: number, steps: number, label: string, adaptive = false): Row {
  const args = [
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--child',
    String(threads),
    '--steps',
    String(steps),
    ...(adaptive ? ['--adaptive'] : []),
  ];
  const run = spawnSync(process.execPath, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 600_000,
  });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{'))
    throw new Error(`our engine (${threads} threads) failed: ${run.stderr || run.stdout}`);
  const r = JSON.parse(line) as {
    trainMsPerStep: number;
    generateMs128: number;
    peakRssMb: number;
    description: string;
  };
  return {
    label,
    engine: r.description,
    threads,
    trainMsPerStep: r.trainMsPerStep,
    sequencesPerSec: (64 / r.trainMsPerStep) * 1000,
    generateMs128: r.generateMs128,
    peakRssMb: r.peakRssMb,
  };
}

function runTorch(threads: number, steps: number, label: string): Row | undefined {
  if (!existsSync(python) || !existsSync(torchScript)) return undefined;
  // GNU time is not guaranteed; measure the peer's peak memory with resource.getrusage(RUSAGE_CHILDREN) from a wrapper.
  const wrapper = `import resource, subprocess, sys\nr = subprocess.run([sys.executable, ${JSON.stringify(torchScript)}, '--threads', '${threads}', '--steps', '${steps}'], capture_output=True, text=True)\nsys.stdout.write(r.stdout)\nsys.stderr.write(r.stderr)\nprint('MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\nsys.exit(r.returncode)`;
  const run = spawnSync(python, ['-c', wrapper], { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) {
    console.error(`PyTorch peer failed (threads ${threads}): ${(run.stderr || '').trim().split('\n').pop()}`);
    return undefined;
  }
  const jsonLine = run.stdout.split('\n').find((l) => l.startsWith('{'));
  const rss = /MAXRSS_KB (\d+)/.exec(run.stdout);
  if (!jsonLine) return undefined;
  const r = JSON.parse(jsonLine) as {
    engine: string;
    train_ms_per_step: number;
    sequences_per_s: number;
    generate_ms_128: number;
  };
  return {
    label,
    engine: r.engine,
    threads,
    trainMsPerStep: r.train_ms_per_step,
    sequencesPerSec: r.sequences_per_s,
    generateMs128: r.generate_ms_128,
    peakRssMb: rss ? Number(rss[1]) / 1024 : NaN,
  };
}

function hog(): ChildProcess {
  const p = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  p.unref();
  return p;
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

function printTable(rows: Row[]): void {
  console.log('| run | engine | threads | ms/step | sequences/s | ms/128 tokens | peak MB |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.label} | ${r.engine} | ${r.threads} | ${f1(r.trainMsPerStep)} | ${f1(r.sequencesPerSec)} | ${f1(r.generateMs128)} | ${f1(r.peakRssMb)} |`,
    );
}

async function busyRun(steps: number): Promise<Row[]> {
  const rows: Row[] = [];
  const spinner = hog();
  console.log('--busy: one core held by a spinning child process');
  try {
    rows.push(runOurs(1, steps, 'ours 1t (busy, pinned)'));
    rows.push(runOurs(2, steps, 'ours 2t (busy, pinned)'));
    // The product's default: 2 threads asked for, the engine itself falls back to one when the cores are busy.
    rows.push(runOurs(2, steps, 'ours 2t (busy, adaptive: the default)', true));
  } finally {
    spinner.kill('SIGKILL');
  }
  printTable(rows);
  const [one, two, adaptive] = rows;
  console.log(
    `busy machine: 2 threads pinned vs 1 thread ms/step ${(two.trainMsPerStep / one.trainMsPerStep).toFixed(2)}x (below 1 = threads still help)`,
  );
  console.log(
    `busy machine: 2-thread setting as shipped (adaptive: ${adaptive.engine}) vs 1 thread ms/step ${(adaptive.trainMsPerStep / one.trainMsPerStep).toFixed(2)}x`,
  );
  return rows;
}

/** A row of medians over the rounds (each figure's own median). */
function medianRow(label: string, rows: Row[]): Row {
  const m = (pick: (r: Row) => number) => spread(rows.map(pick)).median;
  return {
    label,
    engine: rows[0].engine,
    threads: rows[0].threads,
    trainMsPerStep: m((r) => r.trainMsPerStep),
    sequencesPerSec: m((r) => r.sequencesPerSec),
    generateMs128: m((r) => r.generateMs128),
    peakRssMb: m((r) => r.peakRssMb),
  };
}

/** Per round, side's 1-thread ms/step over its 2-thread ms/step (both from the same round). */
function speedups(results: RoundResult<number, Row>[], side: 'ours' | 'peer'): number[] {
  const out: number[] = [];
  for (const one of results.filter((r) => r.setting === 1)) {
    const two = results.find((r) => r.setting === 2 && r.round === one.round);
    const a = one[side];
    const b = two?.[side];
    if (a && b) out.push(a.trainMsPerStep / b.trainMsPerStep);
  }
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const childThreads = flag('child');
  const steps = Math.max(5, Number(flag('steps') ?? (quick ? 5 : 8)));
  if (childThreads) return child(Number(childThreads), steps, argv.includes('--adaptive'));
  if (argv.includes('--busy')) {
    const rows = await busyRun(steps);
    if (argv.includes('--json')) console.log(JSON.stringify({ rows }));
    return;
  }
  const rounds = roundsFlag(argv, 5, 2);
  console.log(
    `melody LSTM (batch 64, window 30), ${steps} timed steps per run; ${rounds} rounds, ours and PyTorch back to back ` +
      `per thread setting (ours first in odd rounds, PyTorch first in even ones); load average (1 min) ${loadavg()[0].toFixed(1)}`,
  );
  let peerMissing = false;
  const results = await runAbRounds<number, Row>({
    rounds,
    settings: [1, 2],
    ours: (threads) => runOurs(threads, steps, `ours ${threads}t`),
    peer: (threads) => {
      if (peerMissing) return undefined;
      const row = runTorch(threads, steps, `pytorch ${threads}t`);
      if (!row) peerMissing = true;
      return row;
    },
    onPair: ({ round, setting, first, ours: o, peer: p }) => {
      const pair = p
        ? ` | pytorch ${f1(p.trainMsPerStep)} ms/step, ${f1(p.generateMs128)} ms/128, ${f1(p.peakRssMb)} MB` +
          ` | ratio ms/step ${(o.trainMsPerStep / p.trainMsPerStep).toFixed(2)}`
        : '';
      console.log(
        `  round ${round} (${first} first), ${setting} thread(s): ours ${f1(o.trainMsPerStep)} ms/step, ` +
          `${f1(o.generateMs128)} ms/128, ${f1(o.peakRssMb)} MB${pair}`,
      );
    },
  });
  console.log(
    `load average (1 min) at the end: ${loadavg()[0].toFixed(1)} (2 shared cores: above ~2 the figures are contended)`,
  );
  const rows: Row[] = [];
  const summary: Record<string, unknown>[] = [];
  for (const threads of [1, 2]) {
    const mine = results.filter((r) => r.setting === threads);
    rows.push(
      medianRow(
        `ours ${threads}t (median of ${mine.length})`,
        mine.map((r) => r.ours),
      ),
    );
    const peers = mine.flatMap((r) => (r.peer ? [r.peer] : []));
    if (peers.length) rows.push(medianRow(`pytorch ${threads}t (median of ${peers.length})`, peers));
  }
  printTable(rows);
  if (peerMissing)
    console.log(
      'PyTorch peer not available (needs /usr/bin/python3 with torch and ../shared/bench/torch_lstm_baseline.py): ours only.',
    );
  for (const threads of [1, 2]) {
    const mine = results.filter((r) => r.setting === threads);
    if (!mine.some((r) => r.peer)) continue;
    const step = summarizePairs(mine, (r) => r.trainMsPerStep);
    const gen = summarizePairs(mine, (r) => r.generateMs128);
    const mem = summarizePairs(mine, (r) => r.peakRssMb);
    console.log(`${threads} thread(s), ours/PyTorch per round:`);
    console.log(`  ms/step       ${formatRatio(step)}  [${step.ratios.map((x) => x.toFixed(2)).join(' ')}]`);
    console.log(`  ms/128 tokens ${formatRatio(gen)}  [${gen.ratios.map((x) => x.toFixed(2)).join(' ')}]`);
    console.log(`  peak memory   ${formatRatio(mem)}`);
    summary.push({ threads, trainMsPerStep: step, generateMs128: gen, peakRssMb: mem });
  }
  const scaling = { ours: spread(speedups(results, 'ours')), peer: spread(speedups(results, 'peer')) };
  const fmtScale = (s: { median: number; min: number; max: number }) =>
    Number.isFinite(s.median) ? `${s.median.toFixed(2)}x (min-max ${s.min.toFixed(2)}-${s.max.toFixed(2)})` : '-';
  console.log(
    `2 threads vs 1 (1-thread ms/step / 2-thread ms/step, same round), median: ours ${fmtScale(scaling.ours)}, PyTorch ${fmtScale(scaling.peer)}`,
  );
  if (results.some((r) => r.peer)) {
    const macs = await trainStepMacs(DEFAULT_MELODY_SPEC, melodyBenchBatch());
    const peakGflops = await simdPeakGflops();
    for (const threads of [1, 2]) {
      const mine = results.filter((r) => r.setting === threads);
      const peerMs = mine.flatMap((r) => (r.peer ? [r.peer.trainMsPerStep] : []));
      if (!peerMs.length) continue;
      const oursMs = spread(mine.map((r) => r.ours.trainMsPerStep)).median;
      console.log(rooflineLine({ macs, peakGflops, oursMs, peerMs: spread(peerMs).median, unit: 'step', threads }));
    }
  }
  if (argv.includes('--json')) console.log(JSON.stringify({ rows, summary, scaling, rounds: results }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
