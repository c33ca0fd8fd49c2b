// `groups PATH... [--validate] [--acs-override SPEC] [--format text|json|csv]`: the IOMMU groups
// of every host (from the dump, or derived as pci_device_group() would), and with --validate the
// proof of the derivation against every host whose dump carries `IOMMU group:` lines.
// Exit: 0 done, 1 --validate found a mismatch, 2 usage error or no host could be read.

import { Option } from 'commander';
import type { Registrar } from '../main.js';
import { CliError, EXIT_FINDINGS, EXIT_OK, type CliContext } from '../context.js';
import { readCorpus } from '../../corpus/read.js';
import type { Host } from '../../corpus/model.js';
import { formatDiagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { sanitize, terminalSafeJson } from '../../diagnostics/sanitize.js';
import { neutraliseRow } from '../../report/records.js';
import { loadQuirkTables, type QuirkTables } from '../../topology/quirks.js';
import { parseAcsOverride, type AcsOverride } from '../../topology/override.js';
import { groupsForHost } from '../../topology/groups.js';
import { validateHost, type GroupDifference, type HostValidation } from '../../topology/validate.js';
import type { HostGroups, IommuGroup } from '../../topology/model.js';

type Format = 'text' | 'json' | 'csv';

interface GroupsOpts {
  validate?: boolean;
  acsOverride?: string;
  format: Format;
  concurrency: string;
  verbose?: boolean;
}

interface HostEntry {
  file: string;
  host: string;
  groups: HostGroups;
  validation: HostValidation | null;
}

export interface GroupsSummary {
  /** Hosts read. */
  hosts: number;
  /** Hosts whose dump carries `IOMMU group:` lines. */
  withDumpGroups: number;
  /** Of those, hosts with readable capabilities (validated for real). */
  readable: number;
  matched: number;
  /** matched / readable; null when no host could be validated. */
  exactMatchRate: number | null;
}

const short = (d: string): string => sanitize(d);

function groupLine(g: IommuGroup): string {
  return `group ${sanitize(g.id)}: ${g.devices.map(short).join(' ')}`;
}

function renderTextGroups(entries: HostEntry[]): string {
  const out: string[] = [];
  for (const e of entries) {
    const g = e.groups;
    const what = g.source === 'dump' ? 'from the dump' : g.source === 'derived' ? 'derived' : 'none';
    const conf = g.confidence === 'low' ? ', low confidence' : '';
    out.push(`${sanitize(e.file)} (${sanitize(e.host)}): ${g.groups.length} groups ${what}${conf}${g.reason ? `: ${sanitize(g.reason)}` : ''}`);
    for (const group of g.groups) {
      out.push(`  ${groupLine(group)}`);
      if (group.placement) {
        for (const d of group.devices) out.push(`      ${short(d)}  ${sanitize(group.placement[d] ?? '')}`);
      }
    }
  }
  return out.join('\n') + (out.length > 0 ? '\n' : '');
}

function differenceLines(d: GroupDifference): string[] {
  const out = [`  dump ${d.dump.map((g) => `group ${sanitize(g.id)} [${g.devices.map(short).join(' ')}]`).join(', ')}`];
  for (const g of d.derived) {
    out.push(`  derived ${sanitize(g.id)}:`);
    for (const dev of g.devices) out.push(`      ${short(dev)}  ${sanitize(g.placement?.[dev] ?? '')}`);
  }
  return out;
}

function renderTextValidation(entries: HostEntry[], summary: GroupsSummary): string {
  const out: string[] = [];
  for (const e of entries) {
    const v = e.validation!;
    out.push(
      `${v.result.padEnd(12)} ${sanitize(e.file)} (${sanitize(e.host)}): ${v.dumpGroupCount} groups in the dump, ${v.derivedGroupCount} derived${v.reason ? `; ${sanitize(v.reason)}` : ''}`,
    );
    if (v.result === 'mismatch') for (const d of v.differences) out.push(...differenceLines(d));
  }
  out.push(summaryLine(summary));
  return out.join('\n') + '\n';
}

function summaryLine(s: GroupsSummary): string {
  const rate = s.exactMatchRate === null ? 'n/a' : `${(s.exactMatchRate * 100).toFixed(1)}%`;
  return (
    `exact match: ${s.matched} of ${s.readable} hosts with readable capabilities and IOMMU group lines (${rate}); ` +
    `${s.withDumpGroups - s.readable} insufficient; ${s.hosts - s.withDumpGroups} of ${s.hosts} hosts without group lines not validated`
  );
}

function groupJson(g: IommuGroup): Record<string, unknown> {
  return g.placement ? { id: g.id, devices: g.devices, placement: g.placement } : { id: g.id, devices: g.devices };
}

function renderJson(entries: HostEntry[], summary: GroupsSummary | null): string {
  const hosts = entries.map((e) => {
    const base = {
      file: sanitize(e.file),
      host: sanitize(e.host),
      result: e.validation?.result ?? null,
      groupSource: e.groups.source,
      confidence: e.groups.confidence,
      reason: e.validation ? (e.validation.reason === null ? null : sanitize(e.validation.reason)) : e.groups.reason === null ? null : sanitize(e.groups.reason),
    };
    return e.validation
      ? {
          ...base,
          differences: e.validation.differences.map((d) => ({
            devices: d.devices,
            dump: d.dump.map(groupJson),
            derived: d.derived.map(groupJson),
          })),
        }
      : { ...base, groups: e.groups.groups.map(groupJson) };
  });
  return terminalSafeJson(JSON.stringify(summary ? { hosts, summary } : { hosts }, null, 2)) + '\n';
}

async function renderCsv(entries: HostEntry[], validate: boolean): Promise<string> {
  // csv-stringify loads only for --format csv, not on every run of the CLI.
  const { stringify } = await import('csv-stringify/sync');
  if (validate) {
    const rows = entries.map((e) => {
      const v = e.validation!;
      const diffs = v.differences
        .map(
          (d) =>
            `dump ${d.dump.map((g) => `${g.id}[${g.devices.join(' ')}]`).join(' ')} vs derived ${d.derived.map((g) => `${g.id}[${g.devices.join(' ')}]`).join(' ')}`,
        )
        .join(' | ');
      return [sanitize(e.file), sanitize(e.host), v.result, v.dumpGroupCount, v.derivedGroupCount, diffs, sanitize(v.reason ?? '')];
    });
    return stringify(rows.map(neutraliseRow), {
      header: true,
      columns: ['file', 'host', 'result', 'dump_groups', 'derived_groups', 'differences', 'reason'],
    });
  }
  const rows: unknown[][] = [];
  for (const e of entries) {
    const g = e.groups;
    for (const group of g.groups) {
      for (const d of group.devices) {
        rows.push([sanitize(e.file), sanitize(e.host), g.source, g.confidence, group.id, d, sanitize(group.placement?.[d] ?? ''), sanitize(g.reason ?? '')]);
      }
    }
  }
  // Cells neutralised for spreadsheets (records.ts neutraliseCell).
  return stringify(rows.map((r) => neutraliseRow(r as Array<string | number>)), {
    header: true,
    columns: ['file', 'host', 'group_source', 'confidence', 'group', 'device', 'placement', 'reason'],
  });
}

/** Pure: the command's result from hosts already read (tests drive it directly). */
export function groupsReport(
  hosts: Host[],
  tables: QuirkTables,
  options: { validate: boolean; acsOverride?: AcsOverride },
): { entries: HostEntry[]; summary: GroupsSummary } {
  const derive = options.acsOverride ? { acsOverride: options.acsOverride } : {};
  const entries: HostEntry[] = [];
  let withDumpGroups = 0;
  let readable = 0;
  let matched = 0;
  for (const host of hosts) {
    if (host.groupsPresent) withDumpGroups++;
    if (options.validate && !host.groupsPresent) continue;
    const validation = options.validate ? validateHost(host, tables, derive) : null;
    if (validation && validation.result !== 'insufficient') readable++;
    if (validation?.result === 'match') matched++;
    entries.push({ file: host.file, host: host.id, groups: groupsForHost(host, tables, derive), validation });
  }
  return {
    entries,
    summary: { hosts: hosts.length, withDumpGroups, readable, matched, exactMatchRate: readable > 0 ? matched / readable : null },
  };
}

async function run(paths: string[], o: GroupsOpts, ctx: CliContext): Promise<number> {
  const concurrency = Number(o.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new CliError(`--concurrency: expected a whole number from 1 to 256, got "${o.concurrency}"`);
  }
  const acsOverride = o.acsOverride !== undefined ? parseAcsOverride(o.acsOverride) : undefined;
  const tables = await loadQuirkTables();
  const report = (d: Diagnostic): void => {
    if (d.severity === 'info' && !o.verbose) return;
    ctx.stderr.write(sanitize(formatDiagnostic(d)) + '\n');
  };
  const hosts: Host[] = [];
  let skipped = 0;
  for await (const item of readCorpus(paths, { concurrency, ordered: true, stdin: ctx.stdin })) {
    if (item.kind === 'skipped') {
      skipped++;
      item.diagnostics.forEach(report);
      continue;
    }
    item.host.diagnostics.forEach(report);
    hosts.push(item.host);
  }
  if (hosts.length === 0) {
    throw new CliError(`no hosts read from ${paths.length} input${paths.length === 1 ? '' : 's'} (${skipped} skipped)`);
  }
  const validate = o.validate === true;
  const { entries, summary } = groupsReport(hosts, tables, { validate, acsOverride });
  switch (o.format) {
    case 'json':
      ctx.stdout.write(renderJson(entries, validate ? summary : null));
      break;
    case 'csv':
      ctx.stdout.write(await renderCsv(entries, validate));
      break;
    default:
      ctx.stdout.write(validate ? renderTextValidation(entries, summary) : renderTextGroups(entries));
  }
  if (validate && o.format !== 'text') ctx.stderr.write(summaryLine(summary) + '\n');
  return validate && summary.matched < summary.readable ? EXIT_FINDINGS : EXIT_OK;
}

export const registerGroups: Registrar = (program, ctx, setExit) => {
  program
    .command('groups')
    .description(
      "IOMMU groups of every host: from the dump's `IOMMU group:` lines, or derived the way the kernel's " +
        'pci_device_group() builds them. --validate derives groups for hosts that have them and compares.',
    )
    .argument('<paths...>', 'lspci dumps / group listings, files or directories ("-" = stdin)')
    .option('--validate', 'derive groups for hosts whose dump has IOMMU group lines and compare the partitions')
    .option('--acs-override <spec>', 'simulate pcie_acs_override=downstream,multifunction,id:vvvv:dddd when deriving')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'csv']).default('text'))
    .option('--concurrency <n>', 'files read at once', '8')
    .option('--verbose', 'also print info diagnostics')
    .action(async (paths: string[], o: GroupsOpts) => {
      setExit(await run(paths, o, ctx));
    });
};
