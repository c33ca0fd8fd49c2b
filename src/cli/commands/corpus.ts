// `vfio-impact corpus stats PATH... [--format text|json|csv]`: what the corpus stage reads from
// each input, in the manifest's terms. Hosts are streamed: one line or row per host as it is
// read, totals at the end; diagnostics go to stderr.

import { isAbsolute, join } from 'node:path';
import type { Registrar } from '../main.js';
import { CliError, EXIT_ERROR, EXIT_OK, type CliContext } from '../context.js';
import { formatDiagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { sanitize, terminalSafeJson } from '../../diagnostics/sanitize.js';
import { neutraliseRow } from '../../report/records.js';
import { readCorpus } from '../../corpus/read.js';
import { hostStats, StatsTotals, type CorpusTotals, type HostStats } from '../../corpus/stats.js';

const FORMATS = ['text', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

const CSV_COLUMNS = [
  'file',
  'id',
  'status',
  'devices',
  'devicesWithGroup',
  'groups',
  'devicesWithAcs',
  'vfioBound',
  'bridgeDrivers',
  'diagnostics',
] as const;

function resolvePath(ctx: CliContext, p: string): string {
  if (p === '-' || isAbsolute(p) || ctx.cwd === process.cwd()) return p;
  return join(ctx.cwd, p);
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--concurrency must be a positive integer, not ${v}`);
  return n;
}

/** One output format, fed host by host. */
interface Writer {
  host(s: HostStats): void;
  skipped(file: string, reason: string): void;
  end(t: CorpusTotals): void;
}

function textWriter(out: NodeJS.WritableStream): Writer {
  const skipped: string[] = [];
  return {
    host(s) {
      out.write(
        `${sanitize(s.file)}: ${s.devices} devices, ${s.devicesWithGroup} with a group in ${s.groups} groups, ` +
          `${s.devicesWithAcs} with ACS, ${s.vfioBound} on vfio-pci, bridge drivers: ${s.bridgeDrivers.map(sanitize).join(', ') || '-'}` +
          `${s.diagnostics > 0 ? ` (${s.diagnostics} diagnostics)` : ''}\n`,
      );
    },
    skipped(file, reason) {
      skipped.push(`  ${sanitize(file)}: ${reason}`);
    },
    end(t) {
      out.write(
        `\n${t.hosts} hosts: ${t.devices} devices, ${t.devicesWithGroup} with a group in ${t.groups} groups, ` +
          `${t.devicesWithAcs} with ACS, ${t.vfioBound} on vfio-pci, bridge drivers: ${t.bridgeDrivers.map(sanitize).join(', ') || '-'}\n`,
      );
      const reasons = Object.entries(t.skippedByReason).map(([r, n]) => `${n} ${r}`);
      out.write(`${t.skipped} skipped${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}\n`);
      for (const line of skipped) out.write(line + '\n');
    },
  };
}

function jsonWriter(out: NodeJS.WritableStream): Writer {
  let first = true;
  const skipped: { file: string; reason: string }[] = [];
  out.write('{\n  "hosts": [');
  return {
    host(s) {
      out.write(`${first ? '\n' : ',\n'}    ${terminalSafeJson(JSON.stringify(s))}`);
      first = false;
    },
    skipped(file, reason) {
      skipped.push({ file: sanitize(file), reason });
    },
    end(t) {
      out.write(`${first ? '' : '\n  '}],\n  "skipped": ${terminalSafeJson(JSON.stringify(skipped))},\n  "totals": ${terminalSafeJson(JSON.stringify(t))}\n}\n`);
    },
  };
}

async function csvWriter(out: NodeJS.WritableStream): Promise<Writer> {
  // csv-stringify loads only for --format csv, not on every run of the CLI.
  const { stringify } = await import('csv-stringify/sync');
  out.write(stringify([[...CSV_COLUMNS]]));
  // Cells from the input are sanitised, and neutralised for spreadsheets (records.ts neutraliseCell).
  const row = (r: (string | number)[]): void => {
    out.write(stringify([neutraliseRow(r.map((v) => (typeof v === 'string' ? sanitize(v) : v)))]));
  };
  return {
    host(s) {
      row([s.file, s.id, 'host', s.devices, s.devicesWithGroup, s.groups, s.devicesWithAcs, s.vfioBound, s.bridgeDrivers.join(';'), s.diagnostics]);
    },
    skipped(file, reason) {
      row([sanitize(file), '', `skipped: ${reason}`, '', '', '', '', '', '', '']);
    },
    end(t) {
      row(['TOTAL', '', `${t.hosts} hosts, ${t.skipped} skipped`, t.devices, t.devicesWithGroup, t.groups, t.devicesWithAcs, t.vfioBound, t.bridgeDrivers.join(';'), t.diagnostics]);
    },
  };
}

export const registerCorpus: Registrar = (program, ctx, setExit) => {
  const corpus = program.command('corpus').description('read lspci dumps and IOMMU-group listings (files, directories, - for stdin)');
  corpus
    .command('stats')
    .description('per host: devices, devices in IOMMU groups, groups, ACS, vfio-pci, bridge drivers')
    .argument('<paths...>', 'dump files, directories (walked), or - for stdin')
    .option('--format <format>', `output format: ${FORMATS.join('|')}`, 'text')
    .option('--concurrency <n>', 'files read at once', '8')
    .action(async (paths: string[], opts: { format: string; concurrency: string }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) {
        throw new CliError(`unknown --format ${opts.format} (use ${FORMATS.join(', ')})`);
      }
      const format = opts.format as Format;
      const concurrency = positiveInt(opts.concurrency);
      const writer = format === 'json' ? jsonWriter(ctx.stdout) : format === 'csv' ? await csvWriter(ctx.stdout) : textWriter(ctx.stdout);
      const report = (d: Diagnostic): void => {
        ctx.stderr.write(sanitize(formatDiagnostic(d)) + '\n');
      };
      const totals = new StatsTotals();
      for await (const item of readCorpus(paths.map((p) => resolvePath(ctx, p)), { concurrency, stdin: ctx.stdin, ordered: true })) {
        if (item.kind === 'skipped') {
          item.diagnostics.forEach(report);
          totals.add(item);
          writer.skipped(item.file, item.reason);
        } else {
          item.host.diagnostics.forEach(report);
          const s = hostStats(item.host);
          totals.add(item, s);
          writer.host(s);
        }
      }
      writer.end(totals.totals);
      setExit(totals.totals.hosts > 0 ? EXIT_OK : EXIT_ERROR);
    });
};
