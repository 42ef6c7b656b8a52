// SPDX-License-Identifier: MIT
/**
 * Module aliases of the renderer build, shared by electron.vite.config.ts and the browser suite's build
 * (test/e2e/helpers/browser.ts). 'vexflow-bravura-font': the Bravura music font VexFlow ships as a base64 string
 * (its package exports no path to it); lib/score/vexflowScore.ts loads it as bytes (see there why).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const RENDERER_ALIASES: Record<string, string> = {
  'vexflow-bravura-font': resolve(root, 'node_modules/vexflow/build/esm/src/fonts/bravura.js'),
};
