// SPDX-License-Identifier: MIT
/**
 * A value as an error message shows it: numbers as written (NaN, Infinity, 1e+21: JSON would say null), strings
 * quoted, anything else as JSON cut to 40 characters.
 */
export function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
