// SPDX-License-Identifier: MIT
// Issue 14, "Bad input everywhere": model settings. The training service (what the CLI, the app and the studio all
// call) refuses zero, negative, huge, NaN, Infinity and fractional settings with one sentence naming the setting and
// what is accepted, before anything is allocated or stored: no model row, no checkpoint, no lease left behind.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointHeader } from '../../src/core/model/checkpoint';
import { MAX_TRAINED_PARAMETERS } from '../../src/core/model/spec';
import { openLibrary, type Library } from '../../src/main/db';
import type { ModelId } from '../../src/main/db/types';
import { trainModel, TrainingError, type TrainModelOptions } from '../../src/main/services/training';
import { libraryFingerprint } from './helpers/libraryFingerprint';
import { seedMelodyPieces } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const checkpointBytes = new Uint8Array(
  readFileSync(path.join(repoRoot, 'test/fixtures/models/melody-1layer.etude-ckpt')),
);

type Case = [label: string, options: Partial<TrainModelOptions>, message: RegExp];

const sizes = ['embeddingDim', 'hiddenSize', 'layers', 'window'] as const;
const badSizes: [unknown, string][] = [
  [0, '0'],
  [-3, '-3'],
  [1.5, '1\\.5'],
  [Number.NaN, 'NaN'],
  [Number.POSITIVE_INFINITY, 'Infinity'],
  [1e9, '1000000000'],
  ['256', '"256"'],
  [null, 'null'],
];
const SPEC_CASES: Case[] = [
  ...sizes.flatMap((key) =>
    badSizes.map(([value, shown]): Case => [
      `spec.${key} = ${String(value)}`,
      { spec: { [key]: value } as never },
      new RegExp(
        `model's settings are invalid: its ${key} must be an integer within \\[1, \\d+\\], got: (${shown})\\.$`,
      ),
    ]),
  ),
  ...[-0.1, 1, Number.NaN, Number.POSITIVE_INFINITY, '0.2'].map((value): Case => [
    `spec.dropout = ${String(value)}`,
    { spec: { dropout: value } as never },
    /its dropout must be within \[0, 1\), got: /,
  ]),
  [
    'each size within bounds, the whole too big (hidden 4096 x 16 layers)',
    { spec: { hiddenSize: 4096, layers: 16 } },
    new RegExp(`would have \\d+ M parameters; at most ${MAX_TRAINED_PARAMETERS / 1e6} M can be trained`),
  ],
  [
    'a misspelt model setting',
    { spec: { hidden: 256 } as never },
    /there is no model setting "hidden" \(the settings are embeddingDim, hiddenSize/,
  ],
];

const TRAINING_CASES: Case[] = (
  [
    [
      'batchSize',
      [0, -1, 1.5, Number.NaN, 1e9, '64'],
      /its batchSize must be a whole number within \[1, 4096\], got: /,
    ],
    [
      'learningRate',
      [0, -0.001, Number.NaN, Number.POSITIVE_INFINITY, 2],
      /its learningRate must be a number above 0 and at most 1, got: /,
    ],
    ['epochs', [0, -5, 2.5, Number.NaN, 1e9], /its epochs must be a whole number within \[1, 1000\], got: /],
    [
      'validationFraction',
      [-0.1, 0.9, Number.NaN],
      /its validationFraction must be a number within \[0, 0\.5\], got: /,
    ],
    [
      'earlyStoppingPatience',
      [-1, 0.5, Number.NaN],
      /its earlyStoppingPatience must be a whole number within \[0, 100\], got: /,
    ],
    ['clipNorm', [-1, Number.POSITIVE_INFINITY], /its clipNorm must be a number within \[0, 1000\], got: /],
    ['randomSeed', [-1, 2 ** 32, 0.5], /its randomSeed must be a whole number within \[0, 4294967295\], got: /],
    [
      'transpositions',
      [[100], [1.5], 'up', null],
      /its transpositions must list at most 49 whole numbers of semitones within \[-24, 24\]/,
    ],
    ['learningRateSchedule', ['cosine', '', 1, null], /its learningRateSchedule must be constant or anneal, got: /],
  ] as [string, unknown[], RegExp][]
).flatMap(([key, values, message]) =>
  values.map((value): Case => [
    `training.${key} = ${JSON.stringify(value)}`,
    { training: { [key]: value } as never },
    message,
  ]),
);

const OTHER_CASES: Case[] = [
  [
    'a misspelt training setting',
    { training: { epoch: 3 } as never },
    /there is no training setting "epoch" \(the settings are batchSize/,
  ],
  ['an unknown engine', { engine: 'quantum' as never }, /there is no engine "quantum" \(the engines are auto, /],
  ...[0, -2, 1.5, Number.NaN, 1e9].map((threads): Case => [
    `threads = ${threads}`,
    { threads },
    /threads must be "auto" or a whole number within \[1, 64\], got: /,
  ]),
  [
    'fine-tuning with a new shape',
    { fineTuneFrom: checkpointBytes, spec: { hiddenSize: 64 } },
    /fine-tuning keeps the model's shape, so its settings \(hiddenSize\) cannot change/,
  ],
  [
    'fine-tuning with epochs 0',
    { fineTuneFrom: checkpointBytes, training: { epochs: 0 } },
    /its epochs must be a whole number/,
  ],
];

let work: string;
let library: Library;
let resumable: ModelId;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'etude-bad-training-'));
  library = openLibrary(path.join(work, 'library.db'), { onSlowQuery: () => {} });
  const corpus = library.corpora.createCorpus('Existing');
  library.pieces.insertPieces(corpus.id, seedMelodyPieces(8, 64));
  // A model with a checkpoint, to resume.
  const header = readCheckpointHeader(checkpointBytes);
  const model = library.models.createModel({
    name: 'Kept',
    spec: header.spec,
    training: header.training,
    corpusId: corpus.id,
    engine: 'wasm',
    status: 'ready',
  });
  library.checkpoints.saveCheckpoint({ modelId: model.id, epoch: 1, step: 1, data: checkpointBytes });
  resumable = model.id;
});
afterAll(() => {
  library.close();
  rmSync(work, { recursive: true, force: true });
});

async function refusal(options: Partial<TrainModelOptions>): Promise<TrainingError> {
  try {
    await trainModel(library, {
      corpusName: 'Existing',
      modelName: 'Fresh',
      engine: 'wasm',
      inProcess: true,
      ...options,
    });
  } catch (err) {
    return err as TrainingError;
  }
  return expect.unreachable('the settings were accepted');
}

describe('bad model settings, through the training service', () => {
  const cases = [...SPEC_CASES, ...TRAINING_CASES, ...OTHER_CASES].map(([label, options, message]) => ({
    label,
    options,
    message,
  }));
  it.each(cases)('$label: one sentence, nothing stored', async ({ options, message }) => {
    const before = libraryFingerprint(library.db);
    const t0 = performance.now();
    const err = await refusal(options);
    expect(performance.now() - t0).toBeLessThan(1000); // refused before any engine or allocation
    expect(err).toBeInstanceOf(TrainingError);
    expect(err.code).toBe('TRAINING_SETTINGS_INVALID');
    expect(err.message).toMatch(/^Cannot train "Fresh": /);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
    expect(library.models.getModelByName('Fresh')).toBeUndefined();
    expect(libraryFingerprint(library.db)).toBe(before);
  });

  it('resuming with bad settings leaves the model, its checkpoint and its status as they were', async () => {
    const before = libraryFingerprint(library.db);
    for (const [options, message] of [
      [{ training: { epochs: Number.NaN } }, /its epochs must be a whole number within \[1, 1000\], got: NaN/],
      [{ training: { batchSize: 0 } }, /its batchSize must be a whole number within \[1, 4096\], got: 0/],
      [{ spec: { layers: 3 } }, /resuming keeps the model's shape, so its settings \(layers\) cannot change/],
    ] as [Partial<TrainModelOptions>, RegExp][]) {
      const err = await refusal({ ...options, modelName: 'Kept', resume: true });
      expect(err.code).toBe('TRAINING_SETTINGS_INVALID');
      expect(err.message).toMatch(message);
    }
    expect(library.models.getModel(resumable)?.status).toBe('ready');
    expect(libraryFingerprint(library.db)).toBe(before);
  });
});
