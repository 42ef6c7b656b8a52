// SPDX-License-Identifier: MIT
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, openLibrary, type Library } from '../../src/main/db';
import { importPaths } from '../../src/main/services/importService';
import { corpusStats, histogramSvg, histogramText } from '../../src/main/services/stats';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const melodiesJson = path.resolve(repoRoot, '../shared/data/seed-melodies/melodies.json');

/** Parses the SVG with Python's XML parser (independent of ours) and returns bar data. */
const SVG_BARS = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
ns = {'s': 'http://www.w3.org/2000/svg'}
bars = [{'token': int(r.get('data-token')), 'height': float(r.get('height'))} for r in root.iter('{http://www.w3.org/2000/svg}rect') if r.get('class') == 'bar']
texts = [t.text for t in root.iter('{http://www.w3.org/2000/svg}text')]
print(json.dumps({'tag': root.tag, 'bars': bars, 'texts': texts}))
`;

let dir: string;
let library: Library;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'etude-stats-'));
  library = openLibrary(path.join(dir, 'library.db'), { onSlowQuery: () => {} });
  await importPaths(library, [melodiesJson], { corpusName: 'Seeds' });
});
afterAll(() => {
  library.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('corpusStats', () => {
  it('counts the tokens of every distinct melody', () => {
    const raw = JSON.parse(readFileSync(melodiesJson, 'utf8')) as { melodies: number[][] };
    const distinct = [...new Map(raw.melodies.map((m) => [m.join(','), m])).values()];
    const expected = new Array<number>(130).fill(0);
    for (const m of distinct) for (const t of m) expected[t]++;
    const pitches = distinct.flat().filter((t) => t < 128);

    const stats = corpusStats(library, 'seeds');
    expect(stats.pieces).toBe(distinct.length);
    expect(stats.tokenHistogram).toEqual(expected);
    expect(stats.totalSixteenths).toBe(distinct.reduce((s, m) => s + m.length, 0));
    expect(stats.melodyNotes).toBe(pitches.length);
    expect(stats.pitchRange).toEqual({ lowest: Math.min(...pitches), highest: Math.max(...pitches) });
    expect(stats.unusedPitches.length + new Set(pitches).size).toBe(128);
    for (const p of stats.unusedPitches) expect(pitches.includes(p)).toBe(false);
    expect(stats.lengthSixteenths.max).toBe(Math.max(...distinct.map((m) => m.length)));
    expect(stats.formats).toEqual({ 'token-melody': distinct.length });
    expect(() => corpusStats(library, 'missing')).toThrow(NotFoundError);
  });

  it('draws a valid SVG: one bar per used token, taller for larger counts (log scale), labelled', () => {
    const stats = corpusStats(library, 'Seeds');
    const svg = histogramSvg(stats);
    const parsed = JSON.parse(execFileSync('/usr/bin/python3', ['-c', SVG_BARS], { input: svg, encoding: 'utf8' })) as {
      tag: string;
      bars: { token: number; height: number }[];
      texts: string[];
    };
    expect(parsed.tag).toBe('{http://www.w3.org/2000/svg}svg');
    const used = stats.tokenHistogram.flatMap((c, t) => (c > 0 ? [t] : []));
    expect(parsed.bars.map((b) => b.token)).toEqual(used);
    const height = new Map(parsed.bars.map((b) => [b.token, b.height]));
    // 129 (no event) is the most frequent token in this corpus and must be the tallest bar.
    const tallest = parsed.bars.reduce((a, b) => (b.height > a.height ? b : a));
    expect(stats.tokenHistogram[tallest.token]).toBe(Math.max(...stats.tokenHistogram));
    for (const a of used)
      for (const b of used) {
        if (stats.tokenHistogram[a] > stats.tokenHistogram[b])
          expect(height.get(a)!).toBeGreaterThanOrEqual(height.get(b)!);
      }
    expect(parsed.texts.some((t) => t.includes('Seeds'))).toBe(true);
    expect(parsed.texts).toContain('C4');
    expect(parsed.texts).toContain('count (log scale)');
    expect(histogramText(stats)).toHaveLength(used.length);
  });

  it('escapes corpus names in the SVG', () => {
    const stats = { ...corpusStats(library, 'Seeds'), corpusName: 'A & B <folk>' };
    const svg = histogramSvg(stats);
    expect(svg).toContain('A &amp; B &lt;folk&gt;');
    execFileSync('/usr/bin/python3', ['-c', SVG_BARS], { input: svg, encoding: 'utf8' });
  });
});
