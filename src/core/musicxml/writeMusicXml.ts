// SPDX-License-Identifier: MIT
/**
 * NoteSequence -> MusicXML 4.0 (score-partwise), the format MuseScore, Sibelius, Dorico and Finale all open.
 *
 * The rules this writer follows, in the order it applies them:
 *
 * 1. Grid (`<divisions>`, per quarter note). The smallest d in 1, 2, 4, 8, 16 at which every note start and end,
 *    every time-signature change, every bar length and every beat (see restValues) is a whole number of divisions; so
 *    quarters in 4/4 get 1, 6/8 at least 2, sixteenths 4, and 16 (one division = a 64th note) is the finest. Else
 *    triplets: the smallest d in 6, 12, 24, 48 that every boundary lies within 1/100 of a quarter of (MIDI ticks
 *    cannot hold a third exactly), rounded to it; each quarter-note window from the bar line whose notes are off the
 *    plain grid is written as three in the time of two (`<time-modification>` 3:2, a `<tuplet>` bracket). When a
 *    window mixes triplet and plain values (e.g. triplet sixteenths starting off the beat) or no grid fits (played-in
 *    timing), d = 16 and every note start and end is rounded to the nearest 64th (half-way rounds up). A note that
 *    rounds to nothing keeps one grid unit.
 * 2. Bars from the time-signature map (empty = 4/4): each change starts a new bar; a bar that a change cuts short is
 *    written short (the change was not on a bar line). Bars run until the last note ends (or `totalTicks`, or the last
 *    chord symbol), at least one.
 * 3. Parts: one per track that has notes and is not percussion (percussion is left out: it has no pitches to spell);
 *    a sequence with no such track gets one empty part. Staves, see {@link MusicXmlOptions.staves}: a grand staff puts
 *    notes at or above middle C (MIDI 60) on the treble staff and the rest on the bass staff; one staff takes the
 *    treble clef unless most of its notes are below middle C.
 * 4. Voices: notes of one staff with the same start and end form a chord (`<chord/>`); chords go, in order of start
 *    (higher first on a tie), into the first voice that is free by then, else a new one. Each voice used in a bar fills
 *    the bar with rests and the next voice starts with a `<backup>`. Voice numbers: 1, 2, ... on staff 1, 5, 6, ... on
 *    staff 2. Notation programs show at most 4 voices per staff; a fifth simultaneous line is written but may be lost.
 * 5. Values: a note crossing a bar line is cut there; a length that is not one notated value is written as the fewest
 *    plain or dotted values (largest first), all tied (`<tie>` + `<tied>`). Rests are also cut at beat lines (see
 *    restValues). A bar with no note in a voice is a whole-bar rest (`<rest measure="yes"/>`).
 * 6. Key (`<fifths>` + `<mode>`): from the key-signature map (empty = C major); a change takes effect at the first bar
 *    that starts at or after it. Pitches are spelt from the key in force (see ./spelling).
 * 7. Tempo: each tempo event is a metronome mark (quarter = bpm) with `<sound tempo>` in the first part; none is
 *    written for an empty tempo map (readers assume 120, as MIDI does).
 * 8. Chord symbols (`<harmony>`, first part, above staff 1) at their tick, read by ./chordSymbols; velocities become
 *    the note's `dynamics` attribute (percent of forte = velocity 90).
 */
import type { KeySignatureEvent, Note, NoteSequence, Ticks, Track } from '../music/NoteSequence';
import { accidentalsOfKey } from '../music/keys';
import { parseChordSymbol, type ParsedChordSymbol, type SpelledStep } from './chordSymbols';
import { spellingOfKey, spellPitch } from './spelling';

/** What {@link toMusicXml} can be told besides the notes. */
export interface MusicXmlOptions {
  /** `<work-title>`; default the sequence's name. */
  title?: string;
  /** Chord symbols at ticks of the sequence, e.g. `{ tick: 0, symbol: 'Am' }` (see ./chordSymbols for the syntax). */
  chordSymbols?: { tick: Ticks; symbol: string }[];
  /**
   * 'one': every part on one staff. 'grand': every part on a treble + bass staff, split at middle C.
   * 'auto' (default): a grand staff only for a sequence with a single pitched track that is polyphonic (two notes
   * sound at once somewhere) and has notes on both sides of middle C; else one staff.
   */
  staves?: 'auto' | 'one' | 'grand';
}

/** Thrown by {@link toMusicXml} when the sequence cannot be written. */
export class MusicXmlWriteError extends Error {
  override name = 'MusicXmlWriteError' as const;
  readonly code = 'MUSICXML_WRITE_INVALID' as const;
}

/** Middle C: the grand staff's split point (this pitch and above go to the treble staff). */
export const GRAND_STAFF_SPLIT_PITCH = 60;
/** Candidate `<divisions>` values, coarsest first; the last one (a 64th note per division) is the finest grid. */
const DIVISION_CANDIDATES = [1, 2, 4, 8, 16] as const;
/** Grids with triplets (a triplet eighth is divisions / 3), tried when no power-of-two grid is exact. */
const TRIPLET_DIVISION_CANDIDATES = [6, 12, 24, 48] as const;
/** How far (in quarter notes) a boundary may be from a triplet grid and still count as on it: MIDI ticks cannot hold
 * a third of a quarter exactly (1024 ppq: 341 ticks), so triplet grids are matched within this. */
const TRIPLET_TOLERANCE_QUARTERS = 0.01;
const FORTE_VELOCITY = 90;
/** Staff 2's voices are numbered from 5 (MuseScore's and Finale's habit), or after staff 1's if it has more. */
const VOICES_PER_STAFF = 4;

/** Note values in 64th notes, largest first, for `<type>`. */
const NOTE_TYPES: { name: string; sixtyFourths: number }[] = [
  { name: 'breve', sixtyFourths: 128 },
  { name: 'whole', sixtyFourths: 64 },
  { name: 'half', sixtyFourths: 32 },
  { name: 'quarter', sixtyFourths: 16 },
  { name: 'eighth', sixtyFourths: 8 },
  { name: '16th', sixtyFourths: 4 },
  { name: '32nd', sixtyFourths: 2 },
  { name: '64th', sixtyFourths: 1 },
];

interface Bar {
  start: number;
  length: number;
  numerator: number;
  denominator: number;
  /** Write `<time>` in this bar. */
  newTime: boolean;
  fifths: number;
  mode: 'major' | 'minor';
  /** Write `<key>` in this bar. */
  newKey: boolean;
}

/** A chord (or single note) of one staff on the division grid. */
interface Group {
  start: number;
  end: number;
  notes: { pitch: number; velocity: number }[];
}

/** Something that sits at a point in time but has no length: a tempo mark or a chord symbol. */
interface Marker {
  at: number;
  xml: (offset: number) => string;
}

/**
 * Write a sequence as a MusicXML 4.0 partwise score. Pure: no I/O, no clock, same input -> same text.
 * @param sequence ticks + ppq are the truth; see the module header for every rounding rule
 * @throws {MusicXmlWriteError} MUSICXML_WRITE_INVALID when ppq is not a positive integer, a note has a pitch outside
 *   0..127 or a negative tick, a time signature is not 1..255 over a power of two up to 64, a key is not a key, or a
 *   chord symbol cannot be read (the message names it).
 * @example toMusicXml(sequence, { chordSymbols: [{ tick: 0, symbol: 'C' }, { tick: 1920, symbol: 'G7' }] })
 */
export function toMusicXml(sequence: NoteSequence, options: MusicXmlOptions = {}): string {
  validate(sequence);
  const pitched = sequence.tracks.filter((t) => !t.isPercussion && t.notes.length > 0);
  const signatures = normalisedSignatures(sequence);
  const grids = chooseGrid(sequence, pitched, signatures);
  for (const grid of grids) {
    try {
      return render(sequence, options, pitched, signatures, grid);
    } catch (error) {
      if (!(error instanceof MixedWindowError)) throw error;
    }
  }
  throw new MusicXmlWriteError(`"${sequence.name}": internal: no grid fits`);
}

function render(
  sequence: NoteSequence,
  options: MusicXmlOptions,
  pitched: Track[],
  signatures: { tick: number; numerator: number; denominator: number }[],
  grid: Grid,
): string {
  const { ppq } = sequence;
  const { divisions } = grid;
  const toDiv = (tick: number): number => Math.round((tick * divisions) / ppq);

  // A loop, not Math.max(...spread): a long piece has more notes than a call may take arguments.
  let lastEnd = sequence.totalTicks !== undefined ? toDiv(sequence.totalTicks) : 0;
  for (const track of pitched) for (const n of track.notes) lastEnd = Math.max(lastEnd, noteSpan(n, toDiv).end);
  for (const c of options.chordSymbols ?? []) lastEnd = Math.max(lastEnd, toDiv(Math.max(0, c.tick)) + 1);
  const bars = buildBars(sequence, signatures, lastEnd, toDiv, divisions);

  const chordMarkers: Marker[] = (options.chordSymbols ?? []).map(({ tick, symbol }) => {
    let parsed: ParsedChordSymbol;
    try {
      parsed = parseChordSymbol(symbol);
    } catch (error) {
      throw new MusicXmlWriteError(`"${sequence.name}": chord symbol at tick ${tick}: ${(error as Error).message}`);
    }
    return { at: toDiv(Math.max(0, tick)), xml: (offset) => harmonyXml(parsed, offset) };
  });
  const tempoMarkers: Marker[] = sequence.tempos.map((tempo) => ({
    at: toDiv(tempo.tick),
    xml: (offset) => tempoXml(tempo.bpm, offset),
  }));
  const firstPartMarkers = [...tempoMarkers, ...chordMarkers].sort((a, b) => a.at - b.at);

  const grand =
    options.staves === 'grand' ||
    ((options.staves ?? 'auto') === 'auto' && pitched.length === 1 && wantsGrandStaff(pitched[0]));
  const parts: { id: string; track: Track | undefined }[] =
    pitched.length > 0 ? pitched.map((track, i) => ({ id: `P${i + 1}`, track })) : [{ id: 'P1', track: undefined }];

  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
    '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN" "http://www.musicxml.org/dtds/partwise.dtd">',
    '<score-partwise version="4.0">',
    `  <work><work-title>${escapeXml(options.title ?? sequence.name)}</work-title></work>`,
    '  <identification><encoding><software>Etude</software></encoding></identification>',
    '  <part-list>',
  ];
  for (const { id, track } of parts) {
    const name = track?.name || (parts.length > 1 ? `Part ${id.slice(1)}` : 'Music');
    const channel = track ? track.channel + 1 : 1;
    const program = track ? track.program + 1 : 1;
    out.push(
      `    <score-part id="${id}">`,
      `      <part-name>${escapeXml(name)}</part-name>`,
      `      <score-instrument id="${id}-I1"><instrument-name>${escapeXml(name)}</instrument-name></score-instrument>`,
      `      <midi-instrument id="${id}-I1"><midi-channel>${channel}</midi-channel><midi-program>${program}</midi-program></midi-instrument>`,
      '    </score-part>',
    );
  }
  out.push('  </part-list>');
  parts.forEach(({ id, track }, index) => {
    const staffCount = grand ? 2 : 1;
    const staffOf = (pitch: number): number => (staffCount === 2 && pitch < GRAND_STAFF_SPLIT_PITCH ? 2 : 1);
    const staffGroups: Group[][] = Array.from({ length: staffCount }, () => []);
    if (track) {
      for (let s = 0; s < staffCount; s++) {
        staffGroups[s] = groupsOf(
          track.notes.filter((n) => staffOf(n.pitch) === s + 1),
          toDiv,
        );
      }
    }
    const singleClef = track && track.notes.filter((n) => n.pitch < 60).length * 2 > track.notes.length ? 'F' : 'G';
    out.push(`  <part id="${id}">`);
    out.push(
      ...partMeasures(bars, staffGroups, index === 0 ? firstPartMarkers : [], {
        divisions,
        triplets: grid.triplets,
        clefs: staffCount === 2 ? ['G', 'F'] : [singleClef ?? 'G'],
      }),
    );
    out.push('  </part>');
  });
  out.push('</score-partwise>', '');
  return out.join('\n');
}

function validate(sequence: NoteSequence): void {
  const where = `"${sequence.name}"`;
  if (!Number.isInteger(sequence.ppq) || sequence.ppq <= 0) {
    throw new MusicXmlWriteError(`${where}: ppq must be a positive integer, got: ${sequence.ppq}`);
  }
  for (const track of sequence.tracks) {
    for (const note of track.notes) {
      if (!Number.isInteger(note.pitch) || note.pitch < 0 || note.pitch > 127) {
        throw new MusicXmlWriteError(`${where}: a note's pitch must be within [0, 127], got: ${note.pitch}`);
      }
      if (!(note.startTick >= 0) || !(note.durationTicks >= 0)) {
        throw new MusicXmlWriteError(
          `${where}: a note must start at a tick >= 0 and last >= 0 ticks, got: ${note.startTick} + ${note.durationTicks}`,
        );
      }
    }
  }
  for (const { numerator, denominator, tick } of sequence.timeSignatures) {
    const powerOfTwo = Number.isInteger(denominator) && denominator >= 1 && denominator <= 64;
    if (
      !Number.isInteger(numerator) ||
      numerator < 1 ||
      numerator > 255 ||
      !powerOfTwo ||
      (denominator & (denominator - 1)) !== 0
    ) {
      throw new MusicXmlWriteError(
        `${where}: time signature at tick ${tick} must be 1-255 over a power of two up to 64, got: ${numerator}/${denominator}`,
      );
    }
  }
  for (const key of sequence.keySignatures) fifthsOf(sequence.name, key);
}

function fifthsOf(name: string, key: KeySignatureEvent): number {
  try {
    return accidentalsOfKey(key.key, key.scale);
  } catch (error) {
    throw new MusicXmlWriteError(`"${name}": key signature at tick ${key.tick}: ${(error as Error).message}`);
  }
}

/** The time-signature map sorted, one per tick (the last wins, as in a MIDI file), with 4/4 at 0 when none is there. */
function normalisedSignatures(sequence: NoteSequence): { tick: number; numerator: number; denominator: number }[] {
  const byTick = new Map<number, { tick: number; numerator: number; denominator: number }>();
  for (const s of [...sequence.timeSignatures].sort((a, b) => a.tick - b.tick)) byTick.set(s.tick, { ...s });
  const list = [...byTick.values()];
  if (list.length === 0 || list[0].tick > 0) list.unshift({ tick: 0, numerator: 4, denominator: 4 });
  return list;
}

/** The grid a score is written on: divisions per quarter, and whether quarter-note windows may hold triplets. */
interface Grid {
  divisions: number;
  triplets: boolean;
}

function chooseGrid(
  sequence: NoteSequence,
  tracks: Track[],
  signatures: { tick: number; numerator: number; denominator: number }[],
): Grid[] {
  const ticks: number[] = signatures.map((s) => s.tick);
  for (const track of tracks) for (const n of track.notes) ticks.push(n.startTick, n.startTick + n.durationTicks);
  const barsWhole = (d: number) =>
    signatures.every(
      (s) =>
        Number.isInteger((s.numerator * 4 * d) / s.denominator) &&
        Number.isInteger(beatLength(s.numerator, s.denominator, d)),
    );
  for (const d of DIVISION_CANDIDATES) {
    if (barsWhole(d) && ticks.every((t) => (t * d) % sequence.ppq === 0)) return [{ divisions: d, triplets: false }];
  }
  const finest: Grid = { divisions: DIVISION_CANDIDATES[DIVISION_CANDIDATES.length - 1], triplets: false };
  for (const d of TRIPLET_DIVISION_CANDIDATES) {
    const near = (t: number) => {
      const at = (t * d) / sequence.ppq;
      return Math.abs(at - Math.round(at)) <= TRIPLET_TOLERANCE_QUARTERS * d;
    };
    if (barsWhole(d) && ticks.every(near)) return [{ divisions: d, triplets: true }, finest];
  }
  return [finest];
}

/** Thrown inside the writer when a quarter window mixes triplet and plain values: the score is redone on 64ths. */
class MixedWindowError extends Error {}

function noteSpan(note: Note, toDiv: (tick: number) => number): { start: number; end: number } {
  const start = toDiv(note.startTick);
  return { start, end: Math.max(start + 1, toDiv(note.startTick + note.durationTicks)) };
}

function buildBars(
  sequence: NoteSequence,
  signatures: { tick: number; numerator: number; denominator: number }[],
  lastEnd: number,
  toDiv: (tick: number) => number,
  divisions: number,
): Bar[] {
  const bars: Bar[] = [];
  for (let i = 0; i < signatures.length; i++) {
    const sig = signatures[i];
    const start = toDiv(sig.tick);
    if (i > 0 && start >= lastEnd) break;
    const stop = i + 1 < signatures.length ? toDiv(signatures[i + 1].tick) : Infinity;
    const length = (sig.numerator * 4 * divisions) / sig.denominator;
    let first = true;
    for (let at = start; at < stop && (at < lastEnd || bars.length === 0); at += length) {
      bars.push({
        start: at,
        length: Math.min(length, stop - at),
        numerator: sig.numerator,
        denominator: sig.denominator,
        newTime: first,
        fifths: 0,
        mode: 'major',
        newKey: bars.length === 0,
      });
      first = false;
    }
  }
  // Keys: the one in force at each bar's start, a change mid-bar waiting for the next bar line.
  const keys = [...sequence.keySignatures].sort((a, b) => a.tick - b.tick);
  let k = -1;
  let previous = '';
  for (const bar of bars) {
    while (k + 1 < keys.length && toDiv(keys[k + 1].tick) <= bar.start) k++;
    if (k >= 0) {
      bar.fifths = fifthsOf(sequence.name, keys[k]);
      bar.mode = keys[k].scale;
    } else if (keys.length > 0 && bar === bars[0]) {
      // A first key that starts after bar 1's line (a sloppy file) still sets bar 1: C major never was meant.
      bar.fifths = fifthsOf(sequence.name, keys[0]);
      bar.mode = keys[0].scale;
    }
    const now = `${bar.fifths}${bar.mode}`;
    bar.newKey = bar === bars[0] || now !== previous;
    previous = now;
  }
  return bars;
}

function wantsGrandStaff(track: Track): boolean {
  const below = track.notes.some((n) => n.pitch < GRAND_STAFF_SPLIT_PITCH);
  const above = track.notes.some((n) => n.pitch >= GRAND_STAFF_SPLIT_PITCH);
  if (!below || !above) return false;
  let end = -Infinity;
  for (const n of [...track.notes].sort((a, b) => a.startTick - b.startTick)) {
    if (n.startTick < end) return true;
    end = Math.max(end, n.startTick + n.durationTicks);
  }
  return false;
}

/** Notes -> chords on the grid, each pitch once per chord, sorted by start then highest pitch first. */
function groupsOf(notes: Note[], toDiv: (tick: number) => number): Group[] {
  const byKey = new Map<string, Group>();
  for (const note of notes) {
    const { start, end } = noteSpan(note, toDiv);
    const key = `${start}:${end}`;
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = { start, end, notes: [] }));
    if (!group.notes.some((n) => n.pitch === note.pitch))
      group.notes.push({ pitch: note.pitch, velocity: note.velocity });
  }
  const groups = [...byKey.values()];
  for (const g of groups) g.notes.sort((a, b) => a.pitch - b.pitch);
  const top = (g: Group): number => g.notes[g.notes.length - 1].pitch;
  return groups.sort((a, b) => a.start - b.start || top(b) - top(a));
}

/** First-fit voices: each group goes to the first voice whose last group has ended. */
function voicesOf(groups: Group[]): Group[][] {
  const voices: Group[][] = [];
  for (const group of groups) {
    const free = voices.find((v) => v[v.length - 1].end <= group.start);
    if (free) free.push(group);
    else voices.push([group]);
  }
  return voices;
}

function partMeasures(
  bars: Bar[],
  staffGroups: Group[][],
  markers: Marker[],
  layout: { divisions: number; triplets: boolean; clefs: ('G' | 'F')[] },
): string[] {
  const out: string[] = [];
  const staffVoices = staffGroups.map(voicesOf);
  bars.forEach((bar, barIndex) => {
    const barEnd = bar.start + bar.length;
    out.push(`    <measure number="${barIndex + 1}">`);
    if (barIndex === 0 || bar.newTime || bar.newKey) {
      out.push('      <attributes>');
      if (barIndex === 0) out.push(`        <divisions>${layout.divisions}</divisions>`);
      if (bar.newKey) out.push(`        <key><fifths>${bar.fifths}</fifths><mode>${bar.mode}</mode></key>`);
      if (bar.newTime) {
        out.push(`        <time><beats>${bar.numerator}</beats><beat-type>${bar.denominator}</beat-type></time>`);
      }
      if (barIndex === 0) {
        if (layout.clefs.length > 1) out.push(`        <staves>${layout.clefs.length}</staves>`);
        layout.clefs.forEach((sign, i) => {
          const number = layout.clefs.length > 1 ? ` number="${i + 1}"` : '';
          out.push(`        <clef${number}><sign>${sign}</sign><line>${sign === 'G' ? 2 : 4}</line></clef>`);
        });
      }
      out.push('      </attributes>');
    }
    const spelling = spellingOfKey(bar.fifths, bar.mode);
    const barMarkers = markers.filter(
      (m) => m.at >= bar.start && (m.at < barEnd || (barIndex === bars.length - 1 && m.at <= barEnd)),
    );
    let wroteVoice = false;
    staffVoices.forEach((voices, staffIndex) => {
      const used = voices
        .map((groups, v) => ({ v, groups: groups.filter((g) => g.start < barEnd && g.end > bar.start) }))
        .filter(({ v, groups }) => v === 0 || groups.length > 0);
      if (used.length === 0) used.push({ v: 0, groups: [] });
      const voiceBase = staffIndex === 0 ? 0 : Math.max(VOICES_PER_STAFF, staffVoices[0].length);
      for (const { v, groups } of used) {
        if (wroteVoice) out.push(`      <backup><duration>${bar.length}</duration></backup>`);
        wroteVoice = true;
        const voice = voiceBase + v + 1;
        const staff = layout.clefs.length > 1 ? staffIndex + 1 : undefined;
        // Markers ride on the first voice of the first staff: written before the event they fall in, with an offset.
        const pending = staffIndex === 0 && v === 0 ? [...barMarkers] : [];
        const emitMarkersUpTo = (position: number, limit: number) => {
          while (pending.length > 0 && pending[0].at < limit) {
            const marker = pending.shift()!;
            out.push(marker.xml(marker.at - position));
          }
        };
        let cursor = bar.start;
        // The voice's pieces in this bar, rests included, cut at bar lines and (triplet grids) at triplet windows.
        const pieces: { from: number; to: number; group?: Group }[] = [];
        for (const group of groups) {
          const from = Math.max(group.start, bar.start);
          const to = Math.min(group.end, barEnd);
          if (from > cursor) pieces.push({ from: cursor, to: from });
          pieces.push({ from, to, group });
          cursor = to;
        }
        if (cursor < barEnd && pieces.length > 0) pieces.push({ from: cursor, to: barEnd });
        if (pieces.length === 0) {
          emitMarkersUpTo(bar.start, barEnd);
          out.push(noteXml({ rest: 'measure', duration: bar.length, voice, staff }));
        }
        const windows = layout.triplets ? tripletWindows(pieces, bar, layout.divisions) : [];
        const cutPieces = cutAt(
          pieces,
          windows.flatMap((w) => [w, w + layout.divisions]),
        );
        let windowOpen = -1;
        cutPieces.forEach((piece, p) => {
          const inWindow = windows.find((w) => piece.from >= w && piece.to <= w + layout.divisions);
          const triplet = inWindow !== undefined;
          const values = triplet
            ? splitValue(((piece.to - piece.from) * 3) / 2, layout.divisions).map((v) => ({
                ...v,
                duration: (v.duration * 2) / 3,
              }))
            : piece.group
              ? splitValue(piece.to - piece.from, layout.divisions)
              : restValues(piece.from, piece.to, bar, layout.divisions);
          const lastInWindow =
            triplet && (p + 1 === cutPieces.length || cutPieces[p + 1].from >= inWindow + layout.divisions);
          let at = piece.from;
          values.forEach((value, i) => {
            emitMarkersUpTo(at, at + value.duration);
            let tuplet: 'start' | 'stop' | undefined;
            if (triplet && windowOpen !== inWindow) {
              tuplet = 'start';
              windowOpen = inWindow;
            } else if (lastInWindow && i === values.length - 1) tuplet = 'stop';
            const common = {
              duration: value.duration,
              type: value.type,
              dots: value.dots,
              voice,
              staff,
              triplet,
              tuplet,
            };
            const group = piece.group;
            if (!group) out.push(noteXml({ rest: 'plain', ...common }));
            else {
              const tiedIn = at > group.start;
              const tiedOut = at + value.duration < group.end;
              group.notes.forEach((note, n) => {
                out.push(
                  noteXml({
                    ...common,
                    chord: n > 0,
                    pitch: spellPitch(note.pitch, spelling),
                    tiedIn,
                    tiedOut,
                    velocity: note.velocity,
                    tuplet: n === 0 ? tuplet : undefined,
                  }),
                );
              });
            }
            at += value.duration;
          });
        });
        // Markers at the very end of the last bar (a tempo change on the final bar line) have nothing to ride on.
        for (const marker of pending) out.push(marker.xml(marker.at - barEnd));
      }
    });
    out.push('    </measure>');
  });
  return out;
}

/**
 * The quarter-note windows of a bar (their start positions) whose pieces are triplets: some boundary inside is off
 * the plain grid (plain values are multiples of divisions / 2^k, i.e. of 3 on a triplet grid) and every piece is a
 * whole number of triplet units (even). A window that is neither, or a triplet cut by the bar line, cannot be
 * written: {@link MixedWindowError} sends the score to the 64th grid.
 */
function tripletWindows(pieces: { from: number; to: number }[], bar: Bar, divisions: number): number[] {
  const windows: number[] = [];
  for (let start = bar.start; start < bar.start + bar.length; start += divisions) {
    const end = start + divisions;
    const inside: number[] = [];
    for (const piece of pieces) {
      if (piece.from > start && piece.from < end) inside.push(piece.from);
      if (piece.to > start && piece.to < end) inside.push(piece.to);
    }
    if (inside.every((b) => (b - bar.start) % 3 === 0)) continue;
    if (end > bar.start + bar.length || !inside.every((b) => (b - start) % 2 === 0)) throw new MixedWindowError();
    windows.push(start);
  }
  return windows;
}

/** Pieces cut at the given positions (ties join them again). */
function cutAt<P extends { from: number; to: number }>(pieces: P[], cuts: number[]): P[] {
  const out: P[] = [];
  for (const piece of pieces) {
    let from = piece.from;
    for (const cut of cuts) {
      if (cut > from && cut < piece.to) {
        out.push({ ...piece, from, to: cut });
        from = cut;
      }
    }
    out.push({ ...piece, from, to: piece.to });
  }
  return out;
}

/**
 * Rests show the beat: a rest that crosses a beat line is cut there, except for the whole beats in the middle, which
 * stay together (in 6/8 after a quarter: an eighth rest, then a dotted-quarter rest, not a half rest across the beat).
 * The beat is a dotted quarter in compound meters (6/8, 9/8, 12/16...: numerator a multiple of 3 above 3, denominator
 * 8 or more), else 1/denominator. Where a beat is not a whole number of divisions, the plain split is used.
 */
function restValues(from: number, to: number, bar: Bar, divisions: number) {
  const beat = beatLength(bar.numerator, bar.denominator, divisions);
  if (!Number.isInteger(beat)) return splitValue(to - from, divisions);
  const firstLine = bar.start + Math.ceil((from - bar.start) / beat) * beat;
  const lastLine = bar.start + Math.floor((to - bar.start) / beat) * beat;
  const cuts = [from, ...(firstLine < lastLine ? [firstLine, lastLine] : firstLine < to ? [firstLine] : []), to];
  const values: ReturnType<typeof splitValue> = [];
  for (let i = 0; i + 1 < cuts.length; i++)
    if (cuts[i + 1] > cuts[i]) values.push(...splitValue(cuts[i + 1] - cuts[i], divisions));
  return values;
}

/** The beat in divisions (may be fractional): a dotted quarter in compound meters, else one 1/denominator. */
function beatLength(numerator: number, denominator: number, divisions: number): number {
  const unit = (4 * divisions) / denominator;
  return denominator >= 8 && numerator % 3 === 0 && numerator > 3 ? 3 * unit : unit;
}

/**
 * A length in divisions as the fewest plain or dotted values, largest first. Every result is a whole number of
 * divisions; since one division is at most a quarter and at least a 64th, the loop always finishes.
 */
function splitValue(length: number, divisions: number): { duration: number; type: string; dots: number }[] {
  const candidates: { duration: number; type: string; dots: number }[] = [];
  for (const t of NOTE_TYPES) {
    for (const dots of [1, 0]) {
      const sixtyFourths = dots === 1 ? t.sixtyFourths * 1.5 : t.sixtyFourths;
      const duration = (sixtyFourths * divisions) / 16;
      if (Number.isInteger(duration) && (dots === 0 || t.sixtyFourths >= 2)) {
        candidates.push({ duration, type: t.name, dots });
      }
    }
  }
  candidates.sort((a, b) => b.duration - a.duration);
  const values: { duration: number; type: string; dots: number }[] = [];
  let left = length;
  while (left > 0) {
    const value = candidates.find((c) => c.duration <= left);
    if (!value)
      throw new MusicXmlWriteError(`internal: ${left} divisions cannot be written at ${divisions} per quarter`);
    values.push(value);
    left -= value.duration;
  }
  return values;
}

interface NoteFields {
  chord?: boolean;
  pitch?: SpelledStep & { octave: number };
  rest?: 'plain' | 'measure';
  duration: number;
  type?: string;
  dots?: number;
  voice: number;
  staff?: number;
  tiedIn?: boolean;
  tiedOut?: boolean;
  velocity?: number;
  /** Three in the time of two (`<time-modification>`); `tuplet` starts or ends the bracket. */
  triplet?: boolean;
  tuplet?: 'start' | 'stop';
}

function noteXml(f: NoteFields): string {
  const dynamics = f.velocity !== undefined ? ` dynamics="${round2((f.velocity / FORTE_VELOCITY) * 100)}"` : '';
  const parts: string[] = [`<note${dynamics}>`];
  if (f.chord) parts.push('<chord/>');
  if (f.pitch) {
    const alter = f.pitch.alter !== 0 ? `<alter>${f.pitch.alter}</alter>` : '';
    parts.push(`<pitch><step>${f.pitch.step}</step>${alter}<octave>${f.pitch.octave}</octave></pitch>`);
  } else {
    parts.push(f.rest === 'measure' ? '<rest measure="yes"/>' : '<rest/>');
  }
  parts.push(`<duration>${f.duration}</duration>`);
  if (f.tiedIn) parts.push('<tie type="stop"/>');
  if (f.tiedOut) parts.push('<tie type="start"/>');
  parts.push(`<voice>${f.voice}</voice>`);
  if (f.type) parts.push(`<type>${f.type}</type>`);
  for (let i = 0; i < (f.dots ?? 0); i++) parts.push('<dot/>');
  if (f.triplet)
    parts.push('<time-modification><actual-notes>3</actual-notes><normal-notes>2</normal-notes></time-modification>');
  if (f.staff !== undefined) parts.push(`<staff>${f.staff}</staff>`);
  if (f.tiedIn || f.tiedOut || f.tuplet) {
    const tied = `${f.tiedIn ? '<tied type="stop"/>' : ''}${f.tiedOut ? '<tied type="start"/>' : ''}`;
    const tuplet = f.tuplet ? `<tuplet type="${f.tuplet}" bracket="yes"/>` : '';
    parts.push(`<notations>${tied}${tuplet}</notations>`);
  }
  parts.push('</note>');
  return `      ${parts.join('')}`;
}

function offsetXml(offset: number): string {
  return offset !== 0 ? `<offset>${offset}</offset>` : '';
}

function tempoXml(bpm: number, offset: number): string {
  const value = round2(bpm);
  return (
    '      <direction placement="above"><direction-type><metronome><beat-unit>quarter</beat-unit>' +
    `<per-minute>${value}</per-minute></metronome></direction-type>${offsetXml(offset)}` +
    `<staff>1</staff><sound tempo="${value}"/></direction>`
  );
}

function harmonyXml(chord: ParsedChordSymbol, offset: number): string {
  const step = (prefix: 'root' | 'bass', s: SpelledStep) =>
    `<${prefix}-step>${s.step}</${prefix}-step>${s.alter !== 0 ? `<${prefix}-alter>${s.alter}</${prefix}-alter>` : ''}`;
  const bass = chord.bass ? `<bass>${step('bass', chord.bass)}</bass>` : '';
  return (
    `      <harmony><root>${step('root', chord.root)}</root>` +
    `<kind text="${escapeXml(chord.suffix)}">${chord.kind}</kind>${bass}${offsetXml(offset)}<staff>1</staff></harmony>`
  );
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}
