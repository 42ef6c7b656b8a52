#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Dump what python3-mido reads from one MIDI file as JSON, for the writeMidi tests.

Usage: mido_dump.py FILE
Output: {"type", "ppq", "tracks": [{"name", "programs": [[channel, program]], "notes": [[channel, pitch,
start, duration, velocity]]}], "tempos": [[tick, microseconds per quarter]], "timeSignatures":
[[tick, numerator, denominator]], "keySignatures": [[tick, key]]} with mido's own key names
("G", "Em"). Notes pair first-in first-out, as mido_notes.py.
"""
import json
import sys
from collections import defaultdict, deque

import mido


def main(path):
    midi = mido.MidiFile(path)
    result = {'type': midi.type, 'ppq': midi.ticks_per_beat, 'tracks': [], 'tempos': [], 'timeSignatures': [],
              'keySignatures': []}
    for track in midi.tracks:
        tick = 0
        open_notes = defaultdict(deque)
        notes = []
        programs = []
        for message in track:
            tick += message.time
            if message.type == 'set_tempo':
                result['tempos'].append([tick, message.tempo])
            elif message.type == 'time_signature':
                result['timeSignatures'].append([tick, message.numerator, message.denominator])
            elif message.type == 'key_signature':
                result['keySignatures'].append([tick, message.key])
            elif message.type == 'program_change':
                programs.append([message.channel, message.program])
            elif message.type == 'note_on' and message.velocity > 0:
                open_notes[(message.channel, message.note)].append((tick, message.velocity))
            elif message.type in ('note_on', 'note_off'):
                queue = open_notes[(message.channel, message.note)]
                if queue:
                    start, velocity = queue.popleft()
                    notes.append([message.channel, message.note, start, tick - start, velocity])
        notes.sort(key=lambda note: (note[2], note[1]))
        result['tracks'].append({'name': track.name, 'programs': programs, 'notes': notes})
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1])
