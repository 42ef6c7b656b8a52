// SPDX-License-Identifier: MIT
// Long pieces with a form (src/core/model/form.ts) on the bundled model, measured by the section similarity of
// src/core/analysis/sectionSimilarity.ts (share of aligned sixteenths with the same sounding pitch and onset).
// Measured (scripts/measure-form.ts --takes 6, AABA, 64 bars, seed C4 E4 G4, temperature 1, random seed 1): A vs A
// 0.469 0.632 0.405 0.508 0.579 0.579 (median 0.54), A vs B 0.061 0.052 0.029 0.104 0.083 0.064, no copies; the test
// asks for a margin of 0.25 in every take and no repeat equal to the first A.
import { beforeAll, describe, expect, it } from 'vitest';
import { compareSections, formSimilarity, stepStates } from '../../src/core/analysis';
import type { Decoder } from '../../src/core/engine/types';
import { useBundledModel } from './helpers/bundledModel';
import {
  FORM_NAMES,
  formProblem,
  generateFormMelodies,
  measureForm,
  planForm,
  FormError,
  type FormMelody,
} from '../../src/core/model/form';
import { fittingFormBars, formSummary } from '../../src/core/model/formTemplates';
import { seedTokensFromPitches } from '../../src/core/model/generate';
import type { Note } from '../../src/core/music/NoteSequence';

let decoder: Decoder;
useBundledModel((loaded) => ({ decoder } = loaded));

const note = (pitch: number, startTick: number, durationTicks: number): Note => ({
  pitch,
  startTick,
  durationTicks,
  velocity: 100,
});

describe('form templates', () => {
  it('plans equal sections; a repeat points at its first occurrence', () => {
    expect(planForm('AABA', 64)).toEqual([
      { letter: 'A', startBar: 0, bars: 16, repeatOf: null },
      { letter: 'A', startBar: 16, bars: 16, repeatOf: 0 },
      { letter: 'B', startBar: 32, bars: 16, repeatOf: null },
      { letter: 'A', startBar: 48, bars: 16, repeatOf: 0 },
    ]);
    expect(planForm('verse-chorus', 48).map((s) => `${s.letter}${s.repeatOf ?? ''}`)).toEqual([
      'V',
      'C',
      'V0',
      'C1',
      'B',
      'C1',
    ]);
    for (const name of FORM_NAMES) expect(formProblem(name, 96)).toBeUndefined();
  });

  it('rejects an unknown form or a length it cannot take, with a sentence', () => {
    expect(formProblem('ABBA', 64)).toBe(
      '"ABBA" is not a form Etude knows; choose one of AABA, ABAC, AAB, verse-chorus (or no form).',
    );
    expect(formProblem('AABA', 50)).toBe(
      'The AABA form splits the piece into 4 equal sections: give a length from 32 to 128 bars that divides by 4 (32, 36, 40, ..., 128); got 50.',
    );
    expect(formProblem('AABA', 16)).toMatch(/from 32 to 128 bars.*got 16\.$/);
    expect(formProblem('AABA', 132)).toMatch(/got 132\.$/);
    expect(formProblem('verse-chorus', 64)).toMatch(
      /6 equal sections.*divides by 6 \(36, 42, 48, \.\.\., 126\); got 64\./,
    );
    expect(() => planForm('AAB', 64)).toThrow(FormError);
  });

  it('summarises a length for the Compose screen (up to its 64 bars) and finds the nearest length a form takes', () => {
    expect(formSummary('AABA', 64, 64)).toEqual({ sections: 'A A B A, 16 bars each' });
    expect(formSummary('AABA', 8, 64)).toEqual({
      error:
        'The AABA form splits the piece into 4 equal sections: give a length from 32 to 64 bars that divides by 4 (32, 36, 40, ..., 64); got 8.',
    });
    expect(fittingFormBars('AABA', 8, 64)).toBe(32);
    expect(fittingFormBars('AABA', 64, 64)).toBe(64);
    expect(fittingFormBars('verse-chorus', 40, 64)).toBe(42);
    expect(fittingFormBars('verse-chorus', 64, 64)).toBe(60);
    expect(fittingFormBars('AAB', 100)).toBe(102);
  });
});

describe('section similarity', () => {
  // Two 1-bar sections (16 sixteenths of 1 tick): bar 0 and bar 1.
  const x = { startTick: 0, endTick: 16 };
  const y = { startTick: 16, endTick: 32 };
  it('is 1 and a copy for the same notes, less for a changed note, 0 for nothing in common', () => {
    const bar = [note(60, 0, 4), note(62, 4, 4), note(64, 8, 8)];
    const again = bar.map((n) => ({ ...n, startTick: n.startTick + 16 }));
    expect(compareSections([...bar, ...again], x, y, 1)).toEqual({ similarity: 1, copy: true });
    const changed = [...again.slice(0, 2), note(65, 24, 8)];
    expect(compareSections([...bar, ...changed], x, y, 1)).toEqual({ similarity: 0.5, copy: false });
    // The same pitches re-struck where the first holds: equal pitch, but not equal onsets.
    const restruck = [note(60, 16, 2), note(60, 18, 2), ...again.slice(1)];
    expect(compareSections([...bar, ...restruck], x, y, 1).similarity).toBe(15 / 16);
    expect(compareSections([...bar, note(70, 16, 16)], x, y, 1).similarity).toBe(0);
  });
  it('reads the highest of simultaneous notes and silence as a state', () => {
    expect(Array.from(stepStates([note(60, 0, 2), note(64, 0, 1)], { startTick: 0, endTick: 4 }, 1))).toEqual([
      129, 120, -1, -1,
    ]);
  });
  it('averages same-letter and different-letter pairs and counts copies', () => {
    const a = [note(60, 0, 16)];
    const notes = [...a, note(60, 16, 16), note(67, 32, 16)];
    const s = formSimilarity(
      notes,
      [
        { letter: 'A', ...x },
        { letter: 'A', ...y },
        { letter: 'B', startTick: 32, endTick: 48 },
      ],
      1,
    );
    expect(s).toMatchObject({ sameLetter: 1, differentLetter: 0, copies: 1 });
  });
});

describe('the copy guard', () => {
  it('re-samples a repeat that copies the first occurrence, and says so', async () => {
    // A decoder that always knows the next token: a quarter-note pattern, whatever it is fed.
    const pattern = [60, 129, 129, 129, 62, 129, 129, 129, 64, 129, 129, 129, 65, 129, 129, 129];
    let steps = 0;
    const certain: Decoder = {
      reset: () => {
        steps = 0;
      },
      step: () => {
        const logits = new Float32Array(130);
        logits[pattern[++steps % 16]] = 100;
        return Promise.resolve(logits);
      },
      dispose: () => {},
    };
    const [m] = await generateFormMelodies(certain, {
      seedTokens: pattern.slice(0, 4),
      sections: planForm('AABA', 32),
      temperature: 1,
      variations: 1,
      randomSeed: 1,
    });
    // Both A repeats came out copies every time: 5 re-samples each, then kept, and counted.
    expect(m.copyRetries).toBe(10);
    expect(m.repeatRejected).toEqual([
      ...new Array<string>(5).fill('section 2 (A): a copy of an earlier A'),
      ...new Array<string>(5).fill('section 4 (A): a copy of an earlier A'),
    ]);
    expect(measureForm(m.tokens, m.sections).copies).toBe(3);
  });
});

describe('a 64-bar AABA on the bundled model', () => {
  const sections = planForm('AABA', 64);
  const request = {
    seedTokens: seedTokensFromPitches([60, 64, 67]),
    sections,
    temperature: 1,
    randomSeed: 1,
  };
  let takes: FormMelody[];
  beforeAll(async () => {
    takes = await generateFormMelodies(decoder, { ...request, variations: 6 });
  }, 120_000);

  it('A sections are more like each other than like B (margin > 0.25 in every take), and no repeat is a copy', () => {
    const figures = takes.map((m) => measureForm(m.tokens, m.sections));
    for (const [k, f] of figures.entries()) {
      expect(f.sameLetter - f.differentLetter, `take ${k + 1}`).toBeGreaterThan(0.25);
      expect(f.copies).toBe(0);
      const a1 = takes[k].tokens.slice(0, 256).join(',');
      expect(takes[k].tokens.slice(256, 512).join(',')).not.toBe(a1);
      expect(takes[k].tokens.slice(768, 1024).join(',')).not.toBe(a1);
      // Each repeat opens with the first A's opening bar.
      expect(takes[k].tokens.slice(256, 272)).toEqual(takes[k].tokens.slice(0, 16));
      expect(takes[k].tokens).toHaveLength(64 * 16);
      expect(takes[k].degenerate).toBeUndefined();
    }
    const sorted = figures.map((f) => f.sameLetter).sort((p, q) => p - q);
    expect((sorted[2] + sorted[3]) / 2).toBeGreaterThan(0.45);
  });

  it('the same seed gives the same take', async () => {
    const [again] = await generateFormMelodies(decoder, { ...request, variations: 1, firstVariation: 4 });
    expect(again.tokens).toEqual(takes[4].tokens);
  }, 60_000);

  it('a seed that fills the first section is refused', async () => {
    await expect(
      generateFormMelodies(decoder, { ...request, seedTokens: new Array(256).fill(129), variations: 1 }),
    ).rejects.toThrow(/fills the form's first section \(16 bars\)/);
  });
});
