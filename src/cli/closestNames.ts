// SPDX-License-Identifier: MIT
import { distance } from 'fastest-levenshtein';

/**
 * The names a mistyped one most likely meant, best first: those that contain it or that it contains ("--seed" for
 * --seed-notes and --random-seed), then those within a couple of typos ("--tempratur" for --temperature). The allowed
 * number of edits grows with the word, a third of its length, so "--bar" does not suggest every three-letter flag.
 */
export function closestNames(typed: string, names: readonly string[], limit = 3): string[] {
  const word = typed.toLowerCase();
  if (word.length < 2) return [];
  const maxEdits = Math.max(1, Math.floor(word.length / 3));
  return names
    .map((name) => {
      const candidate = name.toLowerCase();
      const contains = candidate.includes(word) || (candidate.length >= 3 && word.includes(candidate));
      return { name, score: contains ? 0 : distance(word, candidate) };
    })
    .filter(({ score }) => score <= maxEdits)
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map(({ name }) => name);
}

/** " (did you mean --a or --b?)" to add to a message, or nothing where no name is close. */
export function didYouMean(typed: string, names: readonly string[], prefix = ''): string {
  const close = closestNames(typed, names).map((name) => `${prefix}${name}`);
  if (close.length === 0) return '';
  const list = close.length === 1 ? close[0] : `${close.slice(0, -1).join(', ')} or ${close[close.length - 1]}`;
  return ` (did you mean ${list}?)`;
}
