// SPDX-License-Identifier: MIT
/**
 * MIDI bytes to audio through a SoundFont, with spessasynth_core's synthesizer and sequencer (pure JavaScript: runs in
 * Node for the WAV export and the CLI, as the renderer's AudioWorklet runs the same engine through spessasynth_lib).
 * The caller brings the bytes of both files; nothing here reads the disk.
 */
import {
  BasicMIDI,
  BasicSoundBank,
  SoundBankLoader,
  SpessaSynthProcessor,
  SpessaSynthSequencer,
} from 'spessasynth_core';
import { CancelledError } from '../jobs/progress';
import { foldTail } from './renderLength';

/** The export's sample rate: CD quality, and what `fluidsynth -r 44100` renders for the comparison test. */
export const EXPORT_SAMPLE_RATE = 44_100;

/**
 * Frames per synthesizer call: the interval at which the sequencer fires events and the synthesizer updates its
 * envelopes and LFOs (spessasynth's own advice is to keep it small). 128 frames = 2.9 ms at 44.1 kHz.
 */
const BLOCK_FRAMES = 128;

/** Blocks between yields to the event loop, progress reports and cancel checks: 344 x 128 frames = 1 s of audio. */
const YIELD_EVERY_BLOCKS = 344;

export interface RenderOptions {
  /** Length of the result in seconds (see renderLength.ts exportLengthSec). */
  lengthSec: number;
  /** A loop: render on past the end and fold the tail onto the start (renderLength.ts foldTail). */
  loop: boolean;
  /** How long past the end a loop's render runs before folding; seconds. */
  tailSec: number;
  sampleRate?: number;
  /** Told about once per second of audio rendered: seconds rendered so far, of the render's total (tail included). */
  onProgress?: (renderedSec: number, totalSec: number) => void;
  /** Asked as often as onProgress: true stops the render with CancelledError (a long take renders for a minute). */
  isCancelled?: () => boolean;
}

export interface RenderedAudio {
  sampleRate: number;
  /** Left, right. */
  channels: [Float32Array, Float32Array];
}

/** A file's bytes as the ArrayBuffer spessasynth wants (a copy when the view does not span its buffer). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : // A copy: Node's Buffer.slice would answer a view of the same pooled buffer.
      (Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer);
}

/**
 * A parsed sound bank, to render many takes with one parse (an SF3's Ogg samples are decoded lazily, as notes need them).
 * @throws Error from spessasynth when the bytes are not an SF2/SF3/DLS file
 */
export async function loadSoundBank(soundFontBytes: Uint8Array): Promise<BasicSoundBank> {
  await BasicSoundBank.isSF3DecoderReady;
  return SoundBankLoader.fromArrayBuffer(ownBuffer(soundFontBytes));
}

/**
 * Plays `midiBytes` once from its first tick (its loop markers are not followed: a loop is folded instead) through the
 * sound bank and answers stereo audio exactly `lengthSec` long. The program changes in the file pick each track's
 * preset.
 * @throws RangeError for a length that is not positive; Error from spessasynth for a file it cannot parse;
 * CancelledError once `isCancelled` answers true
 */
export async function renderMidi(
  midiBytes: Uint8Array,
  soundBank: BasicSoundBank,
  options: RenderOptions,
): Promise<RenderedAudio> {
  const sampleRate = options.sampleRate ?? EXPORT_SAMPLE_RATE;
  if (!(options.lengthSec > 0)) throw new RangeError(`lengthSec must be positive, got: ${options.lengthSec}`);
  const frames = Math.round(options.lengthSec * sampleRate);
  const renderFrames = frames + (options.loop ? Math.round(options.tailSec * sampleRate) : 0);

  const synth = new SpessaSynthProcessor(sampleRate, { eventsEnabled: false });
  synth.soundBankManager.addSoundBank(soundBank, 'etude');
  await synth.processorInitialized;
  synth.setSystemParameter('autoAllocateVoices', true);
  const sequencer = new SpessaSynthSequencer(synth);
  // Time 0 is the take's tick 0, even when it opens with a rest; play the file once.
  sequencer.skipToFirstNoteOn = false;
  sequencer.loopCount = 0;
  sequencer.loadNewSongList([BasicMIDI.fromArrayBuffer(ownBuffer(midiBytes))]);
  sequencer.play();

  const left = new Float32Array(renderFrames);
  const right = new Float32Array(renderFrames);
  for (let filled = 0, block = 0; filled < renderFrames; filled += BLOCK_FRAMES, block++) {
    // About every second of audio: report, honour a cancel, and let the event loop breathe (a long take renders for
    // seconds, and a worker's messages wait on its loop too).
    if (block % YIELD_EVERY_BLOCKS === YIELD_EVERY_BLOCKS - 1) {
      if (options.isCancelled?.()) throw new CancelledError('Render cancelled');
      options.onProgress?.(filled / sampleRate, renderFrames / sampleRate);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    sequencer.processTick();
    synth.process(left, right, filled, Math.min(BLOCK_FRAMES, renderFrames - filled));
  }
  options.onProgress?.(renderFrames / sampleRate, renderFrames / sampleRate);
  // No destroySynthProcessor(): it would destroy the sound bank too, which the caller renders the next take with.
  return options.loop
    ? { sampleRate, channels: [foldTail(left, frames), foldTail(right, frames)] }
    : { sampleRate, channels: [left, right] };
}
