// SPDX-License-Identifier: MIT
/**
 * A take to a WAV file for `etude render` and `etude generate --wav`: rendered in a worker thread (so Ctrl-C is heard
 * at once: the worker stops within a second), with the CLI's progress bar on stderr once a render has run for a
 * while, and written whole (renamed into place), so a cancelled or failed render leaves no file behind.
 */
import type { JobProgress } from '../core/jobs/progress';
import { renderWavInWorker } from '../main/jobs/wavRenderWorkerRunner';
import { writeFileAtomically } from '../main/services/atomicFile';
import type { WavRequest } from '../main/services/audioExport';
import { createProgressBar } from './progressBar';
import type { CliContext } from './types';

/** Renders shorter than this draw no bar: a short take is done before a bar would tell anything. */
export const QUIET_RENDER_MS = 1000;

/**
 * Renders `request` through the SoundFont at `soundFontPath` into `outFile`; answers the WAV's length in seconds.
 * `label` prefixes the progress line (which file, when there are several).
 * @throws CancelledError on Ctrl-C (nothing written); WavRenderError when the render fails
 */
export async function renderWavFile(
  request: WavRequest,
  soundFontPath: string,
  outFile: string,
  ctx: CliContext,
  label?: string,
): Promise<number> {
  const bar = createProgressBar({ stream: ctx.stderr, interactive: ctx.interactive });
  const started = Date.now();
  try {
    const wav = await renderWavInWorker(request, soundFontPath, {
      signal: ctx.signal,
      onProgress: (p: JobProgress) => {
        if (Date.now() - started >= QUIET_RENDER_MS) bar.update(label ? { ...p, detail: `${label}: ${p.detail}` } : p);
      },
    });
    await writeFileAtomically(outFile, wav);
    return (wav.byteLength - 44) / 4 / 44_100;
  } finally {
    bar.done();
  }
}
