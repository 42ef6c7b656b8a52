// SPDX-License-Identifier: MIT
import type { LibraryHandle } from '../main/services/library';

/** What a command gets besides its own arguments. One per CLI run. */
export interface CliContext {
  /** The --data-dir flag, if given (else ETUDE_DATA_DIR, else the OS default). */
  dataDirFlag?: string;
  /** Opens the library on first call (creating the data folder) and returns the same one after. */
  library(): LibraryHandle;
  /** The resolved data folder (opens nothing). */
  dataDir(): string;
  /** Fires on Ctrl-C (SIGINT) or SIGTERM: long commands cancel at their next boundary. */
  signal: AbortSignal;
  /** Normal output (results, tables) on stdout. */
  out(line: string): void;
  /** Diagnostics and progress on stderr. */
  err(line: string): void;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** True when stderr is a terminal: commands may draw a progress bar. */
  interactive: boolean;
  cwd: string;
}

/**
 * One `etude <name>` command. `run` returns the exit code (default 0) and throws typed errors for
 * failures; the entry prints them as one line (UsageError -> exit 2, others -> exit 1).
 */
export interface CliCommand {
  name: string;
  /** One line for `etude --help`. */
  summary: string;
  /** Full usage text for `etude <name> --help`. */
  usage: string;
  run(args: string[], ctx: CliContext): Promise<number | void>;
}

/** Bad command line: unknown command or flag, missing argument. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'USAGE';
  constructor(
    message: string,
    /** The command whose usage to point at, if any. */
    readonly command?: string,
  ) {
    super(message);
  }
}
