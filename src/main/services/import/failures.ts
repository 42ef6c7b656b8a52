// SPDX-License-Identifier: MIT
/** Any error met while importing one file -> the ImportFailure the report lists for it. */
import { CorpusFormatError } from '../../../core/data/jsonCorpora';
import { EncodingError } from '../../../core/encoding/errors';
import { MidiParseError } from '../../../core/midi/errors';
import { ImportFileError, type ImportFailure } from './types';

export function toImportFailure(filePath: string, err: unknown): ImportFailure {
  if (err instanceof MidiParseError) {
    // The parser prefixes its message with the source; keep only the explanation.
    const prefix = `${err.source}: `;
    return {
      path: filePath,
      code: err.code,
      reason: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message,
    };
  }
  if (err instanceof ImportFileError) return { path: filePath, code: err.code, reason: err.message };
  if (err instanceof CorpusFormatError) {
    // The reader prefixes its message with the source, which the failure names already.
    const prefix = `${err.source}: `;
    return {
      path: filePath,
      code: err.code,
      reason: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message,
    };
  }
  if (err instanceof EncodingError) return { path: filePath, code: err.code, reason: err.message };
  // Anything else is a bug in a parser or encoder; report it on the file rather than abort the batch.
  return { path: filePath, code: 'MIDI_UNREADABLE', reason: err instanceof Error ? err.message : String(err) };
}
