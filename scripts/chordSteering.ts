// SPDX-License-Identifier: MIT
/**
 * Do chords steer? The experiment behind test/core/chords-steering.test.ts and scripts/eval-chords.ts, on the
 * Nottingham database (shared/data/nottingham/MIDI: each tune's file holds the melody as its first track and the
 * chords as its second; the 13 tunes without a chord part are left out).
 *
 * Data: a tune's melody is its melody-130 tokens (sixteenths); its chord track comes from its chord part by the
 * documented inference (src/core/music/chords.ts inferChordTrack: per quarter note, the best of 60 chord templates
 * against the part's duration-weighted pitch-class histogram). The polyphonic model reads the whole tune (melody and
 * chord part) as a piano roll at eighth notes, with the chord of every frame.
 *
 * Two measures, with no note masked:
 *  (i)  held-out NLL: the mean next-token (melody) or per-frame (polyphonic) NLL of held-out tunes with their true
 *       chords, and with the same chords shuffled across bars (whole bars of the chord track permuted, a seeded
 *       permutation that moves every bar it can); paired per tune.
 *  (ii) steering: for K random seeds, one take with "C F G C" and one with "Am Dm E Am" (a chord a bar, repeated);
 *       per take d = mean over bars of (share of the bar's note onsets on its own progression's chord tones) minus
 *       (share on the other progression's chord at that bar). Statistic: the exact two-sided sign test over the 2K
 *       takes' d, and the paired t (mean d / its standard error).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMelody } from '../src/core/encoding/melody';
import { flatRoll } from '../src/core/encoding/rollFrames';
import type { Engine, TrainableModel } from '../src/core/engine/engine';
import { parseMidi } from '../src/core/midi/readMidi';
import { generateMelodies } from '../src/core/model/generate';
import { generatePolyphonic } from '../src/core/model/generatePoly';
import type { MelodyLstmSpec } from '../src/core/model/melodyLstmSpec';
import { isPolyDecoder } from '../src/core/model/polyLstm';
import { corpusPitchRange, type PolyLstmSpec } from '../src/core/model/polyLstmSpec';
import { getModelDefinition } from '../src/core/model/registry';
import type { ModelSpec } from '../src/core/model/spec';
import { shuffledOrder, type TokenPiece } from '../src/core/model/windows';
import {
  chordTrackOf,
  inferChordTrack,
  parseProgression,
  progressionSpans,
  type ChordSymbol,
} from '../src/core/music/chords';
import { createRng } from '../src/core/util/random';

export const NOTTINGHAM_MIDI = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'shared',
  'data',
  'nottingham',
  'MIDI',
);

export interface Tune {
  name: string;
  /** Melody tokens (sixteenths) and the chord of every sixteenth. */
  tokens: number[];
  chords: Uint16Array;
  /** Sixteenths per bar (the first time signature's). */
  stepsPerBar: number;
  /** All notes (melody and chord part), for the roll. */
  sequence: ReturnType<typeof parseMidi>;
}

/** The tunes of `dir` (sorted by file name) with a chord part; `limit` stops early. */
export function loadTunes(dir = NOTTINGHAM_MIDI, limit = Infinity): { tunes: Tune[]; withoutChords: string[] } {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.mid'))
    .sort();
  const tunes: Tune[] = [];
  const withoutChords: string[] = [];
  for (const f of files) {
    if (tunes.length >= limit) break;
    const seq = parseMidi(readFileSync(join(dir, f)), f);
    const parts = seq.tracks.filter((t) => t.notes.length > 0 && !t.isPercussion);
    if (parts.length < 2) {
      withoutChords.push(f);
      continue;
    }
    const tokens = encodeMelody(seq);
    const chords = inferChordTrack(parts[1].notes, seq.ppq, tokens.length);
    const ts = seq.timeSignatures[0] ?? { numerator: 4, denominator: 4 };
    tunes.push({
      name: f,
      tokens,
      chords,
      stepsPerBar: Math.max(1, Math.round((ts.numerator * 16) / ts.denominator)),
      sequence: seq,
    });
  }
  return { tunes, withoutChords };
}

/** The chord track with whole bars permuted (seeded; a bar stays only when it must). */
export function shuffleBars(chords: ArrayLike<number>, stepsPerBar: number, seed: number): Uint16Array {
  const bars = Math.ceil(chords.length / stepsPerBar);
  const order = Array.from(shuffledOrder(bars, createRng(seed)));
  // Move fixed points: swap each with its neighbour.
  for (let i = 0; i < bars && bars > 1; i++)
    if (order[i] === i) [order[i], order[(i + 1) % bars]] = [order[(i + 1) % bars], order[i]];
  const out = new Uint16Array(chords.length);
  for (let b = 0; b < bars; b++)
    for (let s = 0; s < stepsPerBar && b * stepsPerBar + s < chords.length; s++)
      out[b * stepsPerBar + s] = chords[Math.min(chords.length - 1, order[b] * stepsPerBar + s)];
  return out;
}

/** Eighth-note frames of a tune over a pitch window, and the chord of each frame. */
export function tuneRoll(tune: Tune, lowPitch: number, pitches: number): TokenPiece & { chords: Uint16Array } {
  const roll = flatRoll(tune.sequence, { lowPitch, pitches, stepsPerQuarter: 2 });
  const chords = Uint16Array.from({ length: roll.frames }, (_, f) => tune.chords[2 * f] ?? tune.chords.at(-1) ?? 0);
  return { name: tune.name, tokens: roll.values, chords };
}

/** Trains `steps` steps on random batches of the model kind's own batches (shuffled each pass). */
export async function trainSteps(
  model: TrainableModel,
  pieces: TokenPiece[],
  shifts: number[],
  steps: number,
  batchSize: number,
  seed: number,
): Promise<number[]> {
  const windows = getModelDefinition(model.spec.kind).buildBatches(model.spec, pieces, shifts);
  const rng = createRng(seed);
  let order = shuffledOrder(windows.size, rng);
  let at = 0;
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    if (at + batchSize > windows.size) {
      order = shuffledOrder(windows.size, rng);
      at = 0;
    }
    losses.push(await model.trainStep(windows.batch(order, at, Math.min(batchSize, windows.size))));
    at += batchSize;
  }
  return losses;
}

/** Mean NLL over all batches of `pieces` (as written), weighted by batch size. */
export async function meanNll(
  model: TrainableModel,
  pieces: TokenPiece[],
  batchSize = model.spec.encoding === 'piano-roll-128' ? 8 : 64,
): Promise<number> {
  const windows = getModelDefinition(model.spec.kind).buildBatches(model.spec, pieces, [0]);
  const order = Uint32Array.from({ length: windows.size }, (_, i) => i);
  let sum = 0;
  for (let from = 0; from < windows.size; from += batchSize) {
    const n = Math.min(batchSize, windows.size - from);
    sum += (await model.evaluate(windows.batch(order, from, n))) * n;
  }
  return sum / windows.size;
}

/** Exact two-sided sign-test p for `plus` of `n` nonzero differences. */
export function signTestP(plus: number, n: number): number {
  if (n === 0) return 1;
  const k = Math.min(plus, n - plus);
  let tail = 0;
  let c = 1; // C(n, 0)
  for (let i = 0; i <= k; i++) {
    tail += c;
    c = (c * (n - i)) / (i + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

export interface PairedStats {
  n: number;
  mean: number;
  /** mean / standard error. */
  t: number;
  positive: number;
  signP: number;
}

export function pairedStats(d: readonly number[]): PairedStats {
  const n = d.length;
  const mean = d.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const nonzero = d.filter((x) => x !== 0);
  const positive = nonzero.filter((x) => x > 0).length;
  return {
    n,
    mean,
    t: sd > 0 ? mean / (sd / Math.sqrt(n)) : Infinity,
    positive,
    signP: signTestP(positive, nonzero.length),
  };
}

/** Note onsets (step, pitch) of melody tokens. */
function melodyOnsets(tokens: readonly number[]): { step: number; pitch: number }[] {
  return tokens.flatMap((t, i) => (t < 128 ? [{ step: i, pitch: t }] : []));
}

/** Note onsets of flattened frames (a pitch on that was off in the previous frame). */
function rollOnsets(frames: ArrayLike<number>, pitches: number, lowPitch: number): { step: number; pitch: number }[] {
  const out: { step: number; pitch: number }[] = [];
  const T = frames.length / pitches;
  for (let t = 0; t < T; t++)
    for (let p = 0; p < pitches; p++)
      if (frames[t * pitches + p] && (t === 0 || !frames[(t - 1) * pitches + p]))
        out.push({ step: t, pitch: lowPitch + p });
  return out;
}

/** Per take: mean over bars with onsets of (share on own chord tones - share on the other's), and the pooled shares. */
export function takeFit(
  onsets: { step: number; pitch: number }[],
  stepsPerBar: number,
  from: number,
  own: ArrayLike<number>,
  other: ArrayLike<number>,
): { d: number; own: number; other: number; notes: number } {
  const byBar = new Map<number, { own: number; other: number; n: number }>();
  for (const o of onsets) {
    if (o.step < from) continue;
    const bar = Math.floor(o.step / stepsPerBar);
    const e = byBar.get(bar) ?? { own: 0, other: 0, n: 0 };
    e.own += (own[o.step] >> (o.pitch % 12)) & 1;
    e.other += (other[o.step] >> (o.pitch % 12)) & 1;
    e.n++;
    byBar.set(bar, e);
  }
  const bars = [...byBar.values()];
  const notes = bars.reduce((a, b) => a + b.n, 0);
  return {
    d: bars.length ? bars.reduce((a, b) => a + (b.own - b.other) / b.n, 0) / bars.length : 0,
    own: notes ? bars.reduce((a, b) => a + b.own, 0) / notes : 0,
    other: notes ? bars.reduce((a, b) => a + b.other, 0) / notes : 0,
    notes,
  };
}

export interface SteeringResult {
  /** Polyphonic takes: the same measure over the onsets at or above middle C only (the tune's register, not the chord part's). */
  upper?: SteeringResult;
  stats: PairedStats;
  /** Pooled share of onsets on own / other progression's chord tones. */
  ownShare: number;
  otherShare: number;
  notes: number;
}

export const PROGRESSION_A = 'C F G C';
export const PROGRESSION_B = 'Am Dm E Am';

/**
 * K seeds x the two progressions, `bars` bars of `stepsPerBar` steps, a chord a bar: melody takes (from a one-rest
 * seed) or polyphonic takes (from silence).
 */
export async function steering(
  model: TrainableModel,
  options: { seeds: number; bars: number; temperature: number; randomSeed: number },
): Promise<SteeringResult> {
  const spec = model.spec;
  const poly = spec.encoding === 'piano-roll-128';
  const stepsPerBar = poly ? 8 : 16;
  const total = options.bars * stepsPerBar;
  const track = (p: ChordSymbol[]) => chordTrackOf(progressionSpans(p, stepsPerBar, total), total);
  const a = track(parseProgression(PROGRESSION_A));
  const b = track(parseProgression(PROGRESSION_B));
  const decoder = model.createDecoder();
  const d: number[] = [];
  const upper = { d: [] as number[], own: 0, other: 0, notes: 0 };
  let own = 0;
  let other = 0;
  let notes = 0;
  for (const [mine, theirs] of [
    [a, b],
    [b, a],
  ]) {
    for (let k = 0; k < options.seeds; k++) {
      let onsets: { step: number; pitch: number }[];
      const common = {
        bars: options.bars,
        temperature: options.temperature,
        variations: 1,
        randomSeed: options.randomSeed,
        firstVariation: k,
        maxRetries: 0,
        chords: mine,
      };
      if (poly) {
        if (!isPolyDecoder(decoder)) throw new Error('not a polyphonic decoder');
        const ps = spec as PolyLstmSpec;
        const [take] = await generatePolyphonic(decoder, { ...common, seedFrames: [], framesPerBar: stepsPerBar });
        onsets = rollOnsets(take.frames, ps.pitches, ps.lowPitch);
      } else {
        const [take] = await generateMelodies(decoder, { ...common, seedTokens: [128], stepsPerBar });
        onsets = melodyOnsets(take.tokens);
      }
      if (poly) {
        const high = takeFit(
          onsets.filter((o) => o.pitch >= 60),
          stepsPerBar,
          1,
          mine,
          theirs,
        );
        upper.d.push(high.d);
        upper.own += high.own * high.notes;
        upper.other += high.other * high.notes;
        upper.notes += high.notes;
      }
      const fit = takeFit(onsets, stepsPerBar, 1, mine, theirs);
      d.push(fit.d);
      own += fit.own * fit.notes;
      other += fit.other * fit.notes;
      notes += fit.notes;
    }
  }
  decoder.dispose();
  return {
    stats: pairedStats(d),
    ownShare: own / notes,
    otherShare: other / notes,
    notes,
    ...(poly
      ? {
          upper: {
            stats: pairedStats(upper.d),
            ownShare: upper.own / upper.notes,
            otherShare: upper.other / upper.notes,
            notes: upper.notes,
          },
        }
      : {}),
  };
}

export interface ExperimentOptions {
  trainTunes: number;
  heldOutTunes: number;
  melodySteps: number;
  polySteps: number;
  seeds: number;
  bars: number;
  randomSeed: number;
  /** The polyphonic kind (default biaxial-lstm). */
  polyKind?: 'biaxial-lstm' | 'bi-lstm';
  log?: (line: string) => void;
}

export interface ModelFigures {
  kind: string;
  trainLoss: { first: number; last: number };
  nll: { trueChords: number; shuffled: number; tunesLower: number; tunes: number; signP: number };
  steering: SteeringResult;
}

/** The held-out NLL pair, per tune. */
async function nllPair(
  model: TrainableModel,
  pieces: (TokenPiece & { chords: Uint16Array })[],
  barSteps: number[],
  seed: number,
) {
  let t = 0;
  let s = 0;
  let lower = 0;
  let counted = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    const windows = getModelDefinition(model.spec.kind).buildBatches(model.spec, [piece], [0]);
    if (windows.size === 0) continue;
    const a = await meanNll(model, [piece]);
    const b = await meanNll(model, [{ ...piece, chords: shuffleBars(piece.chords, barSteps[i], seed + i) }]);
    t += a;
    s += b;
    if (a < b) lower++;
    counted++;
  }
  return {
    trueChords: t / counted,
    shuffled: s / counted,
    tunesLower: lower,
    tunes: counted,
    signP: signTestP(lower, counted),
  };
}

/** Trains both models and measures both ways. */
export async function runChordExperiment(engine: Engine, o: ExperimentOptions): Promise<ModelFigures[]> {
  const log = o.log ?? (() => {});
  const { tunes } = loadTunes(NOTTINGHAM_MIDI);
  const order = shuffledOrder(tunes.length, createRng(o.randomSeed));
  const pick = (from: number, n: number) => Array.from(order.subarray(from, from + n), (i) => tunes[i]);
  const train = pick(0, o.trainTunes);
  const held = pick(o.trainTunes, o.heldOutTunes);
  log(`Nottingham: ${tunes.length} tunes with a chord part; ${train.length} trained on, ${held.length} held out`);
  const shifts = [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6];
  const out: ModelFigures[] = [];

  const melodySpec: MelodyLstmSpec = {
    kind: 'melody-lstm',
    encoding: 'melody-130',
    vocabSize: 130,
    embeddingDim: 24,
    hiddenSize: 96,
    layers: 1,
    dropout: 0,
    window: 16,
    chords: 'chroma',
  };
  {
    const model = await engine.createModel(melodySpec, { learningRate: 0.01, clipNorm: 5, randomSeed: o.randomSeed });
    const pieces = train.map((t) => ({ name: t.name, tokens: t.tokens, chords: t.chords }));
    const losses = await trainSteps(model, pieces, shifts, o.melodySteps, 64, o.randomSeed);
    log(
      `melody: trained ${o.melodySteps} steps, loss ${losses[0].toFixed(3)} -> ${mean(losses.slice(-20)).toFixed(3)}`,
    );
    const heldPieces = held.map((t) => ({ name: t.name, tokens: t.tokens, chords: t.chords }));
    const nll = await nllPair(
      model,
      heldPieces,
      held.map((t) => t.stepsPerBar),
      o.randomSeed,
    );
    const steer = await steering(model, { seeds: o.seeds, bars: o.bars, temperature: 1, randomSeed: o.randomSeed });
    out.push({
      kind: 'melody-lstm',
      trainLoss: { first: losses[0], last: mean(losses.slice(-20)) },
      nll,
      steering: steer,
    });
    log(describe(out.at(-1)!));
    model.dispose();
  }
  {
    let lo = 127;
    let hi = 0;
    for (const t of [...train, ...held])
      for (const tr of t.sequence.tracks)
        for (const n of tr.notes) {
          lo = Math.min(lo, n.pitch);
          hi = Math.max(hi, n.pitch);
        }
    const range = corpusPitchRange(lo, hi);
    const polySpec: PolyLstmSpec = {
      kind: o.polyKind ?? 'biaxial-lstm',
      encoding: 'piano-roll-128',
      lowPitch: range.lowPitch,
      pitches: range.pitches,
      beatsPerBar: 8,
      stepsPerQuarter: 2,
      timeSizes: [32],
      pitchSizes: [16],
      ...(o.polyKind === 'bi-lstm'
        ? { downSizes: [16], window: 4, windowHidden: 16 }
        : { downSizes: [], window: 0, windowHidden: 0 }),
      dropout: 0,
      segment: 32,
      chords: 'chroma',
    };
    const model = await engine.createModel(polySpec as unknown as ModelSpec, {
      learningRate: 0.01,
      clipNorm: 5,
      randomSeed: o.randomSeed,
    });
    const pieces = train.map((t) => tuneRoll(t, range.lowPitch, range.pitches));
    const losses = await trainSteps(model, pieces, [-2, -1, 0, 1, 2], o.polySteps, 8, o.randomSeed);
    log(
      `${polySpec.kind} (${range.pitches} pitches from ${range.lowPitch}): trained ${o.polySteps} steps, loss ${losses[0].toFixed(2)} -> ${mean(losses.slice(-10)).toFixed(2)}`,
    );
    const heldPieces = held.map((t) => tuneRoll(t, range.lowPitch, range.pitches));
    const nll = await nllPair(
      model,
      heldPieces,
      held.map((t) => t.stepsPerBar / 2),
      o.randomSeed,
    );
    const steer = await steering(model, { seeds: o.seeds, bars: o.bars, temperature: 1, randomSeed: o.randomSeed });
    out.push({
      kind: polySpec.kind,
      trainLoss: { first: losses[0], last: mean(losses.slice(-10)) },
      nll,
      steering: steer,
    });
    log(describe(out.at(-1)!));
    model.dispose();
  }
  return out;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/** Two lines per model. */
export function describe(f: ModelFigures): string {
  const s = f.steering;
  const u = s.upper;
  return [
    `${f.kind}: held-out NLL with true chords ${f.nll.trueChords.toFixed(4)} vs shuffled across bars ${f.nll.shuffled.toFixed(4)} (lower in ${f.nll.tunesLower}/${f.nll.tunes} tunes, sign test p = ${f.nll.signP.toExponential(2)})`,
    `${f.kind}: "${PROGRESSION_A}" vs "${PROGRESSION_B}", same seeds: onsets on own chord tones ${(100 * s.ownShare).toFixed(1)}% vs the other's ${(100 * s.otherShare).toFixed(1)}% (${s.notes} onsets); per take d = own - other, mean ${s.stats.mean.toFixed(3)}, paired t = ${s.stats.t.toFixed(2)} (n = ${s.stats.n}), d > 0 in ${s.stats.positive} takes, sign test p = ${s.stats.signP.toExponential(2)}`,
    ...(u
      ? [
          `${f.kind}: the same at or above middle C only: ${(100 * u.ownShare).toFixed(1)}% vs ${(100 * u.otherShare).toFixed(1)}% (${u.notes} onsets); mean d ${u.stats.mean.toFixed(3)}, paired t = ${u.stats.t.toFixed(2)} (n = ${u.stats.n}), d > 0 in ${u.stats.positive} takes, sign test p = ${u.stats.signP.toExponential(2)}`,
        ]
      : []),
  ].join('\n');
}
