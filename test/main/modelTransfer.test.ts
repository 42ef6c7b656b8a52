// SPDX-License-Identifier: MIT
// Models travel: exported from one library to one .etude-model file, imported into a fresh library, they generate
// the same notes; files from a newer Etude, cut short, damaged or not ours are refused with a sentence that says so.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32, readCheckpointHeader } from '../../src/core/model/checkpoint';
import { decodeModelFile, MODEL_FILE_FORMAT_VERSION } from '../../src/core/model/modelFile';
import { openLibrary, type Library } from '../../src/main/db/open';
import { generateFromLibrary } from '../../src/main/services/generation';
import type { GenerateRequest } from '../../src/main/services/generationRequest';
import { exportModel, importModel } from '../../src/main/services/modelTransfer';
import { createHandlers, dispatch } from '../../src/main/ipc/handlers';
import { createAppServices } from '../../src/main/services/app';
import { MAX_MODEL_FILE_BYTES, modelSchema } from '../../src/shared/dto';
import { createStudioDoor } from '../../src/studio/exportsDoor';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = path.join(repoRoot, 'test/fixtures/models/melody-3layer-dropout.etude-ckpt');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-transfer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A library with one trained model ("Chorales", on a corpus of that name) whose checkpoint is the fixture. */
function sourceLibrary(file: string): Library {
  const library = openLibrary(path.join(dir, file));
  const corpus = library.corpora.createCorpus('Chorales');
  const data = new Uint8Array(readFileSync(fixture));
  const header = readCheckpointHeader(data);
  const model = library.models.createModel({
    name: 'Chorales',
    spec: header.spec,
    training: header.training,
    corpusId: corpus.id,
    engine: header.engine,
    status: 'ready',
  });
  library.checkpoints.saveCheckpoint({ modelId: model.id, epoch: header.epoch, step: header.step, data });
  return library;
}

const request = (model: string): GenerateRequest => ({
  model,
  seed: { pitches: [67, 71, 74] },
  temperature: 0.9,
  bars: 4,
  variations: 3,
  randomSeed: 1234,
  engine: 'wasm',
});

describe('models travel', () => {
  it('a model exported from one library and imported into a fresh one generates the same notes', async () => {
    const from = sourceLibrary('from.db');
    const to = openLibrary(path.join(dir, 'to.db'));
    try {
      const exported = exportModel(from, 'Chorales', '0.1.0');
      expect(exported.fileName).toBe('Chorales.etude-model');
      const file = decodeModelFile(exported.bytes);
      expect(file.header).toMatchObject({
        formatVersion: MODEL_FILE_FORMAT_VERSION,
        appVersion: '0.1.0',
        name: 'Chorales',
        corpusName: 'Chorales',
        spec: { kind: 'melody-lstm', layers: 3 },
      });
      expect(file.header.training.epochs).toBe(readCheckpointHeader(file.checkpoint).epoch);
      expect(file.header.training.config.batchSize).toBeGreaterThan(0);

      const row = importModel(to, exported.bytes);
      expect(row).toMatchObject({ name: 'Chorales', status: 'ready', corpusId: null });
      expect(row.metrics).toMatchObject({ corpusName: 'Chorales', importedFrom: { appVersion: '0.1.0' } });
      const a = await generateFromLibrary(from, request('Chorales'), { defaultModelPath: null });
      const b = await generateFromLibrary(to, request('Chorales'), { defaultModelPath: null });
      expect(b.variations.map((v) => v.tokens)).toEqual(a.variations.map((v) => v.tokens));
      expect(a.variations.flatMap((v) => v.tokens).some((t) => t < 128)).toBe(true);

      // A second import of the same file clashes by name; --name gives it another.
      expect(() => importModel(to, exported.bytes)).toThrow(
        expect.objectContaining({ code: 'NAME_TAKEN', message: expect.stringContaining('--name') }),
      );
      expect(importModel(to, exported.bytes, { name: 'Chorales 2' }).name).toBe('Chorales 2');
      expect(() => importModel(to, exported.bytes, { name: 'default' })).toThrow(
        expect.objectContaining({ code: 'NAME_RESERVED' }),
      );
    } finally {
      from.close();
      to.close();
    }
  }, 60_000);

  it('refuses a file from a newer Etude, a truncated or damaged file, and a file that is not ours', () => {
    const from = sourceLibrary('refuse.db');
    const to = openLibrary(path.join(dir, 'refuse-to.db'));
    try {
      const { bytes } = exportModel(from, 'Chorales', '0.1.0');
      const newer = bytes.slice();
      new DataView(newer.buffer).setUint32(8, MODEL_FILE_FORMAT_VERSION + 1, true);
      expect(() => importModel(to, newer, { fileName: 'next.etude-model', appVersion: '0.1.0' })).toThrow(
        expect.objectContaining({
          code: 'MODEL_FILE_FROM_NEWER_ETUDE',
          message: expect.stringMatching(
            /next\.etude-model was written by a newer Etude \(0\.1\.0\) in model file format 2; this Etude \(0\.1\.0\) reads format 1 at most\. Update Etude/,
          ),
        }),
      );
      for (const cut of [10, 100, bytes.byteLength - 1, Math.floor(bytes.byteLength / 2)])
        expect(() => importModel(to, bytes.subarray(0, cut))).toThrow(
          expect.objectContaining({ code: 'MODEL_FILE_TRUNCATED', message: expect.stringContaining('cut short') }),
        );
      const flipped = bytes.slice();
      flipped[Math.floor(bytes.byteLength * 0.75)] ^= 0x40;
      expect(() => importModel(to, flipped)).toThrow(expect.objectContaining({ code: 'MODEL_FILE_CORRUPT' }));
      // A checkpoint alone is not a model file.
      expect(() => importModel(to, new Uint8Array(readFileSync(fixture)))).toThrow(
        expect.objectContaining({ code: 'MODEL_FILE_NOT_ETUDE' }),
      );
      // Nothing was added by any refusal.
      expect(to.models.listModels()).toHaveLength(0);
      // The file ends in the CRC-32 of everything before it.
      expect(crc32(bytes.subarray(0, bytes.byteLength - 4))).toBe(
        new DataView(bytes.buffer).getUint32(bytes.byteLength - 4, true),
      );
    } finally {
      from.close();
      to.close();
    }
  });

  it('`etude models export` and `etude models import` (CLI child processes), with a clear refusal on a clash', () => {
    const etude = path.join(repoRoot, 'bin/etude.mjs');
    const fromDir = path.join(dir, 'cli-from');
    const toDir = path.join(dir, 'cli-to');
    // `etude corpora` creates the data folder and its library; the model is then added as training would.
    execFileSync(process.execPath, [etude, '--data-dir', fromDir, 'corpora'], { encoding: 'utf8' });
    const fromLib = openLibrary(path.join(fromDir, 'library.db'));
    const data = new Uint8Array(readFileSync(fixture));
    const header = readCheckpointHeader(data);
    const m = fromLib.models.createModel({
      name: 'Reels',
      spec: header.spec,
      training: header.training,
      corpusId: null,
      engine: header.engine,
      status: 'ready',
    });
    fromLib.checkpoints.saveCheckpoint({ modelId: m.id, epoch: header.epoch, step: header.step, data });
    fromLib.close();

    const out = path.join(dir, 'reels.etude-model');
    const exported = execFileSync(
      process.execPath,
      [etude, '--data-dir', fromDir, 'models', 'export', 'Reels', '--out', out],
      {
        encoding: 'utf8',
      },
    );
    expect(exported).toContain(`Exported "Reels" to ${out}`);
    const imported = execFileSync(process.execPath, [etude, '--data-dir', toDir, 'models', 'import', out], {
      encoding: 'utf8',
    });
    expect(imported).toContain('Imported "Reels"');
    const listed = execFileSync(process.execPath, [etude, '--data-dir', toDir, 'models'], { encoding: 'utf8' });
    expect(listed).toMatch(/Reels\s+ready/);
    const clash = spawnSync(process.execPath, [etude, '--data-dir', toDir, 'models', 'import', out], {
      encoding: 'utf8',
    });
    expect(clash.status).not.toBe(0);
    expect(clash.stderr).toMatch(/A model named "Reels" already exists.*--name/);
    expect(clash.stderr).not.toMatch(/\n\s+at /);
    const renamed = execFileSync(
      process.execPath,
      [etude, '--data-dir', toDir, 'models', 'import', out, '--name', 'Reels (from Ann)'],
      { encoding: 'utf8' },
    );
    expect(renamed).toContain('Imported "Reels (from Ann)"');
    const truncated = path.join(dir, 'cut.etude-model');
    writeFileSync(truncated, readFileSync(out).subarray(0, 5000));
    const cut = spawnSync(process.execPath, [etude, '--data-dir', toDir, 'models', 'import', truncated], {
      encoding: 'utf8',
    });
    expect(cut.status).not.toBe(0);
    expect(cut.stderr).toMatch(/cut\.etude-model is cut short/);
  }, 120_000);

  it('models:export and models:import through the contract: bytes out, bytes in, sizes and refusals checked in main', async () => {
    const appFrom = createAppServices({ dataDir: path.join(dir, 'app-from'), resourcesDir: path.join(dir, 'none') });
    const appTo = createAppServices({ dataDir: path.join(dir, 'app-to'), resourcesDir: path.join(dir, 'none') });
    try {
      const data = new Uint8Array(readFileSync(fixture));
      const header = readCheckpointHeader(data);
      const m = appFrom.library.models.createModel({
        name: 'Hymns',
        spec: header.spec,
        training: header.training,
        corpusId: appFrom.library.corpora.createCorpus('Hymnal').id,
        engine: header.engine,
        status: 'ready',
      });
      appFrom.library.checkpoints.saveCheckpoint({ modelId: m.id, epoch: header.epoch, step: header.step, data });
      const from = createHandlers(appFrom, createStudioDoor(appFrom.dataDir), { validateResponses: true });
      const to = createHandlers(appTo, createStudioDoor(appTo.dataDir), { validateResponses: true });

      const exported = await dispatch(from, 'models:export', { modelId: String(m.id) });
      if (!exported.ok) throw new Error(exported.error.message);
      const out = exported.value as { fileName: string; bytes: Uint8Array };
      expect(out.fileName).toBe('Hymns.etude-model');
      const imported = await dispatch(to, 'models:import', { bytes: out.bytes, fileName: out.fileName });
      if (!imported.ok) throw new Error(imported.error.message);
      const model = modelSchema.parse(imported.value);
      expect(model).toMatchObject({ name: 'Hymns', status: 'ready', builtin: false, corpusName: 'Hymnal' });
      expect(model.spec).toMatchObject({ layers: 3 });

      const clash = await dispatch(to, 'models:import', { bytes: out.bytes });
      expect(clash).toMatchObject({ ok: false, error: { code: 'NAME_TAKEN' } });
      const newer = out.bytes.slice();
      new DataView(newer.buffer).setUint32(8, 99, true);
      const refused = await dispatch(to, 'models:import', { bytes: newer, fileName: 'x.etude-model', name: 'Other' });
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'MODEL_FILE_FROM_NEWER_ETUDE', message: expect.stringContaining('Update Etude') },
      });
      const tooBig = await dispatch(to, 'models:import', { bytes: new Uint8Array(MAX_MODEL_FILE_BYTES + 1) });
      expect(tooBig).toMatchObject({
        ok: false,
        error: { code: 'INVALID_PAYLOAD', message: expect.stringMatching(/bytes/) },
      });
      const bundled = await dispatch(from, 'models:export', { modelId: 'default' });
      expect(bundled).toMatchObject({ ok: false, error: { code: 'MODEL_NOT_EXPORTABLE' } });
    } finally {
      await appFrom.close();
      await appTo.close();
    }
  });
});
