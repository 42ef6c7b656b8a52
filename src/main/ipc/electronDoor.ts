// SPDX-License-Identifier: MIT
/**
 * What only the desktop app can do: native open/save dialogs and dragging a file out of the
 * window. Main owns every path; the renderer only offers bytes and a name hint (STYLE §2).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { app, dialog, nativeImage, type BrowserWindow } from 'electron';
import { writeFileAtomically } from '../services/atomicFile';
import { safeMidiFileName, type ExportFormat } from './fileNames';
import type { DoorAdapter } from './handlers';

const MIDI_FILTERS = [{ name: 'MIDI files', extensions: ['mid', 'midi'] }];
const MUSICXML_FILTERS = [{ name: 'MusicXML files', extensions: ['musicxml', 'xml'] }];
const WAV_FILTERS = [{ name: 'WAV audio', extensions: ['wav'] }];
const SAVE_DIALOGS = {
  midi: { title: 'Save MIDI', filters: MIDI_FILTERS },
  musicxml: { title: 'Save MusicXML', filters: MUSICXML_FILTERS },
  wav: { title: 'Save WAV', filters: WAV_FILTERS },
} as const;

/** A plain 16x16 square as the drag image (startDrag requires a non-empty icon). */
function dragIcon() {
  const size = 16;
  const bgra = Buffer.alloc(size * size * 4);
  for (let i = 0; i < size * size; i++) bgra.set([0xd0, 0x9a, 0x4a, 0xff], i * 4);
  return nativeImage.createFromBitmap(bgra, { width: size, height: size });
}

export function createElectronDoor(getWindow: () => BrowserWindow | undefined): DoorAdapter {
  let dragDir: string | undefined;
  /** The save dialog for a format; the chosen path, or null when the user cancelled. */
  const askSavePath = async (suggestedName: string, format: ExportFormat): Promise<string | null> => {
    const win = getWindow();
    const options: Electron.SaveDialogOptions = {
      title: SAVE_DIALOGS[format].title,
      defaultPath: path.join(app.getPath('documents'), safeMidiFileName(suggestedName, format)),
      filters: [...SAVE_DIALOGS[format].filters],
    };
    const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    return result.canceled || !result.filePath ? null : result.filePath;
  };
  return {
    door: 'electron',
    async chooseImportPaths(mode) {
      const win = getWindow();
      const options: Electron.OpenDialogOptions = {
        title: mode === 'folder' ? 'Import a folder of MIDI files' : 'Import MIDI files',
        properties: mode === 'folder' ? ['openDirectory', 'multiSelections'] : ['openFile', 'multiSelections'],
        ...(mode === 'files' ? { filters: MIDI_FILTERS } : {}),
      };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : result.filePaths;
    },
    async saveMidi(bytes, suggestedName, format = 'midi') {
      const file = await askSavePath(suggestedName, format);
      if (!file) return null;
      // Renamed into place whole, as every save: a file the user chose to replace stays until the new one is complete.
      await writeFileAtomically(file, bytes);
      return file;
    },
    async chooseSaveTarget(suggestedName, format) {
      const file = await askSavePath(suggestedName, format);
      if (!file) return null;
      return {
        // Renamed into place whole: the user's old file under that name stays until the new one is complete.
        write: async (bytes) => (await writeFileAtomically(file, bytes), file),
      };
    },
    async startDrag(bytes, fileName) {
      const win = getWindow();
      if (!win || win.isDestroyed()) return false;
      dragDir ??= await mkdtemp(path.join(os.tmpdir(), 'etude-drag-'));
      await mkdir(dragDir, { recursive: true });
      const file = path.join(dragDir, safeMidiFileName(fileName));
      await writeFile(file, bytes);
      win.webContents.startDrag({ file, icon: dragIcon() });
      return true;
    },
  };
}
