// SPDX-License-Identifier: MIT
/**
 * How alike the sections of form takes of the bundled model are (src/core/model/form.ts, measured by
 * src/core/analysis/sectionSimilarity.ts): per take, the mean similarity of same-letter sections (A vs A), of
 * different-letter sections (A vs B), copies, and the copy re-samples; then the medians.
 *
 *   node --import tsx scripts/measure-form.ts [--form AABA] [--bars 64] [--takes 8] [--temperature 1]
 *     [--random-seed 1] [--factor 0.6] [--opening 1] [--pull 1]
 *
 * Seed notes: C4 E4 G4 as quarters; takes are variations 0..takes-1 of the random seed (wasm engine).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { decodeCheckpoint } from '../src/core/model/checkpoint';
import { generateFormMelodies, measureForm, planForm } from '../src/core/model/form';
import { seedTokensFromPitches } from '../src/core/model/generate';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    form: { type: 'string', default: 'AABA' },
    bars: { type: 'string', default: '64' },
    takes: { type: 'string', default: '8' },
    temperature: { type: 'string', default: '1' },
    'random-seed': { type: 'string', default: '1' },
    factor: { type: 'string' },
    opening: { type: 'string' },
    pull: { type: 'string' },
  },
});
const engine = await createWasmEngine({ threads: 1 });
const ckpt = decodeCheckpoint(
  new Uint8Array(readFileSync(path.join(repoRoot, 'resources/default-model/default.etude-ckpt'))),
);
const model = await engine.createModel(ckpt.spec, ckpt.training, ckpt.weights);
const decoder = model.createDecoder();
const sections = planForm(args.form, Number(args.bars));
const takes = Number(args.takes);
const melodies = await generateFormMelodies(decoder, {
  seedTokens: seedTokensFromPitches([60, 64, 67]),
  sections,
  temperature: Number(args.temperature),
  variations: takes,
  randomSeed: Number(args['random-seed']),
  ...(args.factor ? { repeatTemperatureFactor: Number(args.factor) } : {}),
  ...(args.opening ? { repeatOpeningBars: Number(args.opening) } : {}),
  ...(args.pull ? { repeatPull: Number(args.pull) } : {}),
});
const f = (x: number) => x.toFixed(3);
const same: number[] = [];
const different: number[] = [];
console.log(`${args.form}, ${args.bars} bars, temperature ${args.temperature}, random seed ${args['random-seed']}`);
console.log('take  same-letter  different-letter  margin  copies  copy-resamples  pairs');
melodies.forEach((m, k) => {
  const s = measureForm(m.tokens, m.sections);
  same.push(s.sameLetter);
  different.push(s.differentLetter);
  const pairs = s.pairs
    .map((p) => `${sections[p.x].letter}${p.x + 1}-${sections[p.y].letter}${p.y + 1}:${f(p.similarity)}`)
    .join(' ');
  console.log(
    `${String(k + 1).padStart(4)}  ${f(s.sameLetter).padStart(11)}  ${f(s.differentLetter).padStart(16)}  ${f(s.sameLetter - s.differentLetter).padStart(6)}  ${String(s.copies).padStart(6)}  ${String(m.copyRetries).padStart(14)}  ${pairs}${m.repeatRejected.length ? ` (repeats re-sampled: ${m.repeatRejected.join('; ')})` : ''}${m.degenerate ? ` DEGENERATE: ${m.degenerate}` : ''}`,
  );
});
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`median same-letter ${f(median(same))}, different-letter ${f(median(different))}`);
decoder.dispose();
model.dispose();
await engine.dispose();
