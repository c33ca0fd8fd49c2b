// The CI gate: compare regressions with a stored baseline. Keys are stable across runs and
// kernels (host id, the group's device addresses, scope, blocking driver), never group numbers
// alone: group ids come from ida_alloc() order (spec §6).

import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Analysis, GroupChange } from '../policy/analysis.js';
import { CliError } from '../cli/context.js';
import { sanitize } from '../diagnostics/sanitize.js';

export const BASELINE_COLUMNS = ['host', 'devices', 'scope', 'blocking_driver', 'group', 'note'] as const;

export interface BaselineEntry {
  host: string;
  devices: string;
  scope: string;
  blocking_driver: string;
  group: string;
  note: string;
}

export function regressionKey(e: { host: string; devices: string; scope: string; blocking_driver: string }): string {
  return [e.host, e.devices, e.scope, e.blocking_driver].join('\u0000');
}

export function regressionEntries(a: Analysis): BaselineEntry[] {
  const out: BaselineEntry[] = [];
  for (const h of a.hosts) {
    for (const c of h.changes) {
      if (c.change !== 'regressed') continue;
      out.push(entryOf(c));
    }
  }
  return out;
}

function entryOf(c: GroupChange): BaselineEntry {
  const drivers = [...new Set(c.group.blocking.map((b) => b.driver ?? 'unknown'))].sort();
  return {
    host: c.host,
    devices: [...c.group.devices].sort().join(' '),
    scope: c.group.scope,
    blocking_driver: drivers.join(' '),
    group: c.group.group,
    note: c.group.blocking.map((b) => `${b.bdf}: ${b.now}`).join('; '),
  };
}

export function parseBaseline(text: string, file: string): BaselineEntry[] {
  let records: Record<string, string>[];
  let header: string[] | null = null;
  try {
    records = parse(text, {
      columns: (h: string[]) => (header = h),
      skip_empty_lines: true,
      bom: true,
      relax_column_count: false,
    });
  } catch (err) {
    throw new CliError(`baseline ${file}: not a readable CSV: ${(err as Error).message}`);
  }
  // Check the header even when there are no rows: an empty or foreign file is not "no known regressions".
  if (header === null) throw new CliError(`baseline ${file}: empty (expected the header line ${BASELINE_COLUMNS.join(',')})`);
  for (const col of ['host', 'devices', 'scope', 'blocking_driver']) {
    if (!(header as string[]).includes(col)) throw new CliError(`baseline ${file}: missing column '${col}' (header, line 1)`);
  }
  return records.map((r, i) => {
    for (const col of ['host', 'devices', 'scope', 'blocking_driver']) {
      if (r[col] === '') throw new CliError(`baseline ${file}:${i + 2}: empty '${col}'`);
    }
    return {
      host: r['host']!,
      devices: r['devices']!,
      scope: r['scope']!,
      blocking_driver: r['blocking_driver']!,
      group: r['group'] ?? '',
      note: r['note'] ?? '',
    };
  });
}

export function renderBaseline(entries: BaselineEntry[]): string {
  const sorted = [...entries].sort((a, b) => regressionKey(a).localeCompare(regressionKey(b)));
  return stringify(sorted, { header: true, columns: [...BASELINE_COLUMNS] });
}

export interface GateResult {
  newRegressions: BaselineEntry[];
  known: BaselineEntry[];
  /** Baseline entries that no longer regress (fixed or gone): reported, not failing. */
  gone: BaselineEntry[];
}

export function compareWithBaseline(current: BaselineEntry[], baseline: BaselineEntry[]): GateResult {
  const base = new Set(baseline.map(regressionKey));
  const cur = new Set(current.map(regressionKey));
  return {
    newRegressions: current.filter((e) => !base.has(regressionKey(e))),
    known: current.filter((e) => base.has(regressionKey(e))),
    gone: baseline.filter((e) => !cur.has(regressionKey(e))),
  };
}

/** GitHub workflow command: data escaped as the runner expects (%, CR, LF). */
function ghEscape(s: string): string {
  return sanitize(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function githubAnnotations(result: GateResult): string {
  return result.newRegressions
    .map(
      (e) =>
        `::error title=${ghEscape('vfio-impact: new regression')}::${ghEscape(
          `${e.host} group ${e.group} [${e.scope}] blocked by ${e.blocking_driver}: ${e.note}`,
        )}`,
    )
    .join('\n');
}

function xml(s: string): string {
  return sanitize(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function junitReport(result: GateResult): string {
  const cases = [...result.known.map((e) => ({ e, fail: false })), ...result.newRegressions.map((e) => ({ e, fail: true }))];
  const body = cases
    .map(({ e, fail }) => {
      const name = xml(`${e.host} ${e.devices} ${e.scope} ${e.blocking_driver}`);
      return fail
        ? `    <testcase classname="vfio-impact.${xml(e.scope)}" name="${name}"><failure message="new regression">${xml(e.note)}</failure></testcase>`
        : `    <testcase classname="vfio-impact.${xml(e.scope)}" name="${name}"/>`;
    })
    .join('\n');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="vfio-impact gate" tests="${cases.length}" failures="${result.newRegressions.length}">\n` +
    (body ? body + '\n' : '') +
    '  </testsuite>\n</testsuites>\n'
  );
}
