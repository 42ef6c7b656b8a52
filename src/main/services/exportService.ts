// SPDX-License-Identifier: MIT
/** The key a stored request was locked to ("D minor"), or null ("off", absent, or a name this Etude cannot read). */
function storedKey(text: unknown): ScaleKey | null {
  if (typeof text !== 'string') return null;
  try {
    return parseScaleKey(text);
  } catch {
    return null;
  }
}

/**
 * Export: a stored piece or generation -> Standard MIDI File bytes (through core/midi's writeMidi) or MusicXML
 * (through core/musicxml's toMusicXml).
 */
import { decodeMelody } from '../../core/encoding/melody';
import { writeMidi } from '../../core/midi/writeMidi';
import { writeLoopMidi } from '../../core/midi/loopMidi';
import { takeSequence } from '../../core/model/takes';
import { COMMON_TIME, sixteenthsPerBar } from '../../core/music/meter';
import { parseScaleKey, type ScaleKey } from '../../core/music/scales';
import type { NoteSequence } from '../../core/music/NoteSequence';
import { detectChordSymbols } from '../../core/musicxml/chordSymbols';
import { toMusicXml, type MusicXmlOptions } from '../../core/musicxml/writeMusicXml';
import { NotFoundError } from '../db/errors';
import type { Library } from '../db/open';
import type { GenerationId, Piece } from '../db/types';
import { safeFileName } from './paths';

export { safeFileName } from './paths';

export interface MidiExport {
  /** A safe file name suggestion, e.g. "ashover1.mid". */
  fileName: string;
  bytes: Uint8Array;
  /** The sequence that was written (for previews and tests). */
  sequence: NoteSequence;
}

/**
 * The sequence a piece stands for: the stored NoteSequence (MIDI and piano-roll pieces), or its
 * melody tokens decoded at 120 bpm, ppq 480 (token melodies, which have no sequence).
 */
export function sequenceOfPiece(piece: Piece): NoteSequence {
  if (piece.sequence) return piece.sequence;
  if (!piece.melodyTokens)
    throw new NotFoundError('piece notes', piece.name, 'It has neither a stored sequence nor a melody to export.');
  return decodeMelody(piece.melodyTokens, { ppq: 480, bpm: 120, name: piece.name });
}

/**
 * A piece of a corpus as MIDI bytes. `pieceRef` is an id or an exact piece name.
 * @throws NotFoundError (corpus or piece), AmbiguousNameError, MidiWriteError
 */
export function exportPieceMidi(library: Library, corpusName: string, pieceRef: string): MidiExport {
  const { sequence, baseName } = pieceToExport(library, corpusName, pieceRef);
  return { fileName: safeFileName(baseName), bytes: writeMidi(sequence), sequence };
}

function pieceToExport(library: Library, corpusName: string, pieceRef: string) {
  const corpus = library.corpora.requireCorpusByName(corpusName);
  const piece = library.pieces.resolvePiece(corpus.id, pieceRef);
  return { sequence: sequenceOfPiece(piece), baseName: piece.name.split('/').pop() ?? piece.name };
}

/** The formats {@link exportPiece} and {@link exportGeneration} write. */
export const EXPORT_FORMATS = ['midi', 'musicxml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** File extension per format. `.musicxml` is the uncompressed MusicXML 4.0 extension MuseScore, Sibelius and Dorico open. */
export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { midi: '.mid', musicxml: '.musicxml' };

/** What {@link exportPiece} and {@link exportGeneration} return: like {@link MidiExport}, in the format asked for. */
export interface FileExport extends MidiExport {
  format: ExportFormat;
}

/**
 * MusicXML export settings: {@link MusicXmlOptions}, plus `detectChords` to name chord symbols from the piece's
 * accompaniment (core/musicxml/chordSymbols `detectChordSymbols`) when `chordSymbols` is not given.
 */
export type MusicXmlExportOptions = MusicXmlOptions & { detectChords?: boolean };

function encode(
  sequence: NoteSequence,
  baseName: string,
  format: ExportFormat,
  musicXml: MusicXmlExportOptions = {},
  loopTicks?: number,
): FileExport {
  const { detectChords, ...options } = musicXml;
  const chordSymbols = options.chordSymbols ?? (detectChords ? detectChordSymbols(sequence) : undefined);
  const bytes =
    format === 'midi'
      ? loopTicks
        ? writeLoopMidi(sequence, loopTicks)
        : writeMidi(sequence)
      : new TextEncoder().encode(toMusicXml(sequence, { title: baseName, ...options, chordSymbols }));
  return { format, fileName: safeFileName(baseName, EXPORT_EXTENSIONS[format]), bytes, sequence };
}

/**
 * A piece of a corpus as MIDI or MusicXML bytes (MusicXML: UTF-8 text, key, meter and tempo from the piece).
 * @throws NotFoundError (corpus or piece), AmbiguousNameError, MidiWriteError, MusicXmlWriteError
 */
export function exportPiece(
  library: Library,
  corpusName: string,
  pieceRef: string,
  format: ExportFormat,
  musicXml?: MusicXmlExportOptions,
): FileExport {
  const { sequence, baseName } = pieceToExport(library, corpusName, pieceRef);
  return encode(sequence, baseName, format, musicXml);
}

/**
 * A stored generation as MIDI or MusicXML bytes (the same notes {@link exportGenerationMidi} writes).
 * @throws NotFoundError, MidiWriteError, MusicXmlWriteError
 */
export function exportGeneration(
  library: Library,
  generationId: GenerationId,
  format: ExportFormat,
  musicXml?: MusicXmlExportOptions,
): FileExport {
  const { sequence, name, loopTicks } = generationToExport(library, generationId);
  return encode(sequence, name, format, musicXml, loopTicks);
}

/**
 * A generation as MIDI bytes: its stored sequence, else its tokens as a take (core/model/takes.ts: tempo and meter from
 * the request if it names them, else 120 bpm in 4/4; velocities from the meter's accents).
 * @throws NotFoundError, MidiWriteError
 */
export function exportGenerationMidi(library: Library, generationId: GenerationId): MidiExport {
  const { sequence, name, loopTicks } = generationToExport(library, generationId);
  const bytes = loopTicks ? writeLoopMidi(sequence, loopTicks) : writeMidi(sequence);
  return { fileName: safeFileName(name), bytes, sequence };
}

/**
 * A loop take's length in ticks (loop mode: written with loop markers, ../../core/midi/loopMidi.ts): its tokens'
 * sixteenths, else its stored bars of its meter; undefined for a take that is not a loop.
 */
function loopTicksOf(
  generation: { request?: unknown; tokens?: Uint8Array | null },
  sequence: NoteSequence,
): number | undefined {
  const request = (generation.request ?? {}) as { loop?: unknown; bars?: unknown; timeSignature?: unknown };
  if (request.loop !== true) return undefined;
  if (generation.tokens && generation.tokens.length > 0) return (generation.tokens.length * sequence.ppq) / 4;
  const signature = sequence.timeSignatures[0] ?? { numerator: 4, denominator: 4 };
  const bars = typeof request.bars === 'number' ? request.bars : 0;
  return bars > 0 ? (bars * sequence.ppq * 4 * signature.numerator) / signature.denominator : undefined;
}

function generationToExport(
  library: Library,
  generationId: GenerationId,
): { sequence: NoteSequence; name: string; loopTicks?: number } {
  const generation = library.generations.getGeneration(generationId);
  if (!generation) throw new NotFoundError('generation', generationId);
  let sequence = generation.sequence;
  if (!sequence) {
    if (!generation.tokens)
      throw new NotFoundError('generation output', generationId, 'It has neither notes nor tokens.');
    const request = (generation.request ?? {}) as {
      bpm?: unknown;
      timeSignature?: unknown;
      variationSeed?: unknown;
      key?: unknown;
    };
    const bpm = typeof request.bpm === 'number' && request.bpm > 0 ? request.bpm : 120;
    const meter = typeof request.timeSignature === 'string' ? /^(\d+)\/(\d+)$/.exec(request.timeSignature) : null;
    let timeSignature = COMMON_TIME;
    if (meter) {
      const candidate = { numerator: Number(meter[1]), denominator: Number(meter[2]) };
      try {
        sixteenthsPerBar(candidate);
        timeSignature = candidate;
      } catch {
        // A meter the grid cannot hold: 4/4, as before meters were stored.
      }
    }
    sequence = takeSequence(Array.from(generation.tokens), {
      bpm,
      timeSignature,
      randomSeed: typeof request.variationSeed === 'number' ? request.variationSeed : 0,
      name: generation.name ?? 'Generation',
      key: storedKey(request.key),
    });
  }
  const loopTicks = loopTicksOf(generation, sequence);
  return { sequence, name: generation.name, ...(loopTicks ? { loopTicks } : {}) };
}
