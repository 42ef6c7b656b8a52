// SPDX-License-Identifier: MIT
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

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
