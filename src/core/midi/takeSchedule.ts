// SPDX-License-Identifier: MIT
/**
 * A take as timed MIDI messages for a live port (a DAW, a synthesiser): what to send, and when, in milliseconds from
 * the start of playback. Pure; the renderer's player hands them to Web MIDI a little ahead of time.
 */
import type { NoteSequence, Ticks } from '../music/NoteSequence';
import { noteOffMessage, noteOnMessage, programChangeMessage, type Milliseconds } from './liveMessages';

export interface TimedMidiMessage {
  /** From the start of playback. */
  timeMs: Milliseconds;
  data: number[];
}

/** The MIDI default where a sequence states no tempo. */
const DEFAULT_BPM = 120;

/**
 * Milliseconds from tick 0 to `tick` through the sequence's tempo map (each tempo holds until the next).
 * @example ticksToMs({ ppq: 480, tempos: [{ tick: 0, bpm: 100 }] }, 480) // 600
 */
export function ticksToMs(seq: Pick<NoteSequence, 'ppq' | 'tempos'>, tick: Ticks): Milliseconds {
  const tempos = seq.tempos.length > 0 ? seq.tempos : [{ tick: 0, bpm: DEFAULT_BPM }];
  let ms = 0;
  let fromTick = 0;
  let bpm = tempos[0].tick <= 0 ? tempos[0].bpm : DEFAULT_BPM;
  for (const tempo of tempos) {
    if (tempo.tick <= 0) {
      bpm = tempo.bpm;
      continue;
    }
    if (tempo.tick >= tick) break;
    ms += ((tempo.tick - fromTick) * 60_000) / (bpm * seq.ppq);
    fromTick = tempo.tick;
    bpm = tempo.bpm;
  }
  return ms + ((tick - fromTick) * 60_000) / (bpm * seq.ppq);
}

/** The order of messages that fall on the same instant: programs first, then releases, then new notes. */
const RANK = { program: 0, off: 1, on: 2 } as const;

/**
 * Every message a take sends, in time order: each track's program change at 0, then each note's note-on (its own
 * velocity, clamped to 1..127) and note-off on its track's channel. At one instant, note-offs go before note-ons,
 * so a repeated pitch is struck again rather than cut. Zero-length notes are skipped (they would not sound).
 */
export function takeMessages(seq: NoteSequence): TimedMidiMessage[] {
  const timed: (TimedMidiMessage & { rank: number; order: number })[] = [];
  let order = 0;
  for (const track of seq.tracks) {
    timed.push({
      timeMs: 0,
      data: programChangeMessage(track.channel, track.program),
      rank: RANK.program,
      order: order++,
    });
    for (const note of track.notes) {
      if (note.durationTicks <= 0) continue;
      timed.push({
        timeMs: ticksToMs(seq, note.startTick),
        data: noteOnMessage(track.channel, note.pitch, note.velocity),
        rank: RANK.on,
        order: order++,
      });
      timed.push({
        timeMs: ticksToMs(seq, note.startTick + note.durationTicks),
        data: noteOffMessage(track.channel, note.pitch),
        rank: RANK.off,
        order: order++,
      });
    }
  }
  timed.sort((a, b) => a.timeMs - b.timeMs || a.rank - b.rank || a.order - b.order);
  return timed.map(({ timeMs, data }) => ({ timeMs, data }));
}

/** The channels a take uses (what Stop silences). */
export function takeChannels(seq: NoteSequence): number[] {
  return [...new Set(seq.tracks.map((t) => t.channel))];
}
