// SPDX-License-Identifier: MIT
// Reading our MusicXML back in tests: Python's xml.etree (an XML parser that is not ours, so a file that is not
// well-formed fails here) turns each file into plain JSON; notesOfScore then walks it the way a notation program does
// (a cursor in divisions, <backup> moves it back, <chord/> shares the previous note's start, ties join notes).
import { execFileSync } from 'node:child_process';

export interface XmlItem {
  kind: 'note' | 'backup' | 'forward' | 'harmony' | 'direction' | 'attributes';
  rest?: boolean;
  measureRest?: boolean;
  chord?: boolean;
  step?: string;
  alter?: number;
  octave?: number;
  duration?: number;
  voice?: string;
  type?: string;
  dots?: number;
  staff?: number;
  ties?: string[];
  tied?: string[];
  root?: string;
  rootAlter?: number;
  harmonyKind?: string;
  kindText?: string;
  bass?: string;
  tempo?: number;
  perMinute?: number;
  offset?: number;
  divisions?: number;
  fifths?: number;
  mode?: string;
  beats?: number;
  beatType?: number;
  staves?: number;
  clefs?: string[];
}

export interface XmlMeasure {
  number: string;
  items: XmlItem[];
}

export interface XmlScore {
  version: string;
  title: string;
  partNames: string[];
  parts: { id: string; measures: XmlMeasure[] }[];
}

const READER = String.raw`
import json, sys, xml.etree.ElementTree as E
def num(e, path, cast=float):
    x = e.find(path)
    return None if x is None or x.text is None else cast(x.text)
def txt(e, path):
    x = e.find(path)
    return None if x is None else (x.text or '')
out = []
for file in sys.argv[1:]:
    root = E.parse(file).getroot()
    score = {'version': root.get('version'), 'title': txt(root, 'work/work-title'),
             'partNames': [p.findtext('part-name') for p in root.findall('part-list/score-part')], 'parts': []}
    for part in root.findall('part'):
        measures = []
        for m in part.findall('measure'):
            items = []
            for e in m:
                if e.tag == 'note':
                    r = e.find('rest')
                    items.append({'kind': 'note', 'rest': r is not None,
                        'measureRest': r is not None and r.get('measure') == 'yes',
                        'chord': e.find('chord') is not None, 'step': txt(e, 'pitch/step'),
                        'alter': num(e, 'pitch/alter') or 0, 'octave': num(e, 'pitch/octave', int),
                        'duration': num(e, 'duration', int), 'voice': txt(e, 'voice'), 'type': txt(e, 'type'),
                        'dots': len(e.findall('dot')), 'staff': num(e, 'staff', int),
                        'ties': [t.get('type') for t in e.findall('tie')],
                        'tied': [t.get('type') for t in e.findall('notations/tied')]})
                elif e.tag in ('backup', 'forward'):
                    items.append({'kind': e.tag, 'duration': num(e, 'duration', int)})
                elif e.tag == 'harmony':
                    items.append({'kind': 'harmony', 'root': txt(e, 'root/root-step'),
                        'rootAlter': num(e, 'root/root-alter') or 0, 'harmonyKind': txt(e, 'kind'),
                        'kindText': e.find('kind').get('text'), 'bass': txt(e, 'bass/bass-step'),
                        'offset': num(e, 'offset', int) or 0})
                elif e.tag == 'direction':
                    s = e.find('sound')
                    items.append({'kind': 'direction', 'tempo': None if s is None else float(s.get('tempo')),
                        'perMinute': num(e, 'direction-type/metronome/per-minute'), 'offset': num(e, 'offset', int) or 0})
                elif e.tag == 'attributes':
                    items.append({'kind': 'attributes', 'divisions': num(e, 'divisions', int),
                        'fifths': num(e, 'key/fifths', int), 'mode': txt(e, 'key/mode'),
                        'beats': num(e, 'time/beats', int), 'beatType': num(e, 'time/beat-type', int),
                        'staves': num(e, 'staves', int),
                        'clefs': [c.findtext('sign') for c in e.findall('clef')]})
            measures.append({'number': m.get('number'), 'items': items})
        score['parts'].append({'id': part.get('id'), 'measures': measures})
    out.append(score)
print(json.dumps(out))
`;

/** Parse MusicXML files with Python's xml.etree (throws when a file is not well-formed). */
export function readScores(files: string[]): XmlScore[] {
  const json = execFileSync('/usr/bin/python3', ['-c', READER, ...files], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  return JSON.parse(json) as XmlScore[];
}

const STEP_SEMITONES: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** MIDI pitch of a written note. */
export function midiOf(item: XmlItem): number {
  return (item.octave! + 1) * 12 + STEP_SEMITONES[item.step!] + (item.alter ?? 0);
}

/** A sounding note in quarter notes, as read from a score (ties joined). */
export interface ReadNote {
  pitch: number;
  startQ: number;
  durationQ: number;
  staff: number;
}

/**
 * The sounding notes of one part: every pitched note's start from a cursor that notes (not chord members) advance and
 * <backup>/<forward> move; a note whose previous piece of the same pitch and staff ends where it starts with a tie
 * start/stop pair is joined to it. Sorted by start, then pitch.
 */
export function notesOfPart(part: XmlScore['parts'][number], divisions: number): ReadNote[] {
  const notes: ReadNote[] = [];
  const open = new Map<string, ReadNote>();
  let cursor = 0;
  let measureStart = 0;
  let lastStart = 0;
  for (const measure of part.measures) {
    cursor = measureStart;
    let furthest = measureStart;
    for (const item of measure.items) {
      if (item.kind === 'backup') cursor -= item.duration!;
      else if (item.kind === 'forward') cursor += item.duration!;
      else if (item.kind === 'note') {
        const start = item.chord ? lastStart : cursor;
        if (!item.chord) cursor += item.duration!;
        lastStart = start;
        furthest = Math.max(furthest, start + item.duration!);
        if (item.rest) continue;
        const pitch = midiOf(item);
        const key = `${pitch}/${item.staff ?? 1}/${item.voice}`;
        const tiedFrom = open.get(key);
        const startQ = start / divisions;
        if (item.ties!.includes('stop') && tiedFrom && Math.abs(tiedFrom.startQ + tiedFrom.durationQ - startQ) < 1e-9) {
          tiedFrom.durationQ += item.duration! / divisions;
        } else {
          const note = { pitch, startQ, durationQ: item.duration! / divisions, staff: item.staff ?? 1 };
          notes.push(note);
          open.set(key, note);
        }
        if (!item.ties!.includes('start')) open.delete(key);
      }
    }
    measureStart = furthest;
  }
  return notes.sort((a, b) => a.startQ - b.startQ || a.pitch - b.pitch);
}

/** The divisions of a score (first attributes of the first part). */
export function divisionsOf(score: XmlScore): number {
  const item = score.parts[0].measures[0].items.find((i) => i.kind === 'attributes' && i.divisions !== null);
  return item!.divisions!;
}
