// SPDX-License-Identifier: MIT
/**
 * The studio door's exports: a file appears under its name only when it is whole (written aside, then linked), an
 * earlier export is never overwritten, and no temporary file is left behind, even for saves racing each other.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStudioDoor } from '../../src/studio/exportsDoor';

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('studio exports', () => {
  it('racing saves of one name get name, name-2, ... each whole, and leave no partial file', async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-exports-'));
    const door = createStudioDoor(dataDir);
    const payloads = Array.from({ length: 8 }, (_, i) => new Uint8Array(200_000).fill(i + 1));
    const saved = await Promise.all(payloads.map((bytes) => door.saveMidi(bytes, 'take')));
    const names = readdirSync(path.join(dataDir, 'exports')).sort();
    expect(names).toEqual(
      [
        'take-2.mid',
        'take-3.mid',
        'take-4.mid',
        'take-5.mid',
        'take-6.mid',
        'take-7.mid',
        'take-8.mid',
        'take.mid',
      ].sort(),
    );
    saved.forEach((file, i) => {
      expect(file).not.toBeNull();
      const back = readFileSync(file!);
      expect(back.length).toBe(200_000);
      expect(back.every((b) => b === i + 1)).toBe(true);
    });
  });
});
