// SPDX-License-Identifier: MIT
// Long pieces with a form through the generation service, the compose contract and `etude generate --form`: the form
// travels to the worker, is stored with each take and written to the batch index; a bad form or length is refused
// with a sentence; form off samples exactly as before.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { measureForm, planForm } from '../../src/core/model/form';
import { openLibrary } from '../../src/main/db/open';
import { bundledDefaultModelPath, generateFromLibrary, generateFromRequest } from '../../src/main/services/generation';
import type { GenerateRequest } from '../../src/main/services/generationRequest';
import { generationRequestSchema } from '../../src/shared/dto';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-form-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base: GenerateRequest = {
  model: 'default',
  seed: { pitches: [60, 64, 67] },
  temperature: 1,
  bars: 64,
  variations: 2,
  randomSeed: 1,
  engine: 'wasm',
};

describe('generation with a form', () => {
  it('a 64-bar AABA through the service: stored with its form, A repeats alike and no copy', async () => {
    const library = openLibrary(path.join(dir, 'form.db'));
    const result = await generateFromLibrary(library, { ...base, form: 'AABA' });
    expect(result.form).toBe('AABA');
    const sections = planForm('AABA', 64);
    for (const v of result.variations) {
      expect(v.tokens).toHaveLength(64 * 16);
      const f = measureForm(v.tokens, sections);
      expect(f.sameLetter - f.differentLetter).toBeGreaterThan(0.25);
      expect(f.copies).toBe(0);
      expect(library.generations.getGeneration(v.generationId)!.request).toMatchObject({ form: 'AABA', bars: 64 });
    }
    // Form off ("off" or none) samples exactly as before, and stores no form.
    const plain = await generateFromLibrary(library, { ...base, bars: 8, variations: 1 });
    const off = await generateFromLibrary(library, { ...base, bars: 8, variations: 1, form: 'off' });
    expect(off.variations[0].tokens).toEqual(plain.variations[0].tokens);
    expect(off.form).toBeUndefined();
    expect(library.generations.getGeneration(off.variations[0].generationId)!.request).not.toHaveProperty('form');
    library.close();
  }, 120_000);

  it('refuses an unknown form, a length the form cannot take, and a form on a continuation, with a sentence', async () => {
    const library = openLibrary(path.join(dir, 'bad.db'));
    await expect(generateFromLibrary(library, { ...base, form: 'ABBA' })).rejects.toMatchObject({
      code: 'FORM_INVALID',
      message: '"ABBA" is not a form Etude knows; choose one of AABA, ABAC, AAB, verse-chorus (or no form).',
    });
    await expect(generateFromLibrary(library, { ...base, form: 'AAB', bars: 64 })).rejects.toMatchObject({
      code: 'FORM_INVALID',
      message:
        'The AAB form splits the piece into 3 equal sections: give a length from 32 to 128 bars that divides by 3 (33, 36, 39, ..., 126); got 64.',
    });
    await expect(generateFromLibrary(library, { ...base, form: 'AABA', bars: 16 })).rejects.toThrow(
      /from 32 to 128 bars .*got 16\./,
    );
    await expect(
      generateFromLibrary(library, {
        ...base,
        form: 'AABA',
        continuation: { bars: 32, append: false },
      }),
    ).rejects.toThrow(/cannot continue a clip/);
    // Nothing was stored.
    expect(library.generations.listGenerations({ limit: 10 })).toHaveLength(0);
    library.close();
  });

  it('the compose contract carries the form to the service', async () => {
    const request = generationRequestSchema.strict().parse({
      model: 'default',
      seedNotes: [60, 64, 67],
      temperature: 1,
      bars: 32,
      variations: 1,
      randomSeed: 5,
      form: 'ABAC',
    });
    const library = openLibrary(path.join(dir, 'studio.db'));
    const result = await generateFromRequest(library, request, { defaultModelPath: bundledDefaultModelPath() });
    const [v] = result.variations;
    expect(v.tokens).toHaveLength(32 * 16);
    // ABAC: the second A opens with the first A's opening bar.
    expect(v.tokens.slice(16 * 16, 17 * 16)).toEqual(v.tokens.slice(0, 16));
    await expect(
      generateFromRequest(library, { ...request, bars: 30 }, { defaultModelPath: bundledDefaultModelPath() }),
    ).rejects.toMatchObject({ code: 'FORM_INVALID' });
    library.close();
  }, 60_000);
});

describe('etude generate --form', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'bin/etude.mjs'), '--data-dir', path.join(dir, 'cli'), ...args], {
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('writes the form to the index and says the sections', () => {
    const outDir = path.join(dir, 'batch');
    const stdout = execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin/etude.mjs'),
        '--data-dir',
        path.join(dir, 'cli'),
        'generate',
        'default',
        '--form',
        'AABA',
        '--bars',
        '64',
        '--variations',
        '2',
        '--engine',
        'wasm',
        '--out',
        outDir,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(stdout).toMatch(/Form: AABA, sections A A B A of 16 bars/);
    const csv = readFileSync(path.join(outDir, 'index.csv'), 'utf8').trimEnd().split('\r\n');
    expect(csv[0].split(',')).toContain('form');
    expect(csv[1]).toMatch(/,64,AABA,4\/4,/);
    const json = JSON.parse(readFileSync(path.join(outDir, 'index.json'), 'utf8')) as { files: { form: string }[] };
    expect(json.files.map((f) => f.form)).toEqual(['AABA', 'AABA']);
  });

  it('refuses a bad form or length with a sentence', () => {
    const unknown = cli(['generate', 'default', '--form', 'ABBA', '--bars', '64']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/"ABBA" is not a form Etude knows; choose one of AABA, ABAC, AAB, verse-chorus/);
    const length = cli(['generate', 'default', '--form', 'verse-chorus', '--bars', '64']);
    expect(length.status).not.toBe(0);
    expect(length.stderr).toMatch(/divides by 6 \(36, 42, 48, \.\.\., 126\); got 64\./);
  });
});
