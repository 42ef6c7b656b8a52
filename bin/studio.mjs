#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm run studio`: builds the renderer when out/renderer is missing (electron-vite build), then
// runs src/studio/main.ts under tsx in a child Node process (same shim style as bin/etude.mjs), which
// prints the URL with its token. Flags pass through: --port N, --host, --data-dir DIR.
// --rebuild forces the renderer build first.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(packageRoot, 'package.json'));
const args = process.argv.slice(2);
const rebuild = args.includes('--rebuild');
const passOn = args.filter((a) => a !== '--rebuild');

let tsxLoader;
try {
  tsxLoader = pathToFileURL(require.resolve('tsx')).href;
} catch {
  process.stderr.write(`studio: cannot find the tsx package next to Etude; run \`npm install\` in ${packageRoot}\n`);
  process.exit(1);
}

const rendererIndex = path.join(packageRoot, 'out', 'renderer', 'index.html');
const ownRenderer = passOn.some((a) => a === '--renderer-dir' || a.startsWith('--renderer-dir='));
if ((rebuild || !existsSync(rendererIndex)) && !ownRenderer && !passOn.includes('--help')) {
  process.stdout.write('studio: building the renderer (electron-vite build)...\n');
  let cli;
  try {
    cli = path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  } catch {
    process.stderr.write(
      'studio: electron-vite is not installed, so the renderer cannot be built; run `npm install` (dev dependencies included).\n',
    );
    process.exit(1);
  }
  const built = spawnSync(process.execPath, [cli, 'build'], { cwd: packageRoot, stdio: 'inherit' });
  if (built.status !== 0 || !existsSync(rendererIndex)) {
    process.stderr.write(
      'studio: the renderer build failed (see above); fix it or run `npm run build` to see the errors.\n',
    );
    process.exit(1);
  }
}

const entry = path.join(packageRoot, 'src', 'studio', 'main.ts');
const child = spawn(process.execPath, ['--import', tsxLoader, entry, ...passOn], { stdio: 'inherit' });

// Ctrl-C reaches the whole process group, so the child stops itself cleanly; signals sent to the
// shim alone are passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on('error', (error) => {
  process.stderr.write(`studio: could not start Node (${error.message})\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
