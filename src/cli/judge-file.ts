// Judging corpus inputs down to what the tally keeps, the same way in the main thread and in a
// worker thread: hosts in, structured-clone-safe records out (no host object survives it). A
// batch's counts are summed where it is judged, so a worker's reply is one small record per file
// and one set of counts, and the main thread does almost nothing per host.

import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { CorpusItem } from '../corpus/model.js';
import type { Series } from '../series/model.js';
import type { Scope } from '../policy/model.js';
import type { AcsOverride } from '../topology/override.js';
import type { QuirkTables } from '../topology/quirks.js';
import { groupsForHost } from '../topology/groups.js';
import { countHost, emptyCounts, encodeImpacts, summarizeHost, type EncodedImpacts, type HostCounts, type HostImpact } from '../policy/analysis.js';
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

/** One input file, judged: what the main thread needs of it, in input order. */
export interface JudgedFile {
  /** Its size, for throughput figures. */
  bytes: number;
  /** Hosts read from it (their counts are in the batch's `counts`). */
  hosts: number;
  /** Why each of its skipped items was skipped. */
  skipped: string[];
  /** Diagnostics of its items, in item order. */
  diagnostics: Diagnostic[];
}

/** Files judged together, in input order, with their hosts' counts summed and their affected hosts encoded. */
export interface JudgedBatch {
  files: JudgedFile[];
  counts: HostCounts;
  impacts: EncodedImpacts;
}

export interface ItemJudge {
  quirks: QuirkTables;
  judge: Judge;
  /** Patches in the timeline (the tally's per-patch length). */
  patches: number;
  acsOverride?: AcsOverride;
}

/** Judge the items of one input file; their counts are added to `counts`, affected hosts to `impacts`. */
export function judgeFile(items: readonly CorpusItem[], bytes: number, j: ItemJudge, counts: HostCounts, impacts: HostImpact[]): JudgedFile {
  const file: JudgedFile = { bytes, hosts: 0, skipped: [], diagnostics: [] };
  for (const item of items) {
    for (const d of item.kind === 'host' ? item.host.diagnostics : item.diagnostics) file.diagnostics.push(d);
    if (item.kind === 'skipped') {
      file.skipped.push(item.reason);
      continue;
    }
    const host = item.host;
    const groups = groupsForHost(host, j.quirks, { acsOverride: j.acsOverride, explain: false });
    const summary = summarizeHost(j.judge.judgeHost(host, groups), j.patches);
    file.hosts++;
    countHost(counts, summary);
    if (summary.impact !== null) impacts.push(summary.impact);
  }
  return file;
}

/** A batch of inputs, each read (`read`) and judged before the next is read: one file's hosts in memory at a time. */
export function judgeBatch<T>(inputs: readonly T[], read: (input: T) => { items: readonly CorpusItem[]; bytes: number }, j: ItemJudge): JudgedBatch {
  const counts = emptyCounts(j.patches);
  const impacts: HostImpact[] = [];
  const files = inputs.map((input) => {
    const { items, bytes } = read(input);
    return judgeFile(items, bytes, j, counts, impacts);
  });
  return { files, counts, impacts: encodeImpacts(impacts) };
}
