import { beforeAll, describe, expect, it } from 'vitest';
import { groupsForHost } from '../../src/topology/groups.js';
import { validateHost } from '../../src/topology/validate.js';
import { loadQuirkTables, type QuirkTables } from '../../src/topology/quirks.js';
import { dev, host, partition } from './build.js';

let tables: QuirkTables;
beforeAll(async () => {
  tables = await loadQuirkTables();
});

describe('groupsForHost', () => {
  it('takes the dump groups when present, certain, naming devices without a group line', () => {
    const h = host([
      dev('00:00.0', { group: 0, conventional: true }),
      dev('00:02.0', { type: 'rc-integrated-endpoint' }),
      dev('00:1f.0', { group: 7, conventional: true }),
      dev('00:1f.3', { group: 7, conventional: true }),
    ]);
    const g = groupsForHost(h, tables);
    expect(g.source).toBe('dump');
    expect(g.confidence).toBe('certain');
    expect(g.groups).toEqual([
      { id: '0', devices: ['0000:00:00.0'] },
      { id: '7', devices: ['0000:00:1f.0', '0000:00:1f.3'] },
    ]);
    expect(g.reason).toBe('1 device without an IOMMU group line: 0000:00:02.0');
  });

  it('derives when the dump has no groups, and says so', () => {
    const g = groupsForHost(host([dev('00:1f.0', { conventional: true }), dev('00:1f.3', { conventional: true })]), tables);
    expect(g.source).toBe('derived');
    expect(g.confidence).toBe('certain');
    expect(partition(g.groups)).toEqual([['00:1f.0', '00:1f.3']]);
  });

  it('derived groups of an unreadable dump are low confidence', () => {
    const g = groupsForHost(host([dev('00:01.0', { bus: 1, unreadable: true }), dev('01:00.0', { unreadable: true })]), tables);
    expect(g.confidence).toBe('low');
    expect(g.reason).toMatch(/capabilities unreadable/);
  });

  it('a host without devices has no groups', () => {
    expect(groupsForHost(host([]), tables)).toEqual({ source: 'none', confidence: 'low', reason: 'no PCI devices in the input', groups: [] });
  });
});

describe('validateHost on hand-built hosts', () => {
  it('match: the dump partition equals the derived one whatever the group numbers', () => {
    const h = host([
      dev('00:01.0', { bus: 1, acs: 'enabled', group: 4 }),
      dev('01:00.0', { group: 9 }),
      dev('01:00.1', { group: 9 }),
    ]);
    const v = validateHost(h, tables);
    expect(v.result).toBe('match');
    expect(v.differences).toEqual([]);
  });

  it('mismatch: reports the differing groups and the rule that placed each device', () => {
    // The dump says the root port isolates (as after a kernel with an extra quirk); ACSCtl says not.
    const h = host([dev('00:01.0', { bus: 1, acs: 'disabled', group: 1 }), dev('01:00.0', { group: 2 })]);
    const v = validateHost(h, tables);
    expect(v.result).toBe('mismatch');
    expect(v.differences).toHaveLength(1);
    const d = v.differences[0]!;
    expect(d.dump.map((g) => g.id)).toEqual(['1', '2']);
    expect(d.derived).toHaveLength(1);
    expect(d.derived[0]!.placement).toEqual({
      '0000:00:01.0': 'root bus device, own group',
      '0000:01:00.0': 'behind non-ACS root port 0000:00:01.0 (ACSCtl lacks SrcValid ReqRedir CmpltRedir UpstreamFwd)',
    });
  });

  it('insufficient: capabilities unreadable, or no group lines at all', () => {
    const unreadable = host([dev('00:01.0', { bus: 1, unreadable: true, group: 1 }), dev('01:00.0', { unreadable: true, group: 2 })]);
    expect(validateHost(unreadable, tables).result).toBe('insufficient');
    expect(validateHost(unreadable, tables).reason).toMatch(/^capabilities unreadable \(<access denied>\) for 2 of 2 devices/);
    const noGroups = validateHost(host([dev('00:01.0')]), tables);
    expect(noGroups).toMatchObject({ result: 'insufficient', reason: 'no IOMMU group lines to compare with' });
  });
});
