import { describe, expect, it } from 'vitest';
import type { Note } from '../../src/core/music/NoteSequence';
import {
  fitPitchSpan,
  fitViewport,
  MIN_FIT_ROW_HEIGHT_PX,
  notesOffscreen,
  hitTestNotes,
  noteRect,
  notesInRect,
  pitchToY,
  scrollBy,
  snapTick,
  tickToX,
  visiblePitchRange,
  xToTick,
  yToPitch,
  zoomAt,
  type RollViewport,
} from '../../src/renderer/src/lib/pianoroll/geometry';
import { beginMove, moveTarget } from '../../src/renderer/src/lib/pianoroll/gestures/moveGesture';
import { beginResize, resizeTarget } from '../../src/renderer/src/lib/pianoroll/gestures/resizeGesture';

const vp: RollViewport = {
  pixelsPerTick: 0.25,
  rowHeightPx: 10,
  scrollXPx: 40,
  scrollYPx: 600,
  widthPx: 800,
  heightPx: 300,
};
const note = (pitch: number, startTick: number, durationTicks: number): Note => ({
  pitch,
  startTick,
  durationTicks,
  velocity: 100,
});

describe('piano-roll coordinates', () => {
  it('maps ticks to x and back, honouring scroll', () => {
    expect(tickToX(480, vp)).toBe(480 * 0.25 - 40);
    expect(xToTick(tickToX(1234, vp), vp)).toBeCloseTo(1234, 9);
    expect(tickToX(160, vp)).toBe(0);
  });

  it('puts higher pitches higher up and maps every y in a row back to that pitch', () => {
    expect(pitchToY(61, vp)).toBeLessThan(pitchToY(60, vp));
    const top = pitchToY(60, vp);
    expect(top).toBe((127 - 60) * 10 - 600);
    for (const dy of [0, 5, 9.99]) expect(yToPitch(top + dy, vp)).toBe(60);
    expect(yToPitch(top + 10, vp)).toBe(59);
    expect(yToPitch(-1e6, vp)).toBe(127);
    expect(yToPitch(1e6, vp)).toBe(0);
  });

  it('gives zero-length notes a visible sliver', () => {
    expect(noteRect(note(60, 0, 0), vp).width).toBeGreaterThan(0);
    expect(noteRect(note(60, 0, 480), vp)).toEqual({ x: -40, y: 70, width: 120, height: 10 });
  });

  it('reports the visible pitch range', () => {
    const r = visiblePitchRange(vp);
    expect(r.highPitch).toBe(67);
    expect(r.lowPitch).toBe(38);
  });
});

describe('hit-testing', () => {
  const notes = [note(60, 0, 480), note(62, 480, 480), note(60, 240, 480)];
  it('finds the topmost note under the pointer (later notes are drawn on top)', () => {
    const y = pitchToY(60, vp) + 5;
    // x for tick 300 is covered by notes 0 (0..480) and 2 (240..720): 2 wins.
    expect(hitTestNotes(notes, tickToX(300, vp), y, vp)).toEqual({ index: 2, part: 'body' });
    expect(hitTestNotes(notes, tickToX(100, vp), y, vp)).toEqual({ index: 0, part: 'body' });
  });

  it('tells the right edge (resize) from the body (move)', () => {
    const r = noteRect(notes[1], vp);
    const y = r.y + 1;
    expect(hitTestNotes(notes, r.x + r.width - 2, y, vp)?.part).toBe('right-edge');
    expect(hitTestNotes(notes, r.x + r.width / 2, y, vp)?.part).toBe('body');
  });

  it('misses empty space, other rows and just past the end', () => {
    expect(hitTestNotes(notes, tickToX(100, vp), pitchToY(61, vp) + 5, vp)).toBeNull();
    const r = noteRect(notes[1], vp);
    expect(hitTestNotes(notes, r.x + r.width + 1, r.y + 1, vp)).toBeNull();
  });

  it('selects notes by rubber band', () => {
    const band = { x: tickToX(400, vp), y: pitchToY(62, vp), width: 40, height: 30 };
    expect(notesInRect(notes, band, vp)).toEqual([0, 1, 2]);
    expect(notesInRect(notes, { ...band, height: 5 }, vp)).toEqual([1]);
  });
});

describe('snapping, zoom and scroll', () => {
  it('snaps to the nearest grid line or down to it, never below zero', () => {
    expect(snapTick(130, 120)).toBe(120);
    expect(snapTick(190, 120)).toBe(240);
    expect(snapTick(239, 120, 'floor')).toBe(120);
    expect(snapTick(-50, 120)).toBe(0);
    expect(snapTick(77.4, 0)).toBe(77);
  });

  it('zooms around the anchor so the tick under the pointer stays put', () => {
    const anchorX = 300;
    const before = xToTick(anchorX, vp);
    const zoomed = zoomAt(vp, 2, anchorX);
    expect(zoomed.pixelsPerTick).toBe(0.5);
    expect(xToTick(anchorX, zoomed)).toBeCloseTo(before, 9);
  });

  it('clamps scrolling to the timeline start and the pitch range', () => {
    expect(scrollBy(vp, -1000, 0).scrollXPx).toBe(0);
    expect(scrollBy(vp, 0, -1e6).scrollYPx).toBe(0);
    expect(scrollBy(vp, 0, 1e6).scrollYPx).toBe(128 * 10 - 300);
  });

  it('fits all notes into view', () => {
    const notes = [note(50, 0, 480), note(80, 3360, 480)];
    const fitted = fitViewport(notes, { widthPx: 800, heightPx: 400 }, { minTicks: 1920, rowHeightPx: 10 });
    const range = visiblePitchRange(fitted);
    expect(range.lowPitch).toBeLessThanOrEqual(50);
    expect(range.highPitch).toBeGreaterThanOrEqual(80);
    expect(tickToX(3840, fitted)).toBeCloseTo(800, 6);
    expect(fitted.rowHeightPx).toBe(10);
  });

  it('fits the melody, not a burst of wild notes, and reports what is off-screen', () => {
    // 5 of 35 notes (14 %) far above the melody: as a generated variation's first beat can be.
    const burst = [108, 110, 111, 112, 109].map((p, i) => note(p, i * 120, 120));
    const melody = Array.from({ length: 30 }, (_, i) => note(60 + (i % 13), 600 + i * 240, 240));
    const notes = [...burst, ...melody];
    const fitted = fitViewport(notes, { widthPx: 800, heightPx: 200 }, { minTicks: 1920, rowHeightPx: 8 });
    const range = visiblePitchRange(fitted);
    expect(range.lowPitch).toBeLessThanOrEqual(60);
    expect(range.highPitch).toBeGreaterThanOrEqual(72);
    expect(range.highPitch).toBeLessThan(108);
    expect(fitted.rowHeightPx).toBe(8);
    expect(notesOffscreen(notes, fitted)).toEqual({ above: [0, 1, 2, 3, 4], below: [] });
  });

  it('chooses the fullest pitch window, and shows everything when it fits', () => {
    expect(fitPitchSpan([60, 62, 64, 100], 10)).toEqual({ low: 60, high: 64 });
    expect(fitPitchSpan([20, 60, 61, 95, 96, 97], 10)).toEqual({ low: 95, high: 97 });
    expect(fitPitchSpan([40, 70], 30)).toEqual({ low: 40, high: 70 });
    expect(fitPitchSpan([], 30)).toEqual({ low: 60, high: 60 });
  });

  it('shrinks rows for a wide melody but never below the minimum', () => {
    const wide = Array.from({ length: 30 }, (_, i) => note(50 + i, i * 240, 240));
    const fitted = fitViewport(wide, { widthPx: 800, heightPx: 200 }, { minTicks: 1920, rowHeightPx: 8 });
    expect(fitted.rowHeightPx).toBe(5); // 30 rows + 4 margin rows = 200 / 34 -> 5 px
    const range = visiblePitchRange(fitted);
    expect(range.lowPitch).toBeLessThanOrEqual(50);
    expect(range.highPitch).toBeGreaterThanOrEqual(79);
    const extreme = [note(0, 0, 240), ...wide, note(127, 0, 240)];
    expect(fitViewport(extreme, { widthPx: 800, heightPx: 200 }, { minTicks: 1920, rowHeightPx: 8 }).rowHeightPx).toBe(
      MIN_FIT_ROW_HEIGHT_PX,
    );
  });
});

describe('pointer gestures', () => {
  it('moves a note by the snapped pointer offset and whole semitones', () => {
    const g = beginMove(0, note(60, 480, 240), 500, 60);
    expect(moveTarget(g, 500 + 130, 63, 120)).toEqual({ startTick: 600, pitch: 63 });
    expect(moveTarget(g, 500 - 5000, 60 - 200, 120)).toEqual({ startTick: 0, pitch: 0 });
  });

  it('lengthens to the snapped pointer and never below one grid step', () => {
    const g = beginResize(0, note(60, 480, 240));
    expect(resizeTarget(g, 1000, 120)).toBe(960 - 480); // 1000 snaps to 960
    expect(resizeTarget(g, 100, 120)).toBe(120);
  });
});
