// SPDX-License-Identifier: MIT
/**
 * A take as a WAV file, through the bundled SoundFont (resources/soundfont/etude-gm.sf3): what the app's and the
 * studio's "Save WAV" and `etude render` call. The renderer sends the take's MIDI (the bytes it saves as .mid, with a
 * program change a track), never audio: the payload stays small and is validated like every other; main renders.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BasicSoundBank } from 'spessasynth_core';
import { loadSoundBank, renderMidi } from '../../core/audio/renderMidi';
import { exportLengthSec, RELEASE_TAIL_SEC } from '../../core/audio/renderLength';
import { encodeWav } from '../../core/audio/wav';
import { parseMidi } from '../../core/midi/readMidi';

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

/**
 * Renders a take's MIDI to WAV bytes (44.1 kHz, 16-bit stereo): endTick at the file's first tempo, plus
 * RELEASE_TAIL_SEC (2 s) unless it is a loop.
 * @throws MidiParseError for bytes that are not a MIDI file; RangeError for a take with no length
 */
export async function renderTakeWav(request: WavRequest, soundBank: BasicSoundBank): Promise<Uint8Array> {
  const sequence = parseMidi(request.midi, request.sourceName ?? 'take');
  const bpm = sequence.tempos[0]?.bpm ?? 120;
  const meter = sequence.timeSignatures[0] ?? { numerator: 4, denominator: 4 };
  const lastEnd = Math.max(0, ...sequence.tracks.flatMap((t) => t.notes.map((n) => n.startTick + n.durationTicks)));
  const bar = (sequence.ppq * 4 * meter.numerator) / meter.denominator;
  const endTick = request.endTick ?? Math.max(bar, Math.ceil(lastEnd / bar) * bar);
  const lengthSec = exportLengthSec(endTick, sequence.ppq, bpm, request.loop);
  const audio = await renderMidi(request.midi, soundBank, { lengthSec, loop: request.loop, tailSec: RELEASE_TAIL_SEC });
  normalisePeak(audio.channels, EXPORT_PEAK);
  return encodeWav(audio.channels, audio.sampleRate);
}

/** resources/soundfont/etude-gm.sf3 in the source tree (the app passes its own resources path). */
export function bundledSoundFontPath(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources', SOUNDFONT_RELATIVE_PATH);
}

/** The bundled SoundFont, parsed once per process (6 MB; its Ogg samples decode as notes need them). */
export function bundledSoundBank(resourcesDir: string): () => Promise<BasicSoundBank> {
  let loading: Promise<BasicSoundBank> | undefined;
  return () => {
    loading ??= readFile(path.join(resourcesDir, SOUNDFONT_RELATIVE_PATH))
      .then((bytes) => loadSoundBank(bytes))
      .catch((err: unknown) => {
        loading = undefined;
        throw Object.assign(
          new Error(
            `The bundled SoundFont ${path.join(resourcesDir, SOUNDFONT_RELATIVE_PATH)} could not be read (${err instanceof Error ? err.message : String(err)}); reinstall Etude or run scripts/make-soundfont.ts.`,
          ),
          { code: 'SOUNDFONT_UNREADABLE' },
        );
      });
    return loading;
  };
}
