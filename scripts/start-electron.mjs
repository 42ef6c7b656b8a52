#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm start` (and `npm run dev` with --dev): build with electron-vite, make sure the Electron binary
// is there (download it once if not), make sure better-sqlite3 is built for Electron's ABI, launch.
//
// Native ABI: tests and the CLI load better-sqlite3 under plain Node; the app loads it under
// Electron's Node, which has another NODE_MODULE_VERSION. This script rebuilds it for Electron only
// when Electron cannot load it, and says so; `npm run rebuild:node` (npm rebuild better-sqlite3)
// puts it back for Node before running tests or the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const dev = process.argv.includes('--dev');
const electronDir = path.join(root, 'node_modules', 'electron');

function fail(paragraph) {
  process.stderr.write(`\n${paragraph}\n\n`);
  process.exit(1);
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
}

function binPath(pkg, bin) {
  const pkgJson = require.resolve(`${pkg}/package.json`);
  const meta = JSON.parse(readFileSync(pkgJson, 'utf8'));
  const rel = typeof meta.bin === 'string' ? meta.bin : meta.bin[bin ?? pkg];
  return path.join(path.dirname(pkgJson), rel);
}

/** The Electron executable, or undefined when the binary was never downloaded. */
function electronBinary() {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const exe = path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : undefined;
}

const OFFLINE_HELP =
  'The Electron binary could not be downloaded, so the desktop app cannot start. Electron fetches it once, on first ' +
  'use, from GitHub (or from ELECTRON_MIRROR). To fix it: connect to the internet once and run `npm start` again; or ' +
  'point ELECTRON_MIRROR at a reachable mirror of the Electron releases; or put ' +
  'an already-downloaded electron-v<version>-<platform>-<arch>.zip in a folder and set ELECTRON_CUSTOM_DIR / ' +
  'electron_config_cache to it. Meanwhile Etude works without Electron: the command line (`npx etude --help`: import, ' +
  'train, generate, compose) and the browser studio (`npm run studio`, then open the printed http://127.0.0.1 URL).';

if (!existsSync(electronDir)) {
  fail(
    'Electron is not installed (node_modules/electron is missing). Run `npm install` first. ' +
      OFFLINE_HELP.slice(OFFLINE_HELP.indexOf('Meanwhile')),
  );
}

// 1. Build (dev mode builds and serves itself).
if (!dev) {
  process.stdout.write('etude: building (electron-vite build)...\n');
  if (run(process.execPath, [binPath('electron-vite'), 'build']).status !== 0) {
    fail('The build failed (see above). Fix the errors, or run `npm run build` to see them again.');
  }
}

// 2. The Electron binary.
let electron = electronBinary();
if (!electron) {
  process.stdout.write(
    'etude: the Electron binary is missing; downloading it once (node node_modules/electron/install.js)...\n',
  );
  // Output captured: its stack trace would bury the explanation below.
  const installed = run(process.execPath, [path.join(electronDir, 'install.js')], {
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
    stdio: 'pipe',
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  electron = installed.status === 0 ? electronBinary() : undefined;
  if (!electron) {
    const reason = `${installed.stderr ?? ''}`
      .split('\n')
      .find((line) => /error|ENOTFOUND|ECONN|EAI_AGAIN|timed out/i.test(line));
    fail(OFFLINE_HELP + (reason ? `\n(The download failed with: ${reason.trim().slice(0, 200)})` : ''));
  }
}

// 3. better-sqlite3 for Electron's ABI: probe by loading it inside Electron-as-Node; rebuild only if that fails.
const probe = spawnSync(electron, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
  cwd: root,
  env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  stdio: 'pipe',
});
if (probe.status !== 0) {
  process.stdout.write(
    'etude: rebuilding better-sqlite3 for Electron (electron-builder install-app-deps). ' +
      'Run `npm run rebuild:node` afterwards before `npm test` or the CLI.\n',
  );
  if (run(process.execPath, [binPath('electron-builder'), 'install-app-deps']).status !== 0) {
    fail(
      "better-sqlite3 could not be rebuilt for Electron (it needs Electron's headers, downloaded once, and a C++ toolchain). " +
        'Connect once and retry, or use the CLI (`npx etude`) or the browser studio (`npm run studio`), which run on plain Node.',
    );
  }
}

// 4. Launch.
const args = dev ? [binPath('electron-vite'), 'dev'] : [electron, '.'];
const command = dev ? process.execPath : args.shift();
const child = spawn(command, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
