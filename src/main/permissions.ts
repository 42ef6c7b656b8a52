// SPDX-License-Identifier: MIT
/**
 * Which web permissions the renderer gets: MIDI devices (Web MIDI, for playing the seed on a keyboard and sending
 * takes to a DAW), asked for by our own page's main frame, and nothing else. Never 'midiSysex': system exclusive
 * messages can rewrite a device's firmware and settings, and nothing here needs them. Pure (no Electron): window.ts
 * hands the session's handlers to it, and it is tested in plain Node.
 */

/** The permissions the renderer may have. */
export const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['midi']);

export interface PermissionAsk {
  /** Electron's permission name ('midi', 'midiSysex', 'media', ...). */
  permission: string;
  /** The URL of the frame asking (absent for a cross-origin sub frame's check). */
  requestingUrl: string | undefined;
  isMainFrame: boolean;
}

/**
 * Whether to grant a permission request or check: only a GRANTED_PERMISSIONS one, only from the main frame, only
 * when `isOwnPage(requestingUrl)` says the asking page is our renderer.
 */
export function permissionAllowed(ask: PermissionAsk, isOwnPage: (url: string) => boolean): boolean {
  if (!GRANTED_PERMISSIONS.has(ask.permission)) return false;
  if (!ask.isMainFrame || !ask.requestingUrl) return false;
  return isOwnPage(ask.requestingUrl);
}
