// SPDX-License-Identifier: MIT
// Bootstrap of the WAV render worker when running from TypeScript sources (CLI, studio, tests): register tsx, then
// load the real entry (see generationWorker.mjs). A bundled build points its Worker at the compiled entry instead.
import { register } from 'tsx/esm/api';

register();
await import('./wavRenderWorker.ts');
