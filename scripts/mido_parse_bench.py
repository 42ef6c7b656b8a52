#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Parse-only baseline for `npm run bench:import`: how fast python3-mido reads a folder of MIDI files.

Walks the folder recursively (same .mid/.midi rule as Etude's importer), parses every file with
mido.MidiFile and counts sounding note-ons, so the work is not optimised away. Prints one JSON line:
{"files": n, "failed": n, "seconds": s, "files_per_sec": r, "notes": n}.
"""
import json
import os
import sys
import time

import mido


def midi_files(root):
    out = []
    for folder, _dirs, names in os.walk(root):
        for name in names:
            if name.lower().endswith(('.mid', '.midi')):
                out.append(os.path.join(folder, name))
    return sorted(out)


def main():
    root = sys.argv[1]
    files = midi_files(root)
    notes = 0
    failed = 0
    start = time.perf_counter()
    for path in files:
        try:
            mid = mido.MidiFile(path)
            for track in mid.tracks:
                for msg in track:
                    if msg.type == 'note_on' and msg.velocity > 0:
                        notes += 1
        except Exception:  # a damaged file counts as read, like a failure in our import
            failed += 1
    seconds = time.perf_counter() - start
    print(json.dumps({'files': len(files), 'failed': failed, 'seconds': seconds,
                      'files_per_sec': len(files) / seconds if seconds > 0 else 0, 'notes': notes}))


if __name__ == '__main__':
    main()
