// SPDX-License-Identifier: MIT
/**
 * `npm run bench:ui`: is the app still responsive while a model trains? Starts the loopback studio in this process
 * (the same composition root and handlers as the Electron main process, with the worker-backed trainer) on a temp
 * data folder, imports seed melodies through the import service, opens the page in Debian's chromium, starts a
 * training run of the DEFAULT spec from the page's Train screen, lets it run, cancels it from the page, and prints:
 * - this process's event-loop lateness (perf_hooks.monitorEventLoopDelay, 10 ms resolution; max, p99) and its
 *   event-loop utilisation: the thread that serves IPC / the studio's WebSocket;
 * - the page's lateness (a 16 ms setInterval's delay past its due time; max, p99) and its long tasks, while the page
 *   receives and draws the progress events;
 * - both split by phase (Start to first step, steady training, Cancel to end), the worst moments with their time,
 *   the training throughput meanwhile, how long the page's Cancel took, and the machine's load (other processes on
 *   the same cores delay every thread, ours included; read the figures with it).
 * Target: worst lateness under 50 ms on both. A missed target is printed, not an error: the exit code is non-zero only
 * when the bench itself fails (no studio, no browser, the job never started or never ended).
 *
 * Then (section "generation") the largest generation the Compose screen offers (its bars and variations inputs' max,
 * the bundled model): this process's worst event-loop lateness from the click on Generate until the page has drawn
 * the takes, split into sampling (the engine runs in the generation worker) and the job's end (main stores the
 * generations and sends the result), beside the same 50 ms target.
 *
 * Usage: node --import tsx scripts/bench-ui.ts [--only training|generation] [--seconds N] [--melodies N|all]
 *   [--engine auto|wasm|tfjs-cpu] [--threads N] [--renderer-dir DIR] [--json FILE] [--cpu-profile FILE.cpuprofile]
 * --only: run one section (default: both, training first).
 * --seconds: steady training measured after the first step (default 25); if no epoch has ended by then, the bench
 *   waits up to 60 s more for one, so that an epoch end (the training worker stores its checkpoint; main records the row) is inside the measurement.
 * --melodies: seed melodies in the corpus (default 6, 47 steps per epoch): small enough that an epoch ends inside
 *   the window; all 186 take minutes per epoch.
 * --cpu-profile: a V8 CPU profile of the main thread over the measurement (open in Chrome DevTools), to see what a
 *   busy late tick was doing.
 * --threads: engine threads, sent with the page's train:start (the form has no such field); default: the engine's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { constants as perfConstants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium';
import type { JobProgress } from '../src/core/jobs/progress';
import { DEFAULT_MELODY_SPEC, DEFAULT_TRAINING } from '../src/core/model/spec';
import type { ContractJobEvent } from '../src/main/ipc/handlers';
import type { AppServices } from '../src/main/services/app';
import type { StudioHandle } from '../src/studio/server';
import { TAKES_PER_PAGE } from '../src/shared/dto';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEED_MELODIES = path.resolve(repoRoot, '../shared/data/seed-melodies/melodies.json');
/** The issue's target for the worst event-loop delay, main process and page alike. */
const TARGET_MS = 50;
/** monitorEventLoopDelay's interval; each sample is the time between its timer's runs, so lateness = sample - this. */
const LOOP_RESOLUTION_MS = 10;
/** The page probe's timer period (one frame at 60 Hz). */
const PAGE_TICK_MS = 16;
/** Lateness above this is kept with its time, to say when the worst moments happened. */
const SPIKE_MS = 25;
/** Quiet time measured before Start, as the machine's own baseline (its load delays every thread). */
const IDLE_BASELINE_MS = 5000;
/** Time measured after the job's end (worker teardown, the last events). */
const AFTER_END_MS = 1000;
/** A busy tick up to this long after an 'epoch done' event is put down to that epoch's end (model row, events). */
const CHECKPOINT_STORE_WINDOW_MS = 3000;
/** How much longer than --seconds the bench waits for the first epoch to end (and its checkpoint to be stored). */
const EPOCH_WAIT_MAX_S = 60;

/** The bench could not run (as opposed to a missed target, which is a result). */
class BenchUiError extends Error {
  override name = 'BenchUiError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface BenchArgs {
  /** Which sections run: both (default), or one. */
  only: 'all' | 'training' | 'generation';
  seconds: number;
  melodies: number | 'all';
  engine: 'auto' | 'wasm' | 'tfjs-cpu';
  threads?: number;
  rendererDir?: string;
  jsonOut?: string;
  /** Write a CPU profile of this (the main) thread over the measurement, for Chrome DevTools. */
  cpuProfileOut?: string;
}

function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { only: 'all', seconds: 25, melodies: 6, engine: 'auto' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined)
        throw new BenchUiError(
          'BENCH_USAGE',
          `${flag} needs a value (see the usage at the top of scripts/bench-ui.ts).`,
        );
      return v;
    };
    const positive = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new BenchUiError('BENCH_USAGE', `${flag} must be a whole number of at least 1, not "${v}".`);
      return n;
    };
    switch (flag) {
      case '--seconds':
        args.seconds = positive(value());
        break;
      case '--only': {
        const v = value();
        if (v !== 'training' && v !== 'generation')
          throw new BenchUiError('BENCH_USAGE', `--only must be training or generation, not "${v}".`);
        args.only = v;
        break;
      }
      case '--melodies': {
        const v = value();
        args.melodies = v === 'all' ? 'all' : positive(v);
        break;
      }
      case '--engine': {
        const v = value();
        if (v !== 'auto' && v !== 'wasm' && v !== 'tfjs-cpu')
          throw new BenchUiError('BENCH_USAGE', `--engine must be auto, wasm or tfjs-cpu, not "${v}".`);
        args.engine = v;
        break;
      }
      case '--threads':
        args.threads = positive(value());
        break;
      case '--renderer-dir':
        args.rendererDir = path.resolve(value());
        break;
      case '--json':
        args.jsonOut = path.resolve(value());
        break;
      case '--cpu-profile':
        args.cpuProfileOut = path.resolve(value());
        break;
      default:
        throw new BenchUiError(
          'BENCH_USAGE',
          `unknown option ${flag} (see the usage at the top of scripts/bench-ui.ts).`,
        );
    }
  }
  return args;
}

/**
 * Builds src/renderer (vite + the Svelte plugin, as the app build does) into `outDir`, in a child process: built
 * here, vite's modules and garbage (~200 MB of heap) would stay in the process whose event loop is measured.
 */
function buildRenderer(outDir: string): void {
  const script = `
    const { build } = await import('vite');
    const { svelte } = await import('@sveltejs/vite-plugin-svelte');
    await build({
      root: ${JSON.stringify(path.join(repoRoot, 'src/renderer'))},
      base: './',
      logLevel: 'error',
      configFile: false,
      plugins: [svelte()],
      build: { outDir: ${JSON.stringify(outDir)}, emptyOutDir: true, chunkSizeWarningLimit: 4000 },
    });`;
  const built = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  if (built.status !== 0 || !existsSync(path.join(outDir, 'index.html'))) {
    throw new BenchUiError(
      'BENCH_RENDERER_BUILD',
      `Building the renderer failed (exit ${built.status}): ${(built.stderr || built.stdout).trim().slice(-2000)}`,
    );
  }
}

/**
 * The studio's modules, loaded here rather than by static imports so that a module that cannot load under plain
 * `node --import tsx` is reported in one sentence instead of a link-time stack.
 */
async function loadStudio() {
  try {
    const [app, uploads, training, server] = await Promise.all([
      import('../src/main/services/app'),
      import('../src/main/services/importUploads'),
      import('../src/main/services/training'),
      import('../src/studio/server'),
    ]);
    return {
      createAppServices: app.createAppServices,
      importFiles: uploads.importFiles,
      trainFromRequest: training.trainFromRequest,
      startStudio: server.startStudio,
    };
  } catch (err) {
    throw new BenchUiError(
      'BENCH_STUDIO_UNLOADABLE',
      `The studio's modules do not load under node --import tsx (${(err as Error).message}); \`npm run studio\` fails the same way. Fix that module, then rerun.`,
    );
  }
}

/** What the page probe hands back. */
interface PageProbeResult {
  /** Each tick's delay past its due time, with when (ms since start()). */
  ticks: Tick[];
  /** Long tasks (> 50 ms on the page's main thread) seen while measuring. */
  longTasks: { atMs: number; durationMs: number }[];
  /** job:progress messages the page's WebSocket received while measuring. */
  progressMessages: number;
}

/**
 * Installed before the app's scripts (so it sees the app's WebSocket): a 16 ms interval whose lateness is recorded,
 * a long-task observer, a count of job:progress messages, and (when asked) the engine thread count added to the
 * page's own train:start request. Inert until __etudeBench.start().
 * Plain JavaScript text on purpose: a function passed from here would be compiled by tsx, whose name-keeping helpers
 * (__name) do not exist in the page.
 */
function pageProbe(threads: number | undefined): string {
  return `(() => {
  const tickMs = ${PAGE_TICK_MS};
  const threads = ${threads === undefined ? 'undefined' : String(threads)};
  const state = { measuring: false, startedAt: 0, lastTick: 0, ticks: [], longTasks: [], progress: 0 };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('message', (event) => {
        if (state.measuring && typeof event.data === 'string' && event.data.includes('"job:progress"')) state.progress++;
      });
    }
    send(data) {
      if (threads !== undefined && typeof data === 'string' && data.includes('"train:start"')) {
        const message = JSON.parse(data);
        if (message.channel === 'train:start' && message.payload) message.payload.threads = threads;
        data = JSON.stringify(message);
      }
      return super.send(data);
    }
  };
  try {
    new PerformanceObserver((list) => {
      if (!state.measuring) return;
      for (const entry of list.getEntries()) state.longTasks.push({ atMs: entry.startTime - state.startedAt, durationMs: entry.duration });
    }).observe({ type: 'longtask', buffered: false });
  } catch {
    // No long-task timing in this browser: the interval's lateness still measures the same thing.
  }
  setInterval(() => {
    const now = performance.now();
    if (state.measuring) state.ticks.push({ atMs: now - state.startedAt, latenessMs: Math.max(0, now - state.lastTick - tickMs) });
    state.lastTick = now;
  }, tickMs);
  window.__etudeBench = {
    start() {
      state.ticks = [];
      state.longTasks = [];
      state.progress = 0;
      state.lastTick = performance.now();
      state.startedAt = state.lastTick;
      state.measuring = true;
    },
    stop() {
      state.measuring = false;
      return { ticks: state.ticks, longTasks: state.longTasks, progressMessages: state.progress };
    },
  };
})();`;
}

async function launchChromium(
  userDataDir: string,
  threads: number | undefined,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  if (!existsSync(CHROMIUM))
    throw new BenchUiError(
      'BENCH_NO_BROWSER',
      `No browser at ${CHROMIUM}; install Debian's chromium (apt-get install chromium).`,
    );
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1400, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.addInitScript({ content: pageProbe(threads) });
  return { context, page, errors };
}

interface Tick {
  /** ms since the measurement began. */
  atMs: number;
  latenessMs: number;
  /** Main thread only: ms it was running (event-loop utilisation's active time) during this tick. */
  busyMs?: number;
}

/**
 * This thread's own lateness recorder, beside monitorEventLoopDelay (which has no timestamps): a 10 ms interval
 * that keeps every tick's lateness with its time, so the worst moments can be placed in a phase.
 */
function startLoopRecorder() {
  const ticks: Tick[] = [];
  const startedAt = performance.now();
  let last = startedAt;
  let lastElu = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.now();
    const elu = performance.eventLoopUtilization();
    // Time this thread spent running (not waiting for events) since the last tick: a late tick with little of it
    // waited for a core (other processes), not for our code.
    const busyMs = elu.active - lastElu.active;
    ticks.push({ atMs: now - startedAt, latenessMs: Math.max(0, now - last - LOOP_RESOLUTION_MS), busyMs });
    last = now;
    lastElu = elu;
  }, LOOP_RESOLUTION_MS);
  // Garbage-collection pauses of this thread, with their time: a busy late tick is either our code or one of these.
  const gcPauses: { atMs: number; durationMs: number; major: boolean }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      gcPauses.push({
        atMs: entry.startTime - startedAt,
        durationMs: entry.duration,
        major: kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR,
      });
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  return {
    startedAt,
    stop() {
      clearInterval(timer);
      gcObserver.disconnect();
      return { ticks, gcPauses };
    },
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Phase {
  name: string;
  fromMs: number;
  toMs: number;
}

/** Max and p99 lateness of the ticks inside each phase (times in ms since the measurement began). */
function byPhase(ticks: Tick[], phases: Phase[]) {
  return phases.map((phase) => {
    const inside = ticks.filter((t) => t.atMs >= phase.fromMs && t.atMs < phase.toMs).map((t) => t.latenessMs);
    return {
      phase: phase.name,
      max: inside.length ? Math.max(...inside) : NaN,
      p99: percentile(inside, 99),
      samples: inside.length,
    };
  });
}

function worstMoments(ticks: Tick[], count: number) {
  return ticks
    .filter((t) => t.latenessMs >= SPIKE_MS)
    .sort((a, b) => b.latenessMs - a.latenessMs)
    .slice(0, count)
    .sort((a, b) => a.atMs - b.atMs);
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');
const verdict = (worstMs: number) => (!Number.isFinite(worstMs) ? 'no data' : worstMs < TARGET_MS ? 'met' : 'MISSED');
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Section "generation": the largest generation the Compose screen offers, from the click on Generate until the page
 * shows the first page of takes; this thread's event-loop lateness meanwhile (the generation itself runs in a worker thread).
 */
async function benchGeneration(
  page: Page,
  services: AppServices,
  pageErrors: string[],
  jsonOut: string | undefined,
): Promise<void> {
  const events: { at: number; e: ContractJobEvent }[] = [];
  const unsubscribe = services.subscribeJobEvents((e) => {
    if (e.payload.kind === 'generate') events.push({ at: performance.now(), e });
  });
  try {
    await page.keyboard.press('Control+3');
    await page.locator('[data-testid="compose-model"]').selectOption('default');
    // The largest the screen offers: its own inputs' limits.
    const bars = Number(await page.locator('[data-testid="bars"]').getAttribute('max'));
    const variations = Number(await page.locator('[data-testid="variations"]').getAttribute('max'));
    if (!(bars > 0 && variations > 0))
      throw new BenchUiError('BENCH_NO_COMPOSE', 'The Compose screen has no bars/variations limits to read.');
    await page.locator('[data-testid="bars"]').fill(String(bars));
    await page.locator('[data-testid="variations"]').fill(String(variations));
    await page.waitForTimeout(1000);

    const loadBefore = os.loadavg()[0];
    const recorder = startLoopRecorder();
    await page.evaluate('window.__etudeBench.start()');
    const pageProbeStartedAt = performance.now();
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loopDelay.enable();
    const eluStart = performance.eventLoopUtilization();
    const startedAt = performance.now();
    await page.locator('[data-testid="generate"]').click();
    const deadline = performance.now() + 600_000;
    const ended = () => events.find((x) => x.e.event === 'job:finished');
    while (!ended()) {
      if (performance.now() > deadline)
        throw new BenchUiError('BENCH_GENERATION_HUNG', 'The generation job did not end within 600 s.');
      await sleep(20);
    }
    const end = ended()!;
    if (end.e.event === 'job:finished' && end.e.payload.status !== 'done')
      throw new BenchUiError(
        'BENCH_GENERATION_FAILED',
        `The generation job ended ${end.e.payload.status}: ${end.e.payload.error?.message ?? 'no error'}.`,
      );
    // The page draws the takes (its work, measured by its own probe); this thread serves it meanwhile.
    // The screen pages a big batch (TAKES_PER_PAGE at a time): the first page drawn is what the composer waits for.
    await page
      .locator('[data-testid="variation"]')
      .nth(Math.min(variations, TAKES_PER_PAGE) - 1)
      .waitFor({ timeout: 120_000 });
    const drawnAt = performance.now();
    await sleep(AFTER_END_MS);
    loopDelay.disable();
    const elu = performance.eventLoopUtilization(eluStart);
    const { ticks } = recorder.stop();
    const pageResult = (await page.evaluate('window.__etudeBench.stop()')) as PageProbeResult;
    const loadAfter = os.loadavg()[0];

    const firstSampling = events.find(
      (x) => x.e.event === 'job:progress' && x.e.payload.progress.phase === 'generating',
    );
    const lastProgress = events.filter((x) => x.e.event === 'job:progress').at(-1);
    const samplingFrom = (firstSampling?.at ?? startedAt) - startedAt;
    const samplingTo = (lastProgress?.at ?? end.at) - startedAt;
    const phases: Phase[] = [
      { name: 'Generate to first variation', fromMs: 0, toMs: samplingFrom },
      { name: 'sampling (engine in the worker)', fromMs: samplingFrom, toMs: samplingTo },
      { name: 'job end (store takes, send result)', fromMs: samplingTo, toMs: end.at - startedAt + 50 },
      { name: 'page draws the takes', fromMs: end.at - startedAt + 50, toMs: drawnAt - startedAt },
      {
        name: `${AFTER_END_MS / 1000} s after`,
        fromMs: drawnAt - startedAt,
        toMs: drawnAt - startedAt + AFTER_END_MS + 50,
      },
    ];
    const mainTicks = ticks.map((t) => ({ ...t, atMs: t.atMs - (startedAt - recorder.startedAt) }));
    const pageTicks = pageResult.ticks.map((t) => ({ ...t, atMs: t.atMs - (startedAt - pageProbeStartedAt) }));
    const inRun = (t: { atMs: number }) => t.atMs >= 0 && t.atMs < drawnAt - startedAt;
    const main = {
      max: loopDelay.max / 1e6 - LOOP_RESOLUTION_MS,
      p99: loopDelay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS,
      samples: loopDelay.count,
    };
    const pageLateness = pageTicks.filter(inRun).map((t) => t.latenessMs);
    const pageMax = pageLateness.length ? Math.max(...pageLateness) : NaN;
    const progressEvents = events.filter((x) => x.e.event === 'job:progress').length;
    const engine =
      events.map((x) => (x.e.event === 'job:progress' ? x.e.payload.progress.engine : undefined)).find(Boolean) ??
      'unknown';
    const tokens = bars * 16 * variations;
    const samplingSeconds = (samplingTo - samplingFrom) / 1000;
    const summary = {
      section: 'generation',
      machine: { cores: os.cpus().length, loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadAfter },
      request: { bars, variations, tokens, model: 'default' },
      engine,
      targetMs: TARGET_MS,
      mainProcess: {
        ...main,
        eventLoopUtilization: elu.utilization,
        byPhase: byPhase(mainTicks, phases),
        worst: worstMoments(mainTicks.filter(inRun), 5),
      },
      page: { max: pageMax, p99: percentile(pageLateness, 99), byPhase: byPhase(pageTicks, phases) },
      seconds: {
        toFirstVariation: samplingFrom / 1000,
        sampling: samplingSeconds,
        jobEnd: (end.at - startedAt) / 1000,
        pageDrawn: (drawnAt - startedAt) / 1000,
      },
      tokensPerSecond: tokens / samplingSeconds,
      progressEvents,
      pageErrors,
    };
    const row = (name: string, max: number, p99: number, extra: string) =>
      `| ${name.padEnd(36)} | ${ms(max).padStart(9)} | ${ms(p99).padStart(9)} | ${`${TARGET_MS} ms`.padStart(6)} | ${verdict(max).padEnd(7)} | ${extra}`;
    console.log('');
    console.log(
      `bench:ui generation: the largest the Compose screen offers, ${variations} variations x ${bars} bars (${tokens.toLocaleString('en')} tokens) with the bundled model; engine: ${engine}`,
    );
    console.log(
      `machine: ${os.cpus().length} cores; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after; ` +
        `sampling ${samplingSeconds.toFixed(1)} s (${Math.round(summary.tokensPerSecond).toLocaleString('en')} tokens/s), job ended at ${summary.seconds.jobEnd.toFixed(1)} s, page drew the takes by ${summary.seconds.pageDrawn.toFixed(1)} s`,
    );
    console.log('');
    console.log(
      `| ${'event-loop lateness'.padEnd(36)} | ${'max'.padStart(9)} | ${'p99'.padStart(9)} | target | verdict | samples`,
    );
    console.log(`|${'-'.repeat(38)}|${'-'.repeat(11)}|${'-'.repeat(11)}|--------|---------|--------`);
    console.log(
      row(
        'main process (studio server, IPC)',
        main.max,
        main.p99,
        `${main.samples} x ${LOOP_RESOLUTION_MS} ms (monitorEventLoopDelay); ELU ${elu.utilization.toFixed(2)}`,
      ),
    );
    for (const p of summary.mainProcess.byPhase) console.log(row(`  ${p.phase}`, p.max, p.p99, `${p.samples} ticks`));
    console.log(row('page (16 ms setInterval)', pageMax, summary.page.p99, `${pageLateness.length} ticks`));
    for (const p of summary.page.byPhase) console.log(row(`  ${p.phase}`, p.max, p.p99, `${p.samples} ticks`));
    const worst = summary.mainProcess.worst;
    console.log(
      `worst moments, main: ${worst.length ? worst.map((t) => `${ms(t.latenessMs)} at ${(t.atMs / 1000).toFixed(1)} s (thread busy ${(t.busyMs ?? 0).toFixed(0)} ms)`).join(', ') : `none over ${SPIKE_MS} ms`}`,
    );
    console.log(
      `progress events: ${progressEvents} sent by the job, ${pageResult.progressMessages} received by the page`,
    );
    if (pageErrors.length) console.log(`page console errors: ${pageErrors.join(' | ')}`);
    if (jsonOut) {
      writeFileSync(jsonOut, JSON.stringify(summary, null, 2));
      console.log(`figures written to ${jsonOut}`);
    }
  } finally {
    unsubscribe();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const studioModules = await loadStudio();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'etude-bench-ui-'));
  const dataDir = path.join(scratch, 'data');
  let services: AppServices | undefined;
  let studio: StudioHandle | undefined;
  let context: BrowserContext | undefined;
  try {
    // 1. The renderer, the studio and a corpus.
    let rendererDir = args.rendererDir;
    if (!rendererDir) {
      rendererDir = path.join(scratch, 'renderer');
      const t0 = performance.now();
      buildRenderer(rendererDir);
      console.log(`renderer built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    // The worker-backed trainer, noting what the page's train:start asked for (to show --threads reached it).
    const received: { threads?: number; spec?: unknown } = {};
    services = studioModules.createAppServices({
      dataDir,
      resourcesDir: path.join(repoRoot, 'resources'),
      trainer: (library, request, job) => {
        received.threads = request.threads;
        received.spec = request.spec;
        return studioModules.trainFromRequest(library, request, job);
      },
    });
    // Responses unchecked against the contract, as in a production build (NODE_ENV=production).
    studio = await studioModules.startStudio({ dataDir, rendererDir, services, validateResponses: false });

    const seedJson = JSON.parse(readFileSync(SEED_MELODIES, 'utf8')) as { format: string; melodies: number[][] };
    const melodies = args.melodies === 'all' ? seedJson.melodies : seedJson.melodies.slice(0, args.melodies);
    const upload = new TextEncoder().encode(JSON.stringify({ format: seedJson.format, melodies }));
    const report = await studioModules.importFiles(services.library, [{ name: 'seed-melodies.json', bytes: upload }], {
      corpusName: 'seed-melodies',
    });
    if (report.imported === 0)
      throw new BenchUiError(
        'BENCH_IMPORT_FAILED',
        `Importing ${SEED_MELODIES} stored nothing: ${JSON.stringify(report.failed)}`,
      );
    const sixteenths = melodies.reduce((sum, m) => sum + m.length, 0);

    // The job as the server sees it: its progress events (throughput) and its end.
    const progress: { at: number; p: JobProgress }[] = [];
    // A holder, not a `let`: the listener fills it, which TypeScript's narrowing in the loops below cannot see.
    const jobEnd: { payload?: Extract<ContractJobEvent, { event: 'job:finished' }>['payload'] } = {};
    services.subscribeJobEvents((e) => {
      if (e.payload.kind !== 'train') return;
      if (e.event === 'job:progress') progress.push({ at: performance.now(), p: e.payload.progress });
      else jobEnd.payload = e.payload;
    });
    const jobEndPayload = () => jobEnd.payload;

    // 2. The page, on its Train screen, the form at the thesis defaults.
    const browser = await launchChromium(path.join(scratch, 'chromium-profile'), args.threads);
    context = browser.context;
    const { page } = browser;
    await page.goto(studio.url);
    await page
      .locator('[data-testid="status-engine"]')
      .filter({ hasText: /engine|threads/ })
      .waitFor({ timeout: 60_000 });
    if (args.only === 'generation') {
      await benchGeneration(page, services, browser.errors, args.jsonOut);
      return;
    }
    await page.keyboard.press('Control+2');
    await page.locator('[data-testid="train-corpus"]').selectOption('seed-melodies');
    await page.locator('[data-testid="train-model-name"]').fill('bench-ui');
    if (args.engine !== 'auto') {
      await page.getByText('Advanced').click();
      await page.locator('[data-testid="train-engine"]').selectOption(args.engine);
    }
    // Let the page settle (fonts, first paints) before measuring.
    await page.waitForTimeout(1000);

    // 3. Measure from the click on Start until the cancelled job has ended.
    const loadBefore = os.loadavg()[0];
    let profiler: Session | undefined;
    if (args.cpuProfileOut) {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 1000 });
      await profiler.post('Profiler.start');
    }
    const recorder = startLoopRecorder();
    await page.evaluate('window.__etudeBench.start()');
    const pageProbeStartedAt = performance.now();
    await sleep(IDLE_BASELINE_MS);
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loopDelay.enable();
    const eluStart = performance.eventLoopUtilization();
    const heapUsedAtStartMB = process.memoryUsage().heapUsed / 2 ** 20;
    const startedAt = performance.now();
    await page.locator('[data-testid="train-start"]').click();

    const firstStepDeadline = performance.now() + 120_000;
    while (!progress.some((e) => e.p.phase === 'epoch') && !jobEnd.payload) {
      if (performance.now() > firstStepDeadline)
        throw new BenchUiError('BENCH_NO_PROGRESS', 'The training job sent no epoch progress within 120 s of Start.');
      await sleep(50);
    }
    const firstStepAt = progress.find((e) => e.p.phase === 'epoch')?.at ?? performance.now();
    while (!jobEnd.payload && performance.now() - firstStepAt < args.seconds * 1000) await sleep(100);
    // An epoch end was once main's heaviest moment (the checkpoint store, now in the worker): keep one inside the window.
    const epochEnded = () => progress.some((e) => e.p.phase === 'epoch done');
    while (
      !jobEnd.payload &&
      !epochEnded() &&
      performance.now() - firstStepAt < (args.seconds + EPOCH_WAIT_MAX_S) * 1000
    )
      await sleep(100);
    if (!epochEnded())
      console.log(
        `note: no epoch ended within ${args.seconds + EPOCH_WAIT_MAX_S} s of training, so no epoch end was measured (lower --melodies).`,
      );
    // The store follows 'epoch done' (validation is over, the worker encodes and writes, this thread updates the model row): let it happen.
    else await sleep(CHECKPOINT_STORE_WINDOW_MS);
    if (jobEnd.payload) {
      throw new BenchUiError(
        'BENCH_JOB_ENDED',
        `The training job ended (${jobEnd.payload.status}) before the ${args.seconds} s window: ${jobEnd.payload.error?.message ?? 'no error'}.`,
      );
    }

    const cancelClickedAt = performance.now();
    await page.locator('[data-testid="train-cancel"]').click();
    const cancelDeadline = performance.now() + 30_000;
    while (!jobEnd.payload) {
      if (performance.now() > cancelDeadline)
        throw new BenchUiError('BENCH_CANCEL_HUNG', "The training job did not end within 30 s of the page's Cancel.");
      await sleep(10);
    }
    const endedAt = performance.now();
    loopDelay.disable();
    const elu = performance.eventLoopUtilization(eluStart);
    const finished = jobEndPayload();
    if (!finished) throw new BenchUiError('BENCH_CANCEL_HUNG', 'The training job has no end event.');
    await sleep(AFTER_END_MS);
    const pageResult = (await page.evaluate('window.__etudeBench.stop()')) as PageProbeResult;
    const { ticks: mainTicks, gcPauses } = recorder.stop();
    if (profiler && args.cpuProfileOut) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(args.cpuProfileOut, JSON.stringify(profile));
      profiler.disconnect();
      console.log(`main-thread CPU profile written to ${args.cpuProfileOut} (open it in Chrome DevTools, Performance)`);
    }
    const loadAfter = os.loadavg()[0];
    const progressText = ((await page.locator('[data-testid="train-progress"]').textContent()) ?? '')
      .replace(/\s+/g, ' ')
      .trim();

    // 4. Figures. Times in ms since Start (negative: the idle baseline); the page's clock is aligned to within the
    // few ms that page.evaluate took.
    const phases: Phase[] = [
      { name: 'idle before Start (baseline)', fromMs: -IDLE_BASELINE_MS, toMs: 0 },
      { name: 'Start to first step', fromMs: 0, toMs: firstStepAt - startedAt },
      { name: 'steady training', fromMs: firstStepAt - startedAt, toMs: cancelClickedAt - startedAt },
      { name: 'Cancel to job end', fromMs: cancelClickedAt - startedAt, toMs: endedAt - startedAt },
      {
        name: `${AFTER_END_MS / 1000} s after the end`,
        fromMs: endedAt - startedAt,
        toMs: endedAt - startedAt + AFTER_END_MS + 50,
      },
    ];
    const mainTicksFromStart = mainTicks.map((t) => ({ ...t, atMs: t.atMs - (startedAt - recorder.startedAt) }));
    const pageTicksFromStart = pageResult.ticks.map((t) => ({ ...t, atMs: t.atMs - (startedAt - pageProbeStartedAt) }));
    const pageLongTasks = pageResult.longTasks.map((t) => ({ ...t, atMs: t.atMs - (startedAt - pageProbeStartedAt) }));
    const inTraining = (t: { atMs: number }) => t.atMs >= 0 && t.atMs < endedAt - startedAt;
    const mainLateness = {
      max: loopDelay.max / 1e6 - LOOP_RESOLUTION_MS,
      p99: loopDelay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS,
      samples: loopDelay.count,
    };
    const trainingGcPauses = gcPauses
      .map((g) => ({ ...g, atMs: g.atMs - (startedAt - recorder.startedAt) }))
      .filter(inTraining);
    // The training loop reports 'epoch done' just before it hands over the epoch's checkpoint, which this (main)
    // thread then stores: the store follows each of these within moments (the worker encodes the bytes first).
    const epochEndsMs = progress.filter((e) => e.p.phase === 'epoch done').map((e) => e.at - startedAt);
    /** What this thread was doing during a late tick, where we know: a GC pause, or an epoch's checkpoint store. */
    const causeOf = (t: Tick) => {
      const tickFrom = t.atMs - t.latenessMs - LOOP_RESOLUTION_MS;
      // A GC pause explains the tick only if it took most of it; a short one beside other work is not the cause.
      const gc = trainingGcPauses.find(
        (g) => g.atMs < t.atMs && g.atMs + g.durationMs > tickFrom && g.durationMs >= t.latenessMs / 2,
      );
      if (gc) return `${gc.major ? 'major' : 'minor'} GC ${gc.durationMs.toFixed(0)} ms`;
      if (epochEndsMs.some((end) => end <= t.atMs && end >= tickFrom - CHECKPOINT_STORE_WINDOW_MS)) return 'epoch end';
      if (t.atMs >= cancelClickedAt - startedAt) return 'after Cancel: job teardown';
      return 'not attributed';
    };
    const longestGc = trainingGcPauses.reduce((a, b) => (b.durationMs > a.durationMs ? b : a), {
      atMs: NaN,
      durationMs: 0,
      major: false,
    });
    const pageLatenesses = pageTicksFromStart.filter(inTraining).map((t) => t.latenessMs);
    const pageLateness = {
      max: pageLatenesses.length ? Math.max(...pageLatenesses) : NaN,
      p99: percentile(pageLatenesses, 99),
      samples: pageLatenesses.length,
    };
    const trainingLongTasks = pageLongTasks.filter(inTraining);
    const longestTaskMs = trainingLongTasks.length ? Math.max(...trainingLongTasks.map((t) => t.durationMs)) : 0;

    const epochEvents = progress.filter((e) => e.p.phase === 'epoch' && e.p.step !== undefined);
    const stepsOf = (p: JobProgress | undefined) =>
      p ? ((p.epoch ?? 1) - 1) * (p.stepsPerEpoch ?? 0) + (p.step ?? 0) : 0;
    const first = epochEvents[0];
    const last = epochEvents.at(-1);
    const stepsDone = stepsOf(last?.p);
    const msPerStep =
      first && last && stepsDone > stepsOf(first.p) ? (last.at - first.at) / (stepsDone - stepsOf(first.p)) : NaN;
    const sequencesPerSec = last?.p.sequencesPerSec ?? NaN;
    const engine = last?.p.engine ?? 'unknown';
    const epochsCompleted = progress.filter((e) => e.p.phase === 'epoch done').length;
    const spec = DEFAULT_MELODY_SPEC;
    const summary = {
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAverage1mBefore: loadBefore,
        loadAverage1mAfter: loadAfter,
      },
      spec: {
        embeddingDim: spec.embeddingDim,
        hiddenSize: spec.hiddenSize,
        layers: spec.layers,
        window: spec.window,
        batchSize: DEFAULT_TRAINING.batchSize,
      },
      corpus: { melodies: melodies.length, sixteenths },
      engine,
      measuredSeconds: (endedAt - startedAt) / 1000,
      targetMs: TARGET_MS,
      mainProcess: {
        ...mainLateness,
        eventLoopUtilization: elu.utilization,
        byPhase: byPhase(mainTicksFromStart, phases),
        worst: worstMoments(mainTicksFromStart.filter(inTraining), 5),
        gcPauses: trainingGcPauses.length,
        gcPausesMs: trainingGcPauses.reduce((sum, g) => sum + g.durationMs, 0),
        longestGcPauseMs: longestGc.durationMs,
        longestGcPauseAtMs: longestGc.atMs,
        majorGcPauses: trainingGcPauses.filter((g) => g.major).length,
        heapUsedAtStartMB: heapUsedAtStartMB,
      },
      page: {
        ...pageLateness,
        byPhase: byPhase(pageTicksFromStart, phases),
        worst: worstMoments(pageTicksFromStart.filter(inTraining), 5),
        longTasks: pageLongTasks,
        longestTaskMs,
        progressMessages: pageResult.progressMessages,
      },
      training: {
        sequencesPerSec,
        msPerStep,
        stepsDone,
        epochsCompleted,
        epochEndsAtSeconds: epochEndsMs.map((t) => t / 1000),
        stepsPerEpoch: last?.p.stepsPerEpoch,
        loss: last?.p.loss,
        serverProgressEvents: progress.length,
        startToFirstStepSeconds: (firstStepAt - startedAt) / 1000,
        cancelToEndMs: endedAt - cancelClickedAt,
        finalStatus: finished.status,
      },
      pageShowed: progressText,
      pageErrors: browser.errors,
    };

    const row = (name: string, max: number, p99: number, extra: string) =>
      `| ${name.padEnd(36)} | ${ms(max).padStart(9)} | ${ms(p99).padStart(9)} | ${`${TARGET_MS} ms`.padStart(6)} | ${verdict(max).padEnd(7)} | ${extra}`;
    const moments = (list: Tick[]) =>
      list.length
        ? list
            .map((t) => {
              const cause = t.busyMs !== undefined && t.busyMs > t.latenessMs / 2 ? causeOf(t) : undefined;
              return `${ms(t.latenessMs)} at ${(t.atMs / 1000).toFixed(1)} s${t.busyMs !== undefined ? ` (thread busy ${t.busyMs.toFixed(0)} ms${cause ? `: ${cause}` : ''})` : ''}`;
            })
            .join(', ')
        : `none over ${SPIKE_MS} ms`;
    console.log('');
    console.log(
      `bench:ui: responsiveness while the DEFAULT model trains (E${spec.embeddingDim}, LSTM ${spec.hiddenSize} x${spec.layers}, window ${spec.window}, batch ${DEFAULT_TRAINING.batchSize})`,
    );
    console.log(
      `machine: ${summary.machine.cores} cores (${summary.machine.cpu}), Node ${process.version}; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after` +
        (Math.max(loadBefore, loadAfter) > summary.machine.cores
          ? ' (more runnable work than cores: other processes delay every thread, read the figures with that)'
          : ''),
    );
    console.log(
      `corpus: ${melodies.length} seed melodies (${sixteenths} sixteenths); engine: ${engine}; ` +
        `engine threads in the page's train:start: ${received.threads ?? "none (the engine's default)"}; spec sent: ${JSON.stringify(received.spec)}`,
    );
    console.log(
      `measured: ${summary.measuredSeconds.toFixed(1)} s from Start to the cancelled job's end; first step after ${summary.training.startToFirstStepSeconds.toFixed(1)} s`,
    );
    console.log('');
    console.log(
      `| ${'event-loop lateness'.padEnd(36)} | ${'max'.padStart(9)} | ${'p99'.padStart(9)} | target | verdict | samples`,
    );
    console.log(`|${'-'.repeat(38)}|${'-'.repeat(11)}|${'-'.repeat(11)}|--------|---------|--------`);
    console.log(
      row(
        'main process (studio server, IPC)',
        mainLateness.max,
        mainLateness.p99,
        `${mainLateness.samples} x ${LOOP_RESOLUTION_MS} ms (monitorEventLoopDelay); ELU ${elu.utilization.toFixed(2)}`,
      ),
    );
    for (const p of summary.mainProcess.byPhase)
      console.log(row(`  ${p.phase}`, p.max, p.p99, `${p.samples} ticks (own 10 ms timer)`));
    console.log(
      row(
        'page (16 ms setInterval)',
        pageLateness.max,
        pageLateness.p99,
        `${pageLateness.samples} ticks; ${trainingLongTasks.length} long tasks${trainingLongTasks.length ? `, longest ${ms(longestTaskMs)}` : ''}`,
      ),
    );
    for (const p of summary.page.byPhase) console.log(row(`  ${p.phase}`, p.max, p.p99, `${p.samples} ticks`));
    console.log('');
    console.log(
      `the first rows of each block cover Start to the job's end; "thread busy" = our code running on that thread during the late tick`,
    );
    console.log(`worst moments, main: ${moments(summary.mainProcess.worst)}`);
    console.log(
      `main thread GC: ${trainingGcPauses.length} pauses (${summary.mainProcess.majorGcPauses} major), ${ms(summary.mainProcess.gcPausesMs)} in all` +
        (trainingGcPauses.length
          ? `, longest ${ms(longestGc.durationMs)} (${longestGc.major ? 'major' : 'minor'}) at ${(longestGc.atMs / 1000).toFixed(1)} s`
          : '') +
        `; heap ${heapUsedAtStartMB.toFixed(0)} MB at Start, of which this harness's playwright-core is ~40 MB (the Electron main process has none)`,
    );
    console.log(`worst moments, page: ${moments(summary.page.worst)}`);
    console.log(
      `phases: first step at ${summary.training.startToFirstStepSeconds.toFixed(1)} s, Cancel at ${((cancelClickedAt - startedAt) / 1000).toFixed(1)} s, ` +
        `end at ${summary.measuredSeconds.toFixed(1)} s; epochs ended (checkpoint stored by the training worker) at: ` +
        (epochEndsMs.length ? epochEndsMs.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ') : 'none'),
    );
    console.log('');
    console.log(
      `training meanwhile: ${Number.isFinite(sequencesPerSec) ? Math.round(sequencesPerSec).toLocaleString('en') : 'n/a'} sequences/s, ${ms(msPerStep)} per step, ` +
        `${stepsDone} steps (${epochsCompleted} epoch${epochsCompleted === 1 ? '' : 's'} completed and stored, ${last?.p.stepsPerEpoch ?? '?'} steps each)` +
        `${last?.p.loss !== undefined ? `, loss ${last.p.loss.toFixed(3)}` : ''}`,
    );
    console.log(
      `progress events: ${progress.length} sent by the job, ${pageResult.progressMessages} received by the page; Cancel to job end: ${ms(summary.training.cancelToEndMs)} (${finished.status})`,
    );
    console.log(`the page showed: "${progressText}"`);
    if (browser.errors.length) console.log(`page console errors: ${browser.errors.join(' | ')}`);
    if (args.jsonOut) {
      writeFileSync(args.jsonOut, JSON.stringify(summary, null, 2));
      console.log(`figures written to ${args.jsonOut}`);
    }
    if (args.only === 'all')
      await benchGeneration(page, services, browser.errors, args.jsonOut?.replace(/(\.json)?$/, '-generation.json'));
  } finally {
    await context?.close().catch(() => {});
    await studio?.close().catch(() => {});
    await services?.close().catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const e = err as { name?: string; code?: string; message?: string; stack?: string };
    console.error(`bench:ui failed (${e?.code ?? e?.name ?? 'error'}): ${e?.message ?? String(err)}`);
    if (!(err instanceof BenchUiError) && e?.stack) console.error(e.stack);
    process.exit(1);
  },
);
