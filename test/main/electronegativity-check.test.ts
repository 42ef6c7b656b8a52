// SPDX-License-Identifier: MIT
// The CI gate over electronegativity's report: a finding not in the allow-list fails, a listed one passes, an entry
// that matches nothing is reported stale; a sample narrows an entry to one occurrence. (CI runs the tool itself
// through `npm run audit:electron`.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type AllowEntry, compare, findingsOf, parseCsv } from '../../scripts/check-electronegativity';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const CSV = `issue, severity, confidence, filename, location, sample, description, url
PRELOAD_JS_CHECK,"MEDIUM","FIRM","main/window.ts","80:6","preload: path.join(outDir, 'preload/index.cjs'),","Review the use of preload scripts",https://x
OPEN_EXTERNAL_JS_CHECK,"MEDIUM","TENTATIVE","main/window.ts","96:38","if (/^https:\\/\\//.test(url)) void shell.openExternal(url);","Review the use of openExternal",https://y
OPEN_EXTERNAL_JS_CHECK,"MEDIUM","TENTATIVE","main/other.ts","3:1","shell.openExternal(anything)","Review ""the"" use",https://z
`;

describe('electronegativity allow-list gate', () => {
  it('parses the CSV report (quoted commas and doubled quotes)', () => {
    const rows = parseCsv(CSV);
    expect(rows).toHaveLength(4);
    expect(rows[1][5]).toBe("preload: path.join(outDir, 'preload/index.cjs'),");
    expect(rows[3][6]).toBe('Review "the" use');
    const findings = findingsOf(CSV, 'src');
    expect(findings.map((f) => `${f.check} ${f.input}/${f.file}:${f.location}`)).toEqual([
      'PRELOAD_JS_CHECK src/main/window.ts:80:6',
      'OPEN_EXTERNAL_JS_CHECK src/main/window.ts:96:38',
      'OPEN_EXTERNAL_JS_CHECK src/main/other.ts:3:1',
    ]);
    expect(() => findingsOf('no,header\n', 'src')).toThrow(/not an electronegativity CSV/);
  });

  it('fails what is not listed, passes what is, and names stale entries', () => {
    const findings = findingsOf(CSV, 'src');
    const allow: AllowEntry[] = [
      { check: 'PRELOAD_JS_CHECK', input: 'src', file: 'main/window.ts', justification: 'reviewed' },
      // Narrowed to the https-only call: the new call in other.ts must not pass under it.
      {
        check: 'OPEN_EXTERNAL_JS_CHECK',
        input: 'src',
        file: 'main/window.ts',
        sample: '/^https:\\/\\//.test(url)',
        justification: 'https only',
      },
      { check: 'AUXCLICK_JS_CHECK', input: 'src', file: 'main/window.ts', justification: 'fixed' },
    ];
    const { unlisted, stale } = compare(findings, allow);
    expect(unlisted.map((f) => f.file)).toEqual(['main/other.ts']);
    expect(stale.map((e) => e.check)).toEqual(['AUXCLICK_JS_CHECK']);
    expect(compare(findings, [...allow, { ...allow[1], file: 'main/other.ts', sample: undefined }]).unlisted).toEqual(
      [],
    );
  });

  it('the checked-in allow-list justifies every entry in a sentence, and the README lists each check', () => {
    const allow = JSON.parse(readFileSync(path.join(repoRoot, 'electronegativity-allow.json'), 'utf8')) as AllowEntry[];
    expect(allow.length).toBeGreaterThan(0);
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    for (const e of allow) {
      expect(e.justification.length, `${e.check} ${e.input}/${e.file}`).toBeGreaterThan(20);
      expect(['src', 'out']).toContain(e.input);
      expect(readme).toContain(e.check);
    }
  });
});
