// SPDX-License-Identifier: MIT
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXPORT_EXTENSIONS, safeMidiFileName } from '../main/ipc/fileNames';
import type { DoorAdapter } from '../main/ipc/handlers';

export { safeMidiFileName };

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
      // Never overwrite an earlier export: "name.mid", "name-2.mid", ...
      for (let n = 1; n < 10_000; n++) {
        const candidate = path.join(exportsDir, n === 1 ? fileName : `${stem}-${n}.${extension}`);
        try {
          await writeFile(candidate, bytes, { flag: 'wx' });
          return candidate;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
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
