// SPDX-License-Identifier: MIT
/**
 * JSON text for the studio's WebSocket, keeping Uint8Array (file bytes) intact: bytes travel as
 * { "$bytes": "<base64>" }. Electron IPC does not need this (structured clone keeps typed arrays).
 * Pure JS (btoa/atob exist in browsers and Node >= 16), so both ends share it.
 */

const BYTES_KEY = '$bytes';
// String.fromCharCode.apply takes at most ~64k arguments on some engines.
const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    // Look at the holder's raw value: JSON.stringify has already run Buffer#toJSON on `v`,
    // and a plain Uint8Array would become {"0":..,"1":..}.
    const raw = this[key];
    if (raw instanceof Uint8Array) return { [BYTES_KEY]: bytesToBase64(raw) };
    return v;
  });
}

/** @throws SyntaxError on text that is not JSON (callers answer INVALID_PAYLOAD). */
export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const encoded = (v as Record<string, unknown>)[BYTES_KEY];
      if (keys.length === 1 && typeof encoded === 'string') return base64ToBytes(encoded);
    }
    return v;
  });
}
