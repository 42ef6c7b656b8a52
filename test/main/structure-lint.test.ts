// SPDX-License-Identifier: MIT
/**
 * The structure of issue #12 is held by lint (eslint.config.js BOUNDARY_ZONES, eslint-rules/boundaries.js), not by
 * review: each snippet below is linted as if it lived at the given path, through ESLint's Node API with the
 * project's own config, and each rule must fire on the forbidden import and stay quiet on an allowed one.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: root });

/** The boundary messages ESLint reports for `code` placed at `file` (other rules' findings are ignored). */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'etude/boundaries').map((m) => m.message);
}

const cases: { name: string; file: string; code: string; fires: RegExp | null }[] = [
  {
    name: 'the CLI importing the database layer',
    file: 'src/cli/commands/snippet.ts',
    code: "import { openLibrary } from '../../main/db/open';\nexport const x = openLibrary;\n",
    fires: /The CLI calls the services/,
  },
  {
    name: 'the CLI importing a db type from its root, one level up',
    file: 'src/cli/snippet.ts',
    code: "import type { Library } from '../main/db';\nexport type X = Library;\n",
    fires: /never the database layer/,
  },
  {
    name: 'the CLI importing a service (allowed)',
    file: 'src/cli/commands/snippet.ts',
    code: "import { deleteModel } from '../../main/services/models';\nexport const x = deleteModel;\n",
    fires: null,
  },
  {
    name: 'a service importing a worker module',
    file: 'src/main/services/snippet.ts',
    code: "export { canStore } from '../workers/importWorker';\n",
    fires: /never import src\/main\/workers/,
  },
  {
    name: 'a service importing the IPC handlers (dynamic import too)',
    file: 'src/main/services/snippet.ts',
    code: "export const load = () => import('../ipc/handlers');\n",
    fires: /never import src\/main\/ipc/,
  },
  {
    name: 'a service reaching a worker by URL (allowed)',
    file: 'src/main/services/snippet.ts',
    code: "export const url = new URL('../workers/importWorker.mjs', import.meta.url);\n",
    fires: null,
  },
  {
    name: 'a worker importing a service (allowed)',
    file: 'src/main/workers/snippet.ts',
    code: "import { trainModel } from '../services/training';\nexport const x = trainModel;\n",
    fires: null,
  },
  {
    name: 'core climbing out to shared',
    file: 'src/core/model/snippet.ts',
    code: "import type { ModelDto } from '../../shared/dto';\nexport type X = ModelDto;\n",
    fires: /src\/core imports nothing outside src\/core/,
  },
  {
    name: 'core deep inside climbing out to main',
    file: 'src/core/engine/wasm/snippet.ts',
    code: "import { openLibrary } from '../../../main/db/open';\nexport const x = openLibrary;\n",
    fires: /src\/core imports nothing outside/,
  },
  {
    name: 'core importing a sibling core folder (allowed)',
    file: 'src/core/engine/reference/snippet.ts',
    code: "import type { ModelSpec } from '../../model/spec';\nexport type X = ModelSpec;\n",
    fires: null,
  },
  {
    name: 'portable core importing a Node built-in',
    file: 'src/core/music/snippet.ts',
    code: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    fires: /only src\/core\/engine .* may import Node built-ins/,
  },
  {
    name: 'portable core importing a bare Node built-in',
    file: 'src/core/midi/snippet.ts',
    code: "import path from 'path';\nexport const x = path;\n",
    fires: /stays portable/,
  },
  {
    name: 'the engine seam importing a Node built-in (the documented exemption)',
    file: 'src/core/engine/pool/snippet.ts',
    code: "import { Worker } from 'node:worker_threads';\nexport const x = Worker;\n",
    fires: null,
  },
  {
    name: 'core importing the database package',
    file: 'src/core/engine/snippet.ts',
    code: "import Database from 'better-sqlite3';\nexport const x = Database;\n",
    fires: /imports no app, database, UI or audio package/,
  },
];

describe('structure lint rules (issue #12)', () => {
  for (const c of cases) {
    it(`${c.fires ? 'refuses' : 'allows'} ${c.name}`, async () => {
      const errors = await boundaryErrors(c.file, c.code);
      if (c.fires) {
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(c.fires);
      } else {
        expect(errors).toEqual([]);
      }
    }, 30_000);
  }

  it('the tree as it stands breaks none of them', async () => {
    const results = await eslint.lintFiles(['src/cli', 'src/main/services', 'src/core']);
    const broken = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'etude/boundaries')
        .map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.message}`),
    );
    expect(broken).toEqual([]);
  }, 120_000);
});
