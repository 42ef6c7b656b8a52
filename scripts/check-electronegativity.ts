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

/** Parses electronegativity's CSV (RFC 4180 quoting; its header row is skipped). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f.trim() !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f.trim() !== '')) rows.push(row);
  return rows;
}

/** Findings of one CSV report of `input`. */
export function findingsOf(csv: string, input: string): Finding[] {
  const [header, ...rows] = parseCsv(csv);
  if (!header || header[0].trim() !== 'issue')
    throw new Error(`not an electronegativity CSV report: ${header?.join(',')}`);
  return rows.map((r) => ({
    check: r[0].trim(),
    severity: (r[1] ?? '').trim(),
    confidence: (r[2] ?? '').trim(),
    input,
    file: (r[3] ?? '').trim(),
    location: (r[4] ?? '').trim(),
    sample: (r[5] ?? '').trim(),
    description: (r[6] ?? '').trim(),
  }));
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
    const csv = path.join(work, 'report.csv');
    const bin = path.join(repoRoot, 'node_modules/.bin/electronegativity');
    execFileSync(bin, ['-i', input, '-r', '-v', 'false', '-e', electronVersion(), '-o', csv], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    if (!existsSync(csv)) throw new Error(`electronegativity wrote no report for ${input}`);
    return findingsOf(readFileSync(csv, 'utf8'), input);
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
      `  ${listed ? 'listed  ' : 'UNLISTED'} ${f.check} (${f.severity}, ${f.confidence}) ${f.input}/${f.file}:${f.location}  ${f.sample.slice(0, 80)}`,
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
