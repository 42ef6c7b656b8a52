// SPDX-License-Identifier: MIT
/**
 * The browser suite's seams into the page are installed only when the page was opened for tests: its URL carries
 * `?test-seams` (test/e2e/sound.e2e.test.ts adds it). A page opened the ordinary way, in the app or the studio, has
 * no test-only globals: nothing else (a page script, an extension, a user's console habit) can come to lean on them,
 * and what the page offers stays what its controls offer. It is a switch, not a lock: the seam renders audio in the
 * page and reaches nothing the page cannot reach already, so a user who adds the parameter gains nothing.
 */
export const TEST_SEAMS_PARAM = 'test-seams';

/** Whether the page's query string (location.search) asks for the test seams. */
export function testSeamsWanted(search: string): boolean {
  return new URLSearchParams(search).has(TEST_SEAMS_PARAM);
}
