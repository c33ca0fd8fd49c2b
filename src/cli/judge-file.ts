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
  const groups = groupsForHost(host, j.quirks, { acsOverride: j.acsOverride, explain: false });
  return { kind: 'host', summary: summarizeHost(j.judge.judgeHost(host, groups), j.patches), diagnostics };
}
