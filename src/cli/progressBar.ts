// SPDX-License-Identifier: MIT
import type { JobProgress } from '../core/jobs/progress';

export interface ProgressBar {
  /** Shows the latest progress (call as often as you like; redraws are throttled). */
  update(progress: JobProgress): void;
  /** Removes the bar (TTY) so the summary that follows starts on a clean line. */
  done(): void;
}

export interface ProgressBarOptions {
  /** Where to draw; stderr so stdout stays machine-readable. */
  stream: NodeJS.WriteStream;
  /** Draw a one-line bar with \r (terminal) or print plain lines (pipes, CI logs). */
  interactive: boolean;
  /** Plain mode: at most one line per this many ms (default 1000). */
  plainIntervalMs?: number;
  now?: () => number;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One line of text for a progress event (also used by plain mode): "importing 120/3089 (4%) file.mid". */
export function describeProgress(p: JobProgress): string {
  const parts = [p.phase];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`);
  if (p.total > 0) parts.push(`${p.current}/${p.total} (${Math.floor((100 * p.current) / p.total)}%)`);
  else if (p.current > 0) parts.push(String(p.current));
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.valLoss !== undefined) parts.push(`val ${p.valLoss.toFixed(4)}`);
  if (p.sequencesPerSec !== undefined) parts.push(`${p.sequencesPerSec.toFixed(0)} seq/s`);
  if (p.etaMs !== undefined) parts.push(`ETA ${formatDuration(p.etaMs)}`);
  if (p.engine) parts.push(`[${p.engine}]`);
  if (p.detail) parts.push(p.detail);
  return parts.join(' ');
}

/**
 * A progress display for any JobProgress stream (import, training, generation). On a terminal,
 * one line redrawn in place, at most ~15 times a second, clipped to the terminal width; elsewhere,
 * plain lines at most once a second (and on every phase change), so logs stay readable.
 */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const { stream, interactive } = options;
  const now = options.now ?? Date.now;
  const plainInterval = options.plainIntervalMs ?? 1000;
  let lastDraw = -Infinity;
  let lastPhase = '';
  let drawn = false;
  return {
    update(p) {
      const t = now();
      const phaseChanged = p.phase !== lastPhase;
      if (!phaseChanged && t - lastDraw < (interactive ? 66 : plainInterval)) return;
      lastDraw = t;
      lastPhase = p.phase;
      if (!interactive) {
        stream.write(describeProgress(p) + '\n');
        return;
      }
      const width = Math.max(40, (stream.columns || 80) - 1);
      const barWidth = 24;
      const fraction = p.total > 0 ? Math.min(1, p.current / p.total) : 0;
      const filled = Math.round(fraction * barWidth);
      const bar = p.total > 0 ? `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ` : '';
      // Keep the end of a long detail (the file name), not its start (the folders).
      const detail = p.detail && p.detail.length > 40 ? `…${p.detail.slice(-39)}` : p.detail;
      let line = bar + describeProgress({ ...p, detail });
      if (line.length > width) line = line.slice(0, width - 1) + '…';
      stream.write(`\r${line.padEnd(width)}`);
      drawn = true;
    },
    done() {
      if (interactive && drawn) stream.write(`\r${' '.repeat(Math.max(40, (stream.columns || 80) - 1))}\r`);
      drawn = false;
    },
  };
}
