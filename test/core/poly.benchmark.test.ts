// SPDX-License-Identifier: MIT
// The benchmark loader and the frame-level NLL evaluator, calibrated against Boulanger-Lewandowski et al. (ICML 2012,
// Table 1, "Note 1-Gram"): a per-pitch Bernoulli fitted on the training frames scores 11.06 nats per frame on JSB's
// test split and 10.25 on Nottingham's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorpusFormatError } from '../../src/core/data/jsonCorpora';
import { frameCount, readPolyBenchmark } from '../../src/core/data/polyBenchmark';
import { bernoulliScorer, fitNoteUnigram, pooledFrameNll } from '../../src/core/model/polyMetrics';

const DATA = path.resolve(__dirname, '../../../shared/data/boulanger2012');
const load = (name: string) =>
  readPolyBenchmark(JSON.parse(readFileSync(`${DATA}/${name}.json`, 'utf8')), `${name}.json`);

describe('polyphonic benchmark', () => {
  it.each([
    ['JSB_Chorales', 11.06, [229, 76, 77], 4725],
    ['Nottingham', 10.25, [694, 173, 170], 44463],
  ] as const)('%s: the Note 1-Gram calibration gives the paper figure %s', async (name, paper, counts, testFrames) => {
    const b = load(name);
    expect([b.train.length, b.valid.length, b.test.length]).toEqual(counts);
    expect(frameCount(b.test)).toBe(testFrames);
    const r = await pooledFrameNll(b.test, bernoulliScorer(fitNoteUnigram(b.train)));
    expect(r.frames).toBe(testFrames);
    expect(r.nll.toFixed(2)).toBe(paper.toFixed(2));
  });

  it('a coin per pitch costs 88 log 2 = 61.00 nats per frame, whatever the music', async () => {
    const b = load('JSB_Chorales');
    const r = await pooledFrameNll(b.test, bernoulliScorer(new Float64Array(88).fill(0.5)));
    expect(r.nll.toFixed(2)).toBe('61.00');
  });

  it('refuses pitches outside the 88 keys and missing splits, naming them', () => {
    expect(() => readPolyBenchmark({ train: [[[20]]], valid: [[[60]]], test: [[[60]]] }, 'x.json')).toThrow(
      /within \[21, 108\].*20/,
    );
    expect(() => readPolyBenchmark({ train: [[[60]]], valid: [], test: [[[60]]] }, 'x.json')).toThrow(
      CorpusFormatError,
    );
  });
});
