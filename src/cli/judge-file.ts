// Judging one corpus input down to what the tally keeps, the same way in the main thread and in
// a worker thread: hosts in, structured-clone-safe summaries out (no host object survives it).

import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { CorpusItem } from '../corpus/model.js';
import type { Series } from '../series/model.js';
import type { Scope } from '../policy/model.js';
import type { AcsOverride } from '../topology/override.js';
import type { QuirkTables } from '../topology/quirks.js';
import { groupsForHost } from '../topology/groups.js';
import { summarizeHost, type HostSummary } from '../policy/analysis.js';
import type { Judge } from '../policy/judge.js';
import type { PolicyTables } from '../policy/tables.js';

/**
 * What a worker is built from: structured-clone-safe data (Maps and arrays, no closures). The
 * tables travel already parsed, so no worker parses CSV again; the timeline, which holds
 * closures, is rebuilt on the worker's side from the Series.
 */
export interface JudgeSetup {
  series: Series;
  quirks: QuirkTables;
  tables: PolicyTables;
  scopes: readonly Scope[];
  acsOverride?: AcsOverride;
}

export type JudgedItem =
  | { kind: 'host'; summary: HostSummary; diagnostics: Diagnostic[] }
  | { kind: 'skipped'; reason: string; diagnostics: Diagnostic[] };

/** One input file, judged: its items in file order, and its size for throughput figures. */
export interface JudgedFile {
  bytes: number;
  items: JudgedItem[];
}

export interface ItemJudge {
  quirks: QuirkTables;
  judge: Judge;
  /** Patches in the timeline (the tally's per-patch length). */
  patches: number;
  acsOverride?: AcsOverride;
}

export function judgeItem(item: CorpusItem, j: ItemJudge): JudgedItem {
  if (item.kind === 'skipped') return { kind: 'skipped', reason: item.reason, diagnostics: item.diagnostics };
  const host = item.host;
  // The diagnostics the host carries when it is read (the in-process path notes them before judging).
  const diagnostics = host.diagnostics.slice();
  const groups = groupsForHost(host, j.quirks, { acsOverride: j.acsOverride });
  return { kind: 'host', summary: summarizeHost(j.judge.judgeHost(host, groups), j.patches), diagnostics };
}

/**
 * One copy of each repeated string in what the tally keeps. Affected hosts are kept until the
 * report is written, and their text (device names, reasons, remedies, addresses) repeats from
 * host to host; a summary from a worker arrives with fresh copies of all of it. Bounded: past
 * `max` distinct strings, new ones are kept as they come.
 */
export class StringPool {
  private readonly pool = new Map<string, string>();
  constructor(private readonly max = 100_000) {}

  /** Replace, in place, every string of a plain-data tree by its pooled copy. */
  share<T>(value: T): T {
    return this.walk(value) as T;
  }

  private str(s: string): string {
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    if (this.pool.size < this.max) this.pool.set(s, s);
    return s;
  }

  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.str(v);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = this.walk(v[i]);
      return v;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = this.walk(o[k]);
    return o;
  }
}
