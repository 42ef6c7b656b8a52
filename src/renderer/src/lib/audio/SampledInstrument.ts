// SPDX-License-Identifier: MIT
/**
 * The sampled instruments: spessasynth_lib's AudioWorklet synthesizer playing the bundled General MIDI SoundFont
 * (resources/soundfont/etude-gm.sf3, see its README). Both files are build assets served from our own origin
 * (Vite `?url`): 'self' in the app's and the studio's Content-Security-Policy, file:// in Electron. The processor
 * decodes the SF3's Ogg samples with WebAssembly, which is why the CSP carries 'wasm-unsafe-eval'.
 *
 * One MIDI channel a track (a melody: channel 0; a polyphonic take: right hand 0, left hand 1), each with the program
 * its track's instrument select chose.
 */
import { BasicMIDI } from 'spessasynth_core';
import { WorkletSynthesizer } from 'spessasynth_lib';
import processorUrl from 'spessasynth_lib/dist/spessasynth_processor.min.js?url';
import soundFontUrl from '../../../../../resources/soundfont/etude-gm.sf3?url';

let soundFontBytes: Promise<ArrayBuffer> | undefined;

/**
 * An asset's bytes. Electron loads the page from file://, where fetch refuses the scheme ("URL scheme "file" is not
 * supported", electron/electron#9474) while XMLHttpRequest reads the file; the studio serves http:// and fetch works.
 */
function readAsset(url: string): Promise<ArrayBuffer> {
  if (new URL(url, location.href).protocol !== 'file:') {
    return fetch(url).then((response) => {
      if (!response.ok) throw new Error(`the SoundFont answered HTTP ${response.status}`);
      return response.arrayBuffer();
    });
  }
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('GET', url);
    request.responseType = 'arraybuffer';
    request.onload = () => resolve(request.response as ArrayBuffer);
    request.onerror = () => reject(new Error(`the SoundFont file ${url} could not be read`));
    request.send();
  });
}

/** The SoundFont's bytes, read once (6 MB from our own files); a failed read is tried again next time. */
function loadSoundFont(): Promise<ArrayBuffer> {
  soundFontBytes ??= readAsset(soundFontUrl).catch((err: unknown) => {
    soundFontBytes = undefined;
    throw err;
  });
  return soundFontBytes;
}

const workletLoaded = new WeakMap<BaseAudioContext, Promise<void>>();

function addProcessor(context: BaseAudioContext): Promise<void> {
  let loading = workletLoaded.get(context);
  if (!loading) {
    loading = context.audioWorklet.addModule(processorUrl);
    workletLoaded.set(context, loading);
  }
  return loading;
}

/** A synthesizer with the bundled SoundFont loaded, playing into `context`'s destination. */
export class SampledInstrument {
  private constructor(private readonly synth: WorkletSynthesizer) {}

  /**
   * Loads the processor and the SoundFont into a (running or suspended) AudioContext.
   * @throws Error when either file cannot be fetched or the SoundFont cannot be parsed
   */
  static async load(
    context: BaseAudioContext,
    destination: AudioNode = context.destination,
  ): Promise<SampledInstrument> {
    const [bytes] = await Promise.all([loadSoundFont(), addProcessor(context)]);
    const synth = new WorkletSynthesizer(context);
    synth.connect(destination);
    // The worklet takes the buffer over: give it a copy so the cached bytes stay usable.
    await synth.soundBankManager.addSoundBank(bytes.slice(0), 'etude');
    await synth.isReady;
    return new SampledInstrument(synth);
  }

  /** Sets each channel's GM program (channel i = track i). */
  setPrograms(programs: readonly number[], time?: number): void {
    programs.forEach((program, channel) =>
      this.synth.programChange(channel, program, time === undefined ? undefined : { time }),
    );
  }

  noteOn(channel: number, pitch: number, velocity: number, time: number): void {
    this.synth.noteOn(channel, pitch, Math.max(1, Math.min(127, Math.round(velocity))), { time });
  }

  noteOff(channel: number, pitch: number, time: number): void {
    this.synth.noteOff(channel, pitch, { time });
  }

  /** Releases every sounding note (they fade with their release). */
  releaseAll(): void {
    this.synth.stopAll(false);
  }

  dispose(): void {
    this.synth.stopAll(true);
    this.synth.destroy();
  }
}

/**
 * Renders MIDI bytes (a take as saved, a program change a track) through the bundled SoundFont in an
 * OfflineAudioContext: `lengthSec` of stereo audio at `sampleRate`. The same processor and SoundFont as playback.
 * @throws Error when the files cannot be loaded or the MIDI cannot be parsed
 */
export async function renderOffline(midi: Uint8Array, lengthSec: number, sampleRate = 44_100): Promise<AudioBuffer> {
  const context = new OfflineAudioContext({
    numberOfChannels: 2,
    length: Math.round(lengthSec * sampleRate),
    sampleRate,
  });
  const [bytes] = await Promise.all([loadSoundFont(), addProcessor(context)]);
  const synth = new WorkletSynthesizer(context);
  synth.connect(context.destination);
  // Chromium drops worklet messages to an OfflineAudioContext: everything goes in this one call (spessasynth_lib).
  await synth.startOfflineRender({
    midiSequence: BasicMIDI.fromArrayBuffer(midi.slice().buffer as ArrayBuffer),
    soundBankList: [{ bankOffset: 0, soundBankBuffer: bytes.slice(0) }],
    loopCount: 0,
    sequencerOptions: { skipToFirstNoteOn: false },
  });
  return context.startRendering();
}
