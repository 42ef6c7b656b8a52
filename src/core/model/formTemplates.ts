// SPDX-License-Identifier: MIT
/**
 * The form templates as data (names, section letters, the lengths they take), without the generator, so the
 * renderer can offer and check them: ./form.ts generates pieces in them.
 */
/** Shortest and longest piece with a form, in bars. */
export const MIN_FORM_BARS = 32;
export const MAX_FORM_BARS = 128;

/** The templates, as data: a name and its sections' letters in order. */
export const FORM_TEMPLATES = {
  AABA: { label: 'AABA (song form)', letters: ['A', 'A', 'B', 'A'] },
  ABAC: { label: 'ABAC', letters: ['A', 'B', 'A', 'C'] },
  AAB: { label: 'AAB (blues: statement, restatement, answer)', letters: ['A', 'A', 'B'] },
  'verse-chorus': { label: 'verse/chorus (V C V C B C)', letters: ['V', 'C', 'V', 'C', 'B', 'C'] },
} as const satisfies Record<string, { label: string; letters: readonly string[] }>;

export type FormName = keyof typeof FORM_TEMPLATES;
export const FORM_NAMES = Object.keys(FORM_TEMPLATES) as FormName[];

/** Whether a name is one of the templates. */
export function isFormName(name: string): name is FormName {
  return Object.prototype.hasOwnProperty.call(FORM_TEMPLATES, name);
}

/**
 * Why a form and length do not go together (a sentence), or undefined when they do. `maxBars` lowers the longest
 * length offered (the app's Compose screen offers up to 64 bars).
 */
export function formProblem(name: string, bars: number, maxBars: number = MAX_FORM_BARS): string | undefined {
  const longest = Math.min(maxBars, MAX_FORM_BARS);
  if (!isFormName(name))
    return `"${name}" is not a form Etude knows; choose one of ${FORM_NAMES.join(', ')} (or no form).`;
  const n = FORM_TEMPLATES[name].letters.length;
  const fits: number[] = [];
  for (let b = MIN_FORM_BARS; b <= longest; b++) if (b % n === 0) fits.push(b);
  const examples = fits.length > 4 ? `${fits.slice(0, 3).join(', ')}, ..., ${fits[fits.length - 1]}` : fits.join(', ');
  if (!Number.isInteger(bars) || bars < MIN_FORM_BARS || bars > longest || bars % n !== 0)
    return `The ${name} form splits the piece into ${n} equal sections: give a length from ${MIN_FORM_BARS} to ${longest} bars that divides by ${n} (${examples}); got ${bars}.`;
  return undefined;
}

/** What a form makes of a length: "A A B A, 16 bars each", or why the length does not fit (a sentence). */
export function formSummary(
  form: FormName,
  bars: number,
  maxBars: number = MAX_FORM_BARS,
): { sections: string } | { error: string } {
  const error = formProblem(form, bars, maxBars);
  if (error) return { error };
  const letters = FORM_TEMPLATES[form].letters;
  return { sections: `${letters.join(' ')}, ${bars / letters.length} bars each` };
}

/**
 * The length a form takes nearest to `bars`: `bars` itself when it fits, else the shortest fitting length above it,
 * else the longest fitting one (so choosing AABA with 8 bars gives 32).
 */
export function fittingFormBars(form: FormName, bars: number, maxBars: number = MAX_FORM_BARS): number {
  const n = FORM_TEMPLATES[form].letters.length;
  const longest = Math.min(maxBars, MAX_FORM_BARS);
  let best = Math.floor(longest / n) * n;
  for (let b = longest; b >= MIN_FORM_BARS; b--) if (b % n === 0 && b >= bars) best = b;
  return best;
}
