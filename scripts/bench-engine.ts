// SPDX-License-Identifier: MIT
/**
 * `npm run bench:engine`: the thesis model (DEFAULT_MELODY_SPEC, batch 64, window 30) on our engine, 1 and 2 threads,
 * next to the PyTorch peer on the same cores, in the same run (this machine is shared: only side-by-side ratios mean
 * much). Figures: ms per training step (median of >= 5 timed steps after warm-up), sequences/s, ms for 128 generated
 * tokens, peak memory (maxRSS of a child process that runs only that configuration), and the engine.
 *
 *   node --import tsx scripts/bench-engine.ts [--steps 8] [--busy] [--json]
 *
 * --busy holds one core with a spinning child process and shows 2-thread vs 1-thread under that contention.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEngineOurs } from './bench-engine-ours';

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

async function main(): Promise<void> {
  const childThreads = flag('child');
  const steps = Math.max(5, Number(flag('steps') ?? 8));
  if (childThreads) return child(Number(childThreads), steps, process.argv.includes('--adaptive'));
  const busy = process.argv.includes('--busy');
  const rows: Row[] = [];
  const ratios: string[] = [];
  let spinner: ChildProcess | undefined;
  if (busy) {
    spinner = hog();
    console.log('--busy: one core held by a spinning child process');
  }
  try {
    for (const threads of [1, 2]) {
      const ours = runOurs(threads, steps, `ours ${threads}t${busy ? ' (busy, pinned)' : ''}`);
      rows.push(ours);
      // The product's default: 2 threads asked for, the engine itself falls back to one when the cores are busy.
      if (busy && threads === 2) rows.push(runOurs(threads, steps, 'ours 2t (busy, adaptive: the default)', true));
      const torch = busy ? undefined : runTorch(threads, steps, `pytorch ${threads}t`);
      if (torch) {
        rows.push(torch);
        ratios.push(
          `${threads} thread(s): ours/PyTorch ms/step ${(ours.trainMsPerStep / torch.trainMsPerStep).toFixed(2)}, sequences/s ${(ours.sequencesPerSec / torch.sequencesPerSec).toFixed(2)}, ` +
            `ms/128 tokens ${(ours.generateMs128 / torch.generateMs128).toFixed(2)}, peak memory ${(ours.peakRssMb / torch.peakRssMb).toFixed(2)}`,
        );
      }
    }
  } finally {
    spinner?.kill('SIGKILL');
  }
  printTable(rows);
  if (ratios.length) for (const r of ratios) console.log(r);
  else if (!busy)
    console.log(
      'PyTorch peer not available (needs /usr/bin/python3 with torch and ../shared/bench/torch_lstm_baseline.py): ours only.',
    );
  if (busy) {
    const [one, two, adaptive] = rows;
    console.log(
      `busy machine: 2 threads pinned vs 1 thread ms/step ${(two.trainMsPerStep / one.trainMsPerStep).toFixed(2)}x (below 1 = threads still help)`,
    );
    console.log(
      `busy machine: 2-thread setting as shipped (adaptive: ${adaptive.engine}) vs 1 thread ms/step ${(adaptive.trainMsPerStep / one.trainMsPerStep).toFixed(2)}x`,
    );
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ rows, ratios }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
