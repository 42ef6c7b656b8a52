// SPDX-License-Identifier: MIT
/**
 * What the polyphonic evaluation scripts (eval-poly.ts, eval-loss.ts) share: their command-line flags, the benchmark
 * file a --dataset or --data names, and the exact scorer of a trained model.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPolyBenchmark, type PolyBenchmark, type RollPiece } from '../../src/core/data/polyBenchmark';
import { cropRoll, type PitchSpan } from '../../src/core/data/rollRange';
import type { TrainableModel } from '../../src/core/engine/engine';
import { isPolyDecoder } from '../../src/core/model/polyLstm';
import type { PieceScorer } from '../../src/core/model/polyMetrics';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedRoot = path.resolve(repoRoot, '../shared');

/** The benchmark splits of Boulanger-Lewandowski et al. (ICML 2012) a --dataset names, under ../shared. */
export const DATASETS: Record<string, string> = {
  jsb: 'data/boulanger2012/JSB_Chorales.json',
  nottingham: 'data/boulanger2012/Nottingham.json',
};

export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export const has = (name: string): boolean => process.argv.includes(`--${name}`);

export function num(name: string, fallback: number): number {
  const v = flag(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new RangeError(`--${name} must be a number, got: ${v}`);
  return n;
}

/**
 * The benchmark named by --dataset jsb|nottingham (else `fallback`) or --data FILE.json, read and checked, with the
 * SHA-256 of the file's bytes: what tells two files of one name apart (a saved --state run belongs to one of them).
 */
export function benchmarkFromFlags(fallback?: keyof typeof DATASETS): {
  bench: PolyBenchmark;
  file: string;
  sha256: string;
} {
  const dataset = flag('dataset') ?? (flag('data') ? undefined : fallback);
  const file = flag('data') ?? (dataset ? path.join(sharedRoot, DATASETS[dataset] ?? '') : undefined);
  if (!file || (dataset && !DATASETS[dataset]))
    throw new Error(
      'Name the data: --dataset jsb|nottingham, or --data FILE.json in the layout of shared/data/boulanger2012.',
    );
  const bytes = readFileSync(file);
  return {
    bench: readPolyBenchmark(JSON.parse(bytes.toString('utf8')), file),
    file,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** The pieces cropped to the keys a model covers, as flattened rolls: the model registry's piece form for frame models. */
export const tokensInSpan = (pieces: RollPiece[], span: PitchSpan) =>
  pieces.map((p) => ({ name: p.name, tokens: cropRoll(p, span).roll }));

/**
 * The exact scorer of a polyphonic model (plain likelihood, whatever loss trained it): its decoder scores each piece
 * from an all-zero previous frame; the result is the piece's summed -log P(frame | past frames) in nats.
 */
export function modelScorer(model: TrainableModel): PieceScorer {
  return async (piece: RollPiece) => {
    const d = model.createDecoder();
    if (!isPolyDecoder(d)) throw new Error('not a polyphonic model');
    const logits = await d.scoreFrames(piece.roll, piece.frames);
    d.dispose();
    let nll = 0;
    for (let i = 0; i < logits.length; i++) {
      const y = piece.roll[i] > 0 ? logits[i] : -logits[i];
      nll += y >= 0 ? Math.log1p(Math.exp(-y)) : -y + Math.log1p(Math.exp(y));
    }
    return nll;
  };
}
