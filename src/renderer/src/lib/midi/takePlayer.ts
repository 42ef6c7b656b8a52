// SPDX-License-Identifier: MIT
/**
 * Plays timed MIDI messages (src/core/midi/takeSchedule.ts) to a port with a short lookahead: each message is handed
 * over with its timestamp a little before it is due, so the port (not our timer) keeps the time. Stop silences the
 * port at once and once more just after the last message already handed over, because a message sent with a future
 * timestamp cannot be taken back where `MIDIOutput.clear()` is missing (Chrome has none).
 * Plain TypeScript with an injected clock and timer: tested in Node.
 */
import { allNotesOffMessages, noteOffMessage } from '../../../../core/midi/liveMessages';
import type { TimedMidiMessage } from '../../../../core/midi/takeSchedule';

/** What the player needs of a Web MIDI output. */
export interface MidiSink {
  send(data: number[], timestampMs?: number): void;
  clear?(): void;
}

export interface PlayerClock {
  now(): number;
  every(fn: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

const browserClock: PlayerClock = {
  now: () => performance.now(),
  every: (fn, ms) => setInterval(fn, ms),
  cancel: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/** How far ahead messages are handed to the port, how often the player looks, and the lead-in before the first. */
export const LOOKAHEAD_MS = 250;
export const PUMP_EVERY_MS = 50;
export const LEAD_IN_MS = 100;

export class TakePlayer {
  private next = 0;
  private startAt = 0;
  private lastHandedAt = 0;
  private timer: unknown = null;
  /** Notes whose note-on went out and whose note-off did not: channel * 128 + pitch. */
  private sounding = new Set<number>();
  private finished = false;

  constructor(
    private readonly sink: MidiSink,
    private readonly messages: readonly TimedMidiMessage[],
    private readonly channels: readonly number[],
    private readonly onEnd: () => void = () => {},
    private readonly clock: PlayerClock = browserClock,
  ) {}

  get playing(): boolean {
    return this.timer !== null;
  }

  start(): void {
    this.startAt = this.clock.now() + LEAD_IN_MS;
    this.pump();
    if (!this.finished) this.timer = this.clock.every(() => this.pump(), PUMP_EVERY_MS);
  }

  private pump(): void {
    const now = this.clock.now();
    while (this.next < this.messages.length && this.startAt + this.messages[this.next].timeMs <= now + LOOKAHEAD_MS) {
      const { timeMs, data } = this.messages[this.next++];
      const at = this.startAt + timeMs;
      this.sink.send(data, at);
      this.lastHandedAt = Math.max(this.lastHandedAt, at);
      const status = data[0] & 0xf0;
      const key = (data[0] & 0x0f) * 128 + data[1];
      if (status === 0x90 && data[2] > 0) this.sounding.add(key);
      else if (status === 0x80 || status === 0x90) this.sounding.delete(key);
    }
    // Done once the last message has sounded.
    if (this.next >= this.messages.length && now >= this.lastHandedAt) this.end();
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== null) this.clock.cancel(this.timer);
    this.timer = null;
    this.onEnd();
  }

  /** Stops now: releases every note handed over and sends All Notes Off, now and after the last queued message. */
  stop(): void {
    if (this.finished) return;
    const now = this.clock.now();
    const silence = [
      ...[...this.sounding].map((key) => noteOffMessage(Math.floor(key / 128), key % 128)),
      ...allNotesOffMessages(this.channels),
    ];
    this.sink.clear?.();
    for (const data of silence) this.sink.send(data);
    if (this.lastHandedAt > now) for (const data of silence) this.sink.send(data, this.lastHandedAt + 1);
    this.sounding.clear();
    this.end();
  }
}
