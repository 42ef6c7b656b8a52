// SPDX-License-Identifier: MIT
// JSON corpus readers on the real shared files, plus the shapes they must refuse.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CorpusFormatError,
  detectJsonCorpus,
  readPianoRollSplits,
  readTokenMelodies,
} from '../../src/core/data/jsonCorpora';

const testDir = path.dirname(fileURLToPath(import.meta.url));
const sharedData = path.resolve(testDir, '../../../shared/data');
const load = (relative: string): unknown => JSON.parse(readFileSync(path.join(sharedData, relative), 'utf8'));

function errorOf(run: () => unknown): CorpusFormatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CorpusFormatError);
    expect((error as CorpusFormatError).code).toBe('CORPUS_FORMAT_INVALID');
    return error as CorpusFormatError;
  }
  return expect.unreachable('the reader accepted a bad corpus');
}

describe('readTokenMelodies', () => {
  it('reads the 186 seed melodies (128,174 tokens) with names in file order', () => {
    const json = load('seed-melodies/melodies.json');
    expect(detectJsonCorpus(json)).toBe('token-melodies');
    const melodies = readTokenMelodies(json, 'seed-melodies/melodies.json');
    expect(melodies).toHaveLength(186);
    expect(melodies.reduce((sum, melody) => sum + melody.tokens.length, 0)).toBe(128_174);
    expect(melodies[0].name).toBe('melodies 1');
    expect(melodies[185].name).toBe('melodies 186');
    const raw = (json as { melodies: number[][] }).melodies;
    expect(melodies[17].tokens).toEqual(raw[17]);
    expect(melodies[17].tokens).not.toBe(raw[17]);
  });

  it('accepts named melodies and a bare list', () => {
    expect(readTokenMelodies({ melodies: [{ name: 'Air', tokens: [60, 129, 128] }] }, 'mine.json')).toEqual([
      { name: 'Air', tokens: [60, 129, 128] },
    ]);
    expect(readTokenMelodies([[129, 60]], 'bare.json')).toEqual([{ name: 'bare 1', tokens: [129, 60] }]);
  });

  it('refuses other shapes and bad tokens, naming the melody and token', () => {
    expect(errorOf(() => readTokenMelodies({ songs: [] }, 'a.json')).message).toContain('a.json');
    expect(errorOf(() => readTokenMelodies({ format: 'remi', melodies: [] }, 'b.json')).message).toContain('remi');
    const bad = errorOf(() =>
      readTokenMelodies(
        {
          melodies: [
            [60, 129],
            [60, 131],
          ],
        },
        'c.json',
      ),
    );
    expect(bad.message).toContain('melody 2');
    expect(bad.message).toContain('melody token 1');
    expect(errorOf(() => readTokenMelodies({ melodies: [60] }, 'd.json')).message).toContain('melody 1 is not a list');
  });
});

describe('readPianoRollSplits', () => {
  it('reads the Boulanger-Lewandowski splits with the published piece counts', () => {
    for (const [relative, counts] of [
      ['boulanger2012/JSB_Chorales.json', { train: 229, valid: 76, test: 77 }],
      ['boulanger2012/Nottingham.json', { train: 694, valid: 173, test: 170 }],
      ['jsb-chorales/jsb-chorales-16th.json', { train: 229, valid: 76, test: 77 }],
    ] as const) {
      const json = load(relative);
      expect(detectJsonCorpus(json), relative).toBe('pianoroll-splits');
      const pieces = readPianoRollSplits(json, relative);
      const actual = { train: 0, valid: 0, test: 0 };
      for (const piece of pieces) actual[piece.split]++;
      expect(actual, relative).toEqual(counts);
      // Order train, valid, test; frames sorted and duplicate-free.
      expect(pieces[0].split).toBe('train');
      expect(pieces[pieces.length - 1].split).toBe('test');
      const unsortedFrames = pieces
        .flatMap((piece) => piece.frames)
        .filter((frame) => frame.some((pitch, i) => i > 0 && frame[i - 1] >= pitch));
      expect(unsortedFrames, relative).toEqual([]);
    }
  });

  it('reads frames as sorted pitch sets (Nottingham train piece 1 starts on a C major chord)', () => {
    const pieces = readPianoRollSplits(load('boulanger2012/Nottingham.json'), 'boulanger2012/Nottingham.json');
    expect(pieces[0].name).toBe('Nottingham train 1');
    expect(pieces[0].frames[0]).toEqual([48, 52, 55, 64]);
  });

  it('drops the -1 "silent voice" of the four-voice layout and matches the plain 16th layout frame for frame', () => {
    const separated = readPianoRollSplits(load('jsb-chorales/Jsb16thSeparated.json'), 'Jsb16thSeparated.json');
    const plain = readPianoRollSplits(load('jsb-chorales/jsb-chorales-16th.json'), 'jsb-chorales-16th.json');
    expect(separated).toHaveLength(382);
    expect(separated.some((piece) => piece.frames.some((frame) => frame.includes(-1)))).toBe(false);
    // The two files order some pieces differently, so match by content, not by index.
    const plainFrames = new Set(plain.map((piece) => JSON.stringify(piece.frames)));
    const matched = separated.filter((piece) => plainFrames.has(JSON.stringify(piece.frames))).length;
    console.info(
      `Jsb16thSeparated: ${matched} of ${separated.length} pieces equal a jsb-chorales-16th piece after dropping -1`,
    );
    expect(matched).toBe(separated.length);
  });

  it('refuses other shapes and bad pitches, naming split, piece and frame', () => {
    expect(errorOf(() => readPianoRollSplits({ melodies: [] }, 'x.json')).message).toContain('"train"');
    expect(errorOf(() => readPianoRollSplits({ train: 'no' }, 'x.json')).message).toContain('"train" is not a list');
    const bad = errorOf(() => readPianoRollSplits({ train: [[[60]], [[60], [64, 200]]] }, 'x.json'));
    expect(bad.message).toContain('train piece 2, frame 2');
    expect(bad.message).toContain('got: 200');
    expect(errorOf(() => readPianoRollSplits({ valid: [[[60.5]]] }, 'x.json')).message).toContain(
      'valid piece 1, frame 1',
    );
  });
});

describe('detectJsonCorpus', () => {
  it('recognises neither unrelated JSON nor malformed splits', () => {
    for (const json of [null, 42, 'text', [], { train: 'x' }, { train: [[1, 2]] }, { name: 'settings' }]) {
      expect(detectJsonCorpus(json), JSON.stringify(json)).toBeNull();
    }
    expect(detectJsonCorpus({ test: [] })).toBe('pianoroll-splits');
    expect(detectJsonCorpus({ melodies: [] })).toBe('token-melodies');
  });
});
