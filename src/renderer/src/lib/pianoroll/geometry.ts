// SPDX-License-Identifier: MIT
/**
 * Piano-roll geometry: tick <-> x, pitch <-> y, note rectangles, hit-testing and snapping.
 * Plain data in, plain data out, so it is unit tested in Node without a DOM. The canvas is
 * viewport-sized: scrolling is a translation here, never a wider canvas (browsers cap canvas size).
 */
import type { Note, Pitch, Ticks } from '../../../../core/music/NoteSequence';

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

/** The thinnest a pitch row gets when fitting a wide melody into view (still clickable). */
export const MIN_FIT_ROW_HEIGHT_PX = 4;
/** Share of notes at each end of the pitch range that fitting may leave off-screen (outliers). */
export const FIT_OUTLIER_SHARE = 0.05;

/** The pitch at quantile q (0..1) of the notes, nearest-rank. */
function pitchQuantile(sortedPitches: readonly number[], q: number): number {
  return sortedPitches[Math.min(sortedPitches.length - 1, Math.max(0, Math.round(q * (sortedPitches.length - 1))))];
}

/**
 * A viewport for the notes: the whole length fits the width; rows shrink (down to
 * MIN_FIT_ROW_HEIGHT_PX, up to opts.rowHeightPx) so the pitch span, without the outer
 * FIT_OUTLIER_SHARE of notes at each end, plus two rows of margin each side fits the height;
 * that span is centred. A lone wild note must not squash the melody into hairlines: the roll
 * marks off-screen notes at its edge instead (see notesOffscreen). No notes: centred on middle C.
 */
export function fitViewport(
  notes: readonly Note[],
  size: { widthPx: number; heightPx: number },
  opts: { minTicks: Ticks; rowHeightPx: number },
): RollViewport {
  const endTick = Math.max(opts.minTicks, ...notes.map((n) => n.startTick + n.durationTicks));
  const pixelsPerTick = Math.min(MAX_PIXELS_PER_TICK, Math.max(MIN_PIXELS_PER_TICK, size.widthPx / Math.max(1, endTick)));
  const sorted = notes.map((n) => n.pitch).sort((a, b) => a - b);
  const low = sorted.length ? pitchQuantile(sorted, FIT_OUTLIER_SHARE) : 60;
  const high = sorted.length ? pitchQuantile(sorted, 1 - FIT_OUTLIER_SHARE) : 60;
  const rowsWanted = high - low + 1 + 4;
  const rowHeightPx = Math.max(MIN_FIT_ROW_HEIGHT_PX, Math.min(opts.rowHeightPx, Math.floor(size.heightPx / rowsWanted)));
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
