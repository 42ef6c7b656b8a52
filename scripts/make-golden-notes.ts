// SPDX-License-Identifier: MIT
/**
 * Writes test/fixtures/models/golden-notes.json: the tokens that fixed seeds give for every kind of melody checkpoint
 * Etude has written (the bundled default, a 3-layer model with dropout, a 1-layer model), on the wasm engine and the
 * tfjs cpu reference. It was run once, on the code before the architecture change (model seam), so
 * test/core/golden-notes.test.ts can prove that the change left every checkpoint's notes exactly as they were.
 * Re-run only when a change is meant to alter generated notes, and say so in the commit.
 *
 *   node --import tsx scripts/make-golden-notes.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { createTfjsEngine } from '../src/core/engine/tfjsEngine';
import type { Engine } from '../src/core/engine/engine';
import { decodeCheckpoint, encodeCheckpoint } from '../src/core/model/checkpoint';
import { generateMelodies, seedTokensFromPitches } from '../src/core/model/generate';
import { initWeights } from '../src/core/model/init';
import { DEFAULT_TRAINING, type ModelSpec } from '../src/core/model/spec';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(root, 'test/fixtures/models');

/** Small checkpoints in the shapes users' models take: several layers with dropout, and one layer. */
const SMALL: { file: string; spec: ModelSpec; weightsSeed: number }[] = [
  {
    file: 'melody-3layer-dropout.etude-ckpt',
    spec: {
      kind: 'melody-lstm',
      encoding: 'melody-130',
      vocabSize: 130,
      embeddingDim: 24,
      hiddenSize: 40,
      layers: 3,
      dropout: 0.2,
      window: 12,
    },
    weightsSeed: 11,
  },
  {
    file: 'melody-1layer.etude-ckpt',
    spec: {
      kind: 'melody-lstm',
      encoding: 'melody-130',
      vocabSize: 130,
      embeddingDim: 16,
      hiddenSize: 32,
      layers: 1,
      dropout: 0,
      window: 8,
    },
    weightsSeed: 5,
  },
];

/** The requests every checkpoint is asked: seed pitches, bars, temperature, variations, random seed. */
export const GOLDEN_REQUESTS = [
  { seedPitches: [60], bars: 4, temperature: 1.0, variations: 2, randomSeed: 1 },
  { seedPitches: [67, 71, 74], bars: 6, temperature: 0.8, variations: 2, randomSeed: 42 },
  { seedPitches: [55, 57], bars: 4, temperature: 1.3, variations: 1, randomSeed: 2026 },
];

async function tokensFor(engine: Engine, ckptBytes: Uint8Array): Promise<number[][][]> {
  const ckpt = decodeCheckpoint(ckptBytes);
  const model = await engine.createModel(ckpt.spec, ckpt.training, ckpt.weights);
  const decoder = model.createDecoder();
  const out: number[][][] = [];
  for (const r of GOLDEN_REQUESTS)
    out.push(
      (
        await generateMelodies(decoder, {
          seedTokens: seedTokensFromPitches(r.seedPitches),
          bars: r.bars,
          temperature: r.temperature,
          variations: r.variations,
          randomSeed: r.randomSeed,
        })
      ).map((v) => v.tokens),
    );
  decoder.dispose();
  model.dispose();
  return out;
}

const checkpoints: Record<string, Uint8Array> = {
  'resources/default-model/default.etude-ckpt': new Uint8Array(
    readFileSync(path.join(root, 'resources/default-model/default.etude-ckpt')),
  ),
};
for (const s of SMALL) {
  const bytes = encodeCheckpoint({
    formatVersion: 1,
    spec: s.spec,
    training: DEFAULT_TRAINING,
    epoch: 1,
    step: 10,
    metrics: { trainLoss: 4.8, valLoss: 4.9 },
    weights: initWeights(s.spec, s.weightsSeed),
    engine: 'wasm',
    createdAt: 0,
  });
  writeFileSync(path.join(fixtures, s.file), bytes);
  checkpoints[`test/fixtures/models/${s.file}`] = bytes;
}

const wasm = await createWasmEngine({ threads: 1 });
const tfjs = await createTfjsEngine('cpu');
const golden: Record<string, { wasm: number[][][]; 'tfjs-cpu'?: number[][][] }> = {};
for (const [name, bytes] of Object.entries(checkpoints)) {
  golden[name] = { wasm: await tokensFor(wasm, bytes) };
  if (!name.startsWith('resources/')) golden[name]['tfjs-cpu'] = await tokensFor(tfjs, bytes);
}
await wasm.dispose();
await tfjs.dispose();
writeFileSync(
  path.join(fixtures, 'golden-notes.json'),
  JSON.stringify({ requests: GOLDEN_REQUESTS, tokens: golden }) + '\n',
);
console.log(`wrote ${path.join(fixtures, 'golden-notes.json')}`);
