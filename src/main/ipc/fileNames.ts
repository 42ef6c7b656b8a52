// SPDX-License-Identifier: MIT
import path from 'node:path';

/**
 * Turns a name the renderer suggested into a safe file name: no folders, no reserved or control
 * characters, always ending in .mid. The renderer never chooses a path, only a hint for the name.
 */
export function safeMidiFileName(suggestedName: string): string {
  const base = path.posix
    .basename(suggestedName.replace(/\\/g, '/'))
    // eslint-disable-next-line no-control-regex
    .replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 120);
  const stem = base.replace(/\.midi?$/i, '').trim() || 'etude';
  return `${stem}.mid`;
}
