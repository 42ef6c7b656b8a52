// SPDX-License-Identifier: MIT
/**
 * CI's Electron security audit: runs @doyensec/electronegativity over the app's source (src/) and over the built app
 * (out/, when `npm run build` has made it), and compares every finding with the checked-in allow-list
 * (electronegativity-allow.json: each finding the README justifies). Fails (exit 1) on a finding that is not listed,
 * and on an entry of a scanned input that matches nothing any more (so the list, and the README, stay honest).
 *
 *   node --import tsx scripts/check-electronegativity.ts [--input src --input out] [--allow FILE]
 *
 * A finding is matched by check name, input folder and file (not by line: moving code must not fail CI); a `sample`
 * in the entry, when given, must also appear in the finding's code sample.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Finding {
  check: string;
  severity: string;
  confidence: string;
  /** The scanned input folder (src, out) and the file inside it. */
  input: string;
  file: string;
  location: string;
  sample: string;
  description: string;
}

export interface AllowEntry {
  check: string;
  input: string;
  file: string;
  /** Optional: a piece of the finding's code sample, for a finding that must not match a new occurrence. */
  sample?: string;
  /** Why it is fine, or what was done about it (the README lists these). */
  justification: string;
}

interface SarifReport {
  runs?: {
    results?: {
      ruleId?: string;
      level?: string;
      message?: { text?: string };
      locations?: {
        physicalLocation?: {
          artifactLocation?: { uri?: string };
          region?: { startLine?: number; startColumn?: number; charLength?: number };
        };
      }[];
    }[];
  }[];
}

/**
 * Findings of one SARIF report of `input`. SARIF, not CSV: the tool's CSV writer starts the header and the rows as two
 * unordered asynchronous writes to one file, and on CI the header landed over the first row. The SARIF report is one
 * write. It carries no code sample, so the sample is the finding's whole line, read here from the scanned file
 * (`sourceLine(file, line)`, 1-based): the region it gives can be just the call, without the guard an entry names.
 */
export function findingsOf(
  sarifText: string,
  input: string,
  sourceLine: (file: string, line: number) => string | undefined,
): Finding[] {
  let report: SarifReport;
  try {
    report = JSON.parse(sarifText) as SarifReport;
  } catch {
    throw new Error(`not an electronegativity SARIF report for ${input}: it is not JSON`);
  }
  const run = report.runs?.[0];
  if (!run || !Array.isArray(run.results))
    throw new Error(`not an electronegativity SARIF report for ${input}: no runs[0].results`);
  return run.results.map((r) => {
    const loc = r.locations?.[0]?.physicalLocation;
    const file = loc?.artifactLocation?.uri ?? 'N/A';
    const line = loc?.region?.startLine ?? 0;
    const column = loc?.region?.startColumn ?? 1;
    const text = line > 0 && file !== 'N/A' && file !== 'file:///' ? sourceLine(file, line) : undefined;
    const sample = text?.trim() || 'N/A';
    return {
      check: r.ruleId ?? 'UNKNOWN',
      severity: r.level ?? '',
      confidence: '',
      input,
      file,
      location: `${line}:${column}`,
      sample,
      description: r.message?.text ?? '',
    };
  });
}

export function matches(entry: AllowEntry, f: Finding): boolean {
  return (
    entry.check === f.check &&
    entry.input === f.input &&
    entry.file === f.file &&
    (entry.sample === undefined || f.sample.includes(entry.sample))
  );
}

/** Findings no entry allows, and entries that allow nothing. */
export function compare(
  findings: readonly Finding[],
  allow: readonly AllowEntry[],
): { unlisted: Finding[]; stale: AllowEntry[] } {
  return {
    unlisted: findings.filter((f) => !allow.some((e) => matches(e, f))),
    stale: allow.filter((e) => !findings.some((f) => matches(e, f))),
  };
}

function electronVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('electron/package.json') as { version: string }).version;
}

/** Runs the tool over `input` (relative to the repository) and returns its findings. */
export function runElectronegativity(input: string): Finding[] {
  const work = mkdtempSync(path.join(tmpdir(), 'etude-electronegativity-'));
  try {
    const report = path.join(work, 'report.sarif');
    const bin = path.join(repoRoot, 'node_modules/.bin/electronegativity');
    execFileSync(bin, ['-i', input, '-r', '-v', 'false', '-e', electronVersion(), '-o', report], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    if (!existsSync(report)) throw new Error(`electronegativity wrote no report for ${input}`);
    const lines = new Map<string, string[]>();
    return findingsOf(readFileSync(report, 'utf8'), input, (file, line) => {
      const full = path.join(repoRoot, input, file);
      if (!lines.has(full)) lines.set(full, existsSync(full) ? readFileSync(full, 'utf8').split(/\r?\n/) : []);
      return lines.get(full)![line - 1];
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      input: { type: 'string', multiple: true },
      allow: { type: 'string', default: path.join(repoRoot, 'electronegativity-allow.json') },
    },
  });
  const inputs = values.input ?? ['src', ...(existsSync(path.join(repoRoot, 'out')) ? ['out'] : [])];
  const allow = JSON.parse(readFileSync(values.allow!, 'utf8')) as AllowEntry[];
  const findings = inputs.flatMap((input) => runElectronegativity(input));
  // Entries of inputs not scanned this time (no out/ before a build) are not stale.
  const { unlisted, stale } = compare(
    findings,
    allow.filter((e) => inputs.includes(e.input)),
  );
  console.log(
    `electronegativity over ${inputs.join(', ')}: ${findings.length} finding(s), ${unlisted.length} not in the allow-list`,
  );
  for (const f of findings) {
    const listed = !unlisted.includes(f);
    console.log(
      `  ${listed ? 'listed  ' : 'UNLISTED'} ${f.check} (${f.severity}) ${f.input}/${f.file}:${f.location}  ${f.sample.slice(0, 80)}`,
    );
  }
  for (const e of stale)
    console.log(`  stale allow-list entry (matches nothing now; remove it): ${e.check} ${e.input}/${e.file}`);
  if (unlisted.length > 0)
    console.log(
      'Fix each UNLISTED finding, or justify it in README.md (Electron security) and add it to electronegativity-allow.json.',
    );
  process.exitCode = unlisted.length > 0 || stale.length > 0 ? 1 : 0;
}
