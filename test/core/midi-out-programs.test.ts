// SPDX-License-Identifier: MIT
/**
 * "Send to MIDI out" plays the instruments chosen on the Compose card: the schedule the card hands the port
 * (takeMessages of variationSequence with the card's programs) opens with one program change a track, each on its
 * own channel, the same programs Save MIDI writes; the notes follow on their track's channel.
 */
import { describe, expect, it } from 'vitest';
import { programsForTracks } from '../../src/core/audio/instruments';
import { parseMidi } from '../../src/core/midi/readMidi';
import { takeMessages } from '../../src/core/midi/takeSchedule';
import type { Note } from '../../src/core/music/NoteSequence';
import { variationMidiBytes, variationSequence } from '../../src/renderer/src/lib/util/exportMidi';

const PPQ = 480;
/** A grand-staff take: right hand from middle C up, left hand below. */
const notes: Note[] = [
  { pitch: 72, startTick: 0, durationTicks: 480, velocity: 90 },
  { pitch: 48, startTick: 0, durationTicks: 960, velocity: 70 },
  { pitch: 76, startTick: 480, durationTicks: 480, velocity: 80 },
];
const meter = { numerator: 4, denominator: 4 };

describe('MIDI out schedule', () => {
  it('carries the chosen program of each track on its own channel, as Save MIDI writes them', () => {
    const programs = programsForTracks(2, [48, 32]);
    const schedule = takeMessages(variationSequence(notes, PPQ, 100, 'take', meter, true, programs));
    const programChanges = schedule.filter((m) => (m.data[0]! & 0xf0) === 0xc0);
    expect(programChanges).toEqual([
      { timeMs: 0, data: [0xc0, 48] },
      { timeMs: 0, data: [0xc1, 32] },
    ]);
    // The program changes come before any note; each hand's notes sound on its channel.
    expect(schedule.slice(0, 2)).toEqual(programChanges);
    const noteOns = schedule.filter((m) => (m.data[0]! & 0xf0) === 0x90);
    expect(noteOns.map((m) => [m.data[0]! & 0x0f, m.data[1]])).toEqual([
      [0, 72],
      [1, 48],
      [0, 76],
    ]);
    const saved = parseMidi(variationMidiBytes(notes, PPQ, 100, 'take', meter, true, [], programs), 'take.mid');
    expect(saved.tracks.map((t) => [t.channel, t.program])).toEqual([
      [0, 48],
      [1, 32],
    ]);
  });

  it('sends the melody on channel 0 with its chosen program, and the piano when none was chosen', () => {
    const chosen = takeMessages(variationSequence(notes, PPQ, 100, 'take', meter, false, programsForTracks(1, [73])));
    expect(chosen[0]).toEqual({ timeMs: 0, data: [0xc0, 73] });
    const none = takeMessages(variationSequence(notes, PPQ, 100, 'take', meter, false));
    expect(none[0]).toEqual({ timeMs: 0, data: [0xc0, 0] });
  });
});
