// SPDX-License-Identifier: MIT
// The bundled default model on a 1-thread wasm engine, for tests of what composers do with it (key lock, density,
// forms, loops): loaded once per file before its tests, disposed after them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { createWasmEngine } from '../../../src/core/engine/wasmEngine';
import type { Decoder } from '../../../src/core/engine/types';
import type { Engine, TrainableModel } from '../../../src/core/engine/engine';
import { decodeCheckpoint } from '../../../src/core/model/checkpoint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface BundledModel {
  engine: Engine;
  model: TrainableModel;
  decoder: Decoder;
}

/** Registers the file's beforeAll (load, then `onLoad`) and afterAll (dispose). */
export function useBundledModel(onLoad: (loaded: BundledModel) => void): void {
  const loaded: Partial<BundledModel> = {};
  beforeAll(async () => {
    const engine = (loaded.engine = await createWasmEngine({ threads: 1 }));
    const ckpt = decodeCheckpoint(
      new Uint8Array(readFileSync(path.join(root, 'resources/default-model/default.etude-ckpt'))),
    );
    const model = (loaded.model = await engine.createModel(ckpt.spec, ckpt.training, ckpt.weights));
    loaded.decoder = model.createDecoder();
    onLoad(loaded as BundledModel);
  });
  afterAll(async () => {
    loaded.decoder?.dispose();
    loaded.model?.dispose();
    await loaded.engine?.dispose();
  });
}
