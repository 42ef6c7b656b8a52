// SPDX-License-Identifier: MIT
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import boundaries from './eslint-rules/boundaries.js';

/** Node built-ins, however they are spelt. */
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'url', 'v8', 'crypto', 'util'];

/**
 * The house's floors (issue #12, STYLE.md §1): each zone says what a folder may not import; relative paths are
 * resolved, so the depth of the importing file does not matter (eslint-rules/boundaries.js).
 */
export const BOUNDARY_ZONES = [
  {
    target: 'src/cli',
    forbidden: ['src/main/db'],
    message: 'The CLI calls the services (src/main/services), never the database layer',
  },
  {
    target: 'src/main/services',
    forbidden: ['src/main/workers'],
    message: 'Services start workers by URL (new URL(..., import.meta.url)); they never import src/main/workers',
  },
  {
    target: 'src/main/services',
    forbidden: ['src/main/ipc'],
    message: 'Services never import src/main/ipc: the handlers import the services, not the reverse',
  },
  {
    target: 'src/core',
    insideOnly: true,
    message: 'src/core imports nothing outside src/core (it runs in Node, a worker and the renderer)',
  },
  {
    target: 'src/core',
    forbiddenModules: ['electron', 'better-sqlite3', 'svelte', 'svelte/*', 'tone', 'ws'],
    message: 'src/core imports no app, database, UI or audio package',
  },
  {
    // The engine seam is where core meets its platform: the wasm Node loader (fs, v8 flags, a child probe), the
    // worker-thread kernel pool and the native (tfjs-node) probe pick Node or browser at run time. Everything else in
    // core stays portable.
    target: 'src/core',
    except: ['src/core/engine'],
    forbiddenModules: nodeBuiltins,
    message: 'src/core stays portable: only src/core/engine (the platform seam) may import Node built-ins',
  },
];

const nodeOnly = [
  'electron',
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'worker_threads',
  'better-sqlite3',
  'svelte',
  'svelte/*',
  'tone',
];

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'release/**',
      'node_modules/**',
      'src/core/engine/wasm/build/**',
      'src/core/engine/wasm/assembly/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.mts', 'src/**/*.js', 'src/**/*.mjs'],
    plugins: { etude: { rules: { boundaries } } },
    rules: { 'etude/boundaries': ['error', BOUNDARY_ZONES] },
  },
  {
    // The shared contract is types + zod only: both sides import it.
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...nodeOnly, '@tonejs/midi', '../main/*', '../renderer/*'] }],
    },
  },
  {
    // Only the Electron entry, windows and IPC wiring touch Electron.
    files: [
      'src/main/db/**/*.ts',
      'src/main/services/**/*.ts',
      'src/main/jobs/**/*.ts',
      'src/main/workers/**/*.ts',
      'src/cli/**/*.ts',
      'src/studio/**/*.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'] }] },
  },
  {
    // The renderer knows nothing of Node.
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', 'fs', 'path', 'electron', 'better-sqlite3', '../../main/*', '../../../main/*'] },
      ],
    },
  },
);
