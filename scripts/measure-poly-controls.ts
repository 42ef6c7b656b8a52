// SPDX-License-Identifier: MIT
/**
 * What loop mode and regenerating a selection do for a polyphonic model of a library (src/core/model/polyLoop.ts,
 * polyInfill.ts): over random seeds 1..N,
 * - loop: the wrap score (mean log-probability per frame of the first bar right after the last) of an 8-bar take as
 *   drawn (loop off) and after loop mode re-draws its last bar (default tries and threshold);
 * - infill: bars 3-4 x pitches C4-B5 of one 8-bar take regenerated: the seam score (mean log-probability per frame of
 *   the following bar) after the kept candidate and after candidate 0, a plain left-to-right re-draw.
 *
 *   node --import tsx scripts/measure-poly-controls.ts --data-dir DIR --model NAME [--seeds 8]
 *
 * Seed chord C3 C4 E4 G4 held a quarter, 4/4 bars, temperature 1, wasm engine.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { composingWeights, decodeCheckpoint } from '../src/core/model/checkpoint';
import { generatePolyphonic } from '../src/core/model/generatePoly';
import { infillPoly } from '../src/core/model/polyInfill';
import { isPolyDecoder } from '../src/core/model/polyLstm';
import { polyLoopRefiner, polyWrapScore } from '../src/core/model/polyLoop';
import { chordSeedFrames, framesPerBar } from '../src/core/model/polySeed';
import { isPolySpec } from '../src/core/model/spec';
import { openLibrary } from '../src/main/db';
import { composingCheckpoint } from '../src/main/services/composingCheckpoint';
import { rollWindowOf } from '../src/main/services/polyGeneration';

const { values: args } = parseArgs({
  options: { 'data-dir': { type: 'string' }, model: { type: 'string' }, seeds: { type: 'string', default: '8' } },
});
if (!args['data-dir'] || !args.model) throw new Error('give --data-dir DIR and --model NAME');
const library = openLibrary(path.join(args['data-dir'], 'library.db'));
const row = library.models.getModelByName(args.model);
// The weights the app composes with (its best on valid, or that epoch's average).
const composing = row && composingCheckpoint(library, row.id);
if (!composing) throw new Error(`no checkpoint of a model "${args.model}"`);
const ckpt = decodeCheckpoint(composing.data);
library.close();
if (!isPolySpec(ckpt.spec)) throw new Error(`"${args.model}" is not a polyphonic model`);
const engine = await createWasmEngine({ threads: 1 });
const model = await engine.createModel(ckpt.spec, ckpt.training, composingWeights(ckpt).weights);
const decoder = model.createDecoder();
if (!isPolyDecoder(decoder)) throw new Error('not a polyphonic decoder');
const window = rollWindowOf(ckpt.spec);
const bar = framesPerBar(16, window.stepsPerQuarter);
const seeds = Number(args.seeds);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (x: number) => x.toFixed(3);
const base = { seedFrames: chordSeedFrames([48, 60, 64, 67], window), bars: 8, framesPerBar: bar, temperature: 1 };

const off: number[] = [];
const on: number[] = [];
const tries: number[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  const options = { ...base, variations: 1, randomSeed: seed };
  const [plain] = await generatePolyphonic(decoder, options);
  const [looped] = await generatePolyphonic(decoder, {
    ...options,
    refine: polyLoopRefiner(decoder, { temperature: 1, framesPerBar: bar }),
  });
  off.push((await polyWrapScore(decoder, plain.frames, { framesPerBar: bar })).wrap);
  on.push(looped.loop!.wrapAfter);
  tries.push(looped.loop!.tries);
}
console.log(`${args.model}: loop wrap over seeds 1..${seeds}: loop off ${f(mean(off))}, loop on ${f(mean(on))}`);
console.log(`  tries used: ${tries.join(' ')}`);

const [take] = await generatePolyphonic(decoder, { ...base, variations: 1, randomSeed: 100 });
const seam: number[] = [];
const plainSeam: number[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  const r = await infillPoly(decoder, take.frames, {
    fromBar: 2,
    toBar: 4,
    framesPerBar: bar,
    lowPitch: window.lowPitch,
    pitchRange: { low: 60, high: 83 },
    temperature: 1,
    randomSeed: seed,
  });
  seam.push(r.seam);
  plainSeam.push(r.seamLeftToRight);
}
console.log(
  `${args.model}: infill bars 3-4 x C4-B5 over seeds 1..${seeds}: seam ${f(mean(seam))}, left to right ${f(mean(plainSeam))}`,
);
decoder.dispose();
model.dispose();
await engine.dispose();
