// SPDX-License-Identifier: MIT
import path from 'node:path';

/** What a take can be saved as: a Standard MIDI File, MusicXML for notation programs, or audio (WAV). */
export type ExportFormat = 'midi' | 'musicxml' | 'wav';

/** The extension each format is saved with. */
export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { midi: 'mid', musicxml: 'musicxml', wav: 'wav' };

/**
 * Turns a name the renderer suggested into a safe file name: no folders, no reserved or control
 * characters, always ending in .mid (or the format's extension). The renderer never chooses a path, only a hint for
 * the name.
 */
export function safeMidiFileName(suggestedName: string, format: ExportFormat = 'midi'): string {
  const base = path.posix
    .basename(suggestedName.replace(/\\/g, '/'))
    // eslint-disable-next-line no-control-regex
    .replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 120);
  const stem = base.replace(/\.(midi?|musicxml|xml|wav)$/i, '').trim() || 'etude';
  return `${stem}.${EXPORT_EXTENSIONS[format]}`;
}
