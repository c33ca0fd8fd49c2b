// `vfio-impact flags`: every DMA-ownership declaration a series adds or removes, per patch,
// with the driver name lspci would show and how that name was found.

import { Option } from 'commander';
import type { Registrar } from '../main.js';
import { CliError, EXIT_OK } from '../context.js';
import { formatDiagnostic } from '../../diagnostics/diagnostic.js';
import { sanitize, terminalSafeJson } from '../../diagnostics/sanitize.js';
import { neutraliseRow } from '../../report/records.js';
import { readSeries, type SeriesInput } from '../../series/read.js';
import type { Series } from '../../series/model.js';

interface FlagsOptions {
  series?: string[];
  git?: string;
  range?: string;
  tree?: string;
  format: 'text' | 'json' | 'csv';
}

export const registerFlags: Registrar = (program, ctx, setExit) => {
  program
    .command('flags')
    .description('list the driver_managed_dma declarations (all spellings) a patch series adds or removes, per patch')
    .option('--series <path...>', 'patch files, mboxes, or directories of git format-patch output')
    .option('--git <repo>', 'kernel git tree to read the series from (with --range)')
    .option('--range <base..head>', 'commits of the series in --git, oldest first')
    .option('--tree <repo>', 'with --series: kernel tree holding the patches\' commits, to resolve driver names')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'csv']).default('text'))
    .action(async (opts: FlagsOptions) => {
      const input: SeriesInput = {};
      if (opts.series && opts.series.length > 0) input.paths = opts.series.map((p) => p);
      if (opts.git !== undefined || opts.range !== undefined) {
        if (opts.git === undefined || opts.range === undefined) throw new CliError('--git and --range go together');
        input.git = { repo: opts.git, range: opts.range };
      }
      if (!input.paths && !input.git) throw new CliError('flags needs --series PATH... or --git REPO --range A..B');
      if (opts.tree !== undefined) {
        if (!input.paths) throw new CliError('--tree only applies to --series');
        input.tree = opts.tree;
      }
      const series = await readSeries(input);
      for (const d of series.diagnostics) ctx.stderr.write(`${sanitize(formatDiagnostic(d))}\n`);
      if (opts.format === 'json') ctx.stdout.write(`${terminalSafeJson(JSON.stringify(toJson(series), null, 2))}\n`);
      else if (opts.format === 'csv') ctx.stdout.write(await toCsv(series));
      else ctx.stdout.write(toText(series));
      setExit(EXIT_OK);
    });
};

export function toJson(series: Series): unknown {
  return {
    title: series.title,
    patches: series.patches.map((p) => ({
      index: p.index,
      number: p.number,
      total: p.total,
      subject: p.subject,
      source: p.source,
      commit: p.commit,
      cover: p.cover,
      files: p.files,
      changes: p.changes,
      ruleChanges: p.ruleChanges,
    })),
    diagnostics: series.diagnostics,
  };
}

const CSV_COLUMNS = ['patch', 'subject', 'file', 'line', 'struct', 'driver', 'flag', 'action', 'value', 'resolved_by'];

/** One row per flag change; rule changes follow as rows whose `flag` names the rule's array or function. */
export async function toCsv(series: Series): Promise<string> {
  // csv-stringify loads only for --format csv, not on every run of the CLI.
  const { stringify } = await import('csv-stringify/sync');
  const rows: Array<Array<string | number>> = [];
  for (const p of series.patches) {
    for (const c of p.changes) {
      rows.push([p.index, p.subject, c.file, c.line, c.struct ?? '', c.driver ?? '', c.flag, c.action, String(c.value), c.resolvedBy]);
    }
    for (const r of p.ruleChanges) {
      const flag = r.kind.startsWith('allowlist') ? 'vfio_driver_allowed' : 'vfio_dev_driver_allowed';
      rows.push([p.index, p.subject, r.file, r.line, '', r.driver ?? '', flag, r.kind, '', 'rule']);
    }
  }
  // Sanitised again and neutralised for spreadsheets (records.ts neutraliseCell).
  const safe = rows.map((r) => neutraliseRow(r.map((v) => (typeof v === 'string' ? sanitize(v) : v))));
  return stringify(safe, { header: true, columns: CSV_COLUMNS });
}

function table(rows: string[][]): string {
  rows = rows.map((r) => r.map((cell) => sanitize(cell)));
  // reduce, not Math.max(...): a series with a few hundred thousand changes overflows the stack.
  const widths = rows[0]?.map((_, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0)) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function toText(series: Series): string {
  const out: string[] = [`Series: ${sanitize(series.title)}`];
  const numbered = series.patches.filter((p) => !p.cover);
  out.push(`${numbered.length} patch${numbered.length === 1 ? '' : 'es'}, ${numbered.reduce((n, p) => n + p.changes.length, 0)} declaration change(s)`);
  const rows: string[][] = [['#', 'subject', 'file', 'struct', 'driver', 'flag', 'change', 'name from']];
  for (const p of numbered) {
    for (const c of p.changes) {
      rows.push([
        String(p.index),
        p.subject.length > 48 ? `${p.subject.slice(0, 47)}…` : p.subject,
        c.file,
        c.struct ?? '?',
        c.driver ?? '(unresolved)',
        c.flag,
        `${c.action} (= ${c.value})`,
        c.resolvedBy,
      ]);
    }
  }
  out.push('');
  out.push(rows.length > 1 ? table(rows) : 'No DMA-ownership declaration is added or removed.');
  const rules = numbered.flatMap((p) => p.ruleChanges.map((r) => ({ p, r })));
  if (rules.length > 0) {
    out.push('', 'Changes to the old rule (spec §1.1):');
    for (const { p, r } of rules) {
      out.push(sanitize(`  ${p.index}  ${r.file}:${r.line}  ${r.kind}${r.driver !== null ? ` "${r.driver}"` : ''}`));
    }
  }
  return `${out.join('\n')}\n`;
}
