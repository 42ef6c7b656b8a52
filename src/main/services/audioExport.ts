// SPDX-License-Identifier: MIT
/**
 * A take as a WAV file, through the bundled SoundFont (resources/soundfont/etude-gm.sf3): what the app's and the
 * studio's "Save WAV" and `etude render` call. The renderer sends the take's MIDI (the bytes it saves as .mid, with a
 * program change a track), never audio: the payload stays small and is validated like every other; main renders.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BasicSoundBank } from 'spessasynth_core';
import { renderMidi } from '../../core/audio/renderMidi';
import { exportLengthSec, RELEASE_TAIL_SEC } from '../../core/audio/renderLength';
import { encodeWav } from '../../core/audio/wav';
import { parseMidi } from '../../core/midi/readMidi';
import type { JobProgress } from '../../core/jobs/progress';

/** The bundled SoundFont inside resources/. */
export const SOUNDFONT_RELATIVE_PATH = path.join('soundfont', 'etude-gm.sf3');

/**
 * The export's loudest sample (-1 dBFS). The synthesizer's own level is low (a single melody line peaks near 0.06),
 * so every export is scaled to this peak: the same loudness whatever the instrument or the number of voices.
 */
export const EXPORT_PEAK = 0.89;

export interface WavRequest {
  /** The take as a Standard MIDI File: its tempo, meter, and a program change on each track. */
  midi: Uint8Array;
  /** Where the take ends, in the file's ticks (its bars); absent = the end of its last note, up to a whole bar. */
  endTick?: number;
  /** A loop take: exactly endTick long, its release folded onto its start (src/core/audio/renderLength.ts). */
  loop: boolean;
  /** What error messages call the file (default "take"). */
  sourceName?: string;
}

/** Scales both channels together so the loudest sample is `peak` (silence stays silence). */
export function normalisePeak(channels: readonly Float32Array[], peak: number): void {
  let max = 0;
  for (const c of channels) for (const s of c) max = Math.max(max, Math.abs(s));
  if (max === 0) return;
  const gain = peak / max;
  for (const c of channels) for (let i = 0; i < c.length; i++) c[i]! *= gain;
}

/** A render's progress and cancel, as every caller (the worker, the CLI, tests) wires them. */
export interface WavRenderHooks {
  /** About once per second of audio: phase 'rendering', current/total in seconds of audio (tail included). */
  onProgress?: (progress: JobProgress) => void;
  /** True stops the render with CancelledError. */
  isCancelled?: () => boolean;
}

/** A render's progress as a job reports it: seconds of audio rendered of the total, to a tenth. */
export function renderProgress(renderedSec: number, totalSec: number): JobProgress {
  const current = Math.round(renderedSec * 10) / 10;
  const total = Math.round(totalSec * 10) / 10;
  return { phase: 'rendering', current, total, detail: `${current.toFixed(1)} s of ${total.toFixed(1)} s of audio` };
}

/**
 * Renders a take's MIDI to WAV bytes (44.1 kHz, 16-bit stereo): endTick at the file's first tempo, plus
 * RELEASE_TAIL_SEC (2 s) unless it is a loop.
 * @throws MidiParseError for bytes that are not a MIDI file; RangeError for a take with no length; CancelledError
 * once hooks.isCancelled answers true
 */
export async function renderTakeWav(
  request: WavRequest,
  soundBank: BasicSoundBank,
  hooks: WavRenderHooks = {},
): Promise<Uint8Array> {
  const sequence = parseMidi(request.midi, request.sourceName ?? 'take');
  const bpm = sequence.tempos[0]?.bpm ?? 120;
  const meter = sequence.timeSignatures[0] ?? { numerator: 4, denominator: 4 };
  const lastEnd = Math.max(0, ...sequence.tracks.flatMap((t) => t.notes.map((n) => n.startTick + n.durationTicks)));
  const bar = (sequence.ppq * 4 * meter.numerator) / meter.denominator;
  const endTick = request.endTick ?? Math.max(bar, Math.ceil(lastEnd / bar) * bar);
  const lengthSec = exportLengthSec(endTick, sequence.ppq, bpm, request.loop);
  const { onProgress, isCancelled } = hooks;
  const audio = await renderMidi(request.midi, soundBank, {
    lengthSec,
    loop: request.loop,
    tailSec: RELEASE_TAIL_SEC,
    ...(onProgress ? { onProgress: (done: number, total: number) => onProgress(renderProgress(done, total)) } : {}),
    ...(isCancelled ? { isCancelled } : {}),
  });
  normalisePeak(audio.channels, EXPORT_PEAK);
  return encodeWav(audio.channels, audio.sampleRate);
}

/** The bundled SoundFont's path under a resources folder (the worker reads and parses it itself). */
export function soundFontPathIn(resourcesDir: string): string {
  return path.join(resourcesDir, SOUNDFONT_RELATIVE_PATH);
}

/** resources/soundfont/etude-gm.sf3 in the source tree (the app passes its own resources path). */
export function bundledSoundFontPath(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources', SOUNDFONT_RELATIVE_PATH);
}
