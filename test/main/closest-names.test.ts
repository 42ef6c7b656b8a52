// SPDX-License-Identifier: MIT
// A mistyped flag or command is answered with the names it most likely meant, and with none where nothing is close.
import { describe, expect, it } from 'vitest';
import { closestNames, didYouMean } from '../../src/cli/closestNames';

const FLAGS = ['seed-notes', 'random-seed', 'temperature', 'bars', 'bars-per-chord', 'bpm', 'key', 'out', 'kind'];

describe('closestNames', () => {
  it('offers the names that contain what was typed, then those a typo or two away', () => {
    expect(closestNames('seed', FLAGS)).toEqual(['random-seed', 'seed-notes']);
    expect(closestNames('tempratur', FLAGS)).toEqual(['temperature']);
    expect(closestNames('Temprature', FLAGS)).toEqual(['temperature']);
    expect(closestNames('bar', FLAGS)).toEqual(['bars', 'bars-per-chord']);
    expect(closestNames('kinds', FLAGS)).toEqual(['kind']);
  });

  it('offers nothing for a word that is close to no name, or too short to judge', () => {
    expect(closestNames('zzzzz', FLAGS)).toEqual([]);
    expect(closestNames('frobnicate', FLAGS)).toEqual([]);
    expect(closestNames('x', FLAGS)).toEqual([]);
  });

  it('keeps at most three, the closest first: names that contain it, then one typo away, then two', () => {
    // For 'tempi': 'contempi' contains it; 'tempo' and 'temps' are one edit away; 'tempest' is three, past the limit.
    const names = ['tempest', 'temps', 'tempo', 'contempi', 'volume'];
    expect(closestNames('tempi', names)).toEqual(['contempi', 'tempo', 'temps']);
    expect(closestNames('tempi', names, 5)).toEqual(['contempi', 'tempo', 'temps']);
    // For 'tempist': 'tempest' is one edit away, 'temps' two; listed in that order, not alphabetically.
    expect(closestNames('tempist', ['temps', 'tempest'])).toEqual(['tempest', 'temps']);
    const many = ['abcd', 'abce', 'abcf', 'abcg', 'abc'];
    expect(closestNames('abc', many)).toEqual(['abc', 'abcd', 'abce']);
  });

  it('phrases one, two and three suggestions, and nothing for none', () => {
    expect(didYouMean('tempratur', FLAGS, '--')).toBe(' (did you mean --temperature?)');
    expect(didYouMean('seed', FLAGS, '--')).toBe(' (did you mean --random-seed or --seed-notes?)');
    expect(didYouMean('o', FLAGS, '--')).toBe('');
    expect(didYouMean('ke', ['key', 'kex', 'kez'])).toBe(' (did you mean kex, key or kez?)');
  });
});
