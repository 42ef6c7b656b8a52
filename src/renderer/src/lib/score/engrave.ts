// SPDX-License-Identifier: MIT
/**
 * The engraving plan of a take: its notes (pitch, start, length in ticks) turned into what a
 * notation library draws — staves, measures, and per measure one voice of chords and rests in
 * notatable values with ties and beam groups. Pure: Score.svelte hands the plan to VexFlow
 * (lib/score/vexflowScore.ts), the tests check the plan itself.
 *
 * The rules:
 * - Staves: a melody has one staff, treble unless most of its notes lie below middle C (then bass);
 *   a polyphonic take has a grand staff split at GRAND_STAFF_SPLIT (pitch >= 60, middle C, on the
 *   upper staff; below on the lower) — the same rule as the two tracks of its MIDI file
 *   (src/core/model/takes.ts polyTakeSequence, "Right hand" / "Left hand").
 * - Time is quantised to the sixteenth grid (a note keeps at least one sixteenth).
 * - Each staff is one voice of chords: the time is cut wherever a note on that staff starts or
 *   ends and at every bar line; each piece is a chord of the pitches sounding then (a rest when
 *   none), and a pitch that goes on sounding into the next piece is tied to it.
 * - A piece is written as the longest notatable values (whole, dotted half, half, dotted quarter,
 *   quarter, dotted eighth, eighth, sixteenth) that stay inside one beat, or start and end on beats,
 *   tied together; rests the same way, untied.
 * - Beats: a quarter in x/4, a half in x/2, a dotted quarter in compound x/8 (6/8, 9/8, 12/8),
 *   the whole bar in other x/8 meters. Eighths and sixteenths of one beat are beamed together (two or
 *   more notes, broken by rests).
 * - Meter changes (a take with a time-signature map): each measure has its meter's length and beat, a change that
 *   falls inside a bar cuts that bar short (../../../../core/music/meterMap.ts), and the score writes the new time
 *   signature at the measure where it changes.
 * - Key: the locked key's signature when the take has one (lib/score/keySignature.ts spells the
 *   notes in it), else none (C major, chromatic notes as sharps).
 * - Accidentals: where a note differs from the signature or from an earlier accidental on its
 *   line and octave in the bar (the in-bar carry rule), a natural to cancel; a tied continuation
 *   prints none.
 */
import { GRAND_STAFF_SPLIT } from '../../../../core/model/takes';
import { barLines, rescaleMeterMap } from '../../../../core/music/meterMap';
import { C_MAJOR, signatureAlteration, spellInKey, type KeySignature } from './keySignature';

export { GRAND_STAFF_SPLIT };

export interface EngraveNote {
  pitch: number;
  startTick: number;
  durationTicks: number;
}

export interface Meter {
  numerator: number;
  denominator: number;
}

export type Clef = 'treble' | 'bass';
/** VexFlow duration codes: whole, half, quarter, eighth, sixteenth. */
export type DurationCode = 'w' | 'h' | 'q' | '8' | '16';
export type AccidentalMark = '#' | 'b' | 'n';

export interface EngravedKey {
  pitch: number;
  /** VexFlow key, e.g. "c#/4". */
  key: string;
  /** The accidental to print, if any. */
  accidental: AccidentalMark | null;
  /** This pitch goes on sounding into the next event of the staff (tie to it). */
  tieToNext: boolean;
}

export interface EngravedEvent {
  /** Position in the measure, in sixteenths. */
  start: number;
  /** Length in sixteenths (1, 2, 3, 4, 6, 8, 12, 16). */
  sixteenths: number;
  duration: DurationCode;
  dots: 0 | 1;
  /** Empty for a rest; lowest pitch first. */
  keys: EngravedKey[];
  /** Index of the beam group in its measure (events sharing it are beamed), or null. */
  beam: number | null;
  /** Notes of the input that begin at this event (not tied continuations). */
  onsets: number;
}

export interface EngravedStaff {
  clef: Clef;
  /** One voice per measure. */
  measures: EngravedEvent[][];
}

/** One measure of the plan: where it starts (sixteenths from the take's start), its length, meter and beat. */
export interface EngravedMeasure {
  startSixteenth: number;
  sixteenths: number;
  meter: Meter;
  beatSixteenths: number;
}

export interface EngravedScore {
  /** The first measure's meter (and below, its length and beat); `measures` has every measure's. */
  meter: Meter;
  sixteenthsPerMeasure: number;
  /** Sixteenths of a beat (for beaming and splitting values). */
  beatSixteenths: number;
  measureCount: number;
  /** Every measure's start, length, meter and beat (all alike unless the take's meter changes). */
  measures: EngravedMeasure[];
  key: KeySignature;
  /** One staff (melody) or two (grand staff: upper, lower). */
  staves: EngravedStaff[];
  /** Chord symbols above the top staff: measure index, position in it (sixteenths), symbol. */
  chords: { measure: number; start: number; symbol: string }[];
}

export interface EngraveOptions {
  ppq: number;
  meter?: Meter;
  /** The take's time-signature map (ticks at `ppq`) when its meter changes; it wins over `meter`. */
  meterMap?: readonly { tick: number; numerator: number; denominator: number }[];
  /** A grand staff (polyphonic take) instead of one staff. */
  grandStaff?: boolean;
  /** Length of the take in ticks (rests fill up to it); at least the notes' end. */
  endTick?: number;
  /** The key signature (default none, C major). */
  key?: KeySignature;
  /** Chord symbols the take followed, at ticks (a model trained with chords). */
  chords?: readonly { tick: number; symbol: string }[];
}

/** Notatable values in sixteenths, longest first, with their code and dots. */
const VALUES: readonly { sixteenths: number; duration: DurationCode; dots: 0 | 1 }[] = [
  { sixteenths: 16, duration: 'w', dots: 0 },
  { sixteenths: 12, duration: 'h', dots: 1 },
  { sixteenths: 8, duration: 'h', dots: 0 },
  { sixteenths: 6, duration: 'q', dots: 1 },
  { sixteenths: 4, duration: 'q', dots: 0 },
  { sixteenths: 3, duration: '8', dots: 1 },
  { sixteenths: 2, duration: '8', dots: 0 },
  { sixteenths: 1, duration: '16', dots: 0 },
];

export function measureSixteenths(meter: Meter): number {
  return (16 * meter.numerator) / meter.denominator;
}

/** Sixteenths of a beat: see the module comment. */
export function beatSixteenths(meter: Meter): number {
  if (meter.denominator === 8) return meter.numerator % 3 === 0 && meter.numerator > 3 ? 6 : measureSixteenths(meter);
  return Math.max(1, 16 / meter.denominator);
}

/**
 * Splits `length` sixteenths starting at `start` (within a measure) into notatable values: the
 * longest value that stays inside one beat, or starts and ends on beat boundaries.
 */
export function splitDuration(start: number, length: number, beat: number): (typeof VALUES)[number][] {
  const parts: (typeof VALUES)[number][] = [];
  let at = start;
  let left = length;
  while (left > 0) {
    const fit = VALUES.find((v) => {
      if (v.sixteenths > left) return false;
      const end = at + v.sixteenths;
      const oneBeat = Math.floor(at / beat) === Math.floor((end - 1) / beat);
      const onBeats = at % beat === 0 && end % beat === 0;
      return oneBeat || onBeats;
    })!;
    parts.push(fit);
    at += fit.sixteenths;
    left -= fit.sixteenths;
  }
  return parts;
}

/** VexFlow key of a pitch spelt in a key (default C major, sharps): 61 -> "c#/4", in F major 70 -> "bb/4". */
export function vexKey(pitch: number, key: KeySignature = C_MAJOR): string {
  const s = spellInKey(pitch, key);
  return `${'cdefgab'[s.letter]}${s.alteration === 1 ? '#' : s.alteration === -1 ? 'b' : ''}/${s.octave}`;
}

interface Span {
  pitch: number;
  start: number;
  end: number;
}

/** Notes on the sixteenth grid; the same pitch overlapping itself is merged. */
function quantise(notes: readonly EngraveNote[], ppq: number): Span[] {
  const sixteenth = ppq / 4;
  const spans = notes
    .map((n) => {
      const start = Math.max(0, Math.round(n.startTick / sixteenth));
      const end = Math.max(start + 1, Math.round((n.startTick + n.durationTicks) / sixteenth));
      return { pitch: n.pitch, start, end };
    })
    .sort((a, b) => a.pitch - b.pitch || a.start - b.start);
  const merged: Span[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && last.pitch === s.pitch && s.start < last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  return merged.sort((a, b) => a.start - b.start || a.pitch - b.pitch);
}

/** The measure that holds sixteenth `at` (the last for `at` past the end). */
function measureAt(layout: readonly EngravedMeasure[], at: number): number {
  let m = 0;
  while (m + 1 < layout.length && layout[m + 1].startSixteenth <= at) m++;
  return m;
}

function engraveStaff(spans: Span[], clef: Clef, layout: readonly EngravedMeasure[], key: KeySignature): EngravedStaff {
  const measureCount = layout.length;
  const last = layout[measureCount - 1];
  const total = last.startSixteenth + last.sixteenths;
  // Cut points: every start and end, every bar line.
  const cuts = new Set<number>([0, total]);
  for (const m of layout) cuts.add(m.startSixteenth);
  for (const s of spans) {
    cuts.add(s.start);
    cuts.add(Math.min(total, s.end));
  }
  const points = [...cuts].filter((c) => c >= 0 && c <= total).sort((a, b) => a - b);
  const measures: EngravedEvent[][] = Array.from({ length: measureCount }, () => []);
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i];
    const to = points[i + 1];
    const sounding = spans.filter((s) => s.start < to && s.end > from);
    const measure = measureAt(layout, from);
    const inMeasure = from - layout[measure].startSixteenth;
    const parts = splitDuration(inMeasure, to - from, layout[measure].beatSixteenths);
    const events: EngravedEvent[] = [];
    let at = inMeasure;
    parts.forEach((part, p) => {
      const keys = sounding.map((s) => ({
        pitch: s.pitch,
        key: vexKey(s.pitch, key),
        accidental: null,
        // Tied to the next part of this piece, or (last part) to the next piece if it still sounds.
        tieToNext: p < parts.length - 1 || s.end > to,
      }));
      events.push({
        start: at,
        sixteenths: part.sixteenths,
        duration: part.duration,
        dots: part.dots,
        keys,
        beam: null,
        onsets: p === 0 ? sounding.filter((s) => s.start === from).length : 0,
      });
      at += part.sixteenths;
    });
    measures[measure].push(...events);
  }
  markAccidentals(measures, key);
  measures.forEach((measure, m) => markBeams(measure, layout[m].beatSixteenths));
  return { clef, measures };
}

/**
 * Accidentals with the in-bar carry rule (see the module comment). A tied continuation prints none, and does not
 * count as printed: a later note of that line in a new bar prints its accidental.
 */
function markAccidentals(measures: EngravedEvent[][], key: KeySignature): void {
  let tiedIn = new Set<number>();
  for (const measure of measures) {
    const carried = new Map<string, number>();
    for (const event of measure) {
      const nextTied = new Set<number>();
      for (const k of event.keys) {
        if (k.tieToNext) nextTied.add(k.pitch);
        if (tiedIn.has(k.pitch)) continue;
        const s = spellInKey(k.pitch, key);
        const line = `${s.letter}:${s.octave}`;
        if ((carried.get(line) ?? signatureAlteration(key, s.letter)) !== s.alteration) {
          k.accidental = s.alteration === 1 ? '#' : s.alteration === -1 ? 'b' : 'n';
        }
        carried.set(line, s.alteration);
      }
      tiedIn = nextTied;
    }
  }
}

/** Beam groups: notes shorter than a quarter, two or more within one beat, broken by rests. */
function markBeams(measure: EngravedEvent[], beat: number): void {
  let group = 0;
  let run: EngravedEvent[] = [];
  let runBeat = -1;
  const close = (): void => {
    if (run.length >= 2) {
      for (const e of run) e.beam = group;
      group++;
    }
    run = [];
  };
  for (const event of measure) {
    const b = Math.floor(event.start / beat);
    const inBeat = Math.floor((event.start + event.sixteenths - 1) / beat) === b;
    const beamable = event.keys.length > 0 && event.sixteenths < 4 && inBeat;
    if (!beamable || b !== runBeat) close();
    if (beamable) {
      run.push(event);
      runBeat = b;
    }
  }
  close();
}

/** The engraving plan of a take (see the module comment). */
export function engrave(notes: readonly EngraveNote[], options: EngraveOptions): EngravedScore {
  const key = options.key ?? C_MAJOR;
  const spans = quantise(notes, options.ppq);
  const endSixteenth = Math.max(1, Math.round((options.endTick ?? 0) / (options.ppq / 4)), ...spans.map((s) => s.end));
  const layout = measureLayout(options, endSixteenth);
  const { meter, sixteenths: measureLen, beatSixteenths: beat } = layout[0];
  const measureCount = layout.length;
  let staves: EngravedStaff[];
  if (options.grandStaff) {
    staves = [
      engraveStaff(
        spans.filter((s) => s.pitch >= GRAND_STAFF_SPLIT),
        'treble',
        layout,
        key,
      ),
      engraveStaff(
        spans.filter((s) => s.pitch < GRAND_STAFF_SPLIT),
        'bass',
        layout,
        key,
      ),
    ];
  } else {
    const below = spans.filter((s) => s.pitch < GRAND_STAFF_SPLIT).length;
    const clef: Clef = below * 2 > spans.length ? 'bass' : 'treble';
    staves = [engraveStaff(spans, clef, layout, key)];
  }
  // A chord at a tick sits at its sixteenth (rounded), in the measure that holds it; none beyond the take.
  const chords = (options.chords ?? []).flatMap(({ tick, symbol }) => {
    const sixteenth = Math.max(0, Math.round(tick / (options.ppq / 4)));
    const measure = measureAt(layout, sixteenth);
    const start = sixteenth - layout[measure].startSixteenth;
    return start < layout[measure].sixteenths ? [{ measure, start, symbol }] : [];
  });
  return {
    meter,
    sixteenthsPerMeasure: measureLen,
    beatSixteenths: beat,
    measureCount,
    measures: layout,
    key,
    staves,
    chords,
  };
}

/** The measures up to `endSixteenth`: of the map when there is one, else all of `meter` (default 4/4). */
function measureLayout(options: EngraveOptions, endSixteenth: number): EngravedMeasure[] {
  if (options.meterMap && options.meterMap.length > 0) {
    const map = rescaleMeterMap(options.meterMap, options.ppq, 4);
    return barLines(map, 4, endSixteenth).map((bar) => ({
      startSixteenth: bar.startTick,
      sixteenths: bar.lengthTicks,
      meter: bar.meter,
      beatSixteenths: beatSixteenths(bar.meter),
    }));
  }
  const meter = options.meter ?? { numerator: 4, denominator: 4 };
  const length = measureSixteenths(meter);
  const count = Math.max(1, Math.ceil(endSixteenth / length));
  return Array.from({ length: count }, (_, m) => ({
    startSixteenth: m * length,
    sixteenths: length,
    meter,
    beatSixteenths: beatSixteenths(meter),
  }));
}
