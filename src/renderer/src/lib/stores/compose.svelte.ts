// SPDX-License-Identifier: MIT
/**
 * Compose screen state: seed notes, sampling settings, and the generated variations with their
 * renderer-side undo history (immutable snapshots; main keeps the original generation).
 */
import {
  MAX_COMPOSE_BARS,
  MAX_COMPOSE_VARIATIONS,
  type ComposeResultDto,
  type JobProgressDto,
  type VariationDto,
} from '../../../../shared/dto';
import type { Note } from '../../../../core/music/NoteSequence';
import { commitEdit, createHistory, redo, undo, type EditHistory } from '../pianoroll/noteEdits';
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
  /** Where the generated melody ends: bars * 16 sixteenths. */
  endTick: number;
  history: EditHistory;
  keptAs: string | null;
}

/** Takes added to the page per task when a generation's result arrives. */
const TAKES_PER_TASK = 2;

export function newRandomSeed(): number {
  const buf = new Uint32Array(1);
  crypto.getRandomValues(buf);
  return buf[0];
}

export { parseSeedText, seedFromMidi } from '../input/seedText';

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
  generating = $state(false);
  /** The running generation job (for Cancel). */
  jobId = $state<string | null>(null);
  cancelling = $state(false);

  /** What the running generation last said (variation k of n), from the jobs store. */
  get progress(): JobProgressDto | null {
    return this.jobId ? (jobs.jobs[this.jobId]?.progress ?? null) : null;
  }
  variations = $state<VariationView[]>([]);
  /** Bumped by each new set of takes, so an older set stops being revealed. */
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
    this.generating = true;
    this.cancelling = false;
    const bars = this.bars;
    try {
      // A job: answered with its id at once, progress per variation, the variations arrive with job:finished.
      const { jobId } = await app.requireApi().call('compose:generate', {
        model: this.modelId,
        seedNotes: this.seedNotes,
        temperature: this.temperature,
        bars,
        variations: this.variationCount,
        randomSeed: this.randomSeed,
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
      const views = answer.variations.map((v: VariationDto) => ({
        key: `${v.generationId}`,
        generationId: v.generationId,
        index: v.index,
        randomSeed: v.randomSeed,
        ppq: v.ppq,
        bpm: v.bpm,
        resampled: v.resampled,
        endTick: Math.max(bars * 4 * v.ppq, ...v.notes.map((n) => n.startTick + n.durationTicks)),
        history: createHistory(v.notes as Note[]),
        keptAs: null,
      }));
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
   * Shows new takes a few at a time, one batch per task: drawing 64 piano rolls and scores in one go held the page
   * for seconds. Takes are appended to the shown list (never replaced), so the ones already drawn are left alone.
   */
  private show(views: VariationView[]): void {
    const token = ++this.showToken;
    this.variations = views.slice(0, TAKES_PER_TASK);
    const more = (from: number) => {
      if (token !== this.showToken || from >= views.length) return;
      this.variations.push(...views.slice(from, from + TAKES_PER_TASK));
      setTimeout(() => more(from + TAKES_PER_TASK), 0);
    };
    setTimeout(() => more(TAKES_PER_TASK), 0);
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
