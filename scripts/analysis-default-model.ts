// SPDX-License-Identifier: MIT
/**
 * The analysis behind `etude evaluate default`, with the degeneracy checks compared: N takes of the
 * bundled model against its corpus (the soprano line of the JSB chorales, all splits, as the
 * model was trained on), every measure of the quality report with its spread, the degeneracy
 * check of src/core/analysis/degeneracy.ts beside the generator's check (src/core/model/generate.ts),
 * and two SVG plots.
 *
 *   node --import tsx scripts/analysis-default-model.ts [--takes 64] [--bars 16] [--temperature 1]
 *     [--random-seed 1] [--out DIR]
 *
 * Seed notes: C4 D4 E4 F4 as quarters. Corpus: voice 0 of ../shared/data/jsb-chorales/
 * Jsb16thSeparated.json, one token per sixteenth; a pitch repeated in consecutive frames is read
 * as held (the frames cannot tell a re-struck note from a held one).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  NOTE_LENGTH_LABELS,
  PITCH_CLASS_LABELS,
  type Spread,
  findNoteDegeneracy,
  histogramComparisonSvg,
  longestStretchWithoutOnset,
  passageOf,
  qualityReport,
} from '../src/core/analysis';
import { decodeMelody } from '../src/core/encoding/melody';
import { jsbSopranoCorpus } from '../src/main/services/evaluation';
import { selectEngine } from '../src/core/engine/select';
import { decodeCheckpoint } from '../src/core/model/checkpoint';
import { generateMelodies, seedTokensFromPitches } from '../src/core/model/generate';
import type { NoteSequence } from '../src/core/music/NoteSequence';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    takes: { type: 'string', default: '64' },
    bars: { type: 'string', default: '16' },
    temperature: { type: 'string', default: '1' },
    'random-seed': { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});

const corpus = jsbSopranoCorpus();
const checkpoint = decodeCheckpoint(
  new Uint8Array(readFileSync(path.join(repoRoot, 'resources/default-model/default.etude-ckpt'))),
);
const engine = await selectEngine({ engine: 'wasm', threads: 1 });
const model = await engine.createModel(checkpoint.spec, checkpoint.training, checkpoint.weights);
const decoder = model.createDecoder();
const melodies = await generateMelodies(decoder, {
  seedTokens: seedTokensFromPitches([60, 62, 64, 65]),
  bars: Number(args.bars),
  temperature: Number(args.temperature),
  variations: Number(args.takes),
  randomSeed: Number(args['random-seed']),
  maxRetries: 0,
});
decoder.dispose();
model.dispose();
await engine.dispose();

const takes = melodies.map((melody) => decodeMelody(melody.tokens));
const report = qualityReport(takes, corpus);
const format = (s: Spread | undefined): string =>
  s ? `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)} (median ${s.median.toFixed(3)}, max ${s.max.toFixed(3)})` : '-';
console.log(
  `${takes.length} takes of ${args.bars} bars at temperature ${args.temperature} vs ${corpus.length} chorale soprano lines`,
);
for (const [name, spread] of Object.entries(report.takes.metrics)) {
  console.log(
    `${name.padEnd(32)} takes ${format(spread)}  corpus ${format(report.corpus.metrics[name as keyof typeof report.corpus.metrics])}`,
  );
}
const d = report.distances;
console.log(
  `pitch-class histogram distance: JS ${d.pitchClassHistogram.jensenShannon.toFixed(4)}, TV ${d.pitchClassHistogram.totalVariation.toFixed(4)}`,
);
console.log(
  `note-length histogram distance: JS ${d.noteLengthHistogram.jensenShannon.toFixed(4)}, TV ${d.noteLengthHistogram.totalVariation.toFixed(4)}`,
);
console.log(`copying (notes): ${format(report.copying.notes)}; share of take: ${format(report.copying.share)}`);
const atLeastTwoBars = (set: NoteSequence[]): string =>
  `${((set.filter((s) => longestStretchWithoutOnset(passageOf(s)) >= 2).length / set.length) * 100).toFixed(1)}%`;
console.log(`two bars or more without a new note: takes ${atLeastTwoBars(takes)}, corpus ${atLeastTwoBars(corpus)}`);
const noteCheck = takes.filter((t) => findNoteDegeneracy(passageOf(t), { maxBarsWithoutNewNote: 2 })).length;
const tokenCheck = melodies.filter((m) => m.degenerate).length;
console.log(
  `degenerate at a 2-bar limit: note check ${noteCheck} of ${takes.length}, generator's check (silence and held notes) ${tokenCheck}`,
);

if (args.out) {
  mkdirSync(args.out, { recursive: true });
  const series = (a: number[], b: number[]) => [
    { name: 'takes', values: a },
    { name: 'corpus', values: b },
  ];
  writeFileSync(
    path.join(args.out, 'pitch-classes.svg'),
    histogramComparisonSvg({
      title: 'Pitch-class histogram',
      binLabels: PITCH_CLASS_LABELS,
      xLabel: 'pitch class',
      yLabel: 'share of notes',
      series: series(report.takes.pitchClassHistogram, report.corpus.pitchClassHistogram),
    }),
  );
  writeFileSync(
    path.join(args.out, 'note-lengths.svg'),
    histogramComparisonSvg({
      title: 'Note-length histogram',
      binLabels: NOTE_LENGTH_LABELS,
      xLabel: 'length in sixteenths',
      yLabel: 'share of notes',
      series: series(report.takes.noteLengthHistogram, report.corpus.noteLengthHistogram),
    }),
  );
  console.log(`plots written to ${args.out}`);
}
