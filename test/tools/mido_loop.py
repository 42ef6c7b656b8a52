#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Dump what python3-mido reads of a loop export's loop points, as JSON, for the loop-mode tests.

Usage: mido_loop.py FILE
Output: {"ppq", "tracks": [{"markers": [[tick, text]], "controlChanges": [[tick, controller, value]],
"endOfTrack": tick, "notes": [[pitch, start, end]]}]}, ticks absolute. Notes pair first-in first-out.
"""
import json
import sys
from collections import defaultdict, deque

import mido


def main(path):
    midi = mido.MidiFile(path)
    result = {'ppq': midi.ticks_per_beat, 'tracks': []}
    for track in midi.tracks:
        tick = 0
        entry = {'markers': [], 'controlChanges': [], 'endOfTrack': None, 'notes': []}
        open_notes = defaultdict(deque)
        for message in track:
            tick += message.time
            if message.type == 'marker':
                entry['markers'].append([tick, message.text])
            elif message.type == 'control_change':
                entry['controlChanges'].append([tick, message.control, message.value])
            elif message.type == 'end_of_track':
                entry['endOfTrack'] = tick
            elif message.type == 'note_on' and message.velocity > 0:
                open_notes[message.note].append(tick)
            elif message.type in ('note_on', 'note_off') and open_notes[message.note]:
                entry['notes'].append([message.note, open_notes[message.note].popleft(), tick])
        result['tracks'].append(entry)
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1])
