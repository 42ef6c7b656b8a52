// SPDX-License-Identifier: MIT
// eval:poly --state: a long benchmark run saved after every validation, refused when the flags name another run, and
// resumed after a kill from where it stopped, spending only what is left of its budget.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getModelDefinition } from '../../src/core/model/registry';
import { DEFAULT_TRAINING } from '../../src/core/model/spec';
import {
  activeClock,
  type EvalRunProgress,
  type EvalRunSettings,
  loadEvalRun,
  runFolder,
  saveEvalRun,
} from '../../scripts/lib/evalRunState';
import { TINY_BI_LSTM_SPEC, tinyBenchmark } from './helpers/tinyBenchmark';

const repo = path.resolve(__dirname, '../..');
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'etude-evalrun-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const spec = TINY_BI_LSTM_SPEC;

const settings: EvalRunSettings = {
  data: 'tiny',
  kind: 'bi-lstm',
  seed: 3,
  minutes: 5,
  schedule: 'anneal',
  peakRate: 0.0025,
  batch: 4,
  epochFrames: 64,
  validMaxFrames: 0,
  spec,
};

const progress = (epochs: number, valid: number): EvalRunProgress => ({
  spentMs: 1000 * epochs,
  epochs,
  steps: 2 * epochs,
  trainMs: 900 * epochs,
  trainFrames: 64 * epochs,
  best: { valid, epoch: epochs },
  loads: [1.5],
  loop: { bestValLoss: valid, valLossHistory: [valid] },
  done: false,
});

describe('the saved state of an eval:poly run', () => {
  const weights = (seed: number) => getModelDefinition('bi-lstm').initWeights(spec, seed);
  const saveFirstValidation = (folder: string, runSettings: EvalRunSettings = settings) =>
    saveEvalRun(
      folder,
      runSettings,
      DEFAULT_TRAINING,
      { progress: progress(1, 4.5), weights: weights(1), bestWeights: weights(1) },
      'test',
    );

  it('round-trips the weights, the progress and the best weights, and writes the best only when it changed', async () => {
    const folder = runFolder(tempDir(), 'bi-lstm', 3);
    expect(loadEvalRun(folder, settings)).toBeUndefined();
    await saveFirstValidation(folder);
    const bestFile = path.join(folder, 'best.etude-ckpt');
    const bestWritten = statSync(bestFile).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await saveEvalRun(folder, settings, DEFAULT_TRAINING, { progress: progress(2, 4.5), weights: weights(2) }, 'test');
    expect(statSync(bestFile).mtimeMs).toBe(bestWritten);
    const back = loadEvalRun(folder, settings)!;
    expect(back.progress.epochs).toBe(2);
    expect(back.progress.loop.valLossHistory).toEqual([4.5]);
    const name = Object.keys(back.weights)[0];
    expect(Array.from(back.weights[name])).toEqual(Array.from(weights(2)[name]));
    expect(Array.from(back.bestWeights[name])).toEqual(Array.from(weights(1)[name]));
    expect(Array.from(back.bestWeights[name])).not.toEqual(Array.from(weights(2)[name]));
  });

  it("refuses another run's state, naming what differs, and leaves it as it was", async () => {
    const folder = runFolder(tempDir(), 'bi-lstm', 3);
    await saveFirstValidation(folder);
    const before = readFileSync(path.join(folder, 'latest.etude-ckpt'));
    // A budget of 0.6 s is already spent (1 s): not one to go on with (mayChangeBudget).
    expect(() => loadEvalRun(folder, { ...settings, minutes: 0.01, peakRate: 0.001 })).toThrow(
      /another run \(minutes, peakRate differ\)/,
    );
    // A setting only one side names (--transpose, absent from a run without it) differs too, whichever side has it.
    expect(() => loadEvalRun(folder, { ...settings, transpose: 2 })).toThrow(/another run \(transpose differ\)/);
    const withShifts = runFolder(tempDir(), 'bi-lstm', 3);
    await saveFirstValidation(withShifts, { ...settings, transpose: 2 });
    expect(() => loadEvalRun(withShifts, settings)).toThrow(/another run \(transpose differ\)/);
    expect(loadEvalRun(withShifts, { ...settings, transpose: 2 })?.progress.epochs).toBe(1);
    expect(readFileSync(path.join(folder, 'latest.etude-ckpt')).equals(before)).toBe(true);
  });

  it('takes another budget only while the rate is at its peak under both, and never for a finished run', async () => {
    // 5 minutes annealed: the peak is held for the first 2 minutes (ANNEAL.hold 0.4).
    const folder = runFolder(tempDir(), 'bi-lstm', 3);
    const saveAt = (spentMs: number, done = false, runSettings = settings) =>
      saveEvalRun(
        folder,
        runSettings,
        DEFAULT_TRAINING,
        { progress: { ...progress(1, 4.5), spentMs, done }, weights: weights(1), bestWeights: weights(1) },
        'test',
      );
    await saveAt(119_000);
    expect(loadEvalRun(folder, { ...settings, minutes: 60 })?.budgetFromMinutes).toBe(5);
    expect(loadEvalRun(folder, settings)?.budgetFromMinutes).toBeUndefined();
    // 4 minutes hold the peak for 1.6 only: the run's 1.98 minutes had the peak that budget would have lowered.
    expect(() => loadEvalRun(folder, { ...settings, minutes: 4 })).toThrow(/another run \(minutes differ\)/);
    await saveAt(95_000);
    expect(loadEvalRun(folder, { ...settings, minutes: 4 })?.budgetFromMinutes).toBe(5);
    // Past the hold the rate has begun to fall on the 5-minute curve: a longer budget would have held it.
    await saveAt(121_000);
    expect(() => loadEvalRun(folder, { ...settings, minutes: 60 })).toThrow(/another run \(minutes differ\)/);
    await saveAt(119_000, true);
    expect(() => loadEvalRun(folder, { ...settings, minutes: 60 })).toThrow(/another run \(minutes differ\)/);
    // A constant rate never leaves its peak.
    const constant = { ...settings, schedule: 'constant' };
    await saveAt(290_000, false, constant);
    expect(loadEvalRun(folder, { ...constant, minutes: 60 })?.budgetFromMinutes).toBe(5);
    expect(loadEvalRun(folder, { ...constant, minutes: 4.9 })?.budgetFromMinutes).toBe(5);
    // ... but a budget already spent is not one to go on with.
    expect(() => loadEvalRun(folder, { ...constant, minutes: 4 })).toThrow(/another run \(minutes differ\)/);
  });

  it('keeps the weight average beside the state, and drops one saved for a later validation than the latest', async () => {
    const folder = runFolder(tempDir(), 'bi-lstm', 3);
    const averaged = { ...settings, averageDecay: 0.5 };
    const save = (epochs: number, average: number) =>
      saveEvalRun(
        folder,
        averaged,
        DEFAULT_TRAINING,
        {
          progress: progress(epochs, 4.5),
          weights: weights(epochs),
          bestWeights: weights(1),
          average: weights(average),
        },
        'test',
      );
    await save(1, 5);
    const name = Object.keys(weights(1))[0];
    expect(Array.from(loadEvalRun(folder, averaged)!.average![name])).toEqual(Array.from(weights(5)[name]));
    expect(() => loadEvalRun(folder, settings)).toThrow(/another run \(averageDecay differ\)/);
    // A kill between the two writes: the average is of validation 2, the latest still of validation 1.
    const latestFile = path.join(folder, 'latest.etude-ckpt');
    const latestOfFirst = readFileSync(latestFile);
    await save(2, 6);
    writeFileSync(latestFile, latestOfFirst);
    const back = loadEvalRun(folder, averaged)!;
    expect(back.progress.epochs).toBe(1);
    expect(back.average).toBeUndefined();
  });

  it('counts active time only: a gap longer than the limit (a suspended machine) adds just the limit', () => {
    let t = 0;
    const clock = activeClock(500, 100, () => t);
    t = 60;
    expect(clock()).toBe(560);
    t = 10_060;
    expect(clock()).toBe(660);
    t = 10_090;
    expect(clock()).toBe(690);
  });
});

const evalArgs = (data: string, state: string, minutes: number) => [
  '--import',
  'tsx',
  'scripts/eval-poly.ts',
  '--data',
  data,
  '--kind',
  'bi-lstm',
  '--tiny',
  '--threads',
  '1',
  '--minutes',
  String(minutes),
  '--epoch-frames',
  '64',
  '--patience',
  '0',
  '--state',
  state,
];

describe('eval:poly --state, end to end', () => {
  it('resumes a killed run from its last validation and trains only for what is left of the budget', async () => {
    const dir = tempDir();
    const data = tinyBenchmark(dir);
    const state = path.join(dir, 'state');
    const latest = path.join(runFolder(state, 'bi-lstm', 1), 'latest.etude-ckpt');
    const first = spawn(process.execPath, evalArgs(data, state, 0.25), { cwd: repo, stdio: 'ignore' });
    const exited = new Promise((r) => first.on('exit', r));
    const deadline = Date.now() + 60_000;
    while (!existsSync(latest) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    first.kill('SIGKILL');
    await exited;
    expect(existsSync(latest)).toBe(true);

    const second = spawnSync(process.execPath, evalArgs(data, state, 0.25), { cwd: repo, encoding: 'utf8' });
    expect(second.status, second.stderr).toBe(0);
    const resumed = /resumed from .*: (\d+) validations done, ([\d.]+) of 0.25 min spent/.exec(second.stdout);
    expect(resumed, second.stdout).not.toBeNull();
    expect(Number(resumed![1])).toBeGreaterThan(0);
    expect(Number(resumed![2])).toBeGreaterThan(0);
    // The result line: the minutes trained over both sittings are the budget (plus the last validation), not twice it.
    const line = /bi-lstm \(ours[^)]*\)\s+([\d.]+)\s+([\d.]+) min/.exec(second.stdout);
    expect(line, second.stdout).not.toBeNull();
    expect(Number(line![2])).toBeGreaterThanOrEqual(0.25);
    expect(Number(line![2])).toBeLessThan(0.35);

    // Once the budget is spent, running it again scores the saved best weights without training: the same figure.
    const third = spawnSync(process.execPath, evalArgs(data, state, 0.25), { cwd: repo, encoding: 'utf8' });
    expect(third.status, third.stderr).toBe(0);
    expect(third.stdout).toMatch(/spent its budget: scoring its best weights \(its training stopped: budget\)/);
    expect(/bi-lstm \(ours[^)]*\)\s+([\d.]+)/.exec(third.stdout)![1]).toBe(line![1]);

    // Other flags over the same state: refused with what differs, exit 1.
    const other = spawnSync(process.execPath, evalArgs(data, state, 0.5), { cwd: repo, encoding: 'utf8' });
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/holds the state of another run \(minutes differ\)/);
    // Another file of the same name is other data: refused too (the settings hold the file's SHA-256).
    mkdirSync(path.join(dir, 'elsewhere'));
    const sameName = tinyBenchmark(path.join(dir, 'elsewhere'), 8);
    expect(path.basename(sameName)).toBe(path.basename(data));
    const elsewhere = spawnSync(process.execPath, evalArgs(sameName, state, 0.25), { cwd: repo, encoding: 'utf8' });
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toMatch(/holds the state of another run \(data differ\)/);
  }, 120_000);

  it('a saved run is scored on the webgpu engine (--engine webgpu) to the same test figure as on wasm', () => {
    const dir = tempDir();
    const args = evalArgs(tinyBenchmark(dir), path.join(dir, 'state'), 0.1);
    const onWasm = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8' });
    expect(onWasm.status, onWasm.stderr).toBe(0);
    expect(onWasm.stdout).toMatch(/wasm engine \(WebAssembly SIMD\), 1 thread/);
    // The engine is not one of the saved settings: the same folder goes on with the other engine. Without a GPU the
    // engine selection offers Dawn Chromium's SwiftShader (src/core/engine/webgpuVulkan.ts).
    const onGpu = spawnSync(process.execPath, [...args, '--engine', 'webgpu'], { cwd: repo, encoding: 'utf8' });
    expect(onGpu.status, onGpu.stderr).toBe(0);
    expect(onGpu.stdout).toMatch(/spent its budget: scoring its best weights/);
    expect(onGpu.stdout).toMatch(
      /bi-lstm: [\d,]+ parameters .*webgpu engine \(WGSL compute shaders through Dawn\) on /,
    );
    // The result line names the engine that scored it.
    expect(onGpu.stdout).toMatch(/bi-lstm \(ours[^)]*\)\s+[\d.]+\s+.*; webgpu engine/);
    const test = (out: string) => Number(/ {2}test: ([\d.]+) nats per frame/.exec(out)![1]);
    expect(Math.abs(test(onGpu.stdout) - test(onWasm.stdout))).toBeLessThanOrEqual(0.0011);
  }, 180_000);

  it('validates the weight average beside the weights with --average-decay, and says which it kept', () => {
    const dir = tempDir();
    const args = [...evalArgs(tinyBenchmark(dir), path.join(dir, 'state'), 0.1), '--average-decay', '0.5'];
    const out = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/weight average \(decay 0.5 per validation\) validated beside the weights/);
    const epochs = [...out.stdout.matchAll(/epoch \d+: train [\d.]+ {2}valid ([\d.]+) \(average ([\d.]+)\)/g)];
    expect(epochs.length, out.stdout).toBeGreaterThan(1);
    // The first validation's average is its weights.
    expect(epochs[0][2]).toBe(epochs[0][1]);
    const best = Math.min(...epochs.flatMap((m) => [Number(m[1]), Number(m[2])]));
    const line = /bi-lstm \(ours[^)]*\)\s+[\d.]+\s+.*valid ([\d.]+)( of the weight average)?\)/.exec(out.stdout);
    expect(line, out.stdout).not.toBeNull();
    expect(Number(line![1])).toBeLessThanOrEqual(best + 0.0005);
    const bad = spawnSync(process.execPath, [...args.slice(0, -1), '1'], { cwd: repo, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--average-decay must be a number above 0 and below 1, got: 1/);
  }, 120_000);
});
