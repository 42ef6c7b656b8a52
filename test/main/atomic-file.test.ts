// SPDX-License-Identifier: MIT
/**
 * Saves go through a hidden sibling renamed into place (src/main/services/atomicFile.ts): a save replaces the old
 * file whole, and a save that fails leaves the old file and no sibling behind, for the async and the sync form.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomically, writeFileAtomicallySync } from '../../src/main/services/atomicFile';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'etude-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const forms = {
  async: (file: string, bytes: Uint8Array | string) => writeFileAtomically(file, bytes),
  sync: async (file: string, bytes: Uint8Array | string) => writeFileAtomicallySync(file, bytes),
};

describe.each(Object.entries(forms))('writeFileAtomically (%s)', (_name, write) => {
  it('writes a new file and replaces an old one whole, leaving no sibling', async () => {
    const file = path.join(dir, 'take.mid');
    await write(file, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    writeFileSync(file, 'an older, longer file the user chose to replace');
    await write(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['take.mid']);
  });

  it('leaves what was under the name, and no sibling, when the rename fails', async () => {
    // A non-empty folder under the name: the write into the sibling succeeds, the rename over the folder cannot.
    const target = path.join(dir, 'take.mid');
    mkdirSync(target);
    writeFileSync(path.join(target, 'kept.txt'), 'kept');
    await expect(write(target, 'new')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['take.mid']);
    expect(readFileSync(path.join(target, 'kept.txt'), 'utf8')).toBe('kept');
  });

  it('fails with the system error when the folder does not exist, creating nothing', async () => {
    await expect(write(path.join(dir, 'missing', 'take.mid'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
