#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Independent ground truth for parseMidi's note rule, read with python3-mido.

Usage: mido_notes.py DIR_OR_FILE...   (directories: their *.mid files, not recursive)
Prints one JSON object: {"<path>": {"notes": n, "digest": sha1, "ppq": .., "tempos": [[tick, us]],
"timeSignatures": [[tick, n, d]], "keySignatures": [[tick, "Em"]]} or {"error": "..."}}, where digest is
the SHA-1 of the notes sorted by (start, pitch, duration), each written "pitch,start,duration;" (so
pairing, timing and pitch errors all show, not only the count). Meta maps keep the last event of each
tick (file order), as parseMidi does.

The rule (the same as src/core/midi/smf.ts scanTrack, documented there):
- per track, a note_on with velocity > 0 opens a note on (channel, pitch);
- a note_off, or a note_on with velocity 0, closes the OLDEST open note of that (channel, pitch)
  (first in, first out); a note-off with nothing open is ignored;
- notes still open at the end of the track end at the track's last message tick;
- notes lasting 0 ticks are dropped (they cannot sound).
"""
import hashlib
import json
import os
import sys
from collections import defaultdict, deque

import mido


def notes_of(path):
    midi = mido.MidiFile(path)
    kept = []
    tempos, time_signatures, key_signatures = [], [], []
    for track in midi.tracks:
        tick = 0
        open_notes = defaultdict(deque)
        finished = []
        for message in track:
            tick += message.time
            if message.type == 'set_tempo':
                tempos.append([tick, message.tempo])
            elif message.type == 'time_signature':
                time_signatures.append([tick, message.numerator, message.denominator])
            elif message.type == 'key_signature':
                key_signatures.append([tick, message.key])
            elif message.type == 'note_on' and message.velocity > 0:
                open_notes[(message.channel, message.note)].append(tick)
            elif message.type in ('note_off', 'note_on'):
                queue = open_notes[(message.channel, message.note)]
                if queue:
                    finished.append((message.note, queue.popleft(), tick))
        for (channel, pitch), queue in open_notes.items():
            for start in queue:
                finished.append((pitch, start, tick))
        kept.extend((start, pitch, end - start) for pitch, start, end in finished if end - start > 0)
    kept.sort()
    text = ''.join(f'{pitch},{start},{duration};' for start, pitch, duration in kept)
    return {'notes': len(kept), 'digest': hashlib.sha1(text.encode('ascii')).hexdigest(), 'ppq': midi.ticks_per_beat,
            'tempos': last_per_tick(tempos), 'timeSignatures': last_per_tick(time_signatures),
            'keySignatures': last_per_tick(key_signatures)}


def last_per_tick(events):
    """Sorted by tick (stable: file order within a tick), keeping the last event of each tick."""
    result = []
    for event in sorted(events, key=lambda event: event[0]):
        if result and result[-1][0] == event[0]:
            result[-1] = event
        else:
            result.append(event)
    return result


def main():
    paths = []
    for argument in sys.argv[1:]:
        if os.path.isdir(argument):
            paths.extend(sorted(os.path.join(argument, name) for name in os.listdir(argument) if name.lower().endswith('.mid')))
        else:
            paths.append(argument)
    result = {}
    for path in paths:
        try:
            result[path] = notes_of(path)
        except Exception as error:  # noqa: BLE001 - reported per file, compared by the test
            result[path] = {'error': str(error)}
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
