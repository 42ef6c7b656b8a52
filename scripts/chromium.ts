// SPDX-License-Identifier: MIT
/**
 * How the browser suite and bench:ui start Debian's chromium: the one executable we may use here (never a downloaded
 * browser), headless, and with the background-networking features off so it makes no connection of its own on a
 * closed network. Each caller passes a fresh user-data folder.
 */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
