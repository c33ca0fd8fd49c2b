// The policy over the real corpora, checked against counts written here independently of
// src/policy (issue 8 "Done when"): a potential-scope group regresses when it holds an endpoint
// and a bridge bound to a driver outside the declared set, and every binding is known.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readCorpus } from '../../src/corpus/read.js';
import type { Host } from '../../src/corpus/model.js';
import { readSeries } from '../../src/series/read.js';
import { loadQuirkTables, type QuirkTables } from '../../src/topology/quirks.js';
import { groupsForHost } from '../../src/topology/groups.js';
import type { HostGroups } from '../../src/topology/model.js';
import { loadPolicyTables, type PolicyTables } from '../../src/policy/tables.js';
import { buildTimeline } from '../../src/policy/declarations.js';
import { Judge } from '../../src/policy/judge.js';
import { SCOPES, type GroupJudgement } from '../../src/policy/model.js';
import { countHost, emptyCounts, encodeImpacts, summarizeHost, Tally, type HostImpact } from '../../src/policy/analysis.js';
import { FORUMS, LINUXHW, ROOT } from '../support/cli.js';

const SERIES = join(ROOT, 'corpora', 'series');

let quirks: QuirkTables;
let tables: PolicyTables;
const linuxhw: Array<{ host: Host; groups: HostGroups }> = [];
const forums = new Map<string, { host: Host; groups: HostGroups }>();

beforeAll(async () => {
  [quirks, tables] = await Promise.all([loadQuirkTables(), loadPolicyTables()]);
  for await (const item of readCorpus([LINUXHW])) {
    if (item.kind === 'host') linuxhw.push({ host: item.host, groups: groupsForHost(item.host, quirks) });
  }
  for await (const item of readCorpus([FORUMS])) {
    if (item.kind === 'host') forums.set(item.host.id, { host: item.host, groups: groupsForHost(item.host, quirks) });
  }
});

/** Independent count: potential groups with an endpoint and a bridge bound outside `declared`. */
function expectedPotentialRegressions(declared: Set<string>): number {
  let n = 0;
  for (const { host, groups } of linuxhw) {
    const byBdf = new Map(host.devices.map((d) => [d.bdf, d]));
    for (const g of groups.groups) {
      const devs = g.devices.map((b) => byBdf.get(b));
      if (devs.some((d) => d === undefined || !d.driverKnown || d.headerType === null)) continue;
      const hasEndpoint = devs.some((d) => d!.headerType === 'normal');
      const undeclaredBridge = devs.some((d) => d!.headerType !== 'normal' && d!.driver !== null && !declared.has(d!.driver));
      if (hasEndpoint && undeclaredBridge) n++;
    }
  }
  return n;
}

async function judgeAll(seriesDir: string) {
  const series = await readSeries({ paths: [join(SERIES, seriesDir)] });
  const timeline = buildTimeline(series, tables);
  const judge = new Judge(tables, timeline, { scopes: SCOPES });
  const all: GroupJudgement[] = linuxhw.flatMap(({ host, groups }) => judge.judgeHost(host, groups).groups);
  return { series, all };
}

const count = (gs: GroupJudgement[], pred: (g: GroupJudgement) => boolean) => gs.filter(pred).length;

describe('linuxhw corpus: counts against an independent count', () => {
  it('every linuxhw host has groups (from the dump or derived)', () => {
    expect(linuxhw.length).toBeGreaterThanOrEqual(30);
    expect(linuxhw.every(({ groups }) => groups.source !== 'none')).toBe(true);
  });

  it('portdrv series: regressions with and without the portdrv declaration', async () => {
    const { all } = await judgeAll('portdrv');
    const table = new Set(tables.declared.keys());
    const withSeries = new Set([...table, 'pcieport', 'pci-stub']);
    const withoutSeries = new Set([...table].filter((d) => d !== 'pcieport' && d !== 'pci-stub'));
    const potential = all.filter((g) => g.scope === 'potential');
    const expectedWith = expectedPotentialRegressions(withSeries);
    const expectedWithout = expectedPotentialRegressions(withoutSeries);
    expect(count(potential, (g) => g.change === 'regressed')).toBe(expectedWith);
    expect(count(potential, (g) => g.old === 'viable' && g.base === 'blocked')).toBe(expectedWithout);
    // The declaration matters: without it every root-port group with an endpoint regresses.
    expect(expectedWithout).toBeGreaterThan(expectedWith);
    expect(expectedWith).toBeGreaterThan(0); // the CardBus laptops (yenta_cardbus)
    // Patch 2 (portdrv) is the one that recovers them; patch 1 (pci-stub) changes nothing here.
    const recoveredBy2 = count(potential, (g) => g.afterPatch[0] === 'blocked' && g.afterPatch[1] === 'viable');
    expect(recoveredBy2).toBe(expectedWithout - expectedWith);
    expect(count(potential, (g) => g.base !== g.afterPatch[0])).toBe(0);
  });

  it('pci-stub-only series: pcieport keeps the target kernel declaration', async () => {
    const { all } = await judgeAll('pci-stub');
    const declared = new Set([...tables.declared.keys(), 'pci-stub']);
    expect(count(all, (g) => g.scope === 'potential' && g.change === 'regressed')).toBe(expectedPotentialRegressions(declared));
  });

  it('shpchp series: declaring shpchp as well leaves only the other bridge drivers', async () => {
    const { series, all } = await judgeAll('shpchp');
    const drivers = series.patches.flatMap((p) => p.changes.map((c) => c.driver));
    expect(drivers).toContain('shpchp');
    const declared = new Set([...tables.declared.keys(), 'pcieport', 'pci-stub', 'shpchp']);
    expect(count(all, (g) => g.scope === 'potential' && g.change === 'regressed')).toBe(expectedPotentialRegressions(declared));
  });

  it('every regression names yenta_cardbus on a CardBus bridge, attributed to the rule, not a patch', async () => {
    const { all } = await judgeAll('portdrv');
    const regressed = all.filter((g) => g.change === 'regressed');
    expect(regressed.length).toBeGreaterThan(0);
    for (const g of regressed) {
      expect(g.patch).toBeNull();
      expect(g.blocking.every((b) => b.driver === 'yenta_cardbus' && b.before.startsWith('CardBus bridge, header type 2'))).toBe(true);
    }
  });
});

describe('forums corpus: published passthrough setups, hand-derived expectations', () => {
  async function judgeForum(id: string, seriesDir = 'portdrv') {
    const entry = forums.get(id);
    if (!entry) throw new Error(`forum host ${id} not read`);
    const series = await readSeries({ paths: [join(SERIES, seriesDir)] });
    return new Judge(tables, buildTimeline(series, tables), { scopes: SCOPES }).judgeHost(entry.host, entry.groups);
  }
  const groupWith = (gs: GroupJudgement[], bdf: string, scope: 'actual' | 'potential') =>
    gs.find((g) => g.scope === scope && g.devices.includes(bdf));

  it('asokolsky-suprox: root port 00:01.0 (pcieport) + vfio I350 is viable with the portdrv declaration, blocked without', async () => {
    const j = await judgeForum('asokolsky-suprox');
    const g = groupWith(j.groups, '0000:01:00.0', 'actual')!;
    expect(g.devices).toEqual(['0000:00:01.0', '0000:01:00.0', '0000:01:00.1']);
    expect(g.old).toBe('viable');
    expect(g.base).toBe('blocked');
    expect(g.afterPatch).toEqual(['blocked', 'viable']);
    expect(g.final).toBe('viable');
    expect(g.change).toBeNull();
  });

  it('asokolsky-suprox: the SATA controller alone on vfio-pci stays viable throughout', async () => {
    const j = await judgeForum('asokolsky-suprox');
    const g = groupWith(j.groups, '0000:00:17.0', 'actual')!;
    expect([g.old, g.base, g.final]).toEqual(['viable', 'viable', 'viable']);
  });

  it('sixzerosevennine-maximus-iv-gene-z: partial paste (root port and 01:00.1 without driver lines) is undetermined', async () => {
    const j = await judgeForum('sixzerosevennine-maximus-iv-gene-z');
    const g = groupWith(j.groups, '0000:01:00.0', 'actual')!;
    expect(g.change).toBe('undetermined');
    expect(g.undecided).toEqual(['0000:00:01.0', '0000:01:00.1']);
  });

  it('kholia-osx-kvm: only 01:00.0 has a driver line: undetermined, naming the root port and 01:00.1', async () => {
    const j = await judgeForum('kholia-osx-kvm');
    const g = groupWith(j.groups, '0000:01:00.0', 'actual')!;
    expect(g.change).toBe('undetermined');
    expect(g.undecided).toEqual(['0000:00:01.0', '0000:01:00.1']);
  });

  it('lordmikefin: six vfio GPU functions share group 1 with three root ports whose binding is not shown', async () => {
    const j = await judgeForum('lordmikefin-kvm-gpu-guide-z270');
    const g = groupWith(j.groups, '0000:01:00.0', 'actual')!;
    expect(g.change).toBe('undetermined');
    expect(g.undecided).toEqual(['0000:00:01.0', '0000:00:01.1', '0000:00:01.2']);
  });

  it('yyu-vm-rx580: vfio RX 570 alone in its group: viable under every rule, no change', async () => {
    const j = await judgeForum('yyu-vm-rx580');
    const g = groupWith(j.groups, '0000:2e:00.0', 'actual')!;
    expect([g.old, g.base, g.final, g.change]).toEqual(['viable', 'viable', 'viable', null]);
  });
});

describe('counts summed in batches (worker threads) equal host-by-host folding', () => {
  it('linuxhw + forums in batches of 7: same summary and the same affected hosts as Tally.add per host', async () => {
    const series = await readSeries({ paths: [join(SERIES, 'portdrv')] });
    const timeline = buildTimeline(series, tables);
    const judge = new Judge(tables, timeline, { scopes: SCOPES });
    const patches = timeline.patchIndexes.length;
    const all = [...linuxhw, ...forums.values()];
    const perHost = new Tally(series, timeline);
    const batched = new Tally(series, timeline);
    for (let i = 0; i < all.length; i += 7) {
      const counts = emptyCounts(patches);
      const impacts: HostImpact[] = [];
      for (const { host, groups } of all.slice(i, i + 7)) {
        const j = judge.judgeHost(host, groups);
        perHost.add(j);
        const s = summarizeHost(j, patches);
        countHost(counts, s);
        if (s.impact) impacts.push(s.impact);
      }
      batched.addCounts(counts);
      batched.addImpacts(encodeImpacts(impacts));
    }
    const a = perHost.result();
    const b = batched.result();
    expect(b.summary.hostsRead).toBe(61);
    expect(b.summary.regressions.potential).toBe(6);
    expect(b.summary.withoutSeries.regressions).toEqual({ actual: 1, potential: 87 });
    expect(b.summary).toEqual(a.summary);
    expect([...b.hosts]).toEqual([...a.hosts]);
  });
});
