// The derivation proven against the real linuxhw dumps that carry `IOMMU group:` lines: derive
// as if those lines were absent, compare partitions (issue 4, "Prove it").
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { readCorpus } from '../../src/corpus/read.js';
import type { Host } from '../../src/corpus/model.js';
import { loadQuirkTables, quirkTables, type QuirkTables } from '../../src/topology/quirks.js';
import { validateHost } from '../../src/topology/validate.js';
import { groupsForHost } from '../../src/topology/groups.js';
import { deriveGroups } from '../../src/topology/derive.js';
import { parseAcsOverride } from '../../src/topology/override.js';

const LINUXHW = resolve(import.meta.dirname, '../../../shared/corpora/linuxhw');

let tables: QuirkTables;
const hosts: Host[] = [];
beforeAll(async () => {
  tables = await loadQuirkTables();
  for await (const item of readCorpus([LINUXHW], { ordered: true })) if (item.kind === 'host') hosts.push(item.host);
});

const idOf = (h: Host) => h.id;

describe('validation over ../shared/corpora/linuxhw', () => {
  it('every host with readable capabilities and IOMMU group lines matches exactly', () => {
    const results = hosts.filter((h) => h.groupsPresent).map((h) => validateHost(h, tables));
    const readable = results.filter((r) => r.result !== 'insufficient');
    const matched = readable.filter((r) => r.result === 'match');
    expect(readable).toHaveLength(17);
    expect(matched.length / readable.length).toBeGreaterThanOrEqual(0.95);
    expect(readable.filter((r) => r.result === 'mismatch').map((r) => ({ host: r.host, differences: r.differences }))).toEqual([]);
  });

  it('non-root dumps with group lines are insufficient, never a match', () => {
    const insufficient = hosts
      .filter((h) => h.groupsPresent)
      .map((h) => validateHost(h, tables))
      .filter((r) => r.result === 'insufficient')
      .map((r) => r.host)
      .sort();
    expect(insufficient).toEqual([
      'desktop-asus-prime-x570-pro-02dec94612',
      'desktop-asus-prime-z390-a-03f25d4aa0',
      'desktop-dell-optiplex-7060-0e01c8cfa2',
      'desktop-gigabyte-x570-aorus-master-928c36893b',
      'desktop-hp-elitedesk-705-g4-sff-4369a9a9e3',
    ]);
  });

  it('the quirk tables matter: without them six of the Intel hosts no longer match', () => {
    const none = quirkTables([], []);
    const failing = hosts
      .filter((h) => h.groupsPresent)
      .map((h) => validateHost(h, none))
      .filter((r) => r.result === 'mismatch')
      .map((r) => r.host)
      .sort();
    expect(failing).toEqual([
      'desktop-hp-elitedesk-800-g3-sff-20ecceae5e',
      'mini-pc-intel-nuc11tnbv7-k87766-402-fc4ada1c46',
      'server-dell-poweredge-r730xd-e377f45b46',
      'server-ibm-system-x3250-m3-133f7bc9a5',
      'server-supermicro-x10drh-03ba31502c',
      'server-supermicro-x10slh-f-8617185fdc',
    ]);
  });

  it('a dump without group lines gets derived groups; an all-denied one is low confidence', () => {
    const gigabyte = hosts.find((h) => idOf(h) === 'server-gigabyte-ga-7peslx-e14fddfa11')!;
    const g = groupsForHost(gigabyte, tables);
    expect(g.source).toBe('derived');
    expect(g.confidence).toBe('low');
    expect(g.reason).toMatch(/capabilities unreadable/);
    const t42 = hosts.find((h) => idOf(h) === 'notebook-ibm-thinkpad-t42-2373cs8-79787555b2')!;
    const d = groupsForHost(t42, tables);
    expect(d).toMatchObject({ source: 'derived', confidence: 'certain', reason: null });
    // Conventional PCI behind the 82801 PCI bridge share its group (DMA alias, spec §6.5).
    const cardbus = d.groups.find((x) => x.devices.includes('0000:00:1e.0'))!;
    expect(cardbus.devices).toEqual(['0000:00:1e.0', '0000:02:00.0', '0000:02:00.1', '0000:02:01.0', '0000:02:02.0']);
  });

  it('analyze derives without placement texts (explain: false) and gets the same groups on every host', () => {
    const override = parseAcsOverride('downstream,multifunction');
    let compared = 0;
    for (const h of hosts) {
      for (const options of [{}, { acsOverride: override }]) {
        const explained = deriveGroups(h, tables, options);
        const bare = deriveGroups(h, tables, { ...options, explain: false });
        expect(bare.groups.every((g) => g.placement === undefined)).toBe(true);
        expect(explained.groups.every((g) => g.placement !== undefined && g.devices.every((d) => (g.placement![d] ?? '') !== ''))).toBe(true);
        expect(bare.groups.map((g) => [g.id, g.devices])).toEqual(explained.groups.map((g) => [g.id, g.devices]));
        expect([bare.source, bare.confidence, bare.reason]).toEqual([explained.source, explained.confidence, explained.reason]);
        compared++;
      }
    }
    expect(compared).toBe(2 * hosts.length);
    expect(hosts.length).toBe(46);
  });
});
