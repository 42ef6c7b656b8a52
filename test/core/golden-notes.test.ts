// SPDX-License-Identifier: MIT
// Every melody checkpoint Etude has written generates exactly the notes it generated before the architecture change
// (model seam). The expected tokens in test/fixtures/models/golden-notes.json were written by
// scripts/make-golden-notes.ts on the code before that change; this test must never regenerate them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import { createTfjsEngine } from '../../src/core/engine/tfjsEngine';
import type { Engine } from '../../src/core/engine/engine';
import { decodeCheckpoint } from '../../src/core/model/checkpoint';
import { generateMelodies, seedTokensFromPitches } from '../../src/core/model/generate';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
interface GoldenRequest {
  seedPitches: number[];
  bars: number;
  temperature: number;
  variations: number;
  randomSeed: number;
}
const golden = JSON.parse(readFileSync(path.join(root, 'test/fixtures/models/golden-notes.json'), 'utf8')) as {
  requests: GoldenRequest[];
  tokens: Record<string, Record<string, number[][][]>>;
};

const engines: Record<string, () => Promise<Engine>> = {
  wasm: () => createWasmEngine({ threads: 1 }),
  'tfjs-cpu': () => createTfjsEngine('cpu'),
};
const started: Engine[] = [];
afterAll(async () => {
  for (const e of started) await e.dispose();
});

async function generate(engineName: string, file: string): Promise<number[][][]> {
  const engine = await engines[engineName]();
  started.push(engine);
  const ckpt = decodeCheckpoint(new Uint8Array(readFileSync(path.join(root, file))));
  const model = await engine.createModel(ckpt.spec, ckpt.training, ckpt.weights);
  const decoder = model.createDecoder();
  try {
    const out: number[][][] = [];
    for (const r of golden.requests) {
      const melodies = await generateMelodies(decoder, {
        seedTokens: seedTokensFromPitches(r.seedPitches),
        bars: r.bars,
        temperature: r.temperature,
        variations: r.variations,
        randomSeed: r.randomSeed,
      });
      out.push(melodies.map((v) => v.tokens));
    }
    return out;
  } finally {
    decoder.dispose();
    model.dispose();
  }
}

describe('golden notes: checkpoints written before the model seam generate the same notes', () => {
  for (const [file, byEngine] of Object.entries(golden.tokens)) {
    for (const [engineName, expected] of Object.entries(byEngine)) {
      it(`${file} on ${engineName}`, async () => {
        const tokens = await generate(engineName, file);
        expect(tokens).toEqual(expected);
        // Guard against a fixture that could pass vacuously: every request produced notes.
        expect(tokens.flat(2).some((t) => t < 128)).toBe(true);
      }, 60_000);
    }
  }
});
