// Folds host judgements into what every report shows: headline counts per scope and per patch,
// and the changed groups. Keeps only changed groups, never whole hosts, so memory stays flat
// over a corpus of any size.

import type { Series } from '../series/model.js';
import type { DeclarationTimeline } from './declarations.js';
import type { Change, GroupJudgement, HostJudgement, Scope, Verdict } from './model.js';
import { SCOPES } from './model.js';

export type PerScope = Record<Scope, number>;

const zero = (): PerScope => ({ actual: 0, potential: 0 });

export interface PatchTally {
  index: number;
  subject: string;
  /** Groups this patch turns from viable to blocked (new rule, before vs after it). */
  regressions: PerScope;
  /** Groups this patch turns from blocked to viable. */
  fixes: PerScope;
  /** Groups whose verdict this patch changes to or from `unknown` (a binding the input does not show). */
  undetermined: PerScope;
}

type Transitions = { regressions: PerScope; fixes: PerScope; undetermined: PerScope };

/** The counts of AnalysisSummary that hosts add up to: one host's, or a batch's sum. */
export interface HostCounts {
  hostsRead: number;
  hostsWithDumpGroups: number;
  hostsWithDerivedGroups: number;
  /** Derived groups marked low confidence (capabilities unreadable...). */
  hostsLowConfidence: number;
  /** Hosts whose groups could not be had at all: reported, never counted as safe. */
  hostsGroupsUnknown: number;
  groupsJudged: PerScope;
  /** Groups whose verdict is `unknown` under at least one rule (a binding the input does not show). */
  groupsUndecided: PerScope;
  /** OLD rule -> NEW rule with the whole series. */
  regressions: PerScope;
  fixes: PerScope;
  undetermined: PerScope;
  /** OLD rule -> NEW rule without the series (declarations as before the series). */
  withoutSeries: Transitions;
  perPatch: Transitions[];
}

export interface AnalysisSummary extends HostCounts {
  hostsSkipped: number;
  /** reason -> number of skipped inputs. */
  skippedReasons: Record<string, number>;
  perPatch: PatchTally[];
  /** Flag changes that could not be tied to a driver: not applied. */
  unresolvedFlagChanges: number;
  /** Rule changes the series makes that are reported but not applied (see declarations.ts). */
  ruleChangesNotApplied: number;
}

/** One (host, group, scope) whose verdict changes between the old rule and the series. */
export interface GroupChange {
  host: string;
  file: string;
  platform: string;
  groupSource: string;
  groupConfidence: string;
  group: GroupJudgement;
  change: Change;
}

export interface HostImpact {
  host: string;
  file: string;
  platform: string;
  groupSource: string;
  groupConfidence: string;
  groupReason: string | null;
  regressions: number;
  fixes: number;
  undetermined: number;
  changes: GroupChange[];
}

/** Affected hosts in report order; may be backed by a file, so iterate rather than index. */
export interface ImpactList extends Iterable<HostImpact> {
  readonly length: number;
}

/**
 * Where the tally keeps affected hosts. The default keeps them in memory; the CLI passes one that
 * spills to a temporary file (src/report/impact-store.ts) so memory stays flat with corpus size.
 */
export interface ImpactStore {
  add(h: HostImpact): void;
  /** Hosts judged in another thread, already encoded (see encodeImpacts). */
  addEncoded(e: EncodedImpacts): void;
  /** Most regressions first, then undetermined, then fixes, then host id. */
  sorted(): ImpactList;
}

/** What affected hosts are sorted by. */
export type ImpactSortKey = Pick<HostImpact, 'host' | 'regressions' | 'undetermined' | 'fixes'>;

export function compareImpact(a: ImpactSortKey, b: ImpactSortKey): number {
  return (
    b.regressions - a.regressions ||
    b.undetermined - a.undetermined ||
    b.fixes - a.fixes ||
    (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)
  );
}

export function sortKeyOf(h: HostImpact): ImpactSortKey {
  return { host: h.host, regressions: h.regressions, undetermined: h.undetermined, fixes: h.fixes };
}

/**
 * Affected hosts as they cross from a worker thread: one block of UTF-8 JSON lines, moved (not
 * copied) with postMessage's transfer list, and each host's sort key. The main thread writes the
 * block to the store's file as it is: no JSON string of a host is ever made on its heap.
 */
export interface EncodedImpacts {
  keys: ImpactSortKey[];
  /** Byte length of each host's line, its newline included. */
  lengths: number[];
  /** The lines, in `keys` order, each ending in "\n". Owns its ArrayBuffer (transferable). */
  bytes: Uint8Array;
}

export function encodeImpacts(hosts: readonly HostImpact[]): EncodedImpacts {
  const lines = hosts.map((h) => `${JSON.stringify(h)}\n`);
  const lengths = lines.map((l) => Buffer.byteLength(l, 'utf8'));
  // Not Buffer.from: pooled Buffers share one ArrayBuffer, which a transfer would take away.
  const bytes = new Uint8Array(lengths.reduce((n, l) => n + l, 0));
  const encoder = new TextEncoder();
  let at = 0;
  lines.forEach((l, i) => {
    encoder.encodeInto(l, bytes.subarray(at));
    at += lengths[i]!;
  });
  return { keys: hosts.map(sortKeyOf), lengths, bytes };
}

/** The hosts of a block, decoded one at a time (a reader may stop early). */
export function* decodeImpacts(e: EncodedImpacts): Generator<HostImpact> {
  const decoder = new TextDecoder();
  let at = 0;
  for (const len of e.lengths) {
    yield JSON.parse(decoder.decode(e.bytes.subarray(at, at + len - 1))) as HostImpact;
    at += len;
  }
}

export class MemoryImpactStore implements ImpactStore {
  private readonly hosts: HostImpact[] = [];
  add(h: HostImpact): void {
    this.hosts.push(h);
  }
  addEncoded(e: EncodedImpacts): void {
    for (const h of decodeImpacts(e)) this.hosts.push(h);
  }
  sorted(): HostImpact[] {
    return [...this.hosts].sort(compareImpact);
  }
}

export interface Analysis {
  series: Series;
  summary: AnalysisSummary;
  /** Affected hosts, most regressions first. */
  hosts: ImpactList;
}

/** An analysis with every affected host in memory, for the interactive report. */
export type LoadedAnalysis = Omit<Analysis, 'hosts'> & { hosts: HostImpact[] };

export function loadAnalysis(a: Analysis): LoadedAnalysis {
  return { ...a, hosts: Array.isArray(a.hosts) ? (a.hosts as HostImpact[]) : Array.from(a.hosts) };
}

export class Tally {
  private readonly summary: AnalysisSummary;
  constructor(
    private readonly series: Series,
    timeline: DeclarationTimeline,
    private readonly affected: ImpactStore = new MemoryImpactStore(),
  ) {
    // Built in this order so JSON reports keep their key order (hostsRead, hostsSkipped, ... first).
    const head = { hostsRead: 0, hostsSkipped: 0, skippedReasons: {} as Record<string, number> };
    this.summary = Object.assign(head, emptyCounts(0), {
      perPatch: timeline.patchIndexes.map((index) => ({ index, subject: timeline.subjects.get(index) ?? '', ...zeroTransitions() })),
      unresolvedFlagChanges: timeline.unresolved.length,
      ruleChangesNotApplied: timeline.notApplied.length,
    });
  }

  skip(reason: string): void {
    this.summary.hostsSkipped++;
    this.summary.skippedReasons[reason] = (this.summary.skippedReasons[reason] ?? 0) + 1;
  }

  /** Fold one host in. Same as `addSummary(summarizeHost(j))`. */
  add(j: HostJudgement): void {
    this.addSummary(summarizeHost(j, this.summary.perPatch.length));
  }

  /** Fold in a host already summarised. */
  addSummary(h: HostSummary): void {
    countHost(this.summary, h);
    if (h.impact !== null) this.affected.add(h.impact);
  }

  /** Fold in the summed counts of several hosts (a worker's batch); their impacts come separately. */
  addCounts(c: HostCounts): void {
    addCounts(this.summary, c);
  }

  /** Affected hosts judged in another thread (their counts come with addCounts). */
  addImpacts(e: EncodedImpacts): void {
    this.affected.addEncoded(e);
  }

  result(): Analysis {
    return { series: this.series, summary: this.summary, hosts: this.affected.sorted() };
  }

  /** Live figures for progress displays. */
  get progress(): { hosts: number; skipped: number; regressions: number } {
    return {
      hosts: this.summary.hostsRead,
      skipped: this.summary.hostsSkipped,
      regressions: SCOPES.reduce((n, sc) => n + this.summary.regressions[sc], 0),
    };
  }
}

/** What one host adds to the tally: counts, and its changed groups only. Plain data (structured-clone safe). */
export interface HostSummary {
  groupSource: string;
  lowConfidence: boolean;
  groupsJudged: PerScope;
  groupsUndecided: PerScope;
  withoutSeries: { regressions: PerScope; fixes: PerScope; undetermined: PerScope };
  perPatch: Array<{ regressions: PerScope; fixes: PerScope; undetermined: PerScope }>;
  /** Changed groups per kind and scope (old rule -> series). */
  changed: { regressions: PerScope; fixes: PerScope; undetermined: PerScope };
  /** null when no group of the host changes its verdict. */
  impact: HostImpact | null;
}

const zeroTransitions = (): Transitions => ({ regressions: zero(), fixes: zero(), undetermined: zero() });

export function emptyCounts(patches: number): HostCounts {
  return {
    hostsRead: 0,
    hostsWithDumpGroups: 0,
    hostsWithDerivedGroups: 0,
    hostsLowConfidence: 0,
    hostsGroupsUnknown: 0,
    groupsJudged: zero(),
    groupsUndecided: zero(),
    regressions: zero(),
    fixes: zero(),
    undetermined: zero(),
    withoutSeries: zeroTransitions(),
    perPatch: Array.from({ length: patches }, zeroTransitions),
  };
}

/** Add one host's summary to `into` (its impact is not counted here). */
export function countHost(into: HostCounts, h: HostSummary): void {
  into.hostsRead++;
  if (h.groupSource === 'dump') into.hostsWithDumpGroups++;
  else if (h.groupSource === 'derived') into.hostsWithDerivedGroups++;
  else into.hostsGroupsUnknown++;
  if (h.groupSource === 'derived' && h.lowConfidence) into.hostsLowConfidence++;
  addGroupCounts(into, h, h.changed);
}

/** Add summed counts to `into`. */
export function addCounts(into: HostCounts, from: HostCounts): void {
  into.hostsRead += from.hostsRead;
  into.hostsWithDumpGroups += from.hostsWithDumpGroups;
  into.hostsWithDerivedGroups += from.hostsWithDerivedGroups;
  into.hostsLowConfidence += from.hostsLowConfidence;
  into.hostsGroupsUnknown += from.hostsGroupsUnknown;
  addGroupCounts(into, from, from);
}

type GroupCounts = Pick<HostCounts, 'groupsJudged' | 'groupsUndecided' | 'withoutSeries' | 'perPatch'>;

/** The per-group counts; `changed` is the old rule -> series transitions. */
function addGroupCounts(into: HostCounts, from: GroupCounts, changed: Transitions): void {
  addScopes(into.groupsJudged, from.groupsJudged);
  addScopes(into.groupsUndecided, from.groupsUndecided);
  addTransitions(into.withoutSeries, from.withoutSeries);
  from.perPatch.forEach((p, i) => {
    const t = into.perPatch[i];
    if (t) addTransitions(t, p);
  });
  addTransitions(into, changed);
}

function addTransitions(into: Transitions, from: Transitions): void {
  addScopes(into.regressions, from.regressions);
  addScopes(into.fixes, from.fixes);
  addScopes(into.undetermined, from.undetermined);
}

function addScopes(into: PerScope, from: PerScope): void {
  into.actual += from.actual;
  into.potential += from.potential;
}

/** Pure: reduce a host judgement to what the tally keeps. */
export function summarizeHost(j: HostJudgement, patches: number): HostSummary {
  const out: HostSummary = {
    groupSource: j.groupSource,
    lowConfidence: j.groupConfidence === 'low',
    groupsJudged: zero(),
    groupsUndecided: zero(),
    withoutSeries: { regressions: zero(), fixes: zero(), undetermined: zero() },
    perPatch: [],
    changed: { regressions: zero(), fixes: zero(), undetermined: zero() },
    impact: null,
  };
  for (let i = 0; i < patches; i++) out.perPatch.push({ regressions: zero(), fixes: zero(), undetermined: zero() });
  const impact: HostImpact = {
    host: j.host,
    file: j.file,
    platform: j.platform,
    groupSource: j.groupSource,
    groupConfidence: j.groupConfidence,
    groupReason: j.groupReason,
    regressions: 0,
    fixes: 0,
    undetermined: 0,
    changes: [],
  };
  for (const g of j.groups) {
    out.groupsJudged[g.scope]++;
    if (g.old === 'unknown' || g.base === 'unknown' || g.afterPatch.includes('unknown')) out.groupsUndecided[g.scope]++;
    const t0 = transition(g.old, g.base);
    if (t0 !== null) out.withoutSeries[t0][g.scope]++;
    let prev = g.base;
    for (let i = 0; i < g.afterPatch.length; i++) {
      const v = g.afterPatch[i]!;
      const t = transition(prev, v);
      const tally = out.perPatch[i];
      if (tally && t !== null) tally[t][g.scope]++;
      prev = v;
    }
    if (g.change === null) continue;
    if (g.change === 'regressed') impact.regressions++;
    else if (g.change === 'fixed') impact.fixes++;
    else impact.undetermined++;
    out.changed[g.change === 'regressed' ? 'regressions' : g.change === 'fixed' ? 'fixes' : 'undetermined'][g.scope]++;
    impact.changes.push({
      host: j.host,
      file: j.file,
      platform: j.platform,
      groupSource: j.groupSource,
      groupConfidence: j.groupConfidence,
      group: g,
      change: g.change,
    });
  }
  if (impact.changes.length > 0) out.impact = impact;
  return out;
}

/** Every change of verdict lands in exactly one bucket: steps to or from `unknown` are undetermined. */
function transition(a: Verdict, b: Verdict): 'regressions' | 'fixes' | 'undetermined' | null {
  if (a === b) return null;
  if (a === 'viable' && b === 'blocked') return 'regressions';
  if (a === 'blocked' && b === 'viable') return 'fixes';
  return 'undetermined';
}

/** All changes of an analysis in report order. */
export function allChanges(a: Analysis): GroupChange[] {
  const out: GroupChange[] = [];
  for (const h of a.hosts) out.push(...h.changes);
  return out;
}
