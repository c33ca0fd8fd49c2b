// CSV export for maintainers: one row per (host, group, scope) whose verdict changes. Written
// with csv-stringify (quoting, embedded newlines); formula-looking cells neutralised.

import { stringify } from 'csv-stringify/sync';
import type { Analysis } from '../policy/analysis.js';
import { CHANGE_COLUMNS, changeRecord, neutraliseRecord } from './records.js';
import { subjectsOf } from './json.js';

export function renderCsv(a: Analysis): string {
  const subjects = subjectsOf(a.series);
  const rows = a.hosts.flatMap((h) => h.changes.map((c) => neutraliseRecord(changeRecord(c, subjects))));
  return stringify(rows, { header: true, columns: [...CHANGE_COLUMNS] });
}
