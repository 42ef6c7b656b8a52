// SPDX-License-Identifier: MIT
// The quality report of a model: `etude evaluate default` (the shim, as a user runs it) prints every measure beside
// the corpus' and writes the two plots; the service measures a library model against its own corpus and refuses a
// missing corpus with a sentence.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointHeader } from '../../src/core/model/checkpoint';
import { openLibrary } from '../../src/main/db';
import {
  METRIC_LABELS,
  bundledCorpusMelodies,
  evaluateModel,
  evaluationLines,
  jsbSopranoCorpus,
} from '../../src/main/services/evaluation';
import { bundledDefaultModelPath, runGeneration } from '../../src/main/services/generation';
import { createHandlers, dispatch } from '../../src/main/ipc/handlers';
import { createAppServices } from '../../src/main/services/app';
import { createStudioDoor } from '../../src/studio/exportsDoor';
import { seedMelodyPieces } from './helpers/seedPieces';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'etude-evaluate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bar heights of one series of a plot, from the bars' <title> "series label: value". */
function barValues(svg: string, series: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of svg.matchAll(/<title>(\w+) ([^:<]+): ([0-9.e-]+)<\/title>/g))
    if (m[1] === series) out.set(m[2], Number(m[3]));
  return out;
}

describe('etude evaluate', () => {
  it('`etude evaluate default --takes 4 --bars 8` prints the report and writes the plots', () => {
    const out = path.join(dir, 'plots');
    const stdout = execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin/etude.mjs'),
        '--data-dir',
        path.join(dir, 'data'),
        'evaluate',
        'default',
        '--takes',
        '4',
        '--bars',
        '8',
        '--out',
        out,
      ],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ETUDE_DEBUG: '' } },
    );
    expect(stdout).toContain('takes             4 of 8 bars');
    expect(stdout).toMatch(/corpus {12}JSB chorales \(soprano lines\) \(382 pieces\)/);
    const nll = readCheckpointHeader(new Uint8Array(readFileSync(bundledDefaultModelPath()))).metrics.valLoss!;
    expect(stdout).toContain(`validation NLL ${nll.toFixed(4)}`);
    // Every measure has a takes column and (except copying) a corpus column of numbers.
    for (const label of Object.values(METRIC_LABELS)) {
      const line = stdout.split('\n').find((l) => l.startsWith(label));
      expect(line, label).toBeDefined();
      const spreads = line!.slice(label.length).match(/-?[0-9.]+ ± [0-9.]+ \[-?[0-9.]+\.\.-?[0-9.]+\]/g) ?? [];
      expect(spreads.length, label).toBe(label.startsWith('copying') ? 1 : 2);
    }
    // In-key share is a share, and the chorales' (all in one key each) is high.
    const inKey = stdout.split('\n').find((l) => l.startsWith(METRIC_LABELS.inKeyShare))!;
    const [takesMean, corpusMean] = [...inKey.matchAll(/([0-9.]+) ±/g)].map((m) => Number(m[1]));
    expect(takesMean).toBeGreaterThan(0);
    expect(takesMean).toBeLessThanOrEqual(1);
    expect(corpusMean).toBeGreaterThan(0.9);
    expect(stdout).toMatch(/pitch-class histogram distance {3}JS 0\.\d{4} {2}TV 0\.\d{4}/);

    const pitches = readFileSync(path.join(out, 'pitch-classes.svg'), 'utf8');
    expect(pitches.startsWith('<?xml')).toBe(true);
    expect(pitches).toContain('Pitch classes: default vs JSB chorales (soprano lines)');
    for (const series of ['takes', 'corpus']) {
      const bars = barValues(pitches, series);
      expect([...bars.keys()]).toEqual(['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B']);
      // A histogram of shares: the 12 bars sum to 1 (each title rounded to 4 significant digits).
      expect([...bars.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    }
    const lengths = readFileSync(path.join(out, 'note-lengths.svg'), 'utf8');
    expect(barValues(lengths, 'corpus').size).toBe(16);
    expect([...barValues(lengths, 'takes').values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
  }, 90_000);

  it('measures a library model against its own corpus, and refuses a corpus that is not there', async () => {
    const library = openLibrary(path.join(dir, 'lib.db'));
    try {
      const corpus = library.corpora.createCorpus('Seeds');
      library.pieces.insertPieces(corpus.id, seedMelodyPieces(20, 128));
      const bytes = new Uint8Array(readFileSync(bundledDefaultModelPath()));
      const header = readCheckpointHeader(bytes);
      const model = library.models.createModel({
        name: 'mine',
        spec: header.spec,
        training: header.training,
        corpusId: corpus.id,
        engine: 'wasm',
        status: 'ready',
      });
      library.checkpoints.saveCheckpoint({ modelId: model.id, epoch: 3, step: 30, data: bytes });
      const e = await evaluateModel(library, { model: 'mine', takes: 2, bars: 4, engine: 'wasm' });
      expect(e.corpusName).toBe('Seeds');
      expect(e.corpusPieces).toBe(20);
      expect(e.checkpoint.validationNll).toBe(header.metrics.valLoss);
      // Notes per bar is defined for every piece; the in-key share only for pieces with a note.
      const withNotes = seedMelodyPieces(20, 128).filter((p) => p.noteCount > 0).length;
      expect(e.rows.find((r) => r.metric === 'notesPerBar')!.corpus!.count).toBe(20);
      expect(e.rows.find((r) => r.metric === 'inKeyShare')!.corpus!.count).toBe(withNotes);
      expect(e.pitchClassHistogram.takes.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(evaluationLines(e)[2]).toBe('corpus            Seeds (20 pieces)');
      await expect(evaluateModel(library, { model: 'mine', against: 'Nope', takes: 1, bars: 4 })).rejects.toMatchObject(
        { code: 'NOT_FOUND' },
      );
      await expect(
        evaluateModel(
          library,
          { model: 'default', takes: 1, bars: 4 },
          { defaultCorpusPath: path.join(dir, 'missing.json') },
        ),
      ).rejects.toThrow(/are not here; reinstall Etude, or name a corpus of your library with --against/);
      await expect(evaluateModel(library, { model: 'mine', takes: 0, bars: 4 })).rejects.toMatchObject({
        code: 'EVALUATION_BAD_REQUEST',
      });
    } finally {
      library.close();
    }
  }, 60_000);

  it('jsbSopranoCorpus reads voice 0: a repeated pitch is held, -1 is silence', () => {
    const file = path.join(dir, 'tiny.json');
    const frames = [
      [60, 55],
      [60, 55],
      [62, 55],
      [-1, 55],
      [64, 50],
    ];
    writeFileSync(file, JSON.stringify({ train: [frames], valid: [], test: [] }));
    const [piece] = jsbSopranoCorpus(file);
    expect(piece.tracks[0].notes.map((n) => [n.pitch, n.startTick / 120, n.durationTicks / 120])).toEqual([
      [60, 0, 2],
      [62, 2, 1],
      [64, 4, 1],
    ]);
  });

  it('the bundled corpus (resources) holds the same melodies as the chorales file it was made from', () => {
    const full = jsbSopranoCorpus();
    const bundled = bundledCorpusMelodies();
    expect(bundled).toHaveLength(382);
    expect(bundled.length).toBe(full.length);
    const notes = (pieces: typeof full) =>
      pieces.map((p) => p.tracks[0].notes.map((n) => `${n.pitch}@${n.startTick}+${n.durationTicks}`).join(' '));
    expect(notes(bundled)).toEqual(notes(full));
    // A damaged file is a sentence naming the file and the piece, not a crash.
    const bad = path.join(dir, 'bad-runs.json');
    writeFileSync(bad, JSON.stringify({ format: 'etude-melody-runs/1', splits: { train: [[60, 4, 200, 1]] } }));
    expect(() => bundledCorpusMelodies(bad)).toThrow(/bad-runs\.json, piece 0: run 1: pitch 200 is not -1/);
    writeFileSync(bad, JSON.stringify({ train: [] }));
    expect(() => bundledCorpusMelodies(bad)).toThrow(/is not a corpus in the etude-melody-runs\/1 format/);
  });

  it('models:evaluate answers the report through the contract (response validated), and refuses 0 takes', async () => {
    const dataDir = path.join(dir, 'app');
    const services = createAppServices({
      dataDir,
      resourcesDir: path.join(repoRoot, 'resources'),
      generationRunner: runGeneration,
    });
    try {
      const handlers = createHandlers(services, createStudioDoor(dataDir), { validateResponses: true });
      const envelope = await dispatch(handlers, 'models:evaluate', { modelId: 'default', takes: 2, bars: 4 });
      expect(envelope.ok, JSON.stringify(envelope)).toBe(true);
      const report = (
        envelope as { ok: true; value: { takes: number; rows: { metric: string }[]; corpusPieces: number } }
      ).value;
      expect(report.takes).toBe(2);
      expect(report.corpusPieces).toBe(382);
      expect(report.rows.map((r) => r.metric)).toContain('copiedNotes');
      const bad = await dispatch(handlers, 'models:evaluate', { modelId: 'default', takes: 0 });
      expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      const missing = await dispatch(handlers, 'models:evaluate', { modelId: '999' });
      expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    } finally {
      await services.close();
    }
  }, 60_000);
});
