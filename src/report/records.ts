// The flat record of one changed (host, group, scope): the CSV row and the core of each JSON
// change. One function builds both, so CSV read back with csv-parse equals the JSON records.

import type { GroupChange } from '../policy/analysis.js';

export const CHANGE_COLUMNS = [
  'host',
  'group',
  'scope',
  'old',
  'new',
  'change',
  'blocking_bdf',
  'blocking_driver',
  'patch',
  'patch_subject',
  'group_source',
  'group_confidence',
  'platform',
  'devices',
  'reason_before',
  'reason_now',
  'undecided',
  'remedy',
] as const;

export type ChangeRecord = Record<(typeof CHANGE_COLUMNS)[number], string>;

/** Several blocking devices share one cell, in the same order in every column. */
const JOIN = ';';

export function changeRecord(c: GroupChange, subjects: Map<number, string>): ChangeRecord {
  const g = c.group;
  return {
    host: c.host,
    group: g.group,
    scope: g.scope,
    old: g.old,
    new: g.final,
    change: c.change,
    blocking_bdf: g.blocking.map((b) => b.bdf).join(JOIN),
    blocking_driver: g.blocking.map((b) => b.driver ?? 'unknown').join(JOIN),
    patch: g.patch === null ? 'rule' : String(g.patch),
    patch_subject: g.patch === null ? 'the new rule itself (without any patch of the series)' : subjects.get(g.patch) ?? '',
    group_source: c.groupSource,
    group_confidence: c.groupConfidence,
    platform: c.platform,
    devices: g.devices.join(JOIN),
    reason_before: g.blocking.map((b) => b.before).join(JOIN),
    reason_now: g.blocking.map((b) => b.now).join(JOIN),
    undecided: g.undecided.join(JOIN),
    remedy: g.remedy ?? '',
  };
}

/**
 * Spreadsheet formula injection: a cell starting with = + - @ (or TAB/CR) is run as a formula by
 * Excel/LibreOffice. CSV exports prefix such cells with a single quote (OWASP advice).
 */
export function neutraliseCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** The same for a row of cells; numbers pass unchanged. */
export function neutraliseRow<T extends string | number | null | undefined>(row: readonly T[]): T[] {
  return row.map((v) => (typeof v === 'string' ? (neutraliseCell(v) as T) : v));
}

export function neutraliseRecord<T extends Record<string, string>>(r: T): T {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) out[k] = neutraliseCell(v);
  return out as T;
}
