// SPDX-License-Identifier: MIT
/**
 * How alike the sections of form takes are (src/core/model/form.ts, polyForm.ts, measured by
 * src/core/analysis/sectionSimilarity.ts): per take, the mean similarity of same-letter sections (A vs A), of
 * different-letter sections (A vs B), copies, and the copy re-samples; then the medians.
 *
 *   node --import tsx scripts/measure-form.ts [--form AABA] [--bars 64] [--takes 8] [--temperature 1]
 *     [--random-seed 1] [--factor 0.6] [--opening 1] [--pull 1]
 *     [--kind poly --data-dir DIR --model NAME]
 *
 * Melody (default): the bundled model, seed notes C4 E4 G4 as quarters. --kind poly: a polyphonic model of a library
 * (the latest checkpoint of --model in --data-dir), seed chord C3 C4 E4 G4 held a quarter, 4/4 bars of its frames.
 * Takes are variations 0..takes-1 of the random seed (wasm engine).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { composingWeights, decodeCheckpoint } from '../src/core/model/checkpoint';
import { generateFormMelodies, measureForm, planForm, type FormSection } from '../src/core/model/form';
import { seedTokensFromPitches } from '../src/core/model/generate';
import { isPolyDecoder } from '../src/core/model/polyLstm';
import { generatePolyForm, measurePolyForm } from '../src/core/model/polyForm';
import { chordSeedFrames, framesPerBar } from '../src/core/model/polySeed';
import { isPolySpec } from '../src/core/model/spec';
import { openLibrary } from '../src/main/db';
import { composingCheckpoint } from '../src/main/services/composingCheckpoint';
import { rollWindowOf } from '../src/main/services/polyGeneration';

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
    kind: { type: 'string', default: 'melody' },
    'data-dir': { type: 'string' },
    model: { type: 'string' },
  },
});
const poly = args.kind === 'poly';
if (poly && (!args['data-dir'] || !args.model)) throw new Error('--kind poly needs --data-dir DIR and --model NAME');
const engine = await createWasmEngine({ threads: 1 });
const ckpt = (() => {
  if (!poly)
    return decodeCheckpoint(
      new Uint8Array(readFileSync(path.join(repoRoot, 'resources/default-model/default.etude-ckpt'))),
    );
  const library = openLibrary(path.join(args['data-dir']!, 'library.db'));
  const row = library.models.getModelByName(args.model!);
  // The weights the app composes with (its best on valid, or that epoch's average).
  const composing = row && composingCheckpoint(library, row.id);
  if (!composing) throw new Error(`no checkpoint of a model "${args.model}" in ${args['data-dir']}`);
  const decoded = decodeCheckpoint(composing.data);
  library.close();
  return decoded;
})();
const model = await engine.createModel(ckpt.spec, ckpt.training, composingWeights(ckpt).weights);
const decoder = model.createDecoder();
const sections = planForm(args.form, Number(args.bars));
const takes = Number(args.takes);
const tuning = {
  temperature: Number(args.temperature),
  variations: takes,
  randomSeed: Number(args['random-seed']),
  ...(args.factor ? { repeatTemperatureFactor: Number(args.factor) } : {}),
  ...(args.opening ? { repeatOpeningBars: Number(args.opening) } : {}),
  ...(args.pull ? { repeatPull: Number(args.pull) } : {}),
};
/** Per take: its similarity measure, copy re-samples, repeats re-sampled, degeneracy. */
type Measured = {
  s: ReturnType<typeof measureForm>;
  copyRetries: number;
  repeatRejected: string[];
  degenerate?: string;
};
let measured: Measured[];
if (poly) {
  if (!isPolySpec(ckpt.spec) || !isPolyDecoder(decoder)) throw new Error(`"${args.model}" is not a polyphonic model`);
  const window = rollWindowOf(ckpt.spec);
  const barFrames = framesPerBar(16, window.stepsPerQuarter);
  const rolls = await generatePolyForm(decoder, {
    ...tuning,
    seedFrames: chordSeedFrames([48, 60, 64, 67], window),
    sections,
    framesPerBar: barFrames,
  });
  measured = rolls.map((r) => ({ ...r, s: measurePolyForm(r.frames, window, r.sections as FormSection[], barFrames) }));
} else {
  const melodies = await generateFormMelodies(decoder, {
    ...tuning,
    seedTokens: seedTokensFromPitches([60, 64, 67]),
    sections,
  });
  measured = melodies.map((m) => ({ ...m, s: measureForm(m.tokens, m.sections) }));
}
const f = (x: number) => x.toFixed(3);
const same: number[] = [];
const different: number[] = [];
console.log(
  `${poly ? `${args.model} (polyphonic)` : 'bundled melody model'}: ${args.form}, ${args.bars} bars, temperature ${args.temperature}, random seed ${args['random-seed']}`,
);
console.log('take  same-letter  different-letter  margin  copies  copy-resamples  pairs');
measured.forEach((m, k) => {
  const s = m.s;
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
