// SPDX-License-Identifier: MIT
// Bootstrap of the WAL checkpoint worker when running from TypeScript sources (CLI, studio, tests): a worker thread
// starts without the parent's tsx loader unless execArgv carried it, so register tsx here, then load the real
// entry. A bundled build points its Worker at the compiled entry instead.
import { register } from 'tsx/esm/api';

register();
await import('./walCheckpointWorker.ts');
