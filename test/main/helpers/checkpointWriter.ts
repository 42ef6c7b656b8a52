// SPDX-License-Identifier: MIT
// A second process for test/main/db-concurrency.test.ts: stores checkpoints of one model as fast as it can for `ms`,
// the way the training worker does, while the test's own connection writes to the same model row.
import { openLibrary } from '../../../src/main/db/open';

const [libraryPath, modelId, ms] = process.argv.slice(2);
const library = openLibrary(libraryPath, { onSlowQuery: () => {} });
process.stdout.write('opened\n');
const data = new Uint8Array(64 * 1024).fill(7);
const end = Date.now() + Number(ms);
for (let i = 1; Date.now() < end; i++) {
  library.checkpoints.saveCheckpoint({ modelId: Number(modelId) as never, epoch: i, step: i, data });
  library.checkpoints.pruneCheckpoints(Number(modelId) as never, 3);
}
library.close();
process.stdout.write('stored\n');
