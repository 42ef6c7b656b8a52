// SPDX-License-Identifier: MIT
/**
 * Draws an engraving plan (lib/score/engrave.ts) with VexFlow (MIT, https://www.vexflow.com) into an
 * SVG: staves (a grand staff with its brace and joined bar lines for a polyphonic take), clefs, the
 * time signature, chords and rests, accidentals, dots, beams and ties, measures wrapped into systems
 * that fill the width.
 *
 * VexFlow draws its symbols with the Bravura music font (SIL OFL). Its own entry loads the font
 * from a data: URL, which the app's Content-Security-Policy (font-src 'self') refuses; here the
 * core entry is used and the same font is handed to FontFace as bytes, which involves no fetch.
 */
import {
  Accidental,
  Beam,
  Dot,
  Formatter,
  Renderer,
  Stave,
  StaveConnector,
  StaveNote,
  StaveTie,
  VexFlow,
  Voice,
} from 'vexflow/core';
import { Bravura } from 'vexflow-bravura-font';
import type { EngravedEvent, EngravedScore } from './engrave';
import { vexKeySignature } from './keySignature';

let fontReady: Promise<void> | null = null;

/** Loads Bravura (once) from the bytes bundled with VexFlow and makes it VexFlow's font. */
export function loadScoreFont(): Promise<void> {
  fontReady ??= (async () => {
    const base64 = Bravura.slice(Bravura.indexOf(',') + 1);
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const face = new FontFace('Bravura', bytes, { display: 'block' });
    document.fonts.add(await face.load());
    VexFlow.setFonts('Bravura');
  })();
  return fontReady;
}

const LEFT = 10;
/** Pixels between two staff lines (VexFlow's default) and from a stave's y to its top line (4 spaces). */
const SPACE = 10;
const HEADROOM = 4 * SPACE;
/** Room for stems and beams beyond the outermost notehead, and between systems and staves. */
const STEM_ROOM = 25;
const GAP = 12;
/** Clef + time signature on the first measure, a clef on the first of a later system. */
const FIRST_EXTRA = 70;
const SYSTEM_EXTRA = 40;

/** Diatonic step of a VexFlow key ("c#/4" -> 4 * 7 + 0), for the vertical room a staff needs. */
function diatonic(key: string): number {
  const [name, octave] = key.split('/');
  return Number(octave) * 7 + 'cdefgab'.indexOf(name[0]);
}
/** Diatonic steps of the top and bottom lines: treble F5 and E4, bass A3 and G2. */
const LINES = { treble: { top: 5 * 7 + 3, bottom: 4 * 7 + 2 }, bass: { top: 3 * 7 + 5, bottom: 2 * 7 + 4 } };

/** Pixels a staff needs above its top line and below its bottom line, over some measures. */
function staffRoom(staff: EngravedScore['staves'][number], measures: number[]): { above: number; below: number } {
  let high = -Infinity;
  let low = Infinity;
  for (const m of measures) {
    for (const event of staff.measures[m]) {
      for (const k of event.keys) {
        high = Math.max(high, diatonic(k.key));
        low = Math.min(low, diatonic(k.key));
      }
    }
  }
  const lines = LINES[staff.clef];
  const above = high === -Infinity ? 0 : Math.max(0, high - lines.top) * (SPACE / 2);
  const below = low === Infinity ? 0 : Math.max(0, lines.bottom - low) * (SPACE / 2);
  return { above: Math.max(SPACE, above + STEM_ROOM), below: Math.max(SPACE * 2, below + STEM_ROOM) };
}

/** Measure ranges per system: as many measures as their widths fit. */
export function layoutSystems(widths: readonly number[], widthPx: number, keyRoom = 0): number[][] {
  const usable = Math.max(200, widthPx - LEFT - 10);
  const systems: number[][] = [];
  let line: number[] = [];
  let used = 0;
  widths.forEach((natural, m) => {
    const extra = (m === 0 ? FIRST_EXTRA : SYSTEM_EXTRA) + keyRoom;
    if (line.length > 0 && used + natural > usable) {
      systems.push(line);
      line = [];
      used = 0;
    }
    line.push(m);
    used += natural + (line.length === 1 ? extra : 0);
  });
  if (line.length) systems.push(line);
  return systems;
}

function restKey(clef: string, event: EngravedEvent): string {
  if (clef === 'bass') return event.duration === 'w' ? 'f/3' : 'd/3';
  return event.duration === 'w' ? 'd/5' : 'b/4';
}

interface BuiltMeasure {
  voices: Voice[];
  beams: Beam[];
  notes: StaveNote[][];
  /** The least width VexFlow needs for its notes, plus padding. */
  width: number;
}

/** A measure's notes, voices and beams (one voice per staff), before any stave exists. */
function buildMeasure(score: EngravedScore, m: number): BuiltMeasure {
  const voices: Voice[] = [];
  const beams: Beam[] = [];
  const notes = score.staves.map((staff) => {
    const events = staff.measures[m];
    const list = events.map((event) => {
      const rest = event.keys.length === 0;
      const note = new StaveNote({
        keys: rest ? [restKey(staff.clef, event)] : event.keys.map((k) => k.key),
        duration: `${event.duration}${rest ? 'r' : ''}`,
        dots: event.dots,
        clef: staff.clef,
        autoStem: true,
      });
      event.keys.forEach((k, index) => {
        if (k.accidental) note.addModifier(new Accidental(k.accidental), index);
      });
      if (event.dots) Dot.buildAndAttach([note], { all: true });
      return note;
    });
    // Counted in sixteenths: a measure cut short by a meter change holds fewer than its meter's bar.
    const voice = new Voice({ numBeats: score.measures[m].sixteenths, beatValue: 16 });
    voice.addTickables(list);
    voices.push(voice);
    const groups = new Map<number, StaveNote[]>();
    events.forEach((event, index) => {
      if (event.beam !== null) groups.set(event.beam, [...(groups.get(event.beam) ?? []), list[index]]);
    });
    for (const beamed of groups.values()) beams.push(new Beam(beamed, true));
    return list;
  });
  const formatter = new Formatter();
  for (const voice of voices) formatter.joinVoices([voice]);
  const width = Math.max(80, formatter.preCalculateMinTotalWidth(voices) + 30);
  return { voices, beams, notes, width };
}

/** Renders the score into `element` (emptied first); answers the height drawn. */
export function drawScore(element: HTMLElement, score: EngravedScore, widthPx: number): number {
  element.replaceChildren();
  const grand = score.staves.length === 2;
  const built = Array.from({ length: score.measureCount }, (_, m) => buildMeasure(score, m));
  const systems = layoutSystems(
    built.map((b) => b.width),
    widthPx,
    Math.abs(score.key.fifths) * 10,
  );
  // Vertical layout: each staff gets the room its notes need above and below, per system.
  const placed = systems.map((measures) => {
    const rooms = score.staves.map((staff) => staffRoom(staff, measures));
    const offsets: number[] = [];
    let y = 0;
    rooms.forEach((room, s) => {
      y += s === 0 ? room.above : GAP + room.above;
      offsets.push(y - HEADROOM); // a stave's y lies HEADROOM above its top line
      y += 4 * SPACE + room.below;
    });
    const keyRoom = Math.abs(score.key.fifths) * 10;
    const natural = measures.map(
      (m, i) => built[m].width + (i === 0 ? (m === 0 ? FIRST_EXTRA : SYSTEM_EXTRA) + keyRoom : 0),
    );
    return { measures, offsets, natural, height: y + GAP };
  });
  const height = placed.reduce((h, p) => h + p.height, 10);
  // A measure wider than the page (a dense one) widens the drawing; the page scrolls it sideways.
  const drawnWidth = Math.max(widthPx, ...placed.map((p) => LEFT + p.natural.reduce((a, b) => a + b, 0) + 10));
  const renderer = new Renderer(element as HTMLDivElement, Renderer.Backends.SVG);
  renderer.resize(drawnWidth, height);
  const ctx = renderer.getContext();
  const usable = Math.max(200, widthPx - LEFT - 10);

  // Per staff, the drawn note of every event in order, with the system it sits on (for ties).
  const drawn: { note: StaveNote; event: EngravedEvent; system: number }[][] = score.staves.map(() => []);

  let top = 10;
  placed.forEach(({ measures, offsets, natural, height: systemHeight }, sys) => {
    const total = natural.reduce((a, b) => a + b, 0);
    // Fill the width; a short last system keeps its natural widths; a measure wider than the page keeps its own.
    const stretch = sys < systems.length - 1 || total > usable * 0.6 ? Math.max(1, usable / total) : 1;
    let x = LEFT;
    measures.forEach((m, i) => {
      const width = natural[i] * stretch;
      const { voices, beams, notes } = built[m];
      const group = ctx.openGroup('measure');
      group.setAttribute('data-measure', String(m + 1));
      const staves = score.staves.map((staff, s) => {
        const stave = new Stave(x, top + offsets[s], width);
        if (i === 0) stave.addClef(staff.clef);
        if (i === 0 && score.key.fifths !== 0) stave.addKeySignature(vexKeySignature(score.key));
        const meter = score.measures[m].meter;
        const previous = m > 0 ? score.measures[m - 1].meter : null;
        // At the start and wherever the meter changes.
        if (!previous || previous.numerator !== meter.numerator || previous.denominator !== meter.denominator)
          stave.addTimeSignature(`${meter.numerator}/${meter.denominator}`);
        if (m === score.measureCount - 1) stave.setEndBarType(3); // BarlineType.END
        return stave;
      });
      if (grand) Stave.formatBegModifiers(staves);
      for (const stave of staves) stave.setContext(ctx).draw();
      if (grand) {
        const [upper, lower] = staves;
        if (i === 0) {
          ctx.openGroup('brace');
          new StaveConnector(upper, lower).setType('brace').setContext(ctx).draw();
          new StaveConnector(upper, lower).setType('singleLeft').setContext(ctx).draw();
          ctx.closeGroup();
        }
        new StaveConnector(upper, lower)
          .setType(m === score.measureCount - 1 ? 'boldDoubleRight' : 'singleRight')
          .setContext(ctx)
          .draw();
      }
      const startX = Math.max(...staves.map((st) => st.getNoteStartX()));
      for (const stave of staves) stave.setNoteStartX(startX);
      voices.forEach((voice, s) => voice.setStave(staves[s]));
      const formatter = new Formatter();
      for (const voice of voices) formatter.joinVoices([voice]);
      formatter.format(voices, Math.max(20, staves[0].getNoteEndX() - startX - 10));
      voices.forEach((voice, s) => voice.draw(ctx, staves[s]));
      for (const beam of beams) beam.setContext(ctx).draw();
      // Chord symbols above the top staff, at their place in the measure (the top staff's note area).
      const chordsHere = score.chords.filter((c) => c.measure === m);
      if (chordsHere.length) {
        const top = staves[0];
        const left = top.getNoteStartX();
        const span = Math.max(1, top.getNoteEndX() - left);
        ctx.save();
        ctx.setFont('sans-serif', 13, 'bold');
        for (const chord of chordsHere) {
          const chordGroup = ctx.openGroup('chord-symbol');
          chordGroup.setAttribute('data-chord', chord.symbol);
          ctx.fillText(chord.symbol, left + (chord.start / score.measures[m].sixteenths) * span, top.getYForTopText(2));
          ctx.closeGroup();
        }
        ctx.restore();
      }
      score.staves.forEach((staff, s) =>
        staff.measures[m].forEach((event, e) => drawn[s].push({ note: notes[s][e], event, system: sys })),
      );
      ctx.closeGroup();
      x += width;
    });
    top += systemHeight;
  });

  // Ties: each pitch that goes on into the next event of its staff; across a system break, two half ties.
  for (const list of drawn) {
    list.forEach((current, i) => {
      const next = list[i + 1];
      const firstIndexes: number[] = [];
      const lastIndexes: number[] = [];
      current.event.keys.forEach((k, index) => {
        if (!k.tieToNext || !next) return;
        const to = next.event.keys.findIndex((n) => n.pitch === k.pitch);
        if (to < 0) return;
        firstIndexes.push(index);
        lastIndexes.push(to);
      });
      if (!next || firstIndexes.length === 0) return;
      if (next.system === current.system) {
        new StaveTie({ firstNote: current.note, lastNote: next.note, firstIndexes, lastIndexes })
          .setContext(ctx)
          .draw();
      } else {
        new StaveTie({ firstNote: current.note, firstIndexes, lastIndexes: firstIndexes }).setContext(ctx).draw();
        new StaveTie({ lastNote: next.note, firstIndexes: lastIndexes, lastIndexes }).setContext(ctx).draw();
      }
    });
  }
  return height;
}
