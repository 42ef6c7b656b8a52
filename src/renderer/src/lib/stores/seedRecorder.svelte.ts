// SPDX-License-Identifier: MIT
/**
 * Every keyboard the composer plays the seed on (a MIDI keyboard, the on-screen piano, the computer keys) comes here.
 * Idle, a key press adds a seed note. Recording, presses and releases are kept with their times; Stop snaps them to
 * the sixteenth grid at the Compose tempo and meter (src/core/midi/recordSeed.ts) and makes them the clip that
 * Continue uses, exactly like an imported MIDI file.
 */
import type { LiveNoteEvent } from '../../../../core/midi/liveMessages';
import { barMs, downbeatMs, recordedClip, type RecordingStart } from '../../../../core/midi/recordSeed';
import { writeMidi } from '../../../../core/midi/writeMidi';
import { extractMelody } from '../../../../core/encoding/melody';
import { audioEngine } from '../audio/AudioEngine';
import { MAX_SEED_NOTES } from '../input/seedText';
import { compose, METERS } from './compose.svelte';

export type RecorderPhase = 'idle' | 'count-in' | 'waiting' | 'recording';

/** The clip a recording becomes (the name the take list and the Continue line show). */
export const RECORDED_CLIP_NAME = 'recorded-seed.mid';
/** Velocity of a note from the on-screen piano or the computer keys (they have no touch). */
const KEYS_VELOCITY = 96;

function preview(pitch: number, velocity: number): void {
  void audioEngine.previewNote(pitch, velocity / 127).catch(() => {
    // Feedback sound only: a blocked audio context must not stop seed entry.
  });
}

class SeedRecorder {
  phase = $state<RecorderPhase>('idle');
  /** Bar 1 starts after one bar of clicks, or on the first note played. */
  startMode = $state<'count-in' | 'first-note'>('count-in');
  /** Clicks on every beat while counting in and recording. */
  metronome = $state(true);
  /** The beat being counted in or played (1-based, within its bar), for the screen. */
  beat = $state(0);
  /** The bar being played (1-based); 0 or less while counting in. */
  bar = $state(0);
  /** The last recording's outcome, as a sentence. */
  message = $state<{ kind: 'info' | 'error'; text: string } | null>(null);

  private events: LiveNoteEvent[] = [];
  private downbeat: number | null = null;
  private clickTimer: ReturnType<typeof setTimeout> | null = null;
  private phaseTimer: ReturnType<typeof setTimeout> | null = null;
  private held = new Set<number>();

  get active(): boolean {
    return this.phase !== 'idle';
  }

  /** The Tempo and Meter when Record was pressed: the whole recording keeps them. */
  private settings = { bpm: 120, meter: METERS[0] };

  private meter() {
    return this.settings.meter;
  }

  private bpm(): number {
    return this.settings.bpm;
  }

  /** Starts a recording (from a click: the count-in needs audio). */
  start(nowMs = performance.now()): void {
    if (this.active) return;
    this.events = [];
    this.held.clear();
    this.message = null;
    this.settings = {
      bpm: Math.min(400, Math.max(20, Number(compose.tempoBpm) || 120)),
      meter: METERS.find((m) => `${m.numerator}/${m.denominator}` === compose.meter) ?? METERS[0],
    };
    if (this.startMode === 'count-in') {
      const start: RecordingStart = { kind: 'count-in', armedAtMs: nowMs, bars: 1 };
      this.downbeat = downbeatMs(start, [], this.bpm(), this.meter());
      this.phase = 'count-in';
      this.phaseTimer = setTimeout(() => {
        if (this.phase === 'count-in') this.phase = 'recording';
      }, this.downbeat! - nowMs);
      this.clickFrom(nowMs);
    } else {
      this.downbeat = null;
      this.phase = 'waiting';
    }
  }

  /** Metronome clicks on each beat (the meter's denominator) from `originMs`, until the recording stops. */
  private clickFrom(originMs: number): void {
    const meter = this.meter();
    const beatMs = (60_000 / this.bpm()) * (4 / meter.denominator);
    const perBar = meter.numerator;
    const barsBefore = this.downbeat !== null ? Math.round((this.downbeat - originMs) / barMs(this.bpm(), meter)) : 0;
    let index = 0;
    const tick = (): void => {
      if (!this.active) return;
      this.beat = (index % perBar) + 1;
      this.bar = Math.floor(index / perBar) - barsBefore + 1;
      if (this.metronome) void audioEngine.click(index % perBar === 0).catch(() => {});
      index++;
      this.clickTimer = setTimeout(tick, Math.max(0, originMs + index * beatMs - performance.now()));
    };
    tick();
  }

  /** A key went down on any keyboard. */
  noteOn(pitch: number, velocity = KEYS_VELOCITY, timeMs = performance.now()): void {
    preview(pitch, velocity);
    if (!this.active) {
      compose.addSeedNote(pitch);
      return;
    }
    this.held.add(pitch);
    this.events.push({ kind: 'on', pitch, velocity, channel: 0, timeMs });
    if (this.phase === 'waiting') {
      this.downbeat = timeMs;
      this.phase = 'recording';
      this.clickFrom(timeMs);
    }
  }

  /** A key came up. */
  noteOff(pitch: number, timeMs = performance.now()): void {
    if (!this.active || !this.held.delete(pitch)) return;
    this.events.push({ kind: 'off', pitch, velocity: 0, channel: 0, timeMs });
  }

  /** A note event from a MIDI input. */
  fromDevice(event: LiveNoteEvent): void {
    if (event.kind === 'on') this.noteOn(event.pitch, event.velocity, event.timeMs);
    else this.noteOff(event.pitch, event.timeMs);
  }

  private halt(): void {
    if (this.clickTimer) clearTimeout(this.clickTimer);
    if (this.phaseTimer) clearTimeout(this.phaseTimer);
    this.clickTimer = this.phaseTimer = null;
    this.phase = 'idle';
    this.beat = 0;
    this.bar = 0;
  }

  /** Stops recording and makes what was played the seed clip (or says why there is none). */
  stop(nowMs = performance.now()): void {
    if (!this.active) return;
    const events = [...this.events].sort((a, b) => a.timeMs - b.timeMs);
    const downbeat = this.downbeat;
    this.halt();
    if (downbeat === null) {
      this.message = { kind: 'error', text: 'Nothing was recorded: play some notes after pressing Record.' };
      return;
    }
    try {
      const meter = this.meter();
      const bpm = this.bpm();
      const { sequence, droppedBeforeStart } = recordedClip(events, {
        bpm,
        meter,
        downbeatMs: downbeat,
        stopMs: nowMs,
        name: RECORDED_CLIP_NAME.replace(/\.mid$/, ''),
      });
      const notes = sequence.tracks[0].notes;
      compose.clip = { bytes: writeMidi(sequence), name: RECORDED_CLIP_NAME };
      compose.continueClip = true;
      compose.seedNotes = extractMelody(sequence)
        .slice(0, MAX_SEED_NOTES)
        .map((n) => n.pitch);
      const barTicks = (sequence.ppq * 4 * meter.numerator) / meter.denominator;
      const bars = Math.ceil(Math.max(...notes.map((n) => n.startTick + n.durationTicks)) / barTicks);
      this.message = {
        kind: 'info',
        text:
          `Recorded ${notes.length} note${notes.length === 1 ? '' : 's'} in ${bars} bar${bars === 1 ? '' : 's'} of ` +
          `${meter.numerator}/${meter.denominator} at ${bpm} bpm` +
          (droppedBeforeStart > 0 ? ` (${droppedBeforeStart} played during the count-in left out)` : '') +
          ': Generate continues it.',
      };
    } catch (error) {
      this.message = { kind: 'error', text: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Drops a recording in progress without touching the seed. */
  cancel(): void {
    this.halt();
    this.events = [];
  }
}

export const seedRecorder = new SeedRecorder();
