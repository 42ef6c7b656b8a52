// SPDX-License-Identifier: MIT
// Library pieces made from the thesis' seed melodies (already in the 130-token melody format), for tests that need a
// trainable corpus without going through the importer.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NewPiece } from '../../../src/main/db/types';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The 186 seed melodies of ../shared/data/seed-melodies/melodies.json. */
export const seedMelodies: number[][] = JSON.parse(
  readFileSync(path.resolve(repoRoot, '../shared/data/seed-melodies/melodies.json'), 'utf8'),
).melodies;

/** One token-melody piece; the content hash only has to be unique within the corpus. */
export function tokenMelodyPiece(name: string, contentHash: string, tokens: readonly number[]): NewPiece {
  return {
    name,
    sourcePath: null,
    contentHash,
    format: 'token-melody',
    split: null,
    metadata: {},
    sequence: null,
    melodyTokens: Uint8Array.from(tokens),
    pianoRollFrames: null,
    noteCount: tokens.filter((t) => t < 128).length,
  };
}

/** The first `count` seed melodies, each cut to `maxTokens` sixteenths (short epochs). */
export function seedMelodyPieces(count: number, maxTokens: number): NewPiece[] {
  return seedMelodies
    .slice(0, count)
    .map((tokens, i) => tokenMelodyPiece(`m${i}`, `h${i}`, tokens.slice(0, maxTokens)));
}
