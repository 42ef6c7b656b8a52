// SPDX-License-Identifier: MIT
/**
 * Worker-thread entry of generation (loaded by ./generationWorker.mjs under tsx). Protocol (GenerationWorkerIn/Out in
 * src/main/jobs/generationWorkerRunner.ts): the parent posts { type: 'start', request, cancelFlag } once; the worker
 * answers 'progress' messages, then one terminal 'done' | 'cancelled' | 'error', and exits. Cancel is a shared flag
 * the parent raises, read before every decoder step: a run of synchronous engine steps never yields to this
 * thread's event loop, so a 'cancel' message would wait until the end.
 */
import { parentPort } from 'node:worker_threads';
import { runGeneration } from '../services/generation';
import type { EngineRunRequest } from '../services/generationRequest';
import type { GenerationWorkerOut } from '../jobs/generationWorkerRunner';

const port = parentPort;
if (!port) throw new Error('generationWorker must run in a worker thread.');
const post = (m: GenerationWorkerOut) => port.postMessage(m);

port.once('message', (message: { type: 'start'; request: EngineRunRequest; cancelFlag: SharedArrayBuffer }) => {
  const flag = new Int32Array(message.cancelFlag);
  const isCancelled = () => Atomics.load(flag, 0) !== 0;
  runGeneration(message.request, { isCancelled, onProgress: (progress) => post({ type: 'progress', progress }) }).then(
    (result) => {
      // Tokens travel as bytes, moved rather than copied: a thousand takes of 64 bars are a million tokens, and as
      // arrays of numbers their copy held the parent's thread for ~150 ms (bench:ui, generation section).
      const melodies = result.melodies.map((m) => ({ ...m, tokens: Uint8Array.from(m.tokens) }));
      port.postMessage(
        { type: 'done', result: { ...result, melodies } } satisfies GenerationWorkerOut,
        melodies.map((m) => m.tokens.buffer),
      );
    },
    (err: unknown) => {
      const e = err as { name?: unknown; code?: unknown; message?: unknown };
      if (e?.name === 'CancelledError' || isCancelled()) post({ type: 'cancelled' });
      else
        post({
          type: 'error',
          error: {
            name: typeof e?.name === 'string' ? e.name : 'Error',
            code: typeof e?.code === 'string' ? e.code : 'GENERATION_FAILED',
            message: typeof e?.message === 'string' && e.message ? e.message : String(err),
          },
        });
    },
  );
});
