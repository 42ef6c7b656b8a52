// SPDX-License-Identifier: MIT
import { randomUUID } from 'node:crypto';
import { constants, copyFile, link, mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXPORT_EXTENSIONS, safeMidiFileName } from '../main/ipc/fileNames';
import type { DoorAdapter } from '../main/ipc/handlers';

export { safeMidiFileName };

/**
 * Puts `from` under the name `to`, failing with EEXIST if `to` exists. A hard link is atomic; file systems without
 * them (FAT, exFAT: EPERM or ENOTSUP) get an exclusive copy instead.
 */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    await copyFile(from, to, constants.COPYFILE_EXCL);
  }
}

/** The browser studio's door: no native dialogs or drag; MIDI is saved into <dataDir>/exports/. */
export function createStudioDoor(dataDir: string): DoorAdapter {
  const exportsDir = path.join(dataDir, 'exports');
  const door: DoorAdapter = {
    door: 'studio',
    async saveMidi(bytes, suggestedName, format = 'midi') {
      await mkdir(exportsDir, { recursive: true });
      const fileName = safeMidiFileName(suggestedName, format);
      const extension = EXPORT_EXTENSIONS[format];
      const stem = fileName.slice(0, -(extension.length + 1));
      // The bytes go to a temporary file first and are linked under their name only when complete, so nobody (a
      // DAW watching the folder, a test) ever reads a half-written export, and a crash leaves no truncated one.
      // link() fails on an existing name, so an earlier export is never overwritten: "name.mid", "name-2.mid", ...
      const temporary = path.join(exportsDir, `.${stem}.${randomUUID()}.partial`);
      await writeFile(temporary, bytes);
      try {
        for (let n = 1; n < 10_000; n++) {
          const candidate = path.join(exportsDir, n === 1 ? fileName : `${stem}-${n}.${extension}`);
          try {
            await linkOrCopy(temporary, candidate);
            return candidate;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          }
        }
      } finally {
        await unlink(temporary).catch(() => undefined);
      }
      throw Object.assign(new Error(`Too many exports named ${fileName} in ${exportsDir}; rename or move some.`), {
        code: 'EXPORT_NAME_EXHAUSTED',
      });
    },
    // No dialog to ask: the place is exports/, and the name is numbered when the file is written (a render that is
    // cancelled leaves no file, not even a reserved empty one).
    async chooseSaveTarget(suggestedName, format) {
      return {
        write: async (bytes) => {
          const saved = await door.saveMidi(bytes, suggestedName, format);
          if (saved === null) throw new Error(`The studio could not save ${suggestedName}.`);
          return saved;
        },
      };
    },
    async startDrag() {
      // The page drags with dataTransfer 'DownloadURL' itself; nothing for the server to do.
      return false;
    },
  };
  return door;
}
