// SPDX-License-Identifier: MIT
/**
 * Chords as the models read them, and the documented chord-inference method.
 *
 * Representation: a chord is its pitch-class set (chroma), a 12-bit mask, bit c = pitch class c (C = 0) is a chord
 * tone; 0 = no chord (N.C.). A chord track gives one mask per step (a sixteenth for melodies, a frame for piano rolls).
 * A model's chord input is that chroma as 12 values of 0/1 (CHORD_DIM), so any symbol @tonaljs/tonal can parse
 * (C, Am, G7, Bdim, Fmaj7, Esus4, Cm7b5, C/E ...) is an input, not only the symbols of a fixed vocabulary. A slash
 * chord adds its bass to the chord's tones.
 *
 * Inference (any corpus; also how the Nottingham chord parts become chord tracks): the piece is cut into spans of
 * `spanSteps` sixteenths (default a quarter note: chords of Nottingham change at most per beat), and each span's
 * duration-weighted pitch-class histogram h (from all its notes, or from an accompaniment track only) is scored
 * against the binary templates t of 12 roots x {major, minor, dominant 7th, minor 7th, diminished}: score = cosine(h,
 * t) - 0.02 * (|t| - 3) (a small penalty keeps a triad when a seventh adds nothing). The best template wins; a span
 * with no sounding note holds the previous chord (N.C. before the first). It is the key finder's idea
 * (../analysis/keyFinder.ts: a histogram against templates) at the size of a beat, with chord templates.
 */
import { Chord, Note as TonalNote } from '@tonaljs/tonal';
import type { Note } from './NoteSequence';

/** Width of a chord input: the chroma, one value per pitch class. */
export const CHORD_DIM = 12;

/** A parsed chord symbol. */
export interface ChordSymbol {
  /** As written (trimmed), e.g. "Am". */
  symbol: string;
  /** Pitch-class mask (bit c = class c); 0 for N.C. */
  mask: number;
  /** Root pitch class, -1 for N.C. */
  root: number;
}

/** A chord symbol that cannot be read; the message names it. */
export class ChordSymbolError extends Error {
  override name = 'ChordSymbolError';
  readonly code = 'CHORD_SYMBOL_INVALID';
  constructor(readonly symbol: string) {
    super(
      `"${symbol}" is not a chord symbol Etude can read (write a root A-G with # or b, then a quality such as m, 7, m7, maj7, dim, aug or sus4, e.g. "C G Am F"; N.C. for no chord).`,
    );
  }
}

const NO_CHORD = new Set(['n.c.', 'nc', 'n.c', 'n/c']);

/** Pitch class of a note name ("C#", "Bb"), or -1. */
function pitchClassOf(name: string): number {
  const c = TonalNote.chroma(name);
  return typeof c === 'number' && Number.isInteger(c) ? c : -1;
}

/**
 * Reads one chord symbol.
 * @throws ChordSymbolError naming the symbol when @tonaljs/tonal cannot read it.
 */
export function parseChordSymbol(text: string): ChordSymbol {
  const symbol = text.trim();
  if (NO_CHORD.has(symbol.toLowerCase())) return { symbol: 'N.C.', mask: 0, root: -1 };
  const [head, bass, ...rest] = symbol.split('/');
  if (!head || rest.length > 0 || !/^[A-G]/.test(head)) throw new ChordSymbolError(symbol);
  const chord = Chord.get(head);
  if (chord.empty || !chord.tonic || chord.notes.length === 0) throw new ChordSymbolError(symbol);
  let mask = 0;
  for (const n of chord.notes) {
    const pc = pitchClassOf(n);
    if (pc < 0) throw new ChordSymbolError(symbol);
    mask |= 1 << pc;
  }
  if (bass !== undefined) {
    const pc = /^[A-Ga-g][#b]?$/.test(bass) ? pitchClassOf(bass.charAt(0).toUpperCase() + bass.slice(1)) : -1;
    if (pc < 0) throw new ChordSymbolError(symbol);
    mask |= 1 << pc;
  }
  return { symbol, mask, root: pitchClassOf(chord.tonic) };
}

/**
 * A progression written as symbols separated by spaces, commas or bars ("C G Am F", "C, F | G C").
 * @throws ChordSymbolError naming the first symbol that cannot be read (or an empty progression).
 */
export function parseProgression(text: string): ChordSymbol[] {
  const parts = text
    .split(/[\s,|]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new ChordSymbolError(text);
  return parts.map(parseChordSymbol);
}

/** A chord over a run of steps. */
export interface ChordSpan {
  symbol: string;
  mask: number;
  startStep: number;
  steps: number;
}

/**
 * The spans of a progression repeated over `totalSteps` steps, `stepsPerChord` steps each (e.g. 16 per 4/4 bar of
 * sixteenths times bars-per-chord); the last span is cut at the end.
 */
export function progressionSpans(
  chords: readonly ChordSymbol[],
  stepsPerChord: number,
  totalSteps: number,
): ChordSpan[] {
  if (chords.length === 0 || !(stepsPerChord >= 1)) return [];
  const out: ChordSpan[] = [];
  for (let start = 0, i = 0; start < totalSteps; start += stepsPerChord, i++) {
    const c = chords[i % chords.length];
    out.push({ symbol: c.symbol, mask: c.mask, startStep: start, steps: Math.min(stepsPerChord, totalSteps - start) });
  }
  return out;
}

/** One mask per step of `totalSteps` (0 where no span covers a step). */
export function chordTrackOf(spans: readonly ChordSpan[], totalSteps: number): Uint16Array {
  const track = new Uint16Array(totalSteps);
  for (const s of spans) track.fill(s.mask, Math.max(0, s.startStep), Math.min(totalSteps, s.startStep + s.steps));
  return track;
}

/** The runs of equal masks of a track, named (N.C. runs left out). */
export function spansOfTrack(track: ArrayLike<number>): ChordSpan[] {
  const out: ChordSpan[] = [];
  for (let t = 0; t < track.length;) {
    let u = t + 1;
    while (u < track.length && track[u] === track[t]) u++;
    if (track[t]) out.push({ symbol: chordName(track[t]), mask: track[t], startStep: t, steps: u - t });
    t = u;
  }
  return out;
}

/** The mask transposed by `shift` semitones (rotated). */
export function transposeMask(mask: number, shift: number): number {
  const s = ((shift % 12) + 12) % 12;
  if (!mask || !s) return mask;
  return ((mask << s) | (mask >> (12 - s))) & 0xfff;
}

/** Writes the chroma of `mask` (12 values of 0/1) at out[offset..offset+12). */
export function writeChroma(mask: number, out: Float32Array, offset: number): void {
  for (let c = 0; c < CHORD_DIM; c++) out[offset + c] = (mask >> c) & 1;
}

/** The mask of a 12-value chroma (values > 0.5 are chord tones). */
export function maskOfChroma(values: ArrayLike<number>, offset = 0): number {
  let mask = 0;
  for (let c = 0; c < CHORD_DIM; c++) if (values[offset + c] > 0.5) mask |= 1 << c;
  return mask;
}

interface Template {
  name: string;
  steps: readonly number[];
}

/** The inference vocabulary's qualities (intervals above the root) and their suffixes. */
const QUALITIES: readonly Template[] = [
  { name: '', steps: [0, 4, 7] },
  { name: 'm', steps: [0, 3, 7] },
  { name: '7', steps: [0, 4, 7, 10] },
  { name: 'm7', steps: [0, 3, 7, 10] },
  { name: 'dim', steps: [0, 3, 6] },
];
const ROOT_NAMES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];

const TEMPLATES: readonly { name: string; mask: number; size: number }[] = QUALITIES.flatMap((q) =>
  ROOT_NAMES.map((root, r) => ({
    name: root + q.name,
    mask: q.steps.reduce((m, s) => m | (1 << ((r + s) % 12)), 0),
    size: q.steps.length,
  })),
);

/** A name for a mask: the vocabulary's symbol when it is one, else the pitch classes joined ("C-E-G#"). */
export function chordName(mask: number): string {
  if (!mask) return 'N.C.';
  const t = TEMPLATES.find((x) => x.mask === mask);
  if (t) return t.name;
  for (const s of ['aug', 'sus4', 'maj7', '6', 'm6', 'm7b5', 'dim7', '9'])
    for (let r = 0; r < 12; r++) {
      const c = Chord.get(ROOT_NAMES[r] + s);
      if (!c.empty && c.notes.reduce((m, n) => m | (1 << pitchClassOf(n)), 0) === mask) return ROOT_NAMES[r] + s;
    }
  return ROOT_NAMES.filter((_, c) => (mask >> c) & 1).join('-');
}

/** The best template for a pitch-class histogram (12 weights), or 0 when it is empty. */
export function bestChordMask(weights: ArrayLike<number>): number {
  let norm = 0;
  for (let c = 0; c < 12; c++) norm += weights[c] * weights[c];
  if (!(norm > 0)) return 0;
  let best = 0;
  let bestScore = -Infinity;
  for (const t of TEMPLATES) {
    let dot = 0;
    for (let c = 0; c < 12; c++) if ((t.mask >> c) & 1) dot += weights[c];
    const score = dot / Math.sqrt(norm * t.size) - 0.02 * (t.size - 3);
    if (score > bestScore + 1e-12) {
      bestScore = score;
      best = t.mask;
    }
  }
  return best;
}

/**
 * The chord track of notes (ticks at `ppq`), one mask per sixteenth step over `totalSteps` steps, inferred per span
 * of `spanSteps` sixteenths by template matching (see the file header).
 */
export function inferChordTrack(notes: readonly Note[], ppq: number, totalSteps: number, spanSteps = 4): Uint16Array {
  const stepTicks = ppq / 4;
  const spans = Math.ceil(totalSteps / spanSteps);
  const weights = new Float64Array(spans * 12);
  const spanTicks = stepTicks * spanSteps;
  for (const n of notes) {
    const start = n.startTick;
    const end = n.startTick + Math.max(1, n.durationTicks);
    for (let s = Math.max(0, Math.floor(start / spanTicks)); s < spans && s * spanTicks < end; s++) {
      const overlap = Math.min(end, (s + 1) * spanTicks) - Math.max(start, s * spanTicks);
      if (overlap > 0) weights[s * 12 + (n.pitch % 12)] += overlap;
    }
  }
  const track = new Uint16Array(totalSteps);
  let held = 0;
  for (let s = 0; s < spans; s++) {
    const mask = bestChordMask(weights.subarray(s * 12, s * 12 + 12));
    if (mask) held = mask;
    track.fill(held, s * spanSteps, Math.min(totalSteps, (s + 1) * spanSteps));
  }
  return track;
}

/** Share of `pitches` whose class is a tone of `mask` (NaN for none). */
export function chordToneShare(pitches: readonly number[], mask: number): number {
  if (pitches.length === 0) return NaN;
  return pitches.filter((p) => (mask >> (p % 12)) & 1).length / pitches.length;
}
