// SPDX-License-Identifier: MIT
/**
 * Writes resources/default-model/jsb-soprano.json: the soprano line (voice 0) of every chorale of
 * Jsb16thSeparated.json, as runs (src/core/data/melodyRuns.ts), so that a packaged app can measure the bundled model
 * against the music it learnt (`etude evaluate default`, the studio's quality panel) without ../shared/data.
 * The chorales are J. S. Bach's (public domain); the split and the 16th-note encoding are those of
 * Boulanger-Lewandowski et al. (ICML 2012), cited in the file.
 *
 *   node --import tsx scripts/make-default-corpus.ts [--from FILE] [--out FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { voiceRuns } from '../src/core/data/melodyRuns';
import { BUNDLED_CORPUS_FORMAT, defaultJsbFile } from '../src/main/services/evaluation';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    from: { type: 'string', default: defaultJsbFile() },
    out: { type: 'string', default: path.join(repoRoot, 'resources/default-model/jsb-soprano.json') },
  },
});
const splits = JSON.parse(readFileSync(values.from!, 'utf8')) as Record<string, number[][][]>;
const pieces = (name: string) => (splits[name] ?? []).map((frames) => voiceRuns(frames, 0));
const file = {
  format: BUNDLED_CORPUS_FORMAT,
  name: 'JSB chorales (soprano lines)',
  source:
    'Jsb16thSeparated.json (voice 0 of each 16th-note frame), the train/valid/test split of Boulanger-Lewandowski, ' +
    'Bengio and Vincent, "Modeling Temporal Dependencies in High-Dimensional Sequences", ICML 2012',
  licence: "J. S. Bach's chorales are in the public domain.",
  encoding: 'Each piece: runs [pitch, frames, ...] of sixteenth-note frames; pitch -1 is silence.',
  splits: { train: pieces('train'), valid: pieces('valid'), test: pieces('test') },
};
// One piece per line: small diffs, and the file stays readable.
const lines = Object.entries(file.splits).map(
  ([split, list]) =>
    `    ${JSON.stringify(split)}: [\n${list.map((p) => `      ${JSON.stringify(p)}`).join(',\n')}\n    ]`,
);
const { splits: _splits, ...header } = file;
const text = `${JSON.stringify(header, null, 2).slice(0, -2)},\n  "splits": {\n${lines.join(',\n')}\n  }\n}\n`;
JSON.parse(text);
writeFileSync(values.out!, text);
const count = Object.values(file.splits).reduce((n, l) => n + l.length, 0);
console.log(`wrote ${values.out} (${count} pieces, ${(text.length / 1024).toFixed(0)} KiB)`);
