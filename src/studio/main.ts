// SPDX-License-Identifier: MIT
/**
 * `npm run studio` (via bin/studio.mjs): starts the loopback studio and prints the URL with its token.
 * Flags: --port N, --host 127.0.0.1|::1|localhost, --data-dir DIR, --renderer-dir DIR, --help.
 * Ctrl-C (or SIGTERM) cancels running jobs, closes the library and exits 0.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDataDir, resolveDataDir } from '../main/services/paths';
import { startStudio } from './server';

const USAGE = `Usage: npm run studio -- [--port N] [--host 127.0.0.1|::1|localhost] [--data-dir DIR]

Serves Etude to a browser on this machine only. Open the printed URL (it carries a one-run token).`;

export interface StudioArgs {
  port?: number;
  host?: string;
  dataDir?: string;
  rendererDir?: string;
  help: boolean;
}

/** @throws Error with a one-line message for an unknown flag or a bad value. */
export function parseStudioArgs(argv: string[]): StudioArgs {
  const args: StudioArgs = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535`);
        args.port = port;
        break;
      }
      case '--host':
        args.host = value();
        break;
      case '--data-dir':
        args.dataDir = value();
        break;
      case '--renderer-dir':
        args.rendererDir = value();
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new Error(`unknown option ${argv[i]} (see --help)`);
    }
  }
  return args;
}

async function main() {
  let args: StudioArgs;
  try {
    args = parseStudioArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`studio: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const dataDir = ensureDataDir(resolveDataDir({ flag: args.dataDir }));
  const studio = await startStudio({
    dataDir,
    port: args.port,
    host: args.host,
    rendererDir: args.rendererDir ?? path.join(repoRoot, 'out/renderer'),
    resourcesDir: path.join(repoRoot, 'resources'),
  });
  process.stdout.write(
    `Etude studio is running (data folder ${dataDir}).\nOpen: ${studio.url}\nPress Ctrl-C to stop.\n`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the studio (cancelling running jobs)...\n`);
    studio.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`studio: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

// Run only as the entry point (bin/studio.mjs), not when a test imports parseStudioArgs.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    const e = err as { message?: string; stack?: string };
    process.stderr.write(`studio: ${process.env.ETUDE_DEBUG === '1' ? e.stack : e.message}\n`);
    process.exit(1);
  });
}
