// SPDX-License-Identifier: MIT
/** Content hashes: how the library recognises a piece it already has. */
import { createHash } from 'node:crypto';

/** Hex SHA-256 (the content hash of pieces). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
