// SPDX-License-Identifier: MIT
// The history's newest-first list reads the generations_newest index (migration 0060) instead of sorting every row:
// the plan of the repository's query has no temporary b-tree, and the order is still newest first.
import { describe, expect, it } from 'vitest';
import { openLibrary } from '../../src/main/db';

describe('generations newest first', () => {
  it('uses the (created_at, id) index, no sort of the table', () => {
    let clock = 1_000;
    const library = openLibrary(':memory:', { now: () => clock });
    try {
      for (let g = 0; g < 300; g++) {
        clock += g % 3 === 0 ? 0 : 1; // ties on created_at are broken by id
        library.generations.saveGeneration({
          modelId: null,
          checkpointId: null,
          request: {},
          tokens: null,
          sequence: null,
          name: `t${g}`,
        });
      }
      const plan = library.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT * FROM generations
           WHERE (@modelId IS NULL OR model_id = @modelId) AND (@favouritesOnly = 0 OR favourite = 1)
           ORDER BY created_at DESC, id DESC LIMIT @limit`,
        )
        .all({ modelId: null, favouritesOnly: 0, limit: 100 }) as { detail: string }[];
      const details = plan.map((p) => p.detail).join(' | ');
      expect(details).toContain('generations_newest');
      expect(details).not.toContain('TEMP B-TREE');
      const names = library.generations.listGenerations({ limit: 5 }).map((g) => g.name);
      expect(names).toEqual(['t299', 't298', 't297', 't296', 't295']);
    } finally {
      library.close();
    }
  });
});
