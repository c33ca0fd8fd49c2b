// CSV export for maintainers: one row per (host, group, scope) whose verdict changes. Written
// with csv-stringify (quoting, embedded newlines); every cell sanitised (whatever the model
// already did: a CSV is often `cat`ed) and formula-looking cells neutralised.

import { stringify } from 'csv-stringify/sync';
import type { Analysis } from '../policy/analysis.js';
import { CHANGE_COLUMNS, changeRecord, neutraliseRecord } from './records.js';
import { subjectsOf } from './json.js';
import { sanitize } from '../diagnostics/sanitize.js';

/** Rows written per csv-stringify call: the header with the first, then records only. */
const ROWS_PER_CHUNK = 512;

/** The CSV in pieces, changes read from the store a host at a time (see jsonChunks). */
export function* csvChunks(a: Analysis): Generator<string> {
  const subjects = subjectsOf(a.series);
  const columns = [...CHANGE_COLUMNS];
  let rows: Array<Record<string, string>> = [];
  let header = true;
  const flush = (): string => {
    const text = stringify(rows, { header, columns });
    header = false;
    rows = [];
    return text;
  };
  for (const h of a.hosts) {
    for (const c of h.changes) {
      const r = changeRecord(c, subjects);
      for (const k of CHANGE_COLUMNS) r[k] = sanitize(r[k]);
      rows.push(neutraliseRecord(r));
      if (rows.length >= ROWS_PER_CHUNK) yield flush();
    }
  }
  if (rows.length > 0 || header) yield flush();
}

export function renderCsv(a: Analysis): string {
  return [...csvChunks(a)].join('');
}
