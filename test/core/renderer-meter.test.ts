// SPDX-License-Identifier: MIT
// The renderer follows a take's time-signature map: the piano roll's bar and beat lines, the score's measures and
// time signatures, and the MIDI and MusicXML a take is saved as (read back by python3-mido).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gridLines } from '../../src/renderer/src/lib/pianoroll/geometry';
import { engrave } from '../../src/renderer/src/lib/score/engrave';
import { variationMidiBytes, variationMusicXmlBytes } from '../../src/renderer/src/lib/util/exportMidi';

const dir = mkdtempSync(path.join(os.tmpdir(), 'etude-renderer-meter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PPQ = 480;
// 4/4 for 2 bars, 3/4 for 2, 6/8 for 2, then 4/4.
const MAP = [
  { tick: 0, numerator: 4, denominator: 4 },
  { tick: 3840, numerator: 3, denominator: 4 },
  { tick: 6720, numerator: 6, denominator: 8 },
  { tick: 9600, numerator: 4, denominator: 4 },
];
const notes = Array.from({ length: 23 }, (_, i) => ({
  pitch: 60 + (i % 12),
  startTick: i * 480,
  durationTicks: 240,
  velocity: 90,
}));

describe('a take whose meter changes, in the renderer', () => {
  it('the roll draws bar lines and beats where the map puts them (6/8 beats in dotted quarters)', () => {
    const lines = gridLines(MAP, PPQ, 0, 11519, 120, 1);
    const bars = lines.filter((l) => l.kind === 'bar').map((l) => l.tick);
    expect(bars).toEqual([0, 1920, 3840, 5280, 6720, 8160, 9600]);
    const beats = lines.filter((l) => l.kind === 'beat' && l.tick >= 6720 && l.tick < 9600).map((l) => l.tick);
    expect(beats).toEqual([7440, 8880]);
    expect(lines.filter((l) => l.kind === 'step')).toHaveLength(96 - 7 - (3 * 3 + 2 * 2 + 1 * 2)); // 96 sixteenths less 7 bar lines and 15 beats
    // Far out: bars only, no beats.
    expect(gridLines(MAP, PPQ, 0, 11519, 120, 16, false).some((l) => l.kind === 'beat')).toBe(false);
  });

  it('the score has measures of each meter and a time signature at each change', () => {
    const plan = engrave(notes, { ppq: PPQ, meterMap: MAP, endTick: 11520 });
    expect(plan.measureCount).toBe(7);
    expect(plan.measures.map((m) => `${m.meter.numerator}/${m.meter.denominator}:${m.sixteenths}`)).toEqual([
      '4/4:16',
      '4/4:16',
      '3/4:12',
      '3/4:12',
      '6/8:12',
      '6/8:12',
      '4/4:16',
    ]);
    expect(plan.measures[4].beatSixteenths).toBe(6);
    // Every measure's events fill it exactly.
    for (const [m, events] of plan.staves[0].measures.entries())
      expect(events.reduce((n, e) => n + e.sixteenths, 0)).toBe(plan.measures[m].sixteenths);
    // One meter: the same plan as before maps.
    const one = engrave(notes, { ppq: PPQ, meter: { numerator: 3, denominator: 4 }, endTick: 11520 });
    expect(one.measures.every((m) => m.sixteenths === 12)).toBe(true);
    expect(one.measureCount).toBe(8);
  });

  it('saved as MIDI, a time_signature at each change; as MusicXML, <time> at each changing measure', () => {
    const file = path.join(dir, 'take.mid');
    writeFileSync(file, variationMidiBytes(notes, PPQ, 100, 'take', MAP));
    const read = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        [
          'import sys, json, mido',
          'm = mido.MidiFile(sys.argv[1]); out = []',
          'for t in m.tracks:',
          '    tick = 0',
          '    for x in t:',
          '        tick += x.time',
          "        if x.type == 'time_signature': out.append([tick, x.numerator, x.denominator])",
          'print(json.dumps(out))',
        ].join('\n'),
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(read)).toEqual(MAP.map((s) => [s.tick, s.numerator, s.denominator]));
    const xml = new TextDecoder().decode(variationMusicXmlBytes(notes, PPQ, 100, 'take', MAP));
    const measures = [...xml.matchAll(/<measure number="(\d+)"[^>]*>([\s\S]*?)<\/measure>/g)];
    expect(measures).toHaveLength(7);
    const times = measures.flatMap((m) => {
      const t = /<beats>(\d+)<\/beats>\s*<beat-type>(\d+)<\/beat-type>/.exec(m[2]);
      return t ? [`${m[1]}:${t[1]}/${t[2]}`] : [];
    });
    expect(times).toEqual(['1:4/4', '3:3/4', '5:6/8', '7:4/4']);
  });
});
