// SPDX-License-Identifier: MIT
/**
 * A tiny dependency-free SVG chart for the quality report: two histograms as side-by-side bars
 * (e.g. the takes' and the corpus' pitch-class histograms), with axis labels, ticks and a legend.
 * Returns the document as a string; writing it to a file is the caller's job.
 */
import { AnalysisError } from './errors';

/** One named series of bar heights. */
export interface PlotSeries {
  name: string;
  values: readonly number[];
  /** CSS colour; defaults: first series '#3b6ea5', second '#d08a2e'. */
  color?: string;
}

/** What {@link histogramComparisonSvg} draws. */
export interface HistogramPlot {
  title: string;
  /** One label per bin, under the bars (e.g. "C", "C#", ...). */
  binLabels: readonly string[];
  xLabel: string;
  yLabel: string;
  /** One or two series with one value per bin, each >= 0. */
  series: readonly PlotSeries[];
  /** Pixel size of the whole image (default 640 x 360). */
  width?: number;
  height?: number;
}

/** Names for the 12 pitch-class bins, C = 0. */
export const PITCH_CLASS_LABELS: readonly string[] = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];

/** Names for the 16 note-length bins of noteLengthHistogram, in sixteenths ("16+" = a whole note or longer). */
export const NOTE_LENGTH_LABELS: readonly string[] = Array.from({ length: 16 }, (_, i) =>
  i === 15 ? '16+' : String(i + 1),
);

const DEFAULT_COLORS = ['#3b6ea5', '#d08a2e'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** A "nice" step for about five ticks up to `max`: 1, 2 or 5 times a power of ten. */
function tickStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const scaled = rough / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

/**
 * Draw one or two histograms as grouped bars over shared bins, with a y axis from 0 to a rounded
 * maximum, tick labels, axis titles and a legend.
 * @returns a standalone SVG document (UTF-8 text)
 * @throws {AnalysisError} ANALYSIS_BAD_INPUT when there are not 1-2 series, a series' length
 *   differs from the number of bin labels, or a value is negative or not finite.
 * @example histogramComparisonSvg({ title: 'Pitch classes', binLabels: PITCH_CLASS_LABELS, xLabel: 'pitch class',
 *   yLabel: 'share of notes', series: [{ name: 'takes', values: a }, { name: 'corpus', values: b }] })
 */
export function histogramComparisonSvg(plot: HistogramPlot): string {
  const bins = plot.binLabels.length;
  if (plot.series.length < 1 || plot.series.length > 2 || bins === 0) {
    throw new AnalysisError(
      'ANALYSIS_BAD_INPUT',
      `a histogram plot takes one or two series over at least one bin, got: ${plot.series.length} series, ${bins} bins`,
    );
  }
  for (const series of plot.series) {
    if (series.values.length !== bins || series.values.some((v) => !(v >= 0) || !Number.isFinite(v))) {
      throw new AnalysisError(
        'ANALYSIS_BAD_INPUT',
        `series "${series.name}" needs ${bins} finite values >= 0, got: ${series.values.join(', ')}`,
      );
    }
  }
  const width = plot.width ?? 640;
  const height = plot.height ?? 360;
  const margin = { left: 64, right: 16, top: 40, bottom: 64 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const maxValue = Math.max(...plot.series.flatMap((s) => [...s.values]));
  const step = maxValue > 0 ? tickStep(maxValue) : 1;
  const top = maxValue > 0 ? Math.ceil(maxValue / step - 1e-9) * step : 1;
  const x0 = margin.left;
  const y0 = margin.top + plotHeight;
  const binWidth = plotWidth / bins;
  const barWidth = (binWidth * 0.8) / plot.series.length;
  const y = (value: number): number => y0 - (value / top) * plotHeight;
  const parts: string[] = [];
  parts.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(plot.title)}</text>`);
  for (let tick = 0; tick <= top + step / 2; tick += step) {
    const ty = round(y(tick));
    parts.push(`<line x1="${x0}" y1="${ty}" x2="${x0 + plotWidth}" y2="${ty}" stroke="#e3e3e3"/>`);
    parts.push(
      `<text x="${x0 - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeXml(String(Number(tick.toPrecision(6))))}</text>`,
    );
  }
  plot.series.forEach((series, s) => {
    const color = series.color ?? DEFAULT_COLORS[s];
    series.values.forEach((value, bin) => {
      const bx = x0 + bin * binWidth + binWidth * 0.1 + s * barWidth;
      parts.push(
        `<rect class="bar" data-series="${s}" data-bin="${bin}" x="${round(bx)}" y="${round(y(value))}" width="${round(barWidth)}" height="${round(y0 - y(value))}" fill="${escapeXml(color)}"><title>${escapeXml(`${series.name} ${plot.binLabels[bin]}: ${Number(value.toPrecision(4))}`)}</title></rect>`,
      );
    });
  });
  plot.binLabels.forEach((label, bin) => {
    parts.push(
      `<text x="${round(x0 + (bin + 0.5) * binWidth)}" y="${y0 + 16}" text-anchor="middle">${escapeXml(label)}</text>`,
    );
  });
  parts.push(`<line x1="${x0}" y1="${y0}" x2="${x0 + plotWidth}" y2="${y0}" stroke="black"/>`);
  parts.push(`<line x1="${x0}" y1="${margin.top}" x2="${x0}" y2="${y0}" stroke="black"/>`);
  parts.push(
    `<text x="${x0 + plotWidth / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(plot.xLabel)}</text>`,
  );
  parts.push(
    `<text x="16" y="${margin.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${margin.top + plotHeight / 2})">${escapeXml(plot.yLabel)}</text>`,
  );
  plot.series.forEach((series, s) => {
    const lx = x0 + plotWidth - 150 + s * 80;
    parts.push(
      `<rect x="${lx}" y="${margin.top - 14}" width="10" height="10" fill="${escapeXml(series.color ?? DEFAULT_COLORS[s])}"/>`,
    );
    parts.push(`<text x="${lx + 14}" y="${margin.top - 5}">${escapeXml(series.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
