// Kernel facts the rules need, kept as data (design.md "Kernel facts as data"): which drivers
// declare driver_managed_dma in the target kernel, which drivers register vfio devices, and the
// old allow-list. Each row keeps its source.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CliError } from '../cli/context.js';
import { projectRoot } from '../project-root.js';

export interface DriverRow {
  driver: string;
  source: string;
}

export interface PolicyTables {
  /** Drivers declaring driver_managed_dma in the target kernel (spec §4), by lspci name. */
  declared: Map<string, DriverRow>;
  /** Label of the declared table (file name) for reports. */
  declaredLabel: string;
  /** Drivers that register a vfio_device: accepted by the old rule item 4 (spec §1.1). */
  vfioDrivers: Map<string, DriverRow>;
  /** vfio_driver_allowed[] before 5.19 (spec §1.1): "pci-stub". */
  oldAllowList: Map<string, DriverRow>;
}

export const DEFAULT_DECLARED = 'baselines/kernel/declared-drivers-v6.19.csv';

/** Parse a driver table (needs a `driver` column; `source` optional). Pure. */
export function parseDriverTable(text: string, file: string): Map<string, DriverRow> {
  let records: Record<string, string>[];
  let header: string[] | null = null;
  try {
    records = parse(text, { columns: (h: string[]) => (header = h), skip_empty_lines: true, trim: true, bom: true, comment: '#' });
  } catch (err) {
    throw new CliError(`${file}: not a readable CSV table: ${(err as Error).message}`);
  }
  if (header === null || !(header as string[]).includes('driver')) throw new CliError(`${file}: no 'driver' column (header line 1)`);
  // A table with no rows would judge vfio-pci itself as undeclared: refuse it rather than report nonsense.
  if (records.length === 0) throw new CliError(`${file}: no drivers listed (a header line and at least one row expected)`);
  const rows = new Map<string, DriverRow>();
  records.forEach((r, i) => {
    const driver = r['driver'];
    if (driver === undefined) throw new CliError(`${file}: no 'driver' column (header line 1)`);
    if (driver === '') throw new CliError(`${file}:${i + 2}: empty driver name`);
    rows.set(driver, { driver, source: r['source'] ?? file });
  });
  return rows;
}

async function readTable(path: string): Promise<Map<string, DriverRow>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read driver table ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseDriverTable(text, path);
}

export async function loadPolicyTables(options: { declared?: string } = {}): Promise<PolicyTables> {
  const root = projectRoot();
  const declaredPath = options.declared ?? join(root, DEFAULT_DECLARED);
  const [declared, vfioDrivers, oldAllowList] = await Promise.all([
    readTable(declaredPath),
    readTable(join(root, 'baselines/kernel/vfio-drivers.csv')),
    readTable(join(root, 'baselines/kernel/old-allowlist.csv')),
  ]);
  return {
    declared,
    declaredLabel: options.declared ?? DEFAULT_DECLARED,
    vfioDrivers,
    oldAllowList,
  };
}
