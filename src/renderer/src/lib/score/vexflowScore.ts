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

/** Vertical room of one staff, and the gap from the top of a grand staff's upper staff to its lower. */
const STAFF_HEIGHT = 100;
const GRAND_GAP = 90;
const LEFT = 10;
const FIRST_EXTRA = 70; // clef + time signature
const SYSTEM_EXTRA = 40; // clef

/** A measure's natural width: room per event, the busiest staff decides. */
function measureWidth(score: EngravedScore, m: number): number {
  const events = Math.max(...score.staves.map((s) => s.measures[m].length));
  return Math.max(90, 30 + events * 26);
}

/** Measure ranges per system: as many as fit the width. */
export function layoutSystems(score: EngravedScore, widthPx: number): number[][] {
  const usable = Math.max(200, widthPx - LEFT - 10);
  const systems: number[][] = [];
  let line: number[] = [];
  let used = 0;
  for (let m = 0; m < score.measureCount; m++) {
    const extra = line.length === 0 ? (m === 0 ? FIRST_EXTRA : SYSTEM_EXTRA) : 0;
    const w = measureWidth(score, m) + extra;
    if (line.length > 0 && used + w > usable) {
      systems.push(line);
      line = [];
      used = 0;
      m--;
      continue;
    }
    line.push(m);
    used += w;
  }
  if (line.length) systems.push(line);
  return systems;
}

function restKey(clef: string, event: EngravedEvent): string {
  if (clef === 'bass') return event.duration === 'w' ? 'f/3' : 'd/3';
  return event.duration === 'w' ? 'd/5' : 'b/4';
}

/** Renders the score into `element` (emptied first); answers the height drawn. */
export function drawScore(element: HTMLElement, score: EngravedScore, widthPx: number): number {
  element.replaceChildren();
  const grand = score.staves.length === 2;
  const systemHeight = STAFF_HEIGHT + (grand ? GRAND_GAP : 0) + 10;
  const systems = layoutSystems(score, widthPx);
  const height = systems.length * systemHeight + 10;
  const renderer = new Renderer(element as HTMLDivElement, Renderer.Backends.SVG);
  renderer.resize(widthPx, height);
  const ctx = renderer.getContext();
  const usable = Math.max(200, widthPx - LEFT - 10);

  // Per staff, the drawn note of every event in order, with the system it sits on (for ties).
  const drawn: { note: StaveNote; event: EngravedEvent; system: number }[][] = score.staves.map(() => []);

  systems.forEach((measures, sys) => {
    const natural = measures.map(
      (m, i) => measureWidth(score, m) + (i === 0 ? (m === 0 ? FIRST_EXTRA : SYSTEM_EXTRA) : 0),
    );
    const total = natural.reduce((a, b) => a + b, 0);
    // Fill the width, except a short last system (it keeps its natural widths).
    const stretch = sys < systems.length - 1 || total > usable * 0.6 ? usable / total : 1;
    let x = LEFT;
    const top = 10 + sys * systemHeight;
    measures.forEach((m, i) => {
      const width = natural[i] * stretch;
      const group = ctx.openGroup('measure');
      group.setAttribute('data-measure', String(m + 1));
      const staves = score.staves.map((staff, s) => {
        const stave = new Stave(x, top + s * GRAND_GAP, width);
        if (i === 0) stave.addClef(staff.clef);
        if (m === 0) stave.addTimeSignature(`${score.meter.numerator}/${score.meter.denominator}`);
        if (m === score.measureCount - 1) stave.setEndBarType(3); // BarlineType.END
        return stave;
      });
      if (grand) Stave.formatBegModifiers(staves);
      for (const stave of staves) stave.setContext(ctx).draw();
      if (grand) {
        const [upper, lower] = staves;
        if (i === 0) {
          new StaveConnector(upper, lower).setType('brace').setContext(ctx).draw();
          new StaveConnector(upper, lower).setType('singleLeft').setContext(ctx).draw();
        }
        new StaveConnector(upper, lower)
          .setType(m === score.measureCount - 1 ? 'boldDoubleRight' : 'singleRight')
          .setContext(ctx)
          .draw();
      }
      const voices: Voice[] = [];
      const beams: Beam[] = [];
      score.staves.forEach((staff, s) => {
        const events = staff.measures[m];
        const notes = events.map((event) => {
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
          drawn[s].push({ note, event, system: sys });
          return note;
        });
        const voice = new Voice({ numBeats: score.meter.numerator, beatValue: score.meter.denominator });
        voice.addTickables(notes);
        voices.push(voice);
        const groups = new Map<number, StaveNote[]>();
        events.forEach((event, index) => {
          if (event.beam === null) return;
          groups.set(event.beam, [...(groups.get(event.beam) ?? []), notes[index]]);
        });
        for (const beamed of groups.values()) beams.push(new Beam(beamed, true));
      });
      const formatter = new Formatter();
      for (const voice of voices) formatter.joinVoices([voice]);
      const startX = Math.max(...staves.map((st) => st.getNoteStartX()));
      for (const stave of staves) stave.setNoteStartX(startX);
      formatter.format(voices, Math.max(20, staves[0].getNoteEndX() - startX - 10));
      voices.forEach((voice, s) => voice.draw(ctx, staves[s]));
      for (const beam of beams) beam.setContext(ctx).draw();
      ctx.closeGroup();
      x += width;
    });
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
