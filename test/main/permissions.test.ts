// SPDX-License-Identifier: MIT
// The renderer's permissions: MIDI devices for our own page's main frame, nothing else (never sysex).
import { describe, expect, it } from 'vitest';
import { GRANTED_PERMISSIONS, permissionAllowed } from '../../src/main/permissions';

const OWN = 'file:///opt/etude/out/renderer/index.html';
const isOwnPage = (url: string) => url.startsWith('file:///opt/etude/out/renderer/');

describe('permissionAllowed', () => {
  it('grants MIDI to our own page', () => {
    expect(permissionAllowed({ permission: 'midi', requestingUrl: OWN, isMainFrame: true }, isOwnPage)).toBe(true);
    expect([...GRANTED_PERMISSIONS]).toEqual(['midi']);
  });

  it('refuses sysex and every other permission, even to our own page', () => {
    for (const permission of ['midiSysex', 'media', 'geolocation', 'notifications', 'clipboard-read', 'hid', 'usb'])
      expect(permissionAllowed({ permission, requestingUrl: OWN, isMainFrame: true }, isOwnPage)).toBe(false);
  });

  it('refuses MIDI to another page, a sub frame, or an asker without a URL', () => {
    const ask = (requestingUrl: string | undefined, isMainFrame = true) =>
      permissionAllowed({ permission: 'midi', requestingUrl, isMainFrame }, isOwnPage);
    expect(ask('https://evil.example/')).toBe(false);
    expect(ask('file:///etc/passwd')).toBe(false);
    expect(ask(OWN, false)).toBe(false);
    expect(ask(undefined)).toBe(false);
    expect(ask('')).toBe(false);
  });
});
