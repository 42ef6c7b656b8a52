// SPDX-License-Identifier: MIT
/**
 * Piano-roll geometry: tick <-> x, pitch <-> y, note rectangles, hit-testing and snapping.
 * Plain data in, plain data out, so it is unit tested in Node without a DOM. The canvas is
 * viewport-sized: scrolling is a translation here, never a wider canvas (browsers cap canvas size).
 */
import type { Note, Pitch, Ticks, TimeSignatureEvent } from '../../../../core/music/NoteSequence';
import { barLines, beatTicks, meterMapOf } from '../../../../core/music/meterMap';

export const LOWEST_PITCH: Pitch = 0;
export const HIGHEST_PITCH: Pitch = 127;

/** What part of the canvas is visible and how big one tick / one pitch row is on screen. */
export interface RollViewport {
  /** Horizontal zoom: CSS pixels per tick. */
  pixelsPerTick: number;
  /** Height of one pitch row in CSS pixels. */
  rowHeightPx: number;
  /** Horizontal scroll: how many CSS pixels of the timeline lie left of the viewport. */
  scrollXPx: number;
  /** Vertical scroll: CSS pixels above the viewport, counted from the top of pitch 127's row. */
  scrollYPx: number;
  widthPx: number;
  heightPx: number;
}

export interface RectPx {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function tickToX(tick: Ticks, vp: RollViewport): number {
  return tick * vp.pixelsPerTick - vp.scrollXPx;
}

export function xToTick(x: number, vp: RollViewport): Ticks {
  return (x + vp.scrollXPx) / vp.pixelsPerTick;
}

/** Top edge of the pitch's row: higher pitches are drawn higher up. */
export function pitchToY(pitch: Pitch, vp: RollViewport): number {
  return (HIGHEST_PITCH - pitch) * vp.rowHeightPx - vp.scrollYPx;
}

/** The pitch whose row contains y, clamped to 0..127. */
export function yToPitch(y: number, vp: RollViewport): Pitch {
  const row = Math.floor((y + vp.scrollYPx) / vp.rowHeightPx);
  return clampPitch(HIGHEST_PITCH - row);
}

export function clampPitch(pitch: number): Pitch {
  return Math.min(HIGHEST_PITCH, Math.max(LOWEST_PITCH, Math.round(pitch)));
}

/** Zero-length notes still get a sliver so they can be seen and clicked. */
export const MIN_NOTE_WIDTH_PX = 3;

export function noteRect(note: Note, vp: RollViewport): RectPx {
  return {
    x: tickToX(note.startTick, vp),
    y: pitchToY(note.pitch, vp),
    width: Math.max(MIN_NOTE_WIDTH_PX, note.durationTicks * vp.pixelsPerTick),
    height: vp.rowHeightPx,
  };
}

export type NoteHitPart = 'body' | 'right-edge';

export interface NoteHit {
  index: number;
  part: NoteHitPart;
}

/** How close (CSS px) to a note's right edge a press counts as "resize" rather than "move". */
export const RESIZE_HANDLE_PX = 6;

/**
 * The note under (x, y), topmost first (notes later in the array are drawn on top), and
 * whether the press landed on its right edge (resize) or its body (select / move).
 */
export function hitTestNotes(notes: readonly Note[], x: number, y: number, vp: RollViewport): NoteHit | null {
  for (let index = notes.length - 1; index >= 0; index--) {
    const rect = noteRect(notes[index], vp);
    if (y < rect.y || y >= rect.y + rect.height) continue;
    if (x < rect.x || x > rect.x + rect.width) continue;
    // A short note is all handle otherwise; keep at least half of it for moving.
    const handlePx = Math.min(RESIZE_HANDLE_PX, rect.width / 2);
    return { index, part: x >= rect.x + rect.width - handlePx ? 'right-edge' : 'body' };
  }
  return null;
}

/** Indices of notes whose rectangles intersect a rubber-band rectangle. */
export function notesInRect(notes: readonly Note[], band: RectPx, vp: RollViewport): number[] {
  const hits: number[] = [];
  notes.forEach((note, index) => {
    const r = noteRect(note, vp);
    if (r.x < band.x + band.width && r.x + r.width > band.x && r.y < band.y + band.height && r.y + r.height > band.y) {
      hits.push(index);
    }
  });
  return hits;
}

export type SnapMode = 'nearest' | 'floor';

/** Snap a tick to the grid (gridTicks <= 0 disables snapping). Never returns a negative tick. */
export function snapTick(tick: Ticks, gridTicks: Ticks, mode: SnapMode = 'nearest'): Ticks {
  if (gridTicks <= 0) return Math.max(0, Math.round(tick));
  const steps = mode === 'floor' ? Math.floor(tick / gridTicks) : Math.round(tick / gridTicks);
  return Math.max(0, steps * gridTicks);
}

/** The inclusive range of pitches with at least one visible pixel. */
export function visiblePitchRange(vp: RollViewport): { lowPitch: Pitch; highPitch: Pitch } {
  return { highPitch: yToPitch(0, vp), lowPitch: yToPitch(vp.heightPx - 1, vp) };
}

export function visibleTickRange(vp: RollViewport): { startTick: Ticks; endTick: Ticks } {
  return { startTick: xToTick(0, vp), endTick: xToTick(vp.widthPx, vp) };
}

export const MIN_PIXELS_PER_TICK = 0.005;
export const MAX_PIXELS_PER_TICK = 2;

/** Zoom horizontally by factor while keeping the tick under anchorX where it is. */
export function zoomAt(vp: RollViewport, factor: number, anchorX: number): RollViewport {
  const anchorTick = xToTick(anchorX, vp);
  const pixelsPerTick = Math.min(MAX_PIXELS_PER_TICK, Math.max(MIN_PIXELS_PER_TICK, vp.pixelsPerTick * factor));
  const scrollXPx = Math.max(0, anchorTick * pixelsPerTick - anchorX);
  return { ...vp, pixelsPerTick, scrollXPx };
}

/** Scroll by a delta, clamped so the timeline never starts right of x=0 and pitch rows stay in range. */
export function scrollBy(vp: RollViewport, dxPx: number, dyPx: number): RollViewport {
  const maxScrollY = Math.max(0, (HIGHEST_PITCH + 1) * vp.rowHeightPx - vp.heightPx);
  return {
    ...vp,
    scrollXPx: Math.max(0, vp.scrollXPx + dxPx),
    scrollYPx: Math.min(maxScrollY, Math.max(0, vp.scrollYPx + dyPx)),
  };
}

/** The thinnest a pitch row gets when fitting a melody into view (still easy to click). */
export const MIN_FIT_ROW_HEIGHT_PX = 5;
/** Empty rows kept above and below the fitted pitch span. */
const FIT_MARGIN_ROWS = 2;

/**
 * The pitch span to show: all notes when they fit at MIN_FIT_ROW_HEIGHT_PX rows, else the
 * window of at most maxSpan semitones that holds the most notes (ties: the lower window).
 * A burst of wild notes must not squash the melody into hairlines; the roll marks notes left
 * off-screen at its edges instead (see notesOffscreen).
 */
export function fitPitchSpan(pitches: readonly number[], maxSpan: number): { low: Pitch; high: Pitch } {
  if (pitches.length === 0) return { low: 60, high: 60 };
  const sorted = [...pitches].sort((a, b) => a - b);
  if (sorted[sorted.length - 1] - sorted[0] <= maxSpan) return { low: sorted[0], high: sorted[sorted.length - 1] };
  let best = { low: sorted[0], high: sorted[0], count: 0 };
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] > maxSpan) start++;
    const count = end - start + 1;
    if (count > best.count) best = { low: sorted[start], high: sorted[end], count };
  }
  return { low: best.low, high: best.high };
}

/**
 * A viewport for the notes: the whole length fits the width; rows shrink (down to
 * MIN_FIT_ROW_HEIGHT_PX, up to opts.rowHeightPx) so the span from fitPitchSpan plus margins fits
 * the height, and that span is centred. No notes: centred on middle C.
 */
export function fitViewport(
  notes: readonly Note[],
  size: { widthPx: number; heightPx: number },
  opts: { minTicks: Ticks; rowHeightPx: number },
): RollViewport {
  const endTick = Math.max(opts.minTicks, ...notes.map((n) => n.startTick + n.durationTicks));
  const pixelsPerTick = Math.min(
    MAX_PIXELS_PER_TICK,
    Math.max(MIN_PIXELS_PER_TICK, size.widthPx / Math.max(1, endTick)),
  );
  const maxSpan = Math.max(0, Math.floor(size.heightPx / MIN_FIT_ROW_HEIGHT_PX) - 1 - 2 * FIT_MARGIN_ROWS);
  const { low, high } = fitPitchSpan(
    notes.map((n) => n.pitch),
    maxSpan,
  );
  const rowsWanted = high - low + 1 + 2 * FIT_MARGIN_ROWS;
  const rowHeightPx = Math.max(
    MIN_FIT_ROW_HEIGHT_PX,
    Math.min(opts.rowHeightPx, Math.floor(size.heightPx / rowsWanted)),
  );
  const centreRow = HIGHEST_PITCH - (low + high) / 2 + 0.5;
  const maxScrollY = Math.max(0, (HIGHEST_PITCH + 1) * rowHeightPx - size.heightPx);
  const scrollYPx = Math.min(maxScrollY, Math.max(0, centreRow * rowHeightPx - size.heightPx / 2));
  return { pixelsPerTick, rowHeightPx, scrollXPx: 0, scrollYPx, ...size };
}

/** Indices of notes entirely above or below the viewport, to mark at its edges. */
export function notesOffscreen(notes: readonly Note[], vp: RollViewport): { above: number[]; below: number[] } {
  const { lowPitch, highPitch } = visiblePitchRange(vp);
  const above: number[] = [];
  const below: number[] = [];
  notes.forEach((n, i) => {
    if (n.pitch > highPitch) above.push(i);
    else if (n.pitch < lowPitch) below.push(i);
  });
  return { above, below };
}

/** Black keys, for shading rows. */
export function isBlackKey(pitch: Pitch): boolean {
  return [1, 3, 6, 8, 10].includes(((pitch % 12) + 12) % 12);
}

/** Map a MIDI velocity 1..127 to a fill lightness share 0.35..1, so quiet notes look paler. */
export function velocityShade(velocity: number): number {
  const v = Math.min(127, Math.max(1, velocity));
  return 0.35 + 0.65 * (v / 127);
}

/** A vertical line of the roll's grid: a bar line, a beat, or a grid step (sixteenth). */
export interface GridLine {
  tick: Ticks;
  kind: 'bar' | 'beat' | 'step';
}

/**
 * The grid lines from `fromTick` to `toTick` (inclusive): bar lines and beats where the take's time-signature map puts
 * them (core/music/meterMap.ts: a 6/8 bar beats in dotted quarters, a change cuts a bar short), and every
 * `stepTicks` * `stepEvery` ticks between them (beats left out when `withBeats` is false: zoomed far out). A tick that is both keeps the strongest kind.
 */
export function gridLines(
  meterMap: readonly TimeSignatureEvent[],
  ppq: number,
  fromTick: Ticks,
  toTick: Ticks,
  stepTicks: Ticks,
  stepEvery = 1,
  withBeats = true,
): GridLine[] {
  const lines = new Map<Ticks, GridLine['kind']>();
  const every = stepTicks * stepEvery;
  for (let tick = Math.ceil(Math.max(0, fromTick) / every) * every; tick <= toTick; tick += every)
    lines.set(tick, 'step');
  const map = meterMapOf(meterMap);
  if (withBeats) for (const tick of beatTicks(map, ppq, toTick + 1)) if (tick >= fromTick) lines.set(tick, 'beat');
  for (const bar of barLines(map, ppq, toTick + 1)) if (bar.startTick >= fromTick) lines.set(bar.startTick, 'bar');
  return [...lines].map(([tick, kind]) => ({ tick, kind })).sort((a, b) => a.tick - b.tick);
}
