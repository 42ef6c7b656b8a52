// SPDX-License-Identifier: MIT
// The child process of crash-points.test.ts: opens a library and imports or trains until it is killed.
//   node --import tsx crashChild.ts import LIBRARY FOLDER CORPUS
//   node --import tsx crashChild.ts train LIBRARY CORPUS MODEL
// It prints READY just before the work starts (the test's kill delays count from there), then DONE with the work's
// duration if nobody killed it.
import { openLibrary } from '../../../src/main/db/open';
import { importPaths } from '../../../src/main/services/importService';
import { trainModel } from '../../../src/main/services/training';

const [mode, libraryPath, a, b] = process.argv.slice(2);
const library = openLibrary(libraryPath);
const started = performance.now();
if (mode === 'import') {
  console.log('READY');
  const report = await importPaths(library, [a], { corpusName: b });
  console.log(`DONE ${Math.round(performance.now() - started)} ${report.imported}`);
} else if (mode === 'train') {
  console.log('READY');
  await trainModel(
    library,
    {
      corpusName: a,
      modelName: b,
      spec: { embeddingDim: 8, hiddenSize: 16, window: 8 },
      training: { epochs: Number(process.env.CRASH_EPOCHS ?? 500), earlyStoppingPatience: 0 },
      engine: 'wasm',
      threads: 1,
    },
    {
      onProgress: (p) =>
        p.phase === 'epoch done' && console.log(`EPOCH ${p.epoch} ${Math.round(performance.now() - started)}`),
    },
  );
  console.log(`DONE ${Math.round(performance.now() - started)}`);
} else {
  throw new Error(`crashChild: unknown mode ${mode}`);
}
library.close();
