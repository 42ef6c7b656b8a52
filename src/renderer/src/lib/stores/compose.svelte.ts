// SPDX-License-Identifier: MIT
/**
 * Compose screen state: seed notes, sampling settings, and the generated variations with their
 * renderer-side undo history (immutable snapshots; main keeps the original generation).
 */
import {
  MAX_COMPOSE_BARS,
  MAX_COMPOSE_VARIATIONS,
  TAKES_PER_PAGE,
  type ComposeResultDto,
  type GenerationRequestDto,
  type JobProgressDto,
  type MeterChangeDto,
  type TimeSignatureDto,
  type VariationDto,
} from '../../../../shared/dto';
import type { Note } from '../../../../core/music/NoteSequence';
import { findKey, formatKey } from '../../../../core/analysis/keyFinder';
import { parsePitchName } from '../../../../core/music/keys';
import { SCALE_NAMES, type ScaleName } from '../../../../core/music/scales';
import {
  FORM_NAMES,
  FORM_TEMPLATES,
  fittingFormBars,
  formProblem,
  formSummary as formLengthSummary,
  type FormName,
} from '../../../../core/model/formTemplates';
import { commitEdit, createHistory, redo, undo, type EditHistory } from '../pianoroll/noteEdits';
import { keySignatureOf, type KeySignature } from '../score/keySignature';
import { DEFAULT_OCTAVE } from '../input/seedKeyboard';
import { MAX_SEED_NOTES } from '../input/seedText';
import { app } from './app.svelte';
import { jobs } from './jobs.svelte';

export interface VariationView {
  key: string;
  generationId: string;
  index: number;
  randomSeed: number;
  ppq: number;
  bpm: number;
  resampled: number;
  /** The take's meter (bar lines of the piano roll and the score, and the exported file's). */
  timeSignature: TimeSignatureDto;
  /**
   * The take's time-signature map when its meter changes (a clip in 4/4 then 3/4, continued in 3/4): the roll's and the
   * score's bar lines and the files' time signatures follow it. Absent: `timeSignature` throughout.
   */
  meterChanges?: MeterChangeDto[];
  /** Where the generated melody ends: bars of the meter. */
  endTick: number;
  history: EditHistory;
  keptAs: string | null;
  /** Its notes are not here yet (a take beyond a big batch's first page): fetched when its page is shown. */
  deferred: boolean;
  /** A loop take (loop mode): its wrap scores; it plays looped and exports with loop markers, endTick long. */
  loop?: { wrapBefore: number; wrapAfter: number; tries: number };
  /** The form's sections ("AABA: A 1-16 · A 17-32 · ..."), when the take was generated in a form. */
  form?: string;
  /** A polyphonic model's take: a grand staff in the score, two tracks (the staves) in the MIDI file. */
  polyphonic: boolean;
  /** The key signature of the score: the locked key's, else none. */
  keySignature: KeySignature;
  /** The chord changes the take followed (a model trained with chords): shown on the take, markers in its MIDI. */
  chords?: { tick: number; symbol: string }[];
  /** The model the take came from (Regenerate bars asks it again). */
  model: string;
}

/** A form's sections over a length, as the take card says them: "AABA: A 1-16 · A 17-32 · B 33-48 · A 49-64". */
export function formSectionsLine(form: FormName, bars: number): string {
  const letters = FORM_TEMPLATES[form].letters;
  const each = bars / letters.length;
  return `${form}: ${letters.map((l, i) => `${l} ${i * each + 1}-${(i + 1) * each}`).join(' · ')}`;
}

/** Takes added to the page per task when a generation's result arrives. */
const TAKES_PER_TASK = 2;

export function newRandomSeed(): number {
  const buf = new Uint32Array(1);
  crypto.getRandomValues(buf);
  return buf[0];
}

export { parseSeedText, seedFromMidi } from '../input/seedText';

/** The tonics the key lock offers (as a key signature spells them). */
export const KEY_TONICS = ['C', 'C#', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'Gb', 'G', 'Ab', 'A', 'Bb', 'B'] as const;
export { SCALE_NAMES };
/** The forms offered (besides off), with their labels. */
export const FORMS = FORM_NAMES.map((name) => ({ name, label: FORM_TEMPLATES[name].label }));

/** What a form makes of a length (up to the bars the screen offers): its sections, or why the length does not fit. */
export const formSummary = (form: FormName, bars: number) => formLengthSummary(form, bars, MAX_COMPOSE_BARS);
/** The meters offered. */
export const METERS: readonly TimeSignatureDto[] = [
  { numerator: 4, denominator: 4 },
  { numerator: 3, denominator: 4 },
  { numerator: 2, denominator: 4 },
  { numerator: 5, denominator: 4 },
  { numerator: 6, denominator: 8 },
  { numerator: 9, denominator: 8 },
  { numerator: 12, denominator: 8 },
];

/**
 * The seed notes' most likely key by the analysis module's Krumhansl-Schmuckler key finder ("D minor"), or null with
 * no seed. Each seed note counts as a quarter, as the seed is played.
 */
export function suggestedKeyOf(pitches: readonly number[]): { tonic: string; scale: ScaleName } | null {
  if (pitches.length === 0) return null;
  const [tonic, mode] = formatKey(
    findKey(pitches.map((pitch, i) => ({ pitch, startTick: i * 4, durationTicks: 4, velocity: 100 }))),
  ).split(' ');
  return { tonic, scale: mode === 'minor' ? 'minor' : 'major' };
}

/** A continuation keeps its clip's meter: the Meter control does not apply to it. */
function withoutMeter(controls: Partial<GenerationRequestDto>): Partial<GenerationRequestDto> {
  const { timeSignature: _meter, ...rest } = controls;
  return rest;
}

class ComposeStore {
  modelId = $state('default');
  seedNotes = $state.raw<number[]>([60]);
  octave = $state(DEFAULT_OCTAVE);
  temperature = $state(1.0);
  bars = $state(8);
  variationCount = $state(3);
  randomSeed = $state(newRandomSeed());
  seedLocked = $state(false);
  tempoBpm = $state(120);
  loop = $state(false);
  /** Loop mode: write takes whose last bar leads back into the first (game audio loops). */
  loopMode = $state(false);
  /** Key lock: 'off' or a tonic of KEY_TONICS, with a scale. */
  keyTonic = $state<string>('off');
  keyScale = $state<ScaleName>('major');
  /** 0..1: how strictly key and range hold. */
  strictness = $state(1);
  /** Range lock as typed ("C3", "84"); both empty = the whole keyboard. */
  rangeLow = $state('');
  rangeHigh = $state('');
  meter = $state('4/4');
  humanise = $state(0);
  /** -1..1: sparser or busier than the model on its own (src/core/model/controls.ts). */
  density = $state(0);
  /** A form over the bars (AABA...), or 'off'. */
  form = $state<FormName | 'off'>('off');
  /** Chords for a model trained with chords, e.g. "C G Am F" (empty = none), and the bars each lasts. */
  chordProgression = $state('');
  barsPerChord = $state(1);
  /** The last MIDI file the seed came from: a clip the model can continue. */
  clip = $state.raw<{ bytes: Uint8Array; name: string } | null>(null);
  /** Continue the clip (the model hears all of it; `bars` more bars in its tempo, meter and key). */
  continueClip = $state(false);
  /** With continueClip: the take starts with the clip. */
  appendClip = $state(false);
  /** The key the seed suggests (shown next to the lock). */
  get suggestedKey(): { tonic: string; scale: ScaleName } | null {
    return suggestedKeyOf(this.seedNotes);
  }

  /** Chooses a form, moving Bars to the nearest length it takes (AABA with 8 bars: 32). */
  setForm(form: FormName | 'off'): void {
    this.form = form;
    if (form !== 'off') this.bars = fittingFormBars(form, this.bars, MAX_COMPOSE_BARS);
  }

  /** Locks to the suggested key. */
  useSuggestedKey(): void {
    const key = this.suggestedKey;
    if (!key) return;
    this.keyTonic = key.tonic;
    this.keyScale = key.scale;
  }

  /**
   * The controls as contract fields, or an error message for a range that is not one. Off controls send nothing, so
   * a request without them is exactly the request of old.
   */
  controlFields(): Partial<GenerationRequestDto> | { error: string; field?: 'Form' } {
    const out: Partial<GenerationRequestDto> = {};
    if (this.keyTonic !== 'off') out.key = `${this.keyTonic} ${this.keyScale}`;
    const low = this.rangeLow.trim();
    const high = this.rangeHigh.trim();
    if (low || high) {
      try {
        const range = { low: low ? parsePitchName(low) : 0, high: high ? parsePitchName(high) : 127 };
        if (range.low > range.high) return { error: `The range's low note ${low} is above its high note ${high}.` };
        out.range = range;
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    }
    if (out.key || out.range) out.strictness = Math.min(1, Math.max(0, this.strictness));
    const meter = METERS.find((m) => `${m.numerator}/${m.denominator}` === this.meter);
    if (meter && this.meter !== '4/4') out.timeSignature = meter;
    if (this.humanise > 0) out.humanise = Math.min(1, this.humanise);
    if (this.density !== 0) out.density = Math.max(-1, Math.min(1, this.density));
    if (this.loopMode && this.form !== 'off')
      return { error: 'Loop mode and a form both decide how the take ends: turn off one of them.', field: 'Form' };
    if (this.loopMode) out.loop = true;
    if (this.form !== 'off') {
      const problem = formProblem(this.form, this.bars, MAX_COMPOSE_BARS);
      if (problem) return { error: problem, field: 'Form' };
      out.form = this.form;
    }
    const progression = this.chordProgression.trim();
    if (progression)
      out.chords = { progression, barsPerChord: Math.max(1, Math.min(64, Math.round(this.barsPerChord) || 1)) };
    return out;
  }
  generating = $state(false);
  /** The running generation job (for Cancel). */
  jobId = $state<string | null>(null);
  cancelling = $state(false);

  /** What the running generation last said (variation k of n), from the jobs store. */
  get progress(): JobProgressDto | null {
    return this.jobId ? (jobs.jobs[this.jobId]?.progress ?? null) : null;
  }
  /** Every take of the last generation (edits, undo and keep work on these, whatever page shows them). */
  variations = $state<VariationView[]>([]);
  /** The page of takes on screen (TAKES_PER_PAGE a page), and how many of it are drawn so far. */
  page = $state(0);
  private shownOnPage = $state(0);
  get pageCount(): number {
    return Math.max(1, Math.ceil(this.variations.length / TAKES_PER_PAGE));
  }
  /** The takes drawn now: the current page, revealed a few per task. */
  visibleVariations = $derived(
    this.variations.slice(this.page * TAKES_PER_PAGE, this.page * TAKES_PER_PAGE + this.shownOnPage),
  );
  /** Bumped by each new page or set of takes, so an older one stops being revealed. */
  private showToken = 0;
  lastEngine = $state<string | null>(null);

  addSeedNote(pitch: number): void {
    if (this.seedNotes.length >= MAX_SEED_NOTES) return;
    this.seedNotes = [...this.seedNotes, pitch];
  }

  removeLastSeedNote(): void {
    this.seedNotes = this.seedNotes.slice(0, -1);
  }

  clearSeed(): void {
    this.seedNotes = [];
  }

  async generate(): Promise<void> {
    if (this.generating) return;
    if (this.seedNotes.length === 0) {
      app.toast('error', 'Add at least one seed note before generating (play one on the keyboard or type “C4”).');
      return;
    }
    if (!this.seedLocked) this.randomSeed = newRandomSeed();
    // Number fields can hold anything typed; keep the request inside the contract's ranges.
    const clampInt = (v: number, lo: number, hi: number, fallback: number): number =>
      Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : fallback;
    this.bars = clampInt(this.bars, 1, MAX_COMPOSE_BARS, 8);
    this.variationCount = clampInt(this.variationCount, 1, MAX_COMPOSE_VARIATIONS, 3);
    this.randomSeed = clampInt(this.randomSeed, 0, 2 ** 32 - 1, newRandomSeed());
    const controls = this.controlFields();
    if ('error' in controls) {
      app.toast('error', `${'field' in controls ? controls.field : 'Range'}: ${controls.error as string}`);
      return;
    }
    this.generating = true;
    this.cancelling = false;
    const bars = this.bars;
    const form = controls.form as FormName | undefined;
    const model = this.modelId;
    try {
      // A job: answered with its id at once, progress per variation, the variations arrive with job:finished.
      const { jobId } = await app.requireApi().call('compose:generate', {
        model: this.modelId,
        seedNotes: this.seedNotes,
        temperature: this.temperature,
        bars,
        variations: this.variationCount,
        randomSeed: this.randomSeed,
        ...(this.continueClip && this.clip ? withoutMeter(controls) : controls),
        ...(this.continueClip && this.clip
          ? { continueClip: { bytes: this.clip.bytes, name: this.clip.name, append: this.appendClip } }
          : {}),
      });
      jobs.track(jobId, 'generate');
      this.jobId = jobId;
      const finished = await jobs.finished(jobId);
      if (finished.status === 'cancelled') {
        app.toast('info', 'Generation cancelled; the previous variations are still here.');
        return;
      }
      if (finished.status === 'failed' || !finished.result) {
        const error = finished.error ?? { code: 'INTERNAL', message: 'The generation ended without a result.' };
        app.fail('Could not generate', error, { label: 'Retry', run: () => void this.generate() });
        return;
      }
      const answer = finished.result as ComposeResultDto;
      this.lastEngine = answer.engine;
      const views = answer.variations.map((v: VariationDto) => {
        const timeSignature = v.timeSignature ?? { numerator: 4, denominator: 4 };
        const barTicks = (v.ppq * 4 * timeSignature.numerator) / timeSignature.denominator;
        return {
          key: `${v.generationId}`,
          generationId: v.generationId,
          index: v.index,
          randomSeed: v.randomSeed,
          ppq: v.ppq,
          bpm: v.bpm,
          resampled: v.resampled,
          timeSignature,
          ...(v.meterChanges ? { meterChanges: v.meterChanges } : {}),
          endTick: v.loop
            ? bars * barTicks
            : Math.max(
                // A take whose meter changes says its own length (its bars on its own map).
                v.meterChanges ? (v.lengthTicks ?? 0) : bars * barTicks,
                ...v.notes.map((n) => n.startTick + n.durationTicks),
              ),
          history: createHistory(v.notes as Note[]),
          keptAs: null,
          deferred: v.deferred === true,
          polyphonic: v.polyphonic === true,
          keySignature: keySignatureOf(answer.key),
          model,
          ...(v.loop ? { loop: v.loop } : {}),
          ...(form ? { form: formSectionsLine(form, bars) } : {}),
          ...(v.chords ? { chords: v.chords } : {}),
        };
      });
      this.show(views);
      if (answer.variations[0]) this.tempoBpm = Math.round(answer.variations[0].bpm);
    } catch (error) {
      app.fail('Could not generate', error, { label: 'Retry', run: () => void this.generate() });
    } finally {
      this.generating = false;
      this.jobId = null;
      this.cancelling = false;
    }
  }

  /**
   * Shows new takes from the first page, a few at a time, one batch per task: drawing 64 piano rolls and scores in one
   * go held the page for seconds, so a page holds TAKES_PER_PAGE and is revealed TAKES_PER_TASK at a time.
   */
  private show(views: VariationView[]): void {
    this.variations = views;
    void this.showPage(0);
  }

  /**
   * Turns to page `page` (clamped) and reveals it a few takes per task. Takes of a big batch beyond its first page
   * come without their notes (variationSchema.deferred): they are fetched here, when their page is shown.
   */
  async showPage(page: number): Promise<void> {
    const token = ++this.showToken;
    this.page = Math.max(0, Math.min(this.pageCount - 1, Math.floor(page)));
    const start = this.page * TAKES_PER_PAGE;
    const onPage = Math.min(TAKES_PER_PAGE, this.variations.length - start);
    const missing = this.variations.slice(start, start + onPage).filter((v) => v.deferred);
    if (missing.length > 0) {
      this.shownOnPage = 0;
      try {
        const got = await app
          .requireApi()
          .call('generations:get', { generationIds: missing.map((v) => v.generationId) });
        if (token !== this.showToken) return;
        got.forEach((g, i) => {
          const v = missing[i];
          v.history = createHistory(g.notes as Note[]);
          if (!v.loop) v.endTick = Math.max(v.endTick, ...g.notes.map((n) => n.startTick + n.durationTicks));
          v.deferred = false;
        });
      } catch (error) {
        app.fail(`Could not load page ${this.page + 1} of the takes`, error, {
          label: 'Retry',
          run: () => void this.showPage(page),
        });
        return;
      }
    }
    this.shownOnPage = Math.min(TAKES_PER_TASK, onPage);
    const more = () => {
      if (token !== this.showToken || this.shownOnPage >= onPage) return;
      this.shownOnPage = Math.min(onPage, this.shownOnPage + TAKES_PER_TASK);
      setTimeout(more, 0);
    };
    setTimeout(more, 0);
  }

  /** Asks main to stop the running generation; it ends as cancelled within a generated token. */
  async cancel(): Promise<void> {
    const jobId = this.jobId;
    if (!jobId || this.cancelling) return;
    this.cancelling = true;
    try {
      await app.requireApi().call('job:cancel', { jobId });
    } catch (error) {
      this.cancelling = false;
      app.fail('Could not cancel the generation', error);
    }
  }

  edit(key: string, next: readonly Note[]): void {
    const v = this.variations.find((x) => x.key === key);
    if (v) v.history = commitEdit(v.history, next);
  }

  undo(key: string): void {
    const v = this.variations.find((x) => x.key === key);
    if (v) v.history = undo(v.history);
  }

  redo(key: string): void {
    const v = this.variations.find((x) => x.key === key);
    if (v) v.history = redo(v.history);
  }

  async keep(key: string, name: string): Promise<void> {
    const v = this.variations.find((x) => x.key === key);
    if (!v) return;
    try {
      await app.requireApi().call('generations:saveFavourite', { generationId: v.generationId, name, favourite: true });
      v.keptAs = name;
      app.toast('info', `Kept “${name}” as a favourite.`);
    } catch (error) {
      app.fail(`Could not keep “${name}”`, error, { label: 'Retry', run: () => void this.keep(key, name) });
    }
  }
}

export const compose = new ComposeStore();
