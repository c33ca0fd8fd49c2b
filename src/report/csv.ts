// CSV export for maintainers: one row per (host, group, scope) whose verdict changes. Written
// with csv-stringify (quoting, embedded newlines); every cell sanitised (whatever the model
// already did: a CSV is often `cat`ed) and formula-looking cells neutralised.

import { stringify } from 'csv-stringify/sync';
import { allChanges, type Analysis } from '../policy/analysis.js';
import { CHANGE_COLUMNS, changeRecord, neutraliseRecord } from './records.js';
import { subjectsOf } from './json.js';
import { sanitize } from '../diagnostics/sanitize.js';

export function renderCsv(a: Analysis): string {
  const subjects = subjectsOf(a.series);
  const rows = allChanges(a).map((c) => {
    const r = changeRecord(c, subjects);
    for (const k of CHANGE_COLUMNS) r[k] = sanitize(r[k]);
    return neutraliseRecord(r);
  });
  return stringify(rows, { header: true, columns: [...CHANGE_COLUMNS] });
}
