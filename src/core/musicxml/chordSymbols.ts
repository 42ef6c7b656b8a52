// SPDX-License-Identifier: MIT
/**
 * Chord symbols ("Am", "G7", "Cmaj7", "F#dim", "C/E") -> the parts of a MusicXML `<harmony>`: root, kind and bass.
 * The symbol is read by @tonaljs/tonal (its chord dictionary, not a table of ours); what is ours is only the map from
 * tonal's chord-type names to MusicXML's closed list of `<kind>` values.
 */
import { Chord, Midi, Note } from '@tonaljs/tonal';
import type { NoteSequence, Ticks } from '../music/NoteSequence';
import { accidentalsOfKey } from '../music/keys';

/** A MusicXML `<kind>` value (the MusicXML 4.0 `kind-value` list, less the rarely used Neapolitan/Italian/etc.). */
export type MusicXmlHarmonyKind =
  | 'major'
  | 'minor'
  | 'augmented'
  | 'diminished'
  | 'dominant'
  | 'major-seventh'
  | 'minor-seventh'
  | 'diminished-seventh'
  | 'augmented-seventh'
  | 'half-diminished'
  | 'major-minor'
  | 'major-sixth'
  | 'minor-sixth'
  | 'dominant-ninth'
  | 'major-ninth'
  | 'minor-ninth'
  | 'dominant-11th'
  | 'major-11th'
  | 'minor-11th'
  | 'dominant-13th'
  | 'major-13th'
  | 'minor-13th'
  | 'suspended-second'
  | 'suspended-fourth'
  | 'power'
  | 'other';

/** A pitch class as MusicXML spells it: a step letter and an alteration in semitones. */
export interface SpelledStep {
  step: 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G';
  /** -2..2: flats negative. */
  alter: number;
}

/** A chord symbol taken apart for `<harmony>`. */
export interface ParsedChordSymbol {
  root: SpelledStep;
  kind: MusicXmlHarmonyKind;
  /** What the symbol writes after its root (and before any "/bass"), shown by readers as `kind@text`. */
  suffix: string;
  bass?: SpelledStep;
}

/** Thrown by {@link parseChordSymbol} for a symbol tonal does not know. */
export class ChordSymbolError extends Error {
  override name = 'ChordSymbolError' as const;
  readonly code = 'CHORD_SYMBOL_INVALID' as const;
}

/** tonal chord-type name -> MusicXML kind. Types tonal knows but MusicXML has no kind for become 'other'. */
const KIND_OF_TONAL_TYPE: Record<string, MusicXmlHarmonyKind> = {
  major: 'major',
  minor: 'minor',
  augmented: 'augmented',
  diminished: 'diminished',
  'dominant seventh': 'dominant',
  'major seventh': 'major-seventh',
  'minor seventh': 'minor-seventh',
  'diminished seventh': 'diminished-seventh',
  'augmented seventh': 'augmented-seventh',
  'half-diminished': 'half-diminished',
  'minor/major seventh': 'major-minor',
  sixth: 'major-sixth',
  'minor sixth': 'minor-sixth',
  'dominant ninth': 'dominant-ninth',
  'major ninth': 'major-ninth',
  'minor ninth': 'minor-ninth',
  eleventh: 'dominant-11th',
  'major eleventh': 'major-11th',
  'minor eleventh': 'minor-11th',
  'dominant thirteenth': 'dominant-13th',
  'major thirteenth': 'major-13th',
  'minor thirteenth': 'minor-13th',
  'suspended second': 'suspended-second',
  'suspended fourth': 'suspended-fourth',
  fifth: 'power',
};

function spell(noteName: string, symbol: string): SpelledStep {
  const note = Note.get(noteName);
  if (note.empty || note.alt < -2 || note.alt > 2 || !/^[A-G]$/.test(note.letter)) {
    throw new ChordSymbolError(`chord symbol "${symbol}": "${noteName}" is not a note name (write e.g. C, F#, Bb)`);
  }
  return { step: note.letter as SpelledStep['step'], alter: note.alt };
}

/**
 * Take a chord symbol apart. The root is a letter A-G with optional # or b; the rest is any chord type
 * @tonaljs/tonal knows ("m", "7", "maj7", "dim", "m7b5", "sus4", "6", "9", ...); an optional "/X" names a bass note.
 * @throws {ChordSymbolError} CHORD_SYMBOL_INVALID when tonal cannot read the symbol or the bass is not a note.
 * @example parseChordSymbol('F#dim') // { root: { step: 'F', alter: 1 }, kind: 'diminished', suffix: 'dim' }
 * @example parseChordSymbol('C/E').bass // { step: 'E', alter: 0 }
 */
export function parseChordSymbol(symbol: string): ParsedChordSymbol {
  const text = symbol.trim();
  const slash = text.lastIndexOf('/');
  // "6/9" is a chord type, not a bass: only a note name after the slash is a bass.
  const hasBass = slash > 0 && /^[A-Ga-g][#b]?$/.test(text.slice(slash + 1));
  const main = hasBass ? text.slice(0, slash) : text;
  const rootMatch = /^([A-Ga-g][#b]?)(.*)$/.exec(main);
  const chord = rootMatch ? Chord.get(main) : undefined;
  if (!rootMatch || !chord || chord.empty || !chord.tonic) {
    throw new ChordSymbolError(
      `"${symbol}" is not a chord symbol: write a root A-G (optional # or b) and a chord type, e.g. Am, G7, Cmaj7, F#dim, C/E`,
    );
  }
  const kind = KIND_OF_TONAL_TYPE[chord.type] ?? 'other';
  const parsed: ParsedChordSymbol = { root: spell(chord.tonic, symbol), kind, suffix: rootMatch[2] };
  if (hasBass) parsed.bass = spell(text.slice(slash + 1), symbol);
  return parsed;
}

/**
 * Chord symbols named from a sequence's accompaniment, for scores of pieces that have a chord track but no symbols
 * (the Nottingham tunes: melody, then chords). The accompaniment is every pitched track but the first when there are
 * several, else the only one. At each onset in it where three or more pitch classes sound, tonal's `Chord.detect`
 * names them (lowest note first, so an inversion becomes a slash chord; of its answers the shortest is taken, the
 * first on a tie: "C/E" rather than "Em#5", "Am7" rather than "C6/A"; "GM" is written "G");
 * a symbol is kept when it differs from the one before. Spelling: flats when the first key signature has flats.
 * @returns symbols sorted by tick, ready for `toMusicXml`'s `chordSymbols` option
 * @example detectChordSymbols(parseMidi(bytes, 'ashover1.mid'))[0] // { tick: 3072, symbol: 'G' }
 */
export function detectChordSymbols(sequence: NoteSequence): { tick: Ticks; symbol: string }[] {
  const pitched = sequence.tracks.filter((t) => !t.isPercussion && t.notes.length > 0);
  const accompaniment = (pitched.length > 1 ? pitched.slice(1) : pitched).flatMap((t) => t.notes);
  accompaniment.sort((a, b) => a.startTick - b.startTick);
  const firstKey = sequence.keySignatures[0];
  const sharps = !firstKey || accidentalsOfKey(firstKey.key, firstKey.scale) >= 0;
  const symbols: { tick: Ticks; symbol: string }[] = [];
  let active: typeof accompaniment = [];
  let next = 0;
  let previous = '';
  const onsets = [...new Set(accompaniment.map((n) => n.startTick))];
  for (const tick of onsets) {
    while (next < accompaniment.length && accompaniment[next].startTick <= tick) active.push(accompaniment[next++]);
    active = active.filter((n) => n.startTick + n.durationTicks > tick);
    const names: string[] = [];
    for (const n of [...active].sort((a, b) => a.pitch - b.pitch)) {
      const name = Midi.midiToNoteName(n.pitch, { pitchClass: true, sharps });
      if (!names.includes(name)) names.push(name);
    }
    if (names.length < 3) continue;
    // tonal ranks a root-position reading of an inversion first ("Em#5" for E G C); the shortest name is the plain one.
    const candidates = Chord.detect(names).map((name) => name.replace(/^([A-G][#b]?)M(?=$|\/)/, '$1'));
    if (candidates.length === 0) continue;
    const symbol = candidates.reduce((best, name) => (name.length < best.length ? name : best));
    if (symbol !== previous) symbols.push({ tick, symbol });
    previous = symbol;
  }
  return symbols;
}
