// SPDX-License-Identifier: MIT
/**
 * A played phrase (timed key presses from a MIDI keyboard, the on-screen piano or the computer keyboard) as a clip:
 * a NoteSequence on the sixteenth grid at the composer's tempo and meter, ready to be written as MIDI and continued
 * exactly like an imported clip.
 */
import type { Bpm, Note, NoteSequence, Ticks } from '../music/NoteSequence';
import { sixteenthsPerBar, type Meter } from '../music/meter';
import type { LiveNoteEvent, Milliseconds } from './liveMessages';

/** The clip's resolution: the library's usual 480 ticks per quarter. */
export const RECORDING_PPQ = 480;

/** Where bar 1 begins: after a count-in from pressing Record, or on the first note played. */
export type RecordingStart = { kind: 'count-in'; armedAtMs: Milliseconds; bars: number } | { kind: 'first-note' };

/** Thrown when a recording cannot become a clip (nothing played, or bad settings). */
export class RecordingError extends Error {
  override name = 'RecordingError' as const;
  readonly code: 'RECORDING_EMPTY' | 'RECORDING_INVALID';
  constructor(code: RecordingError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Milliseconds per bar of `meter` at `bpm` quarters a minute (3/4 at 100 bpm: 1,800 ms; 6/8 at 120: 1,500 ms). */
export function barMs(bpm: Bpm, meter: Meter): Milliseconds {
  return (sixteenthsPerBar(meter) / 4) * (60_000 / bpm);
}

/**
 * When bar 1 begins on the events' clock: `bars` bars of count-in after Record was pressed, or the first note-on
 * (null while none has been played).
 */
export function downbeatMs(
  start: RecordingStart,
  events: readonly LiveNoteEvent[],
  bpm: Bpm,
  meter: Meter,
): Milliseconds | null {
  if (start.kind === 'count-in') return start.armedAtMs + start.bars * barMs(bpm, meter);
  const first = events.find((e) => e.kind === 'on');
  return first ? first.timeMs : null;
}

export interface RecordedClip {
  sequence: NoteSequence;
  /** Notes that ended before bar 1 (played during the count-in): left out. */
  droppedBeforeStart: number;
}

/**
 * Pairs key presses with releases and snaps both to the sixteenth grid (nearest line) from `downbeatMs` on.
 *
 * - A note still held at `stopMs` ends there; a second press of a held key ends the first note there.
 * - A note shorter than a sixteenth after snapping lasts one sixteenth (a quick tap still counts).
 * - A press snapping to before bar 1 starts on bar 1 if it is still sounding there; otherwise it is left out.
 * - Velocities are kept; channels are merged into one track (a seed is one instrument).
 *
 * @param events  note events in time order, on the same clock as `downbeatMs` and `stopMs`
 * @param options `bpm` 20..400, `meter` one the sixteenth grid holds, `name` the clip's name
 * @throws {RecordingError} RECORDING_EMPTY when no note sounds from bar 1 on; RECORDING_INVALID for a bad tempo
 * @throws {MeterError} for a meter the sixteenth grid cannot hold
 * @example recordedClip(events, { bpm: 100, meter: { numerator: 3, denominator: 4 }, downbeatMs: 1000, stopMs: 5000, name: 'take' })
 */
export function recordedClip(
  events: readonly LiveNoteEvent[],
  options: { bpm: Bpm; meter: Meter; downbeatMs: Milliseconds; stopMs: Milliseconds; name: string },
): RecordedClip {
  const { bpm, meter, downbeatMs: origin, stopMs, name } = options;
  if (!Number.isFinite(bpm) || bpm < 20 || bpm > 400)
    throw new RecordingError('RECORDING_INVALID', `The tempo must be 20 to 400 bpm to record, got: ${bpm}.`);
  sixteenthsPerBar(meter);
  const grid: Ticks = RECORDING_PPQ / 4;
  const ticksPerMs = (bpm * RECORDING_PPQ) / 60_000;
  const snap = (timeMs: Milliseconds): Ticks => Math.round(((timeMs - origin) * ticksPerMs) / grid) * grid;

  const held = new Map<number, LiveNoteEvent>();
  const played: { on: LiveNoteEvent; offMs: Milliseconds }[] = [];
  for (const event of events) {
    const open = held.get(event.pitch);
    if (open) {
      played.push({ on: open, offMs: event.timeMs });
      held.delete(event.pitch);
    }
    if (event.kind === 'on') held.set(event.pitch, event);
  }
  for (const open of held.values()) played.push({ on: open, offMs: stopMs });

  const notes: Note[] = [];
  let droppedBeforeStart = 0;
  for (const { on, offMs } of played) {
    let startTick = snap(on.timeMs);
    let endTick = snap(offMs);
    if (startTick < 0) {
      if (endTick <= 0) {
        droppedBeforeStart++;
        continue;
      }
      startTick = 0;
    }
    if (endTick - startTick < grid) endTick = startTick + grid;
    notes.push({ pitch: on.pitch, startTick, durationTicks: endTick - startTick, velocity: on.velocity });
  }
  if (notes.length === 0)
    throw new RecordingError(
      'RECORDING_EMPTY',
      droppedBeforeStart > 0
        ? 'Every note was played during the count-in: start playing on bar 1, after the clicks.'
        : 'Nothing was recorded: play some notes after pressing Record.',
    );
  notes.sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
  return {
    sequence: {
      ppq: RECORDING_PPQ,
      name,
      tempos: [{ tick: 0, bpm }],
      timeSignatures: [{ tick: 0, numerator: meter.numerator, denominator: meter.denominator }],
      keySignatures: [],
      tracks: [{ name, program: 0, channel: 0, isPercussion: false, notes }],
    },
    droppedBeforeStart,
  };
}
