#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The `etude` command: runs src/cli/etude.ts under tsx in a child Node process.
// A child (not an in-process register) keeps tsx's loader out of the user's process flags and lets
// us forward signals and the exit code exactly. tsx is resolved from this package, so `npx etude`
// works from any folder.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(packageRoot, 'package.json'));
let tsxLoader;
try {
  tsxLoader = pathToFileURL(require.resolve('tsx')).href;
} catch {
  process.stderr.write('etude: cannot find the tsx package next to Etude; run `npm install` in ' + packageRoot + '\n');
  process.exit(1);
}
const entry = path.join(packageRoot, 'src', 'cli', 'etude.ts');
const exitWithParent = pathToFileURL(path.join(packageRoot, 'bin', 'exit-with-parent.mjs')).href;

// The IPC channel (fourth stdio slot) carries no messages: it exists so the child notices when this shim is gone,
// even after a SIGKILL that no handler here can see (bin/exit-with-parent.mjs).
const child = spawn(
  process.execPath,
  ['--import', exitWithParent, '--import', tsxLoader, entry, ...process.argv.slice(2)],
  { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] },
);

// Ctrl-C reaches the whole process group, so the child sees it too and cancels cleanly; the shim
// must only stay alive until the child is done. Signals sent to the shim alone are passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on('error', (error) => {
  process.stderr.write(`etude: could not start Node (${error.message})\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    // Re-raise so our parent sees the same death; fall back to 128 + n if it is ignored.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(128 + 2), 100).unref();
    return;
  }
  process.exit(code ?? 1);
});
