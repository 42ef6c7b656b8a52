#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the tiny MIDI fixtures of test/fixtures/midi (see NOTES.md there). Run from anywhere:
    /usr/bin/python3 test/tools/make_midi_fixtures.py
The files are committed; rerunning must give the same bytes.
"""
import os
import struct

import mido

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'midi')


def melody_offgrid():
    """Format 1, PPQ 96 (a sixteenth = 24 ticks), 100 bpm, 3/4, D major, three tracks."""
    midi = mido.MidiFile(type=1, ticks_per_beat=96)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage('track_name', name='Off-grid melody', time=0))
    conductor.append(mido.MetaMessage('set_tempo', tempo=600000, time=0))
    conductor.append(mido.MetaMessage('time_signature', numerator=3, denominator=4, time=0))
    conductor.append(mido.MetaMessage('key_signature', key='D', time=0))
    midi.tracks.append(conductor)

    # (pitch, start tick, end tick): note-offs are written as note_on velocity 0.
    melody_notes = [
        (62, 3, 45),      # D4: starts 3 ticks late, 42 long -> step 0, ends step 2 (45/24 = 1.9)
        (66, 46, 95),     # F#4: step 2 (46/24 = 1.9), ends step 4
        (69, 98, 150),    # A4: step 4 (98/24 = 4.1), would end step 6 ...
        (57, 100, 140),   # ... A3 in the same sixteenth (step 4): the higher A4 wins
        (74, 143, 200),   # D5: step 6 (143/24 = 5.96), cuts A4 there; ends step 8 (200/24 = 8.3)
        (73, 264, 310),   # C#5: step 11 after a rest; ends step 13 (310/24 = 12.9)
    ]
    melody = mido.MidiTrack()
    melody.append(mido.MetaMessage('track_name', name='Flute', time=0))
    melody.append(mido.Message('program_change', channel=0, program=73, time=0))
    events = []
    for pitch, start, end in melody_notes:
        events.append((start, 1, mido.Message('note_on', channel=0, note=pitch, velocity=80)))
        events.append((end, 0, mido.Message('note_on', channel=0, note=pitch, velocity=0)))
    append_sorted(melody, events)
    midi.tracks.append(melody)

    bass = mido.MidiTrack()
    bass.append(mido.MetaMessage('track_name', name='Bass', time=0))
    bass.append(mido.Message('program_change', channel=1, program=32, time=0))
    events = []
    for index, pitch in enumerate([38, 45, 38, 45]):
        events.append((index * 96, 1, mido.Message('note_on', channel=1, note=pitch, velocity=70)))
        events.append((index * 96 + 90, 0, mido.Message('note_off', channel=1, note=pitch, velocity=0)))
    append_sorted(bass, events)
    midi.tracks.append(bass)

    drums = mido.MidiTrack()
    drums.append(mido.MetaMessage('track_name', name='Drums', time=0))
    events = []
    for index in range(6):
        events.append((index * 48, 1, mido.Message('note_on', channel=9, note=42, velocity=100)))
        events.append((index * 48 + 10, 0, mido.Message('note_off', channel=9, note=42, velocity=0)))
    append_sorted(drums, events)
    midi.tracks.append(drums)
    midi.save(os.path.join(OUT, 'melody-offgrid.mid'))


def append_sorted(track, events):
    tick = 0
    for at, _, message in sorted(events, key=lambda event: (event[0], event[1])):
        track.append(message.copy(time=at - tick))
        tick = at


def chunk(kind, body):
    return kind + struct.pack('>I', len(body)) + body


def running_status():
    """Format 0, PPQ 480, hand-assembled to use what mido's writer does not: running status,
    note_on velocity 0 as note-off, a sysex, a stray note-off, a zero-length note, overlapping
    same-pitch notes (FIFO pairing) and a note never switched off (ends at end of track)."""
    body = bytes([
        0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,   # tempo 500000 us = 120 bpm
        0x00, 0xF0, 0x03, 0x7E, 0x7F, 0xF7,         # a sysex event
        0x00, 0xC0, 0x05,                           # program 5 on channel 0
        0x00, 0x90, 0x3C, 0x64,                     # t=0    C4 on, vel 100
        0x00, 0x40, 0x50,                           # t=0    E4 on, vel 80 (running status)
        0x83, 0x60, 0x3C, 0x00,                     # t=480  C4 off (vel 0, running status)
        0x00, 0x40, 0x00,                           # t=480  E4 off
        0x00, 0x80, 0x30, 0x40,                     # t=480  stray note-off for C3: ignored
        0x00, 0x90, 0x43, 0x60,                     # t=480  G4 on
        0x00, 0x43, 0x00,                           # t=480  G4 off at once: zero length, dropped
        0x00, 0x45, 0x50,                           # t=480  A4 on (first)
        0x81, 0x70, 0x45, 0x51,                     # t=720  A4 on again, vel 81 (overlap)
        0x81, 0x70, 0x45, 0x00,                     # t=960  A4 off: closes the first (FIFO)
        0x83, 0x60, 0x80, 0x45, 0x00,               # t=1440 A4 off: closes the second
        0x00, 0x90, 0x48, 0x70,                     # t=1440 C5 on, never switched off
        0x87, 0x40, 0xFF, 0x2F, 0x00,               # t=2400 end of track
    ])
    header = chunk(b'MThd', struct.pack('>HHH', 0, 1, 480))
    with open(os.path.join(OUT, 'running-status.mid'), 'wb') as file:
        file.write(header + chunk(b'MTrk', body))


def smpte():
    """A valid note in a file whose division is SMPTE: -25 fps, 40 ticks per frame."""
    body = bytes([0x00, 0x90, 0x3C, 0x64, 0x28, 0x80, 0x3C, 0x00, 0x00, 0xFF, 0x2F, 0x00])
    header = chunk(b'MThd', struct.pack('>HHBB', 0, 1, 0xE7, 40))
    with open(os.path.join(OUT, 'smpte.mid'), 'wb') as file:
        file.write(header + chunk(b'MTrk', body))


def tempo_only():
    """A tempo map and a time signature, no notes."""
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage('set_tempo', tempo=400000, time=0))
    track.append(mido.MetaMessage('time_signature', numerator=6, denominator=8, time=0))
    track.append(mido.MetaMessage('end_of_track', time=1920))
    midi.tracks.append(track)
    midi.save(os.path.join(OUT, 'tempo-only.mid'))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    melody_offgrid()
    running_status()
    smpte()
    tempo_only()
