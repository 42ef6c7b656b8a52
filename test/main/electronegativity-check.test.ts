// SPDX-License-Identifier: MIT
// The CI gate over electronegativity's report (SARIF): a finding not in the allow-list fails, a listed one passes, an entry
// that matches nothing is reported stale; a sample narrows an entry to one occurrence. (CI runs the tool itself
// through `npm run audit:electron`.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type AllowEntry, compare, findingsOf } from '../../scripts/check-electronegativity';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A report as the tool writes it (-o report.sarif), over three findings of two made-up files. */
function sarif(results: { rule: string; uri: string; line: number; column: number; length: number }[]): string {
  return JSON.stringify({
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'Electronegativity' } },
        results: results.map((r) => ({
          ruleId: r.rule,
          level: 'note',
          message: { text: `Review ${r.rule}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: r.uri },
                region: { startLine: r.line, startColumn: r.column, charLength: r.length },
              },
            },
          ],
        })),
      },
    ],
  });
}

const SOURCES: Record<string, string[]> = {
  'main/window.ts': [
    'const a = 1;',
    "    preload: path.join(outDir, 'preload/index.cjs'),",
    '  if (/^https:\\/\\//.test(url)) void shell.openExternal(url);',
  ],
  'main/other.ts': ['shell.openExternal(anything)'],
};
const sourceLine = (file: string, line: number) => SOURCES[file]?.[line - 1];

const REPORT = sarif([
  { rule: 'PRELOAD_JS_CHECK', uri: 'main/window.ts', line: 2, column: 5, length: 47 },
  { rule: 'OPEN_EXTERNAL_JS_CHECK', uri: 'main/window.ts', line: 3, column: 39, length: 24 },
  { rule: 'OPEN_EXTERNAL_JS_CHECK', uri: 'main/other.ts', line: 1, column: 1, length: 0 },
]);

describe('electronegativity allow-list gate', () => {
  it("reads the SARIF report, with each sample the finding's whole line in the scanned file", () => {
    const findings = findingsOf(REPORT, 'src', sourceLine);
    expect(findings.map((f) => `${f.check} ${f.input}/${f.file}:${f.location}`)).toEqual([
      'PRELOAD_JS_CHECK src/main/window.ts:2:5',
      'OPEN_EXTERNAL_JS_CHECK src/main/window.ts:3:39',
      'OPEN_EXTERNAL_JS_CHECK src/main/other.ts:1:1',
    ]);
    expect(findings[0].sample).toBe("preload: path.join(outDir, 'preload/index.cjs'),");
    expect(findings[1].sample).toContain('/^https:\\/\\//.test(url)');
    expect(findings[2].sample).toBe('shell.openExternal(anything)');
    expect(() => findingsOf('issue, severity\n', 'src', sourceLine)).toThrow(
      /not an electronegativity SARIF.*not JSON/,
    );
    expect(() => findingsOf('{"runs":[]}', 'out', sourceLine)).toThrow(/SARIF report for out: no runs/);
  });

  it('fails what is not listed, passes what is, and names stale entries', () => {
    const findings = findingsOf(REPORT, 'src', sourceLine);
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
