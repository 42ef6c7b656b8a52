// SPDX-License-Identifier: MIT
/**
 * Worker-thread entry of the WAV export (loaded by ./wavRenderWorker.mjs under tsx). Protocol (WavRenderWorkerIn/Out
 * in src/main/jobs/wavRenderWorkerRunner.ts): the parent posts { type: 'start', request, soundFontPath, cancelFlag }
 * once; the worker reads the SoundFont, answers 'progress' about once per second of audio, then one terminal
 * 'done' | 'cancelled' | 'error', and exits. Cancel is a shared flag read at each progress report.
 */
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { loadSoundBank } from '../../core/audio/renderMidi';
import { renderTakeWav } from '../services/audioExport';
import type { WavRenderWorkerIn, WavRenderWorkerOut } from '../jobs/wavRenderWorkerRunner';

const port = parentPort;
if (!port) throw new Error('wavRenderWorker must run in a worker thread.');
const post = (m: WavRenderWorkerOut) => port.postMessage(m);

async function soundBankAt(file: string) {
  try {
    return await loadSoundBank(await readFile(file));
  } catch (err) {
    throw Object.assign(
      new Error(
        `The SoundFont ${file} could not be read (${err instanceof Error ? err.message : String(err)}); reinstall Etude or run scripts/make-soundfont.ts.`,
      ),
      { code: 'SOUNDFONT_UNREADABLE' },
    );
  }
}

port.once('message', (message: WavRenderWorkerIn) => {
  const flag = new Int32Array(message.cancelFlag);
  const isCancelled = () => Atomics.load(flag, 0) !== 0;
  soundBankAt(message.soundFontPath)
    .then((bank) =>
      renderTakeWav(message.request, bank, {
        isCancelled,
        onProgress: (progress) => post({ type: 'progress', progress }),
      }),
    )
    .then(
      (wav) => port.postMessage({ type: 'done', wav } satisfies WavRenderWorkerOut, [wav.buffer as ArrayBuffer]),
      (err: unknown) => {
        const e = err as { name?: unknown; code?: unknown; message?: unknown };
        if (e?.name === 'CancelledError' || isCancelled()) post({ type: 'cancelled' });
        else
          post({
            type: 'error',
            error: {
              name: typeof e?.name === 'string' ? e.name : 'Error',
              code: typeof e?.code === 'string' ? e.code : 'RENDER_FAILED',
              message: typeof e?.message === 'string' && e.message ? e.message : String(err),
            },
          });
      },
    );
});
