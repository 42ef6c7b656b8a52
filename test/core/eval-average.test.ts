// SPDX-License-Identifier: MIT
// eval:average replays weight averaging over a run's checkpoints: the averages it validates are the ones computed
// here independently, and it refuses what is not one run's checkpoints.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPolyBenchmark } from '../../src/core/data/polyBenchmark';
import { cropRoll } from '../../src/core/data/rollRange';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import type { NamedWeights } from '../../src/core/engine/types';
import { encodeCheckpoint } from '../../src/core/model/checkpoint';
import { getModelDefinition } from '../../src/core/model/registry';
import { DEFAULT_TRAINING } from '../../src/core/model/spec';
import { evaluateWindows } from '../../src/core/training/trainLoop';
import { TINY_BI_LSTM_SPEC as spec, tinyBenchmark } from './helpers/tinyBenchmark';

const repo = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'etude-evalaverage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const training = { ...DEFAULT_TRAINING, batchSize: 4 };
const weightsOf = (seed: number) => getModelDefinition('bi-lstm').initWeights(spec, seed);

/** Writes checkpoints of epochs 1..n of `model` into `folder`: epoch e has the initial weights of seed e, valid `valids[e-1]`. */
function writeRun(folder: string, valids: number[], model = spec): void {
  mkdirSync(folder, { recursive: true });
  valids.forEach((valLoss, i) =>
    writeFileSync(
      path.join(folder, `${1000 - i}.etude-ckpt`),
      encodeCheckpoint({
        formatVersion: 1,
        spec: model,
        training,
        epoch: i + 1,
        step: 2 * (i + 1),
        metrics: { valLoss },
        weights: getModelDefinition('bi-lstm').initWeights(model, i + 1),
        engine: 'test',
        createdAt: 0,
      }),
    ),
  );
}

const evalAverage = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/eval-average.ts', ...args], {
    cwd: repo,
    encoding: 'utf8',
  });

describe('eval:average', () => {
  it('validates the moving average of the weights after each validation, and scores the best on test', async () => {
    const data = tinyBenchmark(dir);
    const run = path.join(dir, 'run');
    writeRun(run, [9, 8, 7]);
    const out = evalAverage('--data', data, '--checkpoints', run, '--decays', '0.5', '--threads', '1');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/3 checkpoints of bi-lstm, epochs 1\.\.3/);
    expect(out.stdout).toMatch(/the weights: best valid 7\.000 after epoch 3; test \d/);
    const valids = /average, decay 0\.5: valid 1: ([\d.]+), 2: ([\d.]+), 3: ([\d.]+)/.exec(out.stdout);
    expect(valids, out.stdout).not.toBeNull();

    // The same averages, computed here: epoch 1 the weights of seed 1, epoch 2 halfway to seed 2's, epoch 3 halfway
    // from there to seed 3's.
    const bench = readPolyBenchmark(JSON.parse(readFileSync(data, 'utf8')), data);
    const span = { from: 60 - bench.low, count: 6 };
    const validSet = getModelDefinition('bi-lstm').buildBatches(
      spec,
      bench.valid.map((p) => ({ name: p.name, tokens: cropRoll(p, span).roll })),
      [0],
    );
    const engine = await createWasmEngine({ threads: 1, adaptiveThreads: false });
    const model = await engine.createModel(spec, training);
    const mix = (a: NamedWeights, b: NamedWeights): NamedWeights =>
      Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v.map((x, i) => 0.5 * x + 0.5 * b[k][i])]));
    const second = mix(weightsOf(1), weightsOf(2));
    const expected: number[] = [];
    for (const w of [weightsOf(1), second, mix(second, weightsOf(3))]) {
      model.setWeights(w);
      expected.push(await evaluateWindows(model, validSet, 4));
    }
    model.dispose();
    await engine.dispose();
    expect(valids!.slice(1).map(Number)).toEqual(expected.map((v) => Number(v.toFixed(3))));
    const best = Math.min(...expected);
    expect(out.stdout).toMatch(
      new RegExp(
        `decay 0\\.5: best valid ${best.toFixed(3)} after epoch ${expected.indexOf(best) + 1}; test [\\d.]+; ` +
          `the better on valid: the ${best < 7 ? 'average' : 'weights'}`,
      ),
    );
  }, 120_000);

  it("refuses a folder without checkpoints, two of one epoch, several models' and a decay outside (0, 1)", () => {
    const data = tinyBenchmark(dir);
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    expect(evalAverage('--data', data, '--checkpoints', empty).stderr).toMatch(/holds no \.etude-ckpt files/);
    const twice = path.join(dir, 'twice');
    writeRun(twice, [9]);
    writeRun(path.join(twice, 'copy'), [9]);
    writeFileSync(path.join(twice, 'again.etude-ckpt'), readFileSync(path.join(twice, 'copy', '1000.etude-ckpt')));
    expect(evalAverage('--data', data, '--checkpoints', twice).stderr).toMatch(/two checkpoints of one epoch/);
    const mixed = path.join(dir, 'mixed');
    writeRun(mixed, [9, 8], { ...spec, timeSizes: [6] } as typeof spec);
    writeRun(path.join(mixed, 'other'), [9]);
    writeFileSync(path.join(mixed, 'first.etude-ckpt'), readFileSync(path.join(mixed, 'other', '1000.etude-ckpt')));
    expect(evalAverage('--data', data, '--checkpoints', mixed).stderr).toMatch(/checkpoints of several models/);
    const bad = evalAverage('--data', data, '--checkpoints', mixed, '--decays', '0.5,1');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--decays must list numbers above 0 and below 1, got: 0\.5,1/);
  }, 120_000);
});
