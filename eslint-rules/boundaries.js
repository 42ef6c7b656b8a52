// SPDX-License-Identifier: MIT
/**
 * etude/boundaries: which folder may import which. Relative imports are resolved against the importing file, so
 * `../main/db` and `../../../main/db/open` are the same import whatever the depth (no-restricted-imports only sees the
 * written string). Options: a list of zones
 *   { target: 'src/cli', forbidden: ['src/main/db'], message }              imports of these folders are errors
 *   { target: 'src/core', insideOnly: true, message }                       relative imports must stay inside target
 *   { target: 'src/core', forbiddenModules: ['node:*', 'fs'], except: ['src/core/engine'], message }
 *                                                                           bare modules (node built-ins, packages)
 * Static imports, re-exports and dynamic import() with a literal are checked; a worker reached by
 * `new URL('./w.mjs', import.meta.url)` is not an import, which is how services start workers without importing them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

const toPosix = (p) => p.split(path.sep).join('/');
const within = (file, folder) => file === folder || file.startsWith(folder + '/');

/** 'node:*' matches every node: module; 'fs' matches 'fs' and 'fs/promises'. */
function matchesModule(source, pattern) {
  if (pattern.endsWith('*')) return source.startsWith(pattern.slice(0, -1));
  return source === pattern || source.startsWith(pattern + '/');
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce which folders may import which (src/cli, src/main/services, src/core).' },
    schema: [{ type: 'array', items: { type: 'object' } }],
    messages: { forbidden: '{{message}} ({{source}})' },
  },
  create(context) {
    const zones = context.options[0] ?? [];
    const filename = toPosix(path.relative(root, context.filename));
    const active = zones.filter((z) => within(filename, z.target));
    if (active.length === 0) return {};
    const fileDir = path.dirname(path.resolve(root, filename));

    function check(node, source) {
      if (typeof source !== 'string') return;
      const relative = source.startsWith('.');
      const resolved = relative ? toPosix(path.relative(root, path.resolve(fileDir, source))) : null;
      for (const zone of active) {
        if (zone.except?.some((folder) => within(filename, folder))) continue;
        let bad = false;
        if (resolved !== null) {
          if (zone.forbidden?.some((folder) => within(resolved, folder))) bad = true;
          if (zone.insideOnly && !within(resolved, zone.target)) bad = true;
        } else if (zone.forbiddenModules?.some((pattern) => matchesModule(source, pattern))) {
          bad = true;
        }
        if (bad) context.report({ node, messageId: 'forbidden', data: { message: zone.message, source } });
      }
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};
