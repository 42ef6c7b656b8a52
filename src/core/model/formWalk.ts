// SPDX-License-Identifier: MIT
/**
 * The part of form generation that does not depend on what a step is: which sections are drawn fresh and which
 * repeat, when a repeat is thrown away and drawn again (a copy of an earlier occurrence of its letter, or degenerate
 * on its own), and when a whole take is drawn again. ./form.ts walks melody tokens (a step is a sixteenth's token) and
 * ./polyForm.ts piano-roll frames (a step is a frame of pitches) through the same rules; each keeps how it draws a
 * step and what it calls degenerate behind {@link FormPiece}.
 */

/** One section of a planned piece. */
export interface FormSection {
  letter: string;
  startBar: number;
  bars: number;
  /** Index of the first section with this letter, or null when this is it. */
  repeatOf: number | null;
}

/** A form request that cannot be run; the message is a sentence saying what to change. */
export class FormError extends Error {
  override name = 'FormError';
  readonly code = 'FORM_INVALID' as const;
}

/** Re-draws of a repeat that came out a copy of an earlier occurrence, or degenerate on its own. */
export const MAX_REPEAT_RETRIES = 5;

/** Why repeats were thrown away while a take was drawn. */
export interface RepeatReport {
  /** Repeats thrown away because they copied an earlier occurrence. */
  copyRetries: number;
  /** Every repeat thrown away, with its section and reason. */
  repeatRejected: string[];
}

/** What the walk asks of the piece being drawn. Steps are counted from the piece's start, the seed included. */
export interface FormPiece {
  /** Draws the first occurrence of a letter over steps [start, end) (steps a seed already holds are kept). */
  drawFirst(start: number, end: number): Promise<void>;
  /**
   * Draws a repeat over [start, end) from its first occurrence at `originStart`. From the second attempt on, the
   * piece must first be brought back to where it stood at `start` (the thrown-away attempt forgotten).
   */
  drawRepeat(start: number, end: number, originStart: number, attempt: number): Promise<void>;
  /** Whether steps [a, a + length) hold exactly what steps [b, b + length) hold. */
  sameSteps(a: number, b: number, length: number): boolean;
  /** Why steps [start, end), taken on their own, are degenerate; undefined when they are not. */
  degeneracy(start: number, end: number): string | undefined;
}

/**
 * Checks that sections follow a plan (./form.ts planForm): each starts where the one before ends, has at least one
 * bar, and a repeat names a first occurrence of its own letter and length.
 * @throws FormError naming the first section that does not.
 */
export function checkFormPlan(sections: readonly FormSection[]): void {
  if (sections.length === 0) throw new FormError('A form needs at least one section.');
  sections.forEach((s, i) => {
    const previous = sections[i - 1];
    const origin = s.repeatOf === null ? undefined : sections[s.repeatOf];
    if (
      s.startBar !== (previous ? previous.startBar + previous.bars : 0) ||
      !(s.bars >= 1) ||
      (origin && (origin.letter !== s.letter || origin.bars !== s.bars || origin.repeatOf !== null))
    )
      throw new FormError(`Section ${i + 1} (${s.letter}) does not follow the form's plan.`);
  });
}

/**
 * Draws every section of one take in order. A repeat that comes out a copy of an earlier section of its letter, or
 * degenerate on its own, is drawn again up to MAX_REPEAT_RETRIES times (the last attempt is kept whatever it is).
 */
export async function walkForm(
  sections: readonly FormSection[],
  stepsPerBar: number,
  piece: FormPiece,
): Promise<RepeatReport> {
  let copyRetries = 0;
  const repeatRejected: string[] = [];
  for (const [index, section] of sections.entries()) {
    const start = section.startBar * stepsPerBar;
    const end = start + section.bars * stepsPerBar;
    if (section.repeatOf === null) {
      await piece.drawFirst(start, end);
      continue;
    }
    const originStart = sections[section.repeatOf].startBar * stepsPerBar;
    const earlierStarts = sections
      .filter((s) => s.letter === section.letter && s.startBar < section.startBar && s.bars === section.bars)
      .map((s) => s.startBar * stepsPerBar);
    for (let attempt = 0; ; attempt++) {
      await piece.drawRepeat(start, end, originStart, attempt);
      const copy = earlierStarts.some((at) => piece.sameSteps(at, start, end - start));
      const problem = copy ? `a copy of an earlier ${section.letter}` : piece.degeneracy(start, end);
      if (!problem || attempt >= MAX_REPEAT_RETRIES) break;
      if (copy) copyRetries++;
      repeatRejected.push(`section ${index + 1} (${section.letter}): ${problem}`);
    }
  }
  return { copyRetries, repeatRejected };
}

/** One take after whole-take retries: the take kept, and every reason something was drawn again. */
export interface FormTake<T> extends RepeatReport {
  take: T;
  /** Why whole takes were thrown away, in order. */
  rejected: string[];
  /** Why the kept take is still degenerate, when every retry was used up. */
  degenerate?: string;
}

/**
 * Draws a take with `drawOnce` and, while the whole take is degenerate, draws it again, up to `maxRetries` times.
 * Repeats thrown away inside any of the draws are all reported.
 */
export async function drawFormTake<T extends RepeatReport>(
  drawOnce: () => Promise<T>,
  degeneracyOf: (take: T) => string | undefined,
  maxRetries: number,
): Promise<FormTake<T>> {
  const rejected: string[] = [];
  let copyRetries = 0;
  const repeatRejected: string[] = [];
  for (;;) {
    const take = await drawOnce();
    copyRetries += take.copyRetries;
    repeatRejected.push(...take.repeatRejected);
    const reason = degeneracyOf(take);
    if (!reason || rejected.length >= maxRetries)
      return { take, rejected, copyRetries, repeatRejected, ...(reason ? { degenerate: reason } : {}) };
    rejected.push(reason);
  }
}
