// SPDX-License-Identifier: MIT
import { mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** File name of the library inside the data folder. */
export const LIBRARY_FILE_NAME = 'library.db';

/** Environment variable that overrides the data folder (the CLI flag --data-dir wins over it). */
export const DATA_DIR_ENV = 'ETUDE_DATA_DIR';

/** Thrown when the data folder cannot be created or is not a folder. */
export class DataDirError extends Error {
  override name = 'DataDirError';
  readonly code = 'DATA_DIR_UNUSABLE';
  constructor(
    readonly dataDir: string,
    reason: string,
  ) {
    super(`Cannot use the data folder ${dataDir}: ${reason}. Pass another one with --data-dir or ${DATA_DIR_ENV}.`);
  }
}

export interface DataDirInputs {
  /** The --data-dir flag, if given. */
  flag?: string;
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  homeDir?: string;
}

/**
 * Where Etude keeps its data for this user, without touching the disk:
 * flag > ETUDE_DATA_DIR > the OS convention (Windows %APPDATA%\Etude, macOS
 * ~/Library/Application Support/Etude, elsewhere $XDG_DATA_HOME/etude or ~/.local/share/etude).
 * Relative overrides are resolved against the current directory.
 */
export function resolveDataDir(inputs: DataDirInputs = {}): string {
  const env = inputs.env ?? process.env;
  const override = inputs.flag ?? env[DATA_DIR_ENV];
  if (override && override.trim() !== '') return path.resolve(override);
  const platform = inputs.platform ?? process.platform;
  const home = inputs.homeDir ?? os.homedir();
  if (platform === 'win32') {
    const appData = env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, 'Etude');
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'Etude');
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg && path.posix.isAbsolute(xdg)) return path.posix.join(xdg, 'etude');
  return path.posix.join(home, '.local', 'share', 'etude');
}

/** Creates the data folder (and parents) if needed and returns it. @throws DataDirError */
export function ensureDataDir(dataDir: string): string {
  try {
    mkdirSync(dataDir, { recursive: true });
    if (!statSync(dataDir).isDirectory()) throw new Error('it is not a folder');
  } catch (err) {
    throw new DataDirError(dataDir, (err as Error).message);
  }
  return dataDir;
}

/** The library file of a data folder. */
export function libraryPath(dataDir: string): string {
  return path.join(dataDir, LIBRARY_FILE_NAME);
}

/** Characters no file name may hold on Windows (the strictest of the three), control characters included. */
// eslint-disable-next-line no-control-regex
const UNSAFE_FILE_NAME_CHARS = /[<>:"/\\|?*\u0000-\u001f]+/g;

/** Turns any string into a file name that works on Windows, macOS and Linux (default extension .mid). */
export function safeFileName(name: string, extension = '.mid'): string {
  const cleaned = name
    .replace(UNSAFE_FILE_NAME_CHARS, '_')
    .replace(/^[.\s]+|[.\s]+$/g, '')
    .slice(0, 120);
  return (cleaned || 'untitled') + extension;
}
