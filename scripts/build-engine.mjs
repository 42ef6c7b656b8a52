#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Builds the WebAssembly engine kernels (src/core/engine/wasm/assembly) with AssemblyScript, offline, in a few seconds.
// Four variants of the same source:
//   engine.wasm             imports a *shared* memory (worker threads share one WebAssembly.Memory)
//   engine-single.wasm      imports an ordinary memory (pages that are not cross-origin isolated cannot create shared memory)
//   engine-fma*.wasm        the same two with relaxed SIMD: the products use fused multiply-add (~30% faster kernels);
//                           used where the runtime validates them (Electron/Chrome >= 114, Node >= 22, Node 20 with
//                           --experimental-wasm-relaxed-simd, which the engine loader sets)
// Run by `npm ci` (prepare) and on demand by the engine loader when the files are missing.
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const engineDir = join(repoRoot, 'src/core/engine/wasm');
const entry = join(engineDir, 'assembly/index.ts');
const outDir = join(engineDir, 'build');

/** Maximum memory in 64 KiB pages (1 GiB): shared memories must declare one; the default model needs ~100 MB. */
const MAXIMUM_PAGES = 16384;

let asc;
try {
  asc = (await import('assemblyscript/asc')).default;
} catch (error) {
  console.error(`build-engine: cannot load the AssemblyScript compiler (assemblyscript/asc): ${error instanceof Error ? error.message : error}.
Install the dev dependencies (npm ci) and run \`npm run build:engine\` again.`);
  // During an install without dev dependencies (npm's prepare step) a missing compiler must not fail the install:
  // the engine loader reports the missing kernels when they are first needed.
  process.exit(process.env.npm_lifecycle_event === 'prepare' ? 0 : 1);
}

mkdirSync(outDir, { recursive: true });
const common = [
  entry,
  '-O3',
  '--noAssert',
  '--runtime',
  'stub',
  '--enable',
  'simd',
  '--importMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  String(MAXIMUM_PAGES),
  '--use',
  'abort=',
];
const threads = ['--enable', 'threads', '--sharedMemory'];
const fma = ['--enable', 'relaxed-simd'];
const variants = [
  { file: 'engine.wasm', flags: threads },
  { file: 'engine-single.wasm', flags: [] },
  { file: 'engine-fma.wasm', flags: [...threads, ...fma] },
  { file: 'engine-fma-single.wasm', flags: fma },
];
for (const variant of variants) {
  const outFile = join(outDir, variant.file);
  // Write beside and rename: test processes may build at the same time, and none may read a half-written file.
  const tmpFile = `${outFile}.${process.pid}.tmp`;
  const { error, stderr } = await asc.main([...common, ...variant.flags, '--outFile', tmpFile]);
  if (error) {
    console.error(`build-engine: compiling ${variant.file} failed: ${error.message}\n${stderr.toString()}`);
    process.exit(1);
  }
  renameSync(tmpFile, outFile);
  console.log(`build-engine: ${variant.file} (${statSync(outFile).size} bytes)`);
}
