// SPDX-License-Identifier: MIT
/**
 * Loop mode's wrap scores on the bundled default model (src/core/model/loop.ts): for random seeds 1..N, an 8-bar take
 * from C4,E4,G4 at temperature 1, the wrap score (mean log-probability per step of the first bar after the last) of
 * the take as drawn and of the loop kept, plus the take's own mean per-step log-probability for scale.
 *
 * Usage: node --import tsx scripts/measure-loop-wrap.ts [seeds=20] [bars=8] [temperature=1]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { decodeCheckpoint } from '../src/core/model/checkpoint';
import { generateMelodies, seedTokensFromPitches } from '../src/core/model/generate';
import { melodyLoopRefiner } from '../src/core/model/loop';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [seeds = 20, bars = 8, temperature = 1] = process.argv.slice(2).map(Number);
const engine = await createWasmEngine({ threads: 1 });
const ckpt = decodeCheckpoint(
  new Uint8Array(readFileSync(path.join(root, 'resources/default-model/default.etude-ckpt'))),
);
const model = await engine.createModel(ckpt.spec, ckpt.training, ckpt.weights);
const decoder = model.createDecoder();
const seedTokens = seedTokensFromPitches([60, 64, 67]);

/** Mean log-probability per generated step of a take under the model (temperature 1). */
async function ownScore(tokens: number[]): Promise<number> {
  decoder.reset();
  let logits: Float32Array = new Float32Array(0);
  let sum = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (i >= seedTokens.length) {
      let max = -Infinity;
      for (const x of logits) max = Math.max(max, x);
      let z = 0;
      for (const x of logits) z += Math.exp(x - max);
      sum += logits[tokens[i]] - max - Math.log(z);
    }
    logits = await decoder.step(tokens[i]);
  }
  return sum / (tokens.length - seedTokens.length);
}

const rows: { seed: number; before: number; after: number; tries: number; own: number }[] = [];
const started = performance.now();
for (let seed = 1; seed <= seeds; seed++) {
  const options = { seedTokens, bars, temperature, variations: 1, randomSeed: seed };
  const [m] = await generateMelodies(decoder, { ...options, refine: melodyLoopRefiner(decoder, options) });
  rows.push({
    seed,
    before: m.loop!.wrapBefore,
    after: m.loop!.wrapAfter,
    tries: m.loop!.tries,
    own: await ownScore(m.tokens),
  });
}
const mean = (k: 'before' | 'after' | 'tries' | 'own') => rows.reduce((s, r) => s + r[k], 0) / rows.length;
for (const r of rows)
  console.log(
    `seed ${r.seed}: wrap ${r.before.toFixed(3)} -> ${r.after.toFixed(3)} (${r.tries} tries), take ${r.own.toFixed(3)}`,
  );
console.log(
  `mean over ${rows.length} seeds, ${bars} bars, T=${temperature}: wrap before ${mean('before').toFixed(3)}, after ${mean('after').toFixed(3)}, tries ${mean('tries').toFixed(1)}, take's own per-step ${mean('own').toFixed(3)}; improved ${rows.filter((r) => r.after > r.before).length}/${rows.length}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
decoder.dispose();
model.dispose();
await engine.dispose();
