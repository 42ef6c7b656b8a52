// SPDX-License-Identifier: MIT
/**
 * The `etude` CLI entry (run by bin/etude.mjs under tsx). Global flags: --data-dir DIR, --help,
 * --version. Errors print as one line on stderr (a stack only with ETUDE_DEBUG=1); exit codes:
 * 0 ok, 1 failed, 2 bad command line, 130 cancelled with Ctrl-C.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openUserLibrary, type LibraryHandle, type SlowQueryLogger } from '../main/services/library';
import { resolveDataDir } from '../main/services/paths';
import { didYouMean } from './closestNames';
import { COMMANDS, type CommandEntry } from './commands';
import { UsageError, type CliCommand, type CliContext } from './types';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function generalHelp(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'etude: train the thesis\u2019 melody LSTM on your MIDI and compose with it',
    '',
    'usage: etude [--data-dir DIR] <command> [args]    (etude <command> --help for details)',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'global flags:',
    '  --data-dir DIR  the folder holding library.db (default: ETUDE_DATA_DIR, else the OS data folder)',
    '  --help, -h      show help',
    '  --version, -V   show the version',
  ].join('\n');
}

/**
 * Slow queries go to <dataDir>/etude.log (one line each) instead of the terminal, where they would
 * break the progress bar; ETUDE_DEBUG=1 also prints them on stderr.
 */
function slowQueryLogFor(dataDirFlag: string | undefined): SlowQueryLogger {
  const logFile = path.join(resolveDataDir({ flag: dataDirFlag }), 'etude.log');
  return (q) => {
    const line = `${new Date().toISOString()} slow query ${q.label}: ${q.durationMs.toFixed(1)} ms${q.rows !== undefined ? ` (${q.rows} rows)` : ''}\n`;
    if (process.env.ETUDE_DEBUG === '1') process.stderr.write(line);
    try {
      appendFileSync(logFile, line);
    } catch {
      // A log line is never worth failing a command for.
    }
  };
}

interface GlobalArgs {
  dataDir?: string;
  help: boolean;
  version: boolean;
  commandName?: string;
  commandArgs: string[];
}

/** Splits global flags from the command and its arguments. --data-dir may appear anywhere. */
export function parseGlobalArgs(argv: readonly string[]): GlobalArgs {
  const result: GlobalArgs = { help: false, version: false, commandArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data-dir') {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--') || argv[i + 1].trim() === '')
        throw new UsageError('--data-dir needs a folder, e.g. --data-dir ~/etude-data');
      result.dataDir = argv[++i];
    } else if (arg.startsWith('--data-dir=')) {
      result.dataDir = arg.slice('--data-dir='.length);
      if (result.dataDir.trim() === '') throw new UsageError('--data-dir needs a folder, e.g. --data-dir=~/etude-data');
    } else if (result.commandName === undefined && (arg === '--help' || arg === '-h')) {
      result.help = true;
    } else if (result.commandName === undefined && (arg === '--version' || arg === '-V')) {
      result.version = true;
    } else if (result.commandName === undefined && !arg.startsWith('-')) {
      result.commandName = arg;
    } else if (result.commandName === undefined) {
      const typed = arg.replace(/^-+/, '').split('=')[0];
      throw new UsageError(
        `unknown flag "${arg}" before the command${didYouMean(typed, ['data-dir', 'help', 'version'], '--')}; see etude --help`,
      );
    } else {
      result.commandArgs.push(arg);
    }
  }
  return result;
}

/** Runs the CLI; returns the exit code. Exported for tests that want to call it in-process. */
export async function main(argv: readonly string[], commands: readonly CommandEntry[] = COMMANDS): Promise<number> {
  const controller = new AbortController();
  let library: LibraryHandle | undefined;
  let firstSignalMs = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches both bin/etude.mjs and us and the shim forwards it too: ignore a repeat within
    // half a second, so only a deliberate second press quits at once.
    const now = Date.now();
    if (!controller.signal.aborted) {
      firstSignalMs = now;
      process.stderr.write(`\netude: cancelling (${signal}); press Ctrl-C again to quit at once\n`);
      controller.abort();
    } else if (now - firstSignalMs > 500) {
      library?.close();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let commandName: string | undefined;
  try {
    const globals = parseGlobalArgs(argv);
    commandName = globals.commandName;
    if (globals.version) {
      process.stdout.write(`etude ${version()}\n`);
      return 0;
    }
    if (!globals.commandName) {
      // One broken command module must not take the whole help page down with it.
      const loaded = await Promise.all(
        commands.map((c) =>
          c.load().catch((err: unknown): CliCommand => ({
            name: c.name,
            summary: `(unavailable: ${(err as Error).message.split('\n')[0]})`,
            usage: '',
            run: () => Promise.reject(err),
          })),
        ),
      );
      process.stdout.write(generalHelp(loaded) + '\n');
      return globals.help ? 0 : 2;
    }
    const entry = commands.find((c) => c.name === globals.commandName);
    if (!entry) {
      throw new UsageError(
        `unknown command "${globals.commandName}"${didYouMean(
          globals.commandName,
          commands.map((c) => c.name),
        )}; commands: ${commands.map((c) => c.name).join(', ')} (etude --help)`,
      );
    }
    const command = await entry.load();
    if (globals.commandArgs.includes('--help') || globals.commandArgs.includes('-h')) {
      process.stdout.write(`${command.summary}\n\nusage: ${command.usage}\n`);
      return 0;
    }
    const ctx: CliContext = {
      dataDirFlag: globals.dataDir,
      library() {
        library ??= openUserLibrary({
          dataDir: globals.dataDir,
          onSlowQuery: slowQueryLogFor(globals.dataDir),
        }).library;
        return library;
      },
      dataDir: () => resolveDataDir({ flag: globals.dataDir }),
      signal: controller.signal,
      out: (line) => process.stdout.write(line + '\n'),
      err: (line) => process.stderr.write(line + '\n'),
      stdout: process.stdout,
      stderr: process.stderr,
      interactive: Boolean(process.stderr.isTTY),
      cwd: process.cwd(),
    };
    return (await command.run(globals.commandArgs, ctx)) ?? 0;
  } catch (err) {
    return reportError(err, commandName);
  } finally {
    library?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function reportError(err: unknown, commandName: string | undefined): number {
  if (process.env.ETUDE_DEBUG === '1') process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  if (err instanceof UsageError) {
    const hint = err.command ? `; see etude ${err.command} --help` : '';
    process.stderr.write(`etude: ${err.message}${hint}\n`);
    return 2;
  }
  if (err instanceof Error && err.name === 'CancelledError') {
    process.stderr.write('etude: cancelled\n');
    return 130;
  }
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown })?.code;
  // Typed errors carry a user-facing message; anything else is a bug, said as such.
  const typed = typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code);
  const where = commandName ? `${commandName}: ` : '';
  const text = typed ? message : `unexpected error: ${message} (run with ETUDE_DEBUG=1 for details)`;
  process.stderr.write(`etude: ${where}${text.split('\n')[0]}\n`);
  return 1;
}

// Run when executed directly (not when a test imports main()).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Leave time for stdout to drain, but never hang on a stray handle.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`etude: ${(err as Error)?.message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
