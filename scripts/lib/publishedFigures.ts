// SPDX-License-Identifier: MIT
/**
 * The published frame-level test NLLs that eval:poly prints beside ours, read from ../shared/bench/PUBLISHED.md (a
 * table: model | source | one column per data set), so the figures and their sources live in one place.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedRoot } from './polyEval';

export interface PublishedFigure {
  model: string;
  source: string;
  figure: string;
}

/** The data set's column of PUBLISHED.md; empty when the file, the table or the column is missing. */
export function publishedFigures(datasetName: string): PublishedFigure[] {
  const file = path.join(sharedRoot, 'bench/PUBLISHED.md');
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = lines.findIndex((l) => l.startsWith('| model | source |'));
  if (header < 0) return [];
  const cols = lines[header].split('|').map((c) => c.trim());
  const want = datasetName.startsWith('JSB')
    ? 'JSB Chorales'
    : datasetName.startsWith('Nottingham')
      ? 'Nottingham'
      : '';
  const col = want ? cols.indexOf(want) : -1;
  if (col < 0) return [];
  const out: PublishedFigure[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const c = line.split('|').map((x) => x.trim());
    out.push({ model: c[1], source: c[2], figure: c[col].replace(/-/g, '') });
  }
  return out;
}

/** Johnson 2017's figures (TP-LSTM-NADE, BALSTM) are for pieces transposed to C; ours and the others' are not. */
export const transposedToC = (p: PublishedFigure): boolean =>
  p.source.startsWith('Johnson') || p.model.startsWith('TP') || p.model.startsWith('BALSTM');
