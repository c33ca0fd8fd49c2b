// The shipped (source path, struct) -> driver name table, baselines/kernel/driver-structs.csv:
// kernel facts as data (design.md), each row keeping the spec section it came from.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { DriverTableRow } from './resolve.js';

/** Two levels up from src/series/ or dist/series/. */
export const DRIVER_TABLE_PATH = fileURLToPath(new URL('../../baselines/kernel/driver-structs.csv', import.meta.url));

export function parseDriverTable(text: string, file: string): { rows: DriverTableRow[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as Array<
    Record<string, string | undefined>
  >;
  const rows: DriverTableRow[] = [];
  records.forEach((r, i) => {
    const { file: path, struct, driver, source } = r;
    if (!path || !struct || !driver) {
      diagnostics.push(diag(file, i + 2, 'warning', 'bad-table-row', 'row needs file, struct and driver; skipped'));
      return;
    }
    rows.push({ file: path, struct, driver, source: source ?? '' });
  });
  return { rows, diagnostics };
}

export async function loadDriverTable(path: string = DRIVER_TABLE_PATH): Promise<{ rows: DriverTableRow[]; diagnostics: Diagnostic[] }> {
  return parseDriverTable(await readFile(path, 'utf8'), path);
}
