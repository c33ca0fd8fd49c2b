// The kernel's ACS and DMA-alias quirk tables (drivers/pci/quirks.c, spec §7) as data: the IDs
// are facts kept in baselines/kernel/*.csv with their source; what each named quirk *does* is
// code (src/topology/acs.ts, alias.ts), the way the kernel pairs an ID table with functions.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CliError } from '../cli/context.js';
import { kernelFactsDir } from '../project-root.js';

/** One row of a quirk table: which vendor/device IDs a named kernel quirk applies to. */
export interface QuirkRow {
  /** 4 lower-case hex digits. */
  vendor: string;
  /** Device match: inclusive range; `any` (PCI_ANY_ID) is 0x0000-0xffff. */
  deviceFrom: number;
  deviceTo: number;
  /** The device column as written (`8d80`, `any`, `a000-a7ff`). */
  device: string;
  /** Kernel function name, e.g. `pci_quirk_intel_pch_acs`. */
  quirk: string;
  effect: string;
  /** Where the row comes from in the kernel (file and version). */
  source: string;
  /** Table file and 1-based line of the row, so a surprising result can be traced to its data. */
  file: string;
  line: number;
}

export interface QuirkTables {
  /** pci_dev_acs_enabled[] in kernel table order (order matters: first answer wins, spec §6.2). */
  acs: QuirkRow[];
  /** DMA-alias fixups (spec §7.3). */
  dmaAlias: QuirkRow[];
  /** The same rows indexed by vendor and device ID, order kept, for per-device look-ups. */
  acsByVendor: Map<string, VendorRows>;
  dmaAliasByVendor: Map<string, VendorRows>;
}

/**
 * One vendor's rows by device ID. `starts` (ascending) are the IDs where the set of matching rows
 * can change: every row's first ID and the ID after its last. Between two starts no row begins or
 * ends, so `rows[i]`, the rows matching `starts[i]` in table order, match every ID up to the next
 * start; below `starts[0]` none match. A look-up is a binary search instead of a scan of all the
 * vendor's rows (Intel has over 200 ACS rows, and every Intel device is looked up).
 */
export interface VendorRows {
  starts: number[];
  rows: Array<readonly QuirkRow[]>;
}

export const ACS_QUIRKS_FILE = 'acs-quirks.csv';
export const DMA_ALIAS_QUIRKS_FILE = 'dma-alias-quirks.csv';

export function defaultQuirkDir(): string {
  return kernelFactsDir();
}

const HEX4 = /^[0-9a-f]{4}$/;

/** Shared answer for "no row matches" (most devices): nothing to allocate. */
const NO_ROWS: readonly QuirkRow[] = Object.freeze([]);

function parseDeviceMatch(text: string): [number, number] | null {
  if (text === 'any') return [0, 0xffff];
  const range = /^([0-9a-f]{4})-([0-9a-f]{4})$/.exec(text);
  if (range) {
    const from = parseInt(range[1]!, 16);
    const to = parseInt(range[2]!, 16);
    return from <= to ? [from, to] : null;
  }
  return HEX4.test(text) ? [parseInt(text, 16), parseInt(text, 16)] : null;
}

/** Parse one quirk table (columns vendor,device,quirk,effect,source). Pure; throws CliError naming file:line. */
export function parseQuirkTable(text: string, file: string): QuirkRow[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // info: the line each record starts on, so a bad row is named by file:line.
    records = parse(text, { skip_empty_lines: true, trim: true, bom: true, relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (err) {
    throw new CliError(`${file}: not a readable CSV table: ${(err as Error).message}`);
  }
  const header = records[0]?.record;
  if (!header) throw new CliError(`${file}: empty quirk table`);
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new CliError(`${file}:1: no '${name}' column`);
    return i;
  };
  const [cv, cd, cq, ce, cs] = [col('vendor'), col('device'), col('quirk'), col('effect'), col('source')];
  const rows: QuirkRow[] = [];
  for (const { record: r, info } of records.slice(1)) {
    const line = info.lines;
    const vendor = (r[cv] ?? '').toLowerCase();
    const device = (r[cd] ?? '').toLowerCase();
    const quirk = r[cq] ?? '';
    if (!HEX4.test(vendor)) throw new CliError(`${file}:${line}: vendor '${vendor}' is not 4 hex digits`);
    const match = parseDeviceMatch(device);
    if (!match) throw new CliError(`${file}:${line}: device '${device}' is not 4 hex digits, a range or 'any'`);
    if (!/^[a-z0-9_]+$/.test(quirk)) throw new CliError(`${file}:${line}: quirk name '${quirk}' is not a kernel identifier`);
    rows.push({
      vendor,
      device,
      deviceFrom: match[0],
      deviceTo: match[1],
      quirk,
      effect: r[ce] ?? '',
      source: r[cs] ?? '',
      file,
      line,
    });
  }
  return rows;
}

function byVendor(rows: QuirkRow[]): Map<string, VendorRows> {
  const map = new Map<string, QuirkRow[]>();
  for (const row of rows) {
    const list = map.get(row.vendor);
    if (list) list.push(row);
    else map.set(row.vendor, [row]);
  }
  const index = new Map<string, VendorRows>();
  for (const [vendor, list] of map) index.set(vendor, indexByDevice(list));
  return index;
}

function indexByDevice(list: QuirkRow[]): VendorRows {
  const cuts = new Set<number>();
  for (const r of list) {
    cuts.add(r.deviceFrom);
    cuts.add(r.deviceTo + 1);
  }
  const starts = [...cuts].sort((a, b) => a - b);
  const rows = starts.map((id) => {
    const matching = list.filter((r) => id >= r.deviceFrom && id <= r.deviceTo);
    return matching.length > 0 ? matching : NO_ROWS;
  });
  return { starts, rows };
}

export function quirkTables(acs: QuirkRow[], dmaAlias: QuirkRow[]): QuirkTables {
  return { acs, dmaAlias, acsByVendor: byVendor(acs), dmaAliasByVendor: byVendor(dmaAlias) };
}

/** Rows of a table matching vendor:device, in table order (shared: read only). */
export function matchingRows(
  index: Map<string, VendorRows>,
  vendor: string | null,
  device: string | null,
): readonly QuirkRow[] {
  if (vendor === null || device === null) return NO_ROWS;
  const vendorRows = index.get(vendor.toLowerCase());
  if (!vendorRows) return NO_ROWS;
  const id = parseInt(device, 16);
  if (Number.isNaN(id)) return NO_ROWS;
  // The last start at or below id (see VendorRows).
  const { starts, rows } = vendorRows;
  if (!(id >= starts[0]!)) return NO_ROWS;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= id) lo = mid;
    else hi = mid - 1;
  }
  return rows[lo]!;
}

async function readTable(path: string): Promise<QuirkRow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read quirk table ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseQuirkTable(text, path);
}

/** Load both quirk tables from `dir` (default: the project's baselines/kernel). */
export async function loadQuirkTables(dir: string = defaultQuirkDir()): Promise<QuirkTables> {
  const [acs, dmaAlias] = await Promise.all([
    readTable(join(dir, ACS_QUIRKS_FILE)),
    readTable(join(dir, DMA_ALIAS_QUIRKS_FILE)),
  ]);
  return quirkTables(acs, dmaAlias);
}
