// SPDX-License-Identifier: MIT
/**
 * Corpus statistics over the melody encoding (the thesis' token histogram), and its SVG chart.
 */
import { MELODY_VOCAB, NO_EVENT, NOTE_OFF } from '../../core/encoding/melody';
import { pitchName } from '../../core/music/keys';
import type { Library } from '../db/open';
import type { PieceFormat, PieceSplit } from '../db/types';

export interface CorpusStats {
  corpusName: string;
  /** Pieces with a melody (what these statistics describe). */
  pieces: number;
  /** Pieces with a piano roll and no melody: counted in `formats`, left out of everything else. */
  piecesWithoutMelody: number;
  /** Sum of melody lengths = number of tokens. */
  totalSixteenths: number;
  /** Melody note-ons (tokens 0..127) over all pieces. */
  melodyNotes: number;
  /** Lowest and highest melody pitch; null for a corpus without notes. */
  pitchRange: { lowest: number; highest: number } | null;
  /** Count per token 0..129 (MELODY_VOCAB bins): 0-127 note-on, 128 note-off, 129 no event. */
  tokenHistogram: number[];
  /** Pitches 0..127 that never start a melody note (the rows of the output layer that training never sees). */
  unusedPitches: number[];
  /** Shortest, mean and longest piece in sixteenths (0 when empty). */
  lengthSixteenths: { min: number; mean: number; max: number };
  formats: Partial<Record<PieceFormat, number>>;
  splits: Partial<Record<PieceSplit | 'none', number>>;
}

/**
 * Statistics of a corpus' melody tokens.
 * @throws NotFoundError when there is no corpus of that name
 */
export function corpusStats(library: Library, corpusName: string): CorpusStats {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  const rows = library.pieces.getMelodyTokens(corpus.id);
  const histogram = new Array<number>(MELODY_VOCAB).fill(0);
  let total = 0;
  let min = Infinity;
  let max = 0;
  const splits: CorpusStats['splits'] = {};
  for (const row of rows) {
    const tokens = row.tokens;
    for (let i = 0; i < tokens.length; i++) histogram[tokens[i]]++;
    total += tokens.length;
    min = Math.min(min, tokens.length);
    max = Math.max(max, tokens.length);
    const split = row.split ?? 'none';
    splits[split] = (splits[split] ?? 0) + 1;
  }
  const formats = library.pieces.countByFormat(corpus.id);

  const used: number[] = [];
  const unusedPitches: number[] = [];
  for (let pitch = 0; pitch < NOTE_OFF; pitch++) (histogram[pitch] > 0 ? used : unusedPitches).push(pitch);
  return {
    corpusName: corpus.name,
    pieces: rows.length,
    piecesWithoutMelody: library.pieces.countPiecesWithoutMelody(corpus.id),
    totalSixteenths: total,
    melodyNotes: used.reduce((sum, p) => sum + histogram[p], 0),
    pitchRange: used.length > 0 ? { lowest: used[0], highest: used[used.length - 1] } : null,
    tokenHistogram: histogram,
    unusedPitches,
    lengthSixteenths: rows.length > 0 ? { min, mean: total / rows.length, max } : { min: 0, mean: 0, max: 0 },
    formats,
    splits,
  };
}

/** Label of a token for charts and tables: "C4 (60)", "note-off", "no event". */
export function tokenLabel(token: number): string {
  if (token === NOTE_OFF) return 'note-off';
  if (token === NO_EVENT) return 'no event';
  return `${pitchName(token)} (${token})`;
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

export interface HistogramSvgOptions {
  /** Pixels; default 960 x 420. */
  width?: number;
  height?: number;
  title?: string;
}

/**
 * The token histogram as a standalone SVG: one bar per token 0..129 on a log10 count axis (as the
 * thesis plots it, so rare pitches stay visible next to the ~10^5 "no event" tokens), octave
 * ticks labelled C-1..C9 on the x axis, the two control tokens coloured apart, and a title.
 * Each bar carries a <title> with its exact count for hover.
 */
export function histogramSvg(stats: CorpusStats, options: HistogramSvgOptions = {}): string {
  const width = options.width ?? 960;
  const height = options.height ?? 420;
  const title =
    options.title ??
    `Melody token histogram: ${stats.corpusName} (${stats.pieces.toLocaleString('en-US')} pieces, ${stats.totalSixteenths.toLocaleString('en-US')} sixteenths)`;
  const margin = { left: 64, right: 24, top: 40, bottom: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const maxCount = Math.max(1, ...stats.tokenHistogram);
  const decades = Math.max(1, Math.ceil(Math.log10(maxCount)));
  // log10(count) mapped on [0, decades]; count 1 sits at 0 and still gets a visible 2 px bar.
  const y = (count: number) => margin.top + plotH - (Math.log10(count) / decades) * plotH;
  const barW = plotW / MELODY_VOCAB;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  );
  // Horizontal grid + y labels per decade.
  for (let d = 0; d <= decades; d++) {
    const gy = y(10 ** d).toFixed(1);
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${gy}" y2="${gy}" stroke="#dddddd"/>`,
      `<text x="${margin.left - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${(10 ** d).toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">count (log scale)</text>`,
    `<g class="bars">`,
  );
  stats.tokenHistogram.forEach((count, token) => {
    if (count <= 0) return;
    const x = margin.left + token * barW;
    const top = Math.min(y(count), margin.top + plotH - 2);
    const fill = token === NOTE_OFF ? '#d9534f' : token === NO_EVENT ? '#999999' : '#3b6ea8';
    parts.push(
      `<rect class="bar" data-token="${token}" x="${(x + 0.5).toFixed(2)}" y="${top.toFixed(2)}" width="${Math.max(1, barW - 1).toFixed(2)}" height="${(margin.top + plotH - top).toFixed(2)}" fill="${fill}"><title>${escapeXml(tokenLabel(token))}: ${count}</title></rect>`,
    );
  });
  parts.push('</g>');
  // Axes and x ticks: every C, plus the two control tokens.
  const axisY = margin.top + plotH;
  parts.push(
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${axisY}" y2="${axisY}" stroke="#333333"/>`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${axisY}" stroke="#333333"/>`,
  );
  const ticks: [number, string][] = [];
  for (let c = 0; c < NOTE_OFF; c += 12) ticks.push([c, pitchName(c)]);
  ticks.push([NOTE_OFF, 'off'], [NO_EVENT, 'none']);
  for (const [token, label] of ticks) {
    const tx = (margin.left + (token + 0.5) * barW).toFixed(1);
    // The two control tokens sit side by side: drop "none" a line lower so the labels do not collide.
    const ty = axisY + (token === NO_EVENT ? 28 : 16);
    parts.push(
      `<line x1="${tx}" x2="${tx}" y1="${axisY}" y2="${ty - 10}" stroke="#333333"/>`,
      `<text x="${tx}" y="${ty}" text-anchor="middle">${escapeXml(label)}</text>`,
    );
  }
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 8}" text-anchor="middle">token (MIDI pitch 0-127, note-off 128, no event 129)</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/**
 * The histogram as text lines for a terminal: one line per token that occurs, with a log-scale bar.
 * @param barWidth characters for the largest count
 */
export function histogramText(stats: CorpusStats, barWidth = 40): string[] {
  const maxLog = Math.log10(Math.max(2, ...stats.tokenHistogram) + 1);
  const lines: string[] = [];
  stats.tokenHistogram.forEach((count, token) => {
    if (count === 0) return;
    const bar = '#'.repeat(Math.max(1, Math.round((Math.log10(count + 1) / maxLog) * barWidth)));
    lines.push(`${tokenLabel(token).padStart(14)} ${String(count).padStart(9)} ${bar}`);
  });
  return lines;
}
