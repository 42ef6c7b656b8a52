// SPDX-License-Identifier: MIT
// Chords steer (issue 13, item 4), measured two ways on held-out Nottingham tunes with no note masked
// (scripts/chordSteering.ts states the method; scripts/eval-chords.ts prints fuller figures): tiny chord-conditioned
// models, a melody-lstm and a biaxial-lstm, trained briefly on 100 tunes, then
//  (i)  held-out NLL with the true chords is lower than with the same chords shuffled across bars, in most tunes;
//  (ii) the same seeds with "C F G C" and "Am Dm E Am" give takes whose onsets fall on their own progression's chord
//       tones more often than on the other's: sign test over the takes' per-bar differences, and the paired t.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/engine/engine';
import { createWasmEngine } from '../../src/core/engine/wasmEngine';
import {
  describe as describeFigures,
  NOTTINGHAM_MIDI,
  runChordExperiment,
  type ModelFigures,
} from '../../scripts/chordSteering';

const haveData = existsSync(NOTTINGHAM_MIDI);

describe.skipIf(!haveData)('chords steer the melody and the polyphonic model (Nottingham)', () => {
  let engine: Engine;
  let figures: ModelFigures[];
  beforeAll(async () => {
    engine = await createWasmEngine({ threads: 1, adaptiveThreads: false });
    figures = await runChordExperiment(engine, {
      trainTunes: 100,
      heldOutTunes: 20,
      melodySteps: 200,
      polySteps: 30,
      seeds: 5,
      bars: 8,
      randomSeed: 7,
    });
    for (const f of figures) console.log(describeFigures(f));
  }, 300_000);
  afterAll(async () => {
    await engine?.dispose();
  });

  for (const kind of ['melody-lstm', 'biaxial-lstm']) {
    it(`${kind}: held-out NLL is lower with the true chords than with them shuffled across bars`, () => {
      const f = figures.find((x) => x.kind === kind)!;
      expect(f.nll.trueChords).toBeLessThan(f.nll.shuffled);
      expect(f.nll.tunesLower).toBeGreaterThanOrEqual(16);
      expect(f.nll.signP).toBeLessThan(0.01);
    });
    it(`${kind}: the same seeds follow "C F G C" and "Am Dm E Am" (own chord tones more often, sign test and paired t)`, () => {
      const s = figures.find((x) => x.kind === kind)!.steering;
      expect(s.ownShare).toBeGreaterThan(s.otherShare);
      expect(s.stats.signP).toBeLessThan(0.05);
      expect(s.stats.t).toBeGreaterThan(2.5);
      // The polyphonic takes' upper register (the tune, not the chord part) follows too.
      if (s.upper) expect(s.upper.stats.signP).toBeLessThan(0.05);
    });
  }
});
