// SPDX-License-Identifier: MIT
import { mkdirSync } from 'node:fs';
import { writeFileAtomicallySync } from '../../main/services/atomicFile';
import path from 'node:path';
import { ENGINE_CHOICES, isEngineChoice } from '../../core/engine/select';
import { generateFromLibrary, parseSeedArgument } from '../../main/services/generation';
import type { GenerateRequest, GenerateResult, SeedInput } from '../../main/services/generationRequest';
import { sixteenthsPerBar, type Meter } from '../../core/music/meter';
import { barLines } from '../../core/music/meterMap';
import { parseProgression } from '../../core/music/chords';
import {
  formatPitchRange,
  formatScaleKey,
  parsePitchRange,
  parseScaleKey,
  SCALE_NAMES,
  type PitchRange,
  type ScaleKey,
} from '../../core/music/scales';
import { MAX_COMPOSE_VARIATIONS } from '../../shared/dto';
import { FORM_NAMES, MAX_FORM_BARS, MIN_FORM_BARS, planForm } from '../../core/model/form';
import { safeFileName } from '../../main/services/exportService';
import { runGenerationInWorker } from '../../main/jobs/generationWorkerRunner';
import { CancelledError } from '../../core/jobs/progress';
import { createProgressBar } from '../progressBar';
import { parseCommandArgs, parseFlag } from '../args';
import { UsageError, type CliCommand, type CliContext } from '../types';
import { engineLine, numberFlag } from './train';

/** One row of index.csv / index.json: a written file and every setting that made it. */
export interface IndexRow {
  file: string;
  model: string;
  seedNotes: string;
  temperature: number;
  key: string;
  strictness: number;
  range: string;
  randomSeed: number;
  variation: number;
  variationSeed: number;
  bars: number;
  /** The form template, or "off". */
  form: string;
  meter: string;
  bpm: number;
  humanise: number;
  notes: number;
  generationId: number;
}

const INDEX_COLUMNS: (keyof IndexRow)[] = [
  'file',
  'model',
  'seedNotes',
  'temperature',
  'key',
  'strictness',
  'range',
  'randomSeed',
  'variation',
  'variationSeed',
  'bars',
  'form',
  'meter',
  'bpm',
  'humanise',
  'notes',
  'generationId',
];

/** RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes. */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The index as CSV (header + one line per file, CRLF as RFC 4180 says). */
export function indexCsv(rows: readonly IndexRow[]): string {
  return [INDEX_COLUMNS.join(','), ...rows.map((r) => INDEX_COLUMNS.map((c) => csvField(r[c])).join(','))]
    .map((line) => `${line}\r\n`)
    .join('');
}

/**
 * A variation's file name: <model>-seed<randomSeed>-<k>.mid with k 1-based, zero-padded to the width of the batch's
 * largest index (so 1000 files sort in order; a batch under 10 is named as before).
 */
export function variationFileName(modelName: string, randomSeed: number, index: number, count: number): string {
  const width = String(count).length;
  return safeFileName(`${modelName}-seed${randomSeed}-${String(index + 1).padStart(width, '0')}`);
}

export interface WriteOptions {
  temperature: number;
  bars: number;
  humanise?: number;
  /** Also write index.csv and index.json listing every file with its settings. */
  index?: boolean;
}

/**
 * Writes each variation as <out>/<model>-seed<randomSeed>-<k>.mid (see variationFileName) and prints one line per
 * file; with `index`, also <out>/index.csv and <out>/index.json.
 */
export function writeVariations(
  result: GenerateResult,
  outDir: string,
  ctx: CliContext,
  randomSeed: number,
  options?: WriteOptions,
): string[] {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const rows: IndexRow[] = [];
  const meter = `${result.timeSignature.numerator}/${result.timeSignature.denominator}`;
  const barTicks = (ppqBar: number) => (ppqBar * 4 * result.timeSignature.numerator) / result.timeSignature.denominator;
  for (const v of result.variations) {
    const name = variationFileName(result.modelName, randomSeed, v.index, result.variations.length);
    const file = path.join(outDir, name);
    writeFileAtomicallySync(file, v.midi);
    files.push(file);
    if (options)
      rows.push({
        file: name,
        model: result.modelName,
        seedNotes: result.seedDescription,
        temperature: options.temperature,
        key: result.key ? formatScaleKey(result.key) : 'off',
        strictness: result.key || result.range ? result.strictness : 0,
        range: result.range ? formatPitchRange(result.range) : 'full',
        randomSeed,
        variation: v.index + 1,
        variationSeed: v.randomSeed,
        bars: options.bars,
        form: result.form ?? 'off',
        meter,
        bpm: result.bpm,
        humanise: options.humanise ?? 0,
        notes: v.sequence.tracks.reduce((n, t) => n + t.notes.length, 0),
        generationId: Number(v.generationId),
      });
    // Every staff's notes, and the take's own length (a polyphonic take has no tokens).
    const notes = v.sequence.tracks.reduce((n, t) => n + t.notes.length, 0);
    const changes = v.sequence.timeSignatures;
    // A take with meter changes (a clip appended) counts its bars on its own map and names every meter.
    const takeBars =
      changes.length > 1
        ? barLines(changes, v.sequence.ppq, v.sequence.totalTicks ?? 0).length
        : Math.round(((v.sequence.totalTicks ?? 0) / barTicks(v.sequence.ppq)) * 100) / 100;
    const meters = changes.length > 1 ? changes.map((s) => `${s.numerator}/${s.denominator}`).join(' -> ') : meter;
    const wrap = v.loop
      ? `, loop wrap ${v.loop.wrapBefore.toFixed(2)} -> ${v.loop.wrapAfter.toFixed(2)} (${v.loop.tries} endings tried)`
      : '';
    const note = v.degenerate
      ? ` (still degenerate after ${v.retries} re-samples: ${v.degenerate})`
      : v.retries
        ? ` (re-sampled ${v.retries}x: ${v.rejected.join('; ')})`
        : '';
    ctx.out(
      `  ${file}: ${notes} notes, ${takeBars} bars of ${meters} at ${round(result.bpm)} bpm, generation #${v.generationId}${wrap}${note}`,
    );
  }
  if (options?.index) {
    writeFileAtomicallySync(path.join(outDir, 'index.csv'), indexCsv(rows));
    writeFileAtomicallySync(path.join(outDir, 'index.json'), `${JSON.stringify({ files: rows }, null, 2)}\n`);
    ctx.out(`  ${path.join(outDir, 'index.csv')} and index.json: ${rows.length} file(s) with their settings`);
  }
  return files;
}

/**
 * --wav: each variation also as <name>.wav beside its .mid, through the bundled SoundFont (src/main/services/
 * audioExport.ts): its bars plus the 2 s release tail, a loop take exactly its bars.
 */
async function writeVariationWavs(
  result: GenerateResult,
  midiFiles: readonly string[],
  ctx: CliContext,
): Promise<void> {
  const { bundledSoundFontPath } = await import('../../main/services/audioExport');
  const { renderWavFile } = await import('../wavRender');
  for (const [i, v] of result.variations.entries()) {
    const midiFile = midiFiles[i]!;
    const wavFile = midiFile.replace(/\.mid$/, '.wav');
    const endTick = v.sequence.totalTicks;
    let seconds: number;
    try {
      seconds = await renderWavFile(
        { midi: v.midi, loop: v.loop !== undefined, ...(endTick ? { endTick } : {}) },
        bundledSoundFontPath(),
        wavFile,
        ctx,
        path.basename(wavFile),
      );
    } catch (err) {
      if (err instanceof CancelledError) {
        ctx.err(`Cancelled; the MIDI files are written, ${i} of ${result.variations.length} WAV file(s).`);
      }
      throw err;
    }
    ctx.out(`  ${wavFile}: ${seconds.toFixed(3)} s of audio`);
  }
}

function round(bpm: number): number {
  return Math.round(bpm * 100) / 100;
}

/** The form line: "Form: AABA, sections A A B A of 16 bars". */
export function formLine(form: string, bars: number): string {
  const sections = planForm(form, bars);
  return `Form: ${form}, sections ${sections.map((x) => x.letter).join(' ')} of ${sections[0].bars} bars`;
}

/** The key line: what the take was locked to, and the key the seed (or corpus) suggests. */
export function keyLine(result: GenerateResult, suggested?: ScaleKey): string {
  const suggestion = suggested ?? result.suggestedKey;
  const hint = suggestion ? formatScaleKey(suggestion) : undefined;
  if (result.key)
    return `Key: ${formatScaleKey(result.key)}, strictness ${result.strictness}${result.range ? `, range ${formatPitchRange(result.range)}` : ''}${hint ? ` (suggested: ${hint})` : ''}`;
  return `Key: off${result.range ? ` (range ${formatPitchRange(result.range)}, strictness ${result.strictness})` : ''}${hint ? `; suggested: ${hint} (--key "${hint}" locks it)` : ''}`;
}

export interface GenerationFlags {
  seed?: SeedInput;
  temperature: number;
  bars: number;
  variations: number;
  randomSeed: number;
  bpm?: number;
  key?: ScaleKey | null;
  strictness?: number;
  range?: PitchRange;
  humanise?: number;
  density?: number;
  timeSignature?: Meter;
  /** Loop mode (--loop, --loop-tries N). */
  loop?: { tries?: number };
  form?: string;
  /** --chords "C G Am F" [--bars-per-chord N] (a model trained with chords). */
  chords?: { progression: string; barsPerChord: number };
}

export const GENERATION_FLAG_OPTIONS = {
  'seed-notes': { type: 'string' },
  temperature: { type: 'string' },
  bars: { type: 'string' },
  variations: { type: 'string' },
  'random-seed': { type: 'string' },
  bpm: { type: 'string' },
  key: { type: 'string' },
  strictness: { type: 'string' },
  range: { type: 'string' },
  humanise: { type: 'string' },
  density: { type: 'string' },
  meter: { type: 'string' },
  form: { type: 'string' },
  continue: { type: 'string' },
  append: { type: 'boolean' },
  loop: { type: 'boolean' },
  'loop-tries': { type: 'string' },
  chords: { type: 'string' },
  'bars-per-chord': { type: 'string' },
  out: { type: 'string', short: 'o' },
  engine: { type: 'string' },
} as const;

/** Reads the flags shared by generate and compose. */
export function readGenerationFlags(
  command: string,
  values: Record<string, string | boolean | undefined>,
  ctx: CliContext,
): GenerationFlags {
  const s = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  // A flag given with an empty value is refused like any bad value, never read as "not given".
  const given = (k: string) => s(k) !== undefined;
  return {
    ...(given('seed-notes')
      ? { seed: parseFlag(command, '--seed-notes', () => parseSeedArgument(s('seed-notes')!, ctx.cwd)) }
      : {}),
    temperature: numberFlag(command, 'temperature', s('temperature'), { min: 0.05, max: 5 }) ?? 1,
    bars: numberFlag(command, 'bars', s('bars'), { integer: true, min: 1, max: 256 }) ?? 8,
    variations:
      numberFlag(command, 'variations', s('variations'), { integer: true, min: 1, max: MAX_COMPOSE_VARIATIONS }) ?? 1,
    randomSeed: numberFlag(command, 'random-seed', s('random-seed'), { integer: true, min: 0, max: 2 ** 32 - 1 }) ?? 1,
    ...(given('bpm') ? { bpm: numberFlag(command, 'bpm', s('bpm'), { min: 4, max: 400 }) } : {}),
    ...(given('key') ? { key: parseFlag(command, '--key', () => parseKeyFlag(s('key')!)) } : {}),
    ...(given('strictness')
      ? { strictness: numberFlag(command, 'strictness', s('strictness'), { min: 0, max: 1 }) }
      : {}),
    ...(given('range') ? { range: parseFlag(command, '--range', () => parsePitchRange(s('range')!)) } : {}),
    ...(given('humanise') ? { humanise: numberFlag(command, 'humanise', s('humanise'), { min: 0, max: 1 }) } : {}),
    ...(given('density') ? { density: numberFlag(command, 'density', s('density'), { min: -1, max: 1 }) } : {}),
    ...(given('meter') ? { timeSignature: parseFlag(command, '--meter', () => parseMeter(s('meter')!)) } : {}),
    ...readLoopFlags(command, values),
    ...(given('form') ? { form: s('form') } : {}),
    ...readChordFlags(command, values),
  };
}

/**
 * --chords "C G Am F" [--bars-per-chord N]: the progression (each symbol checked here, the bad one named) and the
 * bars each chord lasts (default 1).
 */
function readChordFlags(
  command: string,
  values: Record<string, string | boolean | undefined>,
): { chords?: { progression: string; barsPerChord: number } } {
  const per = typeof values['bars-per-chord'] === 'string' ? values['bars-per-chord'] : undefined;
  if (typeof values.chords !== 'string') {
    if (per !== undefined) throw new UsageError(`${command}: --bars-per-chord needs --chords "C G Am F"`, command);
    return {};
  }
  const progression = values.chords;
  const symbols = parseFlag(command, '--chords', () => parseProgression(progression));
  return {
    chords: {
      progression: symbols.map((c) => c.symbol).join(' '),
      barsPerChord: numberFlag(command, 'bars-per-chord', per, { integer: true, min: 1, max: 64 }) ?? 1,
    },
  };
}

/** --key: a key, or "off"; an empty value is refused (parseScaleKey reads it as off). */
function parseKeyFlag(text: string): ScaleKey | null {
  if (text.trim() === '') throw new Error('give a key such as "D minor" or "F# dorian", or "off"');
  return parseScaleKey(text);
}

/** "6/8" -> { numerator: 6, denominator: 8 }; a bar must be whole sixteenths. */
function parseMeter(text: string): Meter {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a meter: write e.g. 3/4 or 6/8`);
  const meter = { numerator: Number(match[1]), denominator: Number(match[2]) };
  if (![1, 2, 4, 8, 16].includes(meter.denominator) || meter.numerator > 32)
    throw new Error(`"${text}": the meter's denominator must be 1, 2, 4, 8 or 16 and its numerator at most 32`);
  sixteenthsPerBar(meter);
  return meter;
}

/** --continue CLIP [--append]: the clip as a whole-file seed. */
export function readContinuation(
  command: string,
  values: Record<string, string | boolean | undefined>,
  ctx: CliContext,
): { seed: SeedInput; append: boolean } | undefined {
  if (typeof values.continue !== 'string') {
    if (values.append) throw new UsageError(`${command}: --append needs --continue CLIP.mid`, command);
    return undefined;
  }
  const clip = values.continue;
  const seed = parseFlag(command, '--continue', () => parseSeedArgument(clip, ctx.cwd));
  if (!('midi' in seed))
    throw new UsageError(`${command}: --continue needs a .mid file, got "${values.continue}"`, command);
  return { seed: { ...seed, whole: true }, append: values.append === true };
}

/** The request fields the controls flags set (spread into a GenerateRequest). */
export function controlFields(flags: GenerationFlags): Partial<GenerateRequest> {
  return {
    ...(flags.bpm ? { bpm: flags.bpm } : {}),
    ...(flags.key !== undefined ? { key: flags.key } : {}),
    ...(flags.strictness !== undefined ? { strictness: flags.strictness } : {}),
    ...(flags.range ? { range: flags.range } : {}),
    ...(flags.humanise !== undefined ? { humanise: flags.humanise } : {}),
    ...(flags.density !== undefined ? { density: flags.density } : {}),
    ...(flags.timeSignature ? { timeSignature: flags.timeSignature } : {}),
    ...(flags.loop ? { loop: flags.loop } : {}),
    ...(flags.form ? { form: flags.form } : {}),
    ...(flags.chords ? { chords: flags.chords } : {}),
  };
}

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'Compose melodies with a trained model (or the bundled default)',
  usage: `etude generate MODEL [options]

  MODEL                 a model name from \`etude models\`, or "default" (the bundled JSB-soprano model)
  --seed-notes S        how the melody starts: a pitch (60 or C4), several (C4,E4,G4: a quarter note each),
                        or a MIDI file (its first two bars). Default C4.
  --temperature T       0.05..5: below 1 safer, above 1 wilder (default 1)
  --bars N              length in bars of the meter, seed included (default 8)
  --meter N/D           meter of the take and of --bars (default: the seed file's, else 4/4; e.g. 3/4, 6/8, 5/4)
  --variations N        how many melodies, up to ${MAX_COMPOSE_VARIATIONS} (default 1)
  --random-seed N       same seed + settings + model = same notes (default 1)
  --bpm N               tempo of the MIDI (default: the seed file's, else 120, the MIDI default)
  --key K               lock to a key: a tonic and one of ${SCALE_NAMES.join(', ')}
                        (e.g. "D minor", "F# dorian"), or "off" (default; the seed's likely key is suggested)
  --strictness S        0..1: how strictly --key and --range hold (1 = never outside; default 1)
  --range LOW-HIGH      lock the pitch range, e.g. C3-C6
  --humanise H          0..1: jitter timing and velocity (default 0; deterministic from --random-seed)
  --density D           -1..1: sparser (< 0) or busier (> 0) than the model on its own (default 0; 1 = 4x the
                        odds of a new note at every step)
  --form F              a long piece in a form: ${FORM_NAMES.join(', ')} or off (default); --bars ${MIN_FORM_BARS}..${MAX_FORM_BARS},
                        dividing into the form's equal sections (AABA: 64 = 4 x 16). A repeated section replays the
                        first one's opening bar, then varies it (re-sampled cooler, pulled toward the first)
  --continue CLIP.mid   continue my clip: the model hears ALL of it, then writes --bars more bars in the clip's
                        tempo and meter, locked to its key (strictness 0.9 unless --key/--strictness say otherwise)
  --append              with --continue: write the clip followed by the continuation (default: the continuation
                        alone, from the bar line after the clip)
  --loop                loop mode: the last bar leads back into the first (its ending re-sampled for the model's
                        wrap score, printed per file); the file is exactly --bars long with loopStart/loopEnd markers
  --loop-tries N        with --loop: endings to try, 0..64 (default 8)
  --chords "C G Am F"   a model trained with chords (etude train --chords) follows this progression, repeated over
                        the take; each chord change is a marker event with its symbol in the MIDI
  --bars-per-chord N    with --chords: bars each chord lasts (default 1)
  --out DIR             where to write the .mid files, plus index.csv and index.json listing each file's settings
                        (default: the current folder, no index)
  --engine E            ${ENGINE_CHOICES.join('|')} (default auto)
  --wav                 also write each take as <name>.wav through the bundled SoundFont (sampled piano): its bars
                        plus 2 s of release (a --loop take: exactly its bars); see also \`etude render\`
  Each variation is also stored in the library with its request.`,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('generate', args, {
      ...GENERATION_FLAG_OPTIONS,
      wav: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('generate: name exactly one model (or "default")', 'generate');
    const engine = values.engine ?? 'auto';
    if (!isEngineChoice(engine))
      throw new UsageError(
        `generate: --engine must be one of ${ENGINE_CHOICES.join(', ')}, got "${engine}"`,
        'generate',
      );
    const flags = readGenerationFlags('generate', values, ctx);
    const continuation = readContinuation('generate', values, ctx);
    if (continuation && flags.seed)
      throw new UsageError('generate: --continue names the seed; leave out --seed-notes', 'generate');
    // The engine runs in a worker thread, so Ctrl-C (ctx.signal) is heard mid-variation and stops it within a token.
    const bar = createProgressBar({ stream: ctx.stderr, interactive: ctx.interactive });
    let result: GenerateResult;
    try {
      result = await generateFromLibrary(
        ctx.library(),
        {
          model: positionals[0],
          seed: continuation?.seed ?? flags.seed ?? { pitches: [60] },
          ...(continuation ? { continuation: { bars: flags.bars, append: continuation.append } } : {}),
          temperature: flags.temperature,
          bars: flags.bars,
          variations: flags.variations,
          randomSeed: flags.randomSeed,
          engine,
          ...controlFields(flags),
        },
        { signal: ctx.signal, onProgress: (p) => bar.update(p), runner: runGenerationInWorker },
      );
    } catch (err) {
      bar.done();
      if (err instanceof CancelledError) {
        ctx.err('Cancelled; nothing was stored.');
        return 130;
      }
      throw err;
    }
    bar.done();
    ctx.out(
      `Generated ${result.variations.length} variation(s) with "${result.modelName}" from ${result.seedDescription}, temperature ${flags.temperature}, random seed ${flags.randomSeed}:`,
    );
    ctx.out(`  ${keyLine(result)}`);
    if (result.form) ctx.out(`  ${formLine(result.form, flags.bars)}`);
    if (flags.chords)
      ctx.out(
        `  Chords: ${flags.chords.progression}, ${flags.chords.barsPerChord} bar${flags.chords.barsPerChord === 1 ? '' : 's'} each, repeated (a marker per chord change in each file)`,
      );
    const files = writeVariations(result, path.resolve(ctx.cwd, values.out ?? '.'), ctx, flags.randomSeed, {
      temperature: flags.temperature,
      bars: flags.bars,
      ...(flags.humanise !== undefined ? { humanise: flags.humanise } : {}),
      index: values.out !== undefined,
    });
    if (values.wav) await writeVariationWavs(result, files, ctx);
    ctx.out(`  ${engineLine(result.engine)}`);
    return 0;
  },
};

/** --loop [--loop-tries N]: loop mode's request field, or nothing. */
function readLoopFlags(
  command: string,
  values: Record<string, string | boolean | undefined>,
): { loop?: { tries?: number } } {
  const tries = typeof values['loop-tries'] === 'string' ? values['loop-tries'] : undefined;
  if (!values.loop) {
    if (tries !== undefined) throw new UsageError(`${command}: --loop-tries needs --loop`, command);
    return {};
  }
  return {
    loop:
      tries !== undefined
        ? { tries: numberFlag(command, 'loop-tries', tries, { integer: true, min: 0, max: 64 }) }
        : {},
  };
}
