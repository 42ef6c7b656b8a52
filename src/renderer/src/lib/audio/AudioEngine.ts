// SPDX-License-Identifier: MIT
/**
 * The one owner of Tone's context and Transport. Components never touch Tone directly: two
 * owners of one Transport fight over it (magenta-js' player throws "already in use" for that).
 *
 * Time is scheduled in ticks ("480i") on a Transport whose PPQ is the melody's own, so a tempo
 * change while playing keeps every note in place and the playhead is simply `transport.ticks`.
 * The instrument is sampled: the bundled General MIDI SoundFont through spessasynth_lib's AudioWorklet
 * (./SampledInstrument.ts), a GM program a track. When the SoundFont or its processor cannot load, playback falls back
 * to a synthesised piano-like PolySynth and {@link AudioEngineImpl.instrumentNotice} says so in one line.
 * Tone runs on a native AudioContext (Tone.setContext) so that the worklet node and Tone's clock share one context.
 */
import * as Tone from 'tone';
import type { Bpm, Note, Ticks } from '../../../../core/music/NoteSequence';
import { DEFAULT_PROGRAM, takeTrackOf } from '../../../../core/audio/instruments';
import { loopNotes } from './loopSchedule';
import { SampledInstrument } from './SampledInstrument';

export interface PlayRequest {
  notes: readonly Note[];
  ppq: number;
  bpm: Bpm;
  loop: boolean;
  /** Where the melody ends (loop point); defaults to the end of the last note. */
  endTick?: Ticks;
  /**
   * A loop take (loop mode): its length in ticks. The notes are cut to it and the Transport loops [0, loopTicks)
   * whatever `loop` says, so each pass starts exactly where the last ends (./loopSchedule.ts).
   */
  loopTicks?: Ticks;
  /** A polyphonic take: two tracks, right hand (pitch >= middle C) on channel 0, left hand on channel 1. */
  polyphonic?: boolean;
  /** The GM program of each track (default: the piano on every track). */
  programs?: readonly number[];
}

/** How much earlier than its written end a sampled note is released (seconds; inaudible, see play()). */
const RETRIGGER_GAP_SEC = 0.002;

export type PlaybackListener = (state: { playing: boolean; ownerId: string | null }) => void;

class AudioEngineImpl {
  private synth: Tone.PolySynth | null = null;
  private clicker: Tone.MembraneSynth | null = null;
  private filter: Tone.Filter | null = null;
  private part: Tone.Part<{ time: string; pitch: number; durationTicks: number; velocity01: number }> | null = null;
  private stopEventId: number | null = null;
  private ownerId: string | null = null;
  private listeners = new Set<PlaybackListener>();
  private nativeContext: AudioContext | null = null;
  private sampled: Promise<SampledInstrument | null> | null = null;
  private sampledReady: SampledInstrument | null = null;
  private notice: string | null = null;

  /** Must run inside a user gesture (click / key): browsers keep audio suspended otherwise. */
  async unlock(): Promise<void> {
    this.ensureContext();
    if (Tone.getContext().state !== 'running') await Tone.start();
    this.ensureInstrument();
  }

  /** One native AudioContext for Tone and the sampled instrument's worklet node. */
  private ensureContext(): void {
    if (this.nativeContext) return;
    this.nativeContext = new AudioContext({ latencyHint: 'interactive' });
    Tone.setContext(this.nativeContext);
  }

  /**
   * The sampled instrument, loaded once (a few hundred ms: the 6 MB SoundFont and the worklet processor). Null when it
   * failed: then {@link instrumentNotice} says why and playback uses the synthesised piano.
   */
  private ensureSampled(): Promise<SampledInstrument | null> {
    this.ensureContext();
    this.sampled ??= SampledInstrument.load(this.nativeContext!).then(
      (instrument) => {
        this.sampledReady = instrument;
        return instrument;
      },
      (err: unknown) => {
        const reason = err instanceof Error ? err.message : String(err);
        this.notice = `Sampled instruments unavailable (${reason}); playing the built-in synth instead.`;
        console.warn('[audio]', this.notice);
        this.emit();
        return null;
      },
    );
    return this.sampled;
  }

  /** One line for the user when the SoundFont could not load and the built-in synth plays instead; else null. */
  get instrumentNotice(): string | null {
    return this.notice;
  }

  private ensureInstrument(): Tone.PolySynth {
    if (this.synth) return this.synth;
    // A soft low-pass and a fast-decaying triangle read as "piano-ish" without any samples.
    this.filter = new Tone.Filter({ frequency: 4200, type: 'lowpass', rolloff: -12 }).toDestination();
    this.synth = new Tone.PolySynth(Tone.Synth, {
      oscillator: { type: 'triangle' },
      envelope: { attack: 0.004, decay: 1.1, sustain: 0.12, release: 0.7 },
      volume: -10,
    }).connect(this.filter);
    this.synth.maxPolyphony = 32;
    return this.synth;
  }

  /**
   * Ours, not `transport.state`: the Transport starts slightly in the future ('+0.05'), and its
   * state reads 'stopped' until then.
   */
  get isPlaying(): boolean {
    return this.ownerId !== null;
  }

  /** Which variation (by the caller's id) is playing, if any. */
  get playingOwner(): string | null {
    return this.isPlaying ? this.ownerId : null;
  }

  /** Current Transport position in the melody's ticks (0 when stopped). */
  get positionTicks(): Ticks {
    return this.isPlaying ? Math.max(0, Tone.getTransport().ticks) : 0;
  }

  onChange(listener: PlaybackListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    const state = { playing: this.isPlaying, ownerId: this.playingOwner };
    for (const l of this.listeners) l(state);
  }

  /** Starts playing a melody from the top; stops whatever played before. Call from a user gesture. */
  async play(ownerId: string, req: PlayRequest): Promise<void> {
    await this.unlock();
    const sampled = await this.ensureSampled();
    this.stopTransport();
    const synth = this.ensureInstrument();
    const transport = Tone.getTransport();
    const polyphonic = req.polyphonic ?? false;
    sampled?.setPrograms(req.programs ?? (polyphonic ? [DEFAULT_PROGRAM, DEFAULT_PROGRAM] : [DEFAULT_PROGRAM]));
    transport.PPQ = req.ppq;
    transport.bpm.value = req.bpm;
    const notes = req.loopTicks ? loopNotes(req.notes, req.loopTicks) : req.notes;
    const endTick =
      req.loopTicks ?? req.endTick ?? Math.max(req.ppq, ...req.notes.map((n) => n.startTick + n.durationTicks));
    const loop = req.loop || req.loopTicks !== undefined;
    const events = notes.map((n) => ({
      time: `${n.startTick}i`,
      pitch: n.pitch,
      durationTicks: Math.max(1, n.durationTicks),
      velocity01: Math.min(1, Math.max(0.05, n.velocity / 127)),
    }));
    this.part = new Tone.Part((time, ev) => {
      if (sampled) {
        const channel = takeTrackOf(ev.pitch, polyphonic);
        sampled.noteOn(channel, ev.pitch, ev.velocity01 * 127, time);
        // Released a hair early: a note ending where the same pitch starts again must let go before the new
        // note-on, which rounding of the two times could otherwise put after it (and cut the new note).
        const releaseSec = Math.max(0.005, Tone.Time(`${ev.durationTicks}i`).toSeconds() - RETRIGGER_GAP_SEC);
        sampled.noteOff(channel, ev.pitch, time + releaseSec);
        return;
      }
      synth.triggerAttackRelease(
        Tone.Frequency(ev.pitch, 'midi').toFrequency(),
        `${ev.durationTicks}i`,
        time,
        ev.velocity01,
      );
    }, events);
    this.part.start(0);
    transport.loop = loop;
    transport.loopStart = 0;
    transport.loopEnd = `${endTick}i`;
    if (!loop) {
      // Stop on the audio clock, then tell listeners on the main thread.
      this.stopEventId = transport.scheduleOnce(() => {
        Tone.getDraw().schedule(() => this.stop(), Tone.now());
      }, `${endTick}i`);
    }
    this.ownerId = ownerId;
    transport.start('+0.05', 0);
    this.emit();
  }

  /** Sound one note now (seed keyboard feedback). Call from a user gesture. */
  async previewNote(pitch: number, velocity01 = 0.7): Promise<void> {
    await this.unlock();
    const sampled = await this.ensureSampled();
    if (sampled) {
      const now = Tone.now();
      sampled.noteOn(0, pitch, velocity01 * 127, now);
      sampled.noteOff(0, pitch, now + 0.35);
      return;
    }
    this.ensureInstrument().triggerAttackRelease(
      Tone.Frequency(pitch, 'midi').toFrequency(),
      0.35,
      Tone.now(),
      velocity01,
    );
  }

  /** One metronome click now (recording count-in and beats); `accent` on the bar's first beat. */
  async click(accent: boolean): Promise<void> {
    await this.unlock();
    this.clicker ??= new Tone.MembraneSynth({
      pitchDecay: 0.008,
      octaves: 2,
      envelope: { attack: 0.001, decay: 0.06, sustain: 0, release: 0.02 },
      volume: -12,
    }).toDestination();
    this.clicker.triggerAttackRelease(accent ? 'C6' : 'G5', 0.03, Tone.now(), accent ? 1 : 0.6);
  }

  /** Toggle looping while playing (the loop point stays at the melody's end). */
  setLoop(loop: boolean): void {
    const transport = Tone.getTransport();
    transport.loop = loop;
    if (loop && this.stopEventId !== null) {
      transport.clear(this.stopEventId);
      this.stopEventId = null;
    }
  }

  setTempo(bpm: Bpm): void {
    Tone.getTransport().bpm.value = bpm;
  }

  stop(): void {
    this.stopTransport();
    this.emit();
  }

  private stopTransport(): void {
    const transport = Tone.getTransport();
    transport.stop();
    transport.cancel(0);
    this.stopEventId = null;
    this.part?.dispose();
    this.part = null;
    this.synth?.releaseAll();
    this.sampledReady?.releaseAll();
    this.ownerId = null;
  }

  /** Release every Tone node this engine made (window unload, tests). */
  dispose(): void {
    this.stopTransport();
    this.synth?.dispose();
    this.filter?.dispose();
    this.clicker?.dispose();
    this.clicker = null;
    this.sampledReady?.dispose();
    this.sampledReady = null;
    this.sampled = null;
    this.synth = null;
    this.filter = null;
    this.emit();
    this.listeners.clear();
  }
}

/** The app's single audio engine. */
export const audioEngine = new AudioEngineImpl();
