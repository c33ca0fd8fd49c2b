// The manifest CSV beside a set of dumps (`manifest.csv`: id, file, vendor, model, kernel,
// source...): one row per dump, attached to the host as metadata.

import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { clean } from './device-line.js';
import type { HostMetadata } from './model.js';

export interface Manifest {
  /** Rows by the `file` column (base name). */
  byFile: Map<string, HostMetadata>;
  diagnostics: Diagnostic[];
}

export const MANIFEST_NAME = 'manifest.csv';

/**
 * Parse manifest text; a row csv-parse cannot read (a stray quote) or without a `file` value is
 * reported at its line and left out, and the other rows are still read.
 */
export function parseManifest(text: string, path: string): Manifest {
  const byFile = new Map<string, HostMetadata>();
  const diagnostics: Diagnostic[] = [];
  // csv-parse counts a bare CR as a line break; editors and the other diagnostics count LFs. Its
  // number is kept, but never past the file's last line (a CR near the end pushed it one beyond).
  let lastLine = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < text.length - 1; i = text.indexOf('\n', i + 1)) lastLine++;
  const lineOf = (n: number | null | undefined): number | null => (typeof n === 'number' ? Math.min(Math.max(n, 1), lastLine) : null);
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(text, {
      columns: true,
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
      info: true,
      skip_records_with_error: true,
      on_skip: (err) => {
        diagnostics.push(diag(path, lineOf(err?.lines as number | undefined), 'warning', 'bad-manifest', `manifest row not read: ${clean(err?.message ?? 'unreadable')}`));
        return undefined;
      },
    });
  } catch (err) {
    const e = err as { lines?: number; message: string };
    diagnostics.push(diag(path, lineOf(e.lines) ?? 1, 'warning', 'bad-manifest', `manifest not read: ${clean(e.message)}`));
    return { byFile, diagnostics };
  }
  for (const { record: row, info } of records) {
    const file = row['file'];
    if (!file) {
      diagnostics.push(diag(path, lineOf(info.lines), 'warning', 'bad-manifest', 'manifest row has no `file` value; ignored'));
      continue;
    }
    const meta: HostMetadata = {};
    for (const [k, v] of Object.entries(row)) if (typeof v === 'string') meta[k] = clean(v);
    byFile.set(file, meta);
  }
  return { byFile, diagnostics };
}

/** Read `dir/manifest.csv` when there is one; null otherwise. */
export async function loadManifest(dir: string): Promise<Manifest | null> {
  const path = dir.endsWith('/') ? dir + MANIFEST_NAME : `${dir}/${MANIFEST_NAME}`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  return parseManifest(text, path);
}
