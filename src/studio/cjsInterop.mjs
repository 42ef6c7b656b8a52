// SPDX-License-Identifier: MIT
// Loaded with `node --import` before tsx by bin/studio.mjs. @tonejs/midi ships a CommonJS (UMD)
// bundle whose named exports Node's ESM loader cannot detect, so `import { Midi } from '@tonejs/midi'`
// fails when the sources run under plain Node + tsx (bundlers and vitest handle it). This hook
// answers that one specifier with a small ES module facade over the CommonJS export.
import { register } from 'node:module';

const hooks = `
const FACADE = 'etude-cjs-facade:';
export async function resolve(specifier, context, next) {
  if (specifier === '@tonejs/midi' && !context.parentURL?.startsWith(FACADE)) {
    const real = await next(specifier, context);
    return { url: FACADE + real.url, shortCircuit: true, format: 'module' };
  }
  if (context.parentURL?.startsWith(FACADE) && specifier.startsWith('file:')) return { url: specifier, shortCircuit: true, format: 'commonjs' };
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url.startsWith(FACADE)) {
    const real = JSON.stringify(url.slice(FACADE.length));
    return { format: 'module', shortCircuit: true, source: 'import cjs from ' + real + '; export const { Midi, Track, Header } = cjs; export default cjs;' };
  }
  return next(url, context);
}`;

register(`data:text/javascript,${encodeURIComponent(hooks)}`);
