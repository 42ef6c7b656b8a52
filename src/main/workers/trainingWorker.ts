// SPDX-License-Identifier: MIT
/**
 * Worker-thread entry of training (loaded by ./trainingWorker.mjs under tsx). Protocol: the parent posts
 * { type: 'start', request } once and { type: 'cancel' } to stop; the worker answers TrainingJobMessages and exits
 * after its terminal message.
 */
import { parentPort } from 'node:worker_threads';
import { runTrainingJob, type TrainingJobMessage, type TrainingJobRequest } from '../services/trainingJob';

const port = parentPort;
if (!port) throw new Error('trainingWorker must run in a worker thread.');
const controller = new AbortController();
port.on(
  'message',
  (message: { type: 'start'; request: TrainingJobRequest; cancelFlag: SharedArrayBuffer } | { type: 'cancel' }) => {
    if (message.type === 'cancel') controller.abort();
    else if (message.type === 'start') {
      // Engine steps may run back to back without returning to the event loop (so a 'cancel' message would wait),
      // hence the parent also raises a shared flag, read here before each progress event, i.e. once per step.
      const flag = new Int32Array(message.cancelFlag);
      const post = (m: TrainingJobMessage, transfer?: ArrayBuffer[]) => {
        if (Atomics.load(flag, 0) !== 0 && !controller.signal.aborted) controller.abort();
        port.postMessage(m, transfer ?? []);
      };
      void runTrainingJob(message.request, post, controller.signal).then(() => port.close());
    }
  },
);
