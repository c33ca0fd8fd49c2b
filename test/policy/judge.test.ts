import { describe, expect, it, beforeAll } from 'vitest';
import { loadPolicyTables, type PolicyTables } from '../../src/policy/tables.js';
import { buildTimeline } from '../../src/policy/declarations.js';
import { Judge } from '../../src/policy/judge.js';
import { SCOPES } from '../../src/policy/model.js';
import { change, dev, groups, host, patch, series } from './build.js';

let tables: PolicyTables;
beforeAll(async () => {
  tables = await loadPolicyTables();
});

const portdrv = () => series(patch(1, 'PCI: portdrv: Suppress kernel DMA ownership auto-claiming', [change(1, 'pcieport', 'added')]));

function judge(s: ReturnType<typeof series>, h: ReturnType<typeof host>, g: ReturnType<typeof groups>) {
  return new Judge(tables, buildTimeline(s, tables), { scopes: SCOPES }).judgeHost(h, g);
}

describe('shipped tables', () => {
  it('declared table follows spec §4 and the old allow-list is pci-stub only', () => {
    expect(tables.declared.has('pcieport')).toBe(true);
    expect(tables.declared.has('vfio-pci')).toBe(true);
    expect(tables.declared.has('shpchp')).toBe(false);
    expect(tables.declared.has('yenta_cardbus')).toBe(false);
    expect([...tables.oldAllowList.keys()]).toEqual(['pci-stub']);
  });
});

describe('old rule vs new rule, one group', () => {
  const rootPortWithNic = host('h1', [
    dev('0000:00:1c.0', { headerType: 'bridge', driver: 'pcieport' }),
    dev('0000:01:00.0', { driver: 'vfio-pci' }),
  ]);
  const g = groups(['0000:00:1c.0', '0000:01:00.0']);

  it('root port on pcieport + vfio NIC: viable before, blocked without the portdrv patch, viable with it', () => {
    const j = judge(portdrv(), rootPortWithNic, g);
    const actual = j.groups.find((x) => x.scope === 'actual')!;
    expect(actual.old).toBe('viable');
    expect(actual.base).toBe('blocked');
    expect(actual.final).toBe('viable');
    expect(actual.change).toBeNull();
    expect(actual.afterPatch).toEqual(['viable']);
  });

  it('shpchp bridge regresses under any series that does not declare it, attributed to the rule', () => {
    const h = host('h2', [dev('0000:00:1e.0', { headerType: 'bridge', driver: 'shpchp' }), dev('0000:05:00.0', { driver: 'vfio-pci' })]);
    const j = judge(portdrv(), h, groups(['0000:00:1e.0', '0000:05:00.0']));
    const actual = j.groups.find((x) => x.scope === 'actual')!;
    expect(actual.change).toBe('regressed');
    expect(actual.patch).toBeNull();
    expect(actual.blocking).toEqual([
      {
        bdf: '0000:00:1e.0',
        driver: 'shpchp',
        before: 'bridge, header type 1, driver shpchp',
        now: 'shpchp does not declare driver_managed_dma (not in baselines/kernel/declared-drivers-v6.19.csv)',
      },
    ]);
    expect(actual.remedy).toContain('pci-stub');
  });

  it('a patch declaring shpchp fixes that group and is attributed', () => {
    const s = series(
      patch(1, 'portdrv', [change(1, 'pcieport', 'added')]),
      patch(2, 'shpchp declare', [change(2, 'shpchp', 'added')]),
    );
    const h = host('h2', [dev('0000:00:1e.0', { headerType: 'bridge', driver: 'shpchp' }), dev('0000:05:00.0', { driver: 'vfio-pci' })]);
    const actual = judge(s, h, groups(['0000:00:1e.0', '0000:05:00.0'])).groups.find((x) => x.scope === 'actual')!;
    expect(actual.base).toBe('blocked');
    expect(actual.afterPatch).toEqual(['blocked', 'viable']);
    expect(actual.change).toBeNull();
  });

  it('a flag set by one patch and unset by a later one: the series ends where it began, so the rule is responsible', () => {
    const s = series(patch(1, 'declare', [change(1, 'pcieport', 'added')]), patch(2, 'undeclare', [change(2, 'pcieport', 'removed')]));
    const actual = judge(s, rootPortWithNic, g).groups.find((x) => x.scope === 'actual')!;
    expect(actual.base).toBe('blocked');
    expect(actual.afterPatch).toEqual(['viable', 'blocked']);
    expect(actual.change).toBe('regressed');
    expect(actual.patch).toBeNull();
  });

  it('a patch that removes a declaration the kernel had makes the group regress, attributed to that patch', () => {
    const s = series(patch(1, 'other', []), patch(2, 'undeclare', [change(2, 'pcieport', 'removed')]));
    const actual = judge(s, rootPortWithNic, g).groups.find((x) => x.scope === 'actual')!;
    expect(actual.base).toBe('viable');
    expect(actual.afterPatch).toEqual(['viable', 'blocked']);
    expect(actual.change).toBe('regressed');
    expect(actual.patch).toBe(2);
  });

  it('= false on the + side un-declares', () => {
    const s = series(patch(1, 'flip', [change(1, 'pcieport', 'removed', true), change(1, 'pcieport', 'added', false)]));
    const actual = judge(s, rootPortWithNic, g).groups.find((x) => x.scope === 'actual')!;
    expect(actual.base).toBe('viable');
    expect(actual.final).toBe('blocked');
    expect(actual.change).toBe('regressed');
    expect(actual.patch).toBe(1);
  });

  it('RCEC (header type 0) on pcieport: blocked under the old rule, fixed by the declaration', () => {
    const h = host('h3', [dev('0000:00:07.0', { headerType: 'normal', classCode: '0807', driver: 'pcieport' }), dev('0000:00:07.1', { driver: 'vfio-pci' })]);
    const actual = judge(portdrv(), h, groups(['0000:00:07.0', '0000:00:07.1'])).groups.find((x) => x.scope === 'actual')!;
    expect(actual.old).toBe('blocked');
    expect(actual.final).toBe('viable');
    expect(actual.change).toBe('fixed');
    expect(actual.patch).toBe(1);
  });

  it('an ordinary endpoint driver blocks under both rules: no change', () => {
    const h = host('h4', [dev('0000:01:00.0', { driver: 'vfio-pci' }), dev('0000:01:00.1', { driver: 'snd_hda_intel' })]);
    const actual = judge(portdrv(), h, groups(['0000:01:00.0', '0000:01:00.1'])).groups.find((x) => x.scope === 'actual')!;
    expect(actual.old).toBe('blocked');
    expect(actual.final).toBe('blocked');
    expect(actual.change).toBeNull();
  });

  it('potential scope rebinds endpoints to vfio-pci but keeps bridge drivers', () => {
    const h = host('h5', [dev('0000:00:1e.0', { headerType: 'cardbus', driver: 'yenta_cardbus' }), dev('0000:02:00.0', { driver: 'e1000e' })]);
    const j = judge(portdrv(), h, groups(['0000:00:1e.0', '0000:02:00.0']));
    expect(j.groups.map((x) => x.scope)).toEqual(['potential']);
    const p = j.groups[0]!;
    expect(p.old).toBe('viable');
    expect(p.final).toBe('blocked');
    expect(p.change).toBe('regressed');
    expect(p.blocking.map((b) => [b.bdf, b.driver, b.before])).toEqual([['0000:00:1e.0', 'yenta_cardbus', 'CardBus bridge, header type 2, driver yenta_cardbus']]);
  });

  it('a group of bridges only is not a potential group', () => {
    const h = host('h6', [dev('0000:00:1c.0', { headerType: 'bridge', driver: 'pcieport' })]);
    expect(judge(portdrv(), h, groups(['0000:00:1c.0'])).groups).toEqual([]);
  });
});

describe('unknown bindings are never "no driver"', () => {
  it('a listed bridge without a driver line makes the group undetermined, naming it', () => {
    const h = host('h7', [
      dev('0000:00:01.0', { headerType: 'bridge', driver: null, driverKnown: false }),
      dev('0000:01:00.0', { driver: 'vfio-pci' }),
    ]);
    const actual = judge(portdrv(), h, groups(['0000:00:01.0', '0000:01:00.0'])).groups.find((x) => x.scope === 'actual')!;
    expect(actual.old).toBe('viable'); // any driver on a bridge header passes the old rule
    expect(actual.final).toBe('unknown'); // shpchp there would block
    expect(actual.change).toBe('undetermined');
    expect(actual.undecided).toEqual(['0000:00:01.0']);
  });

  it('an unknown endpoint next to a vfio device: old unknown, but no change is possible', () => {
    const h = host('h8', [dev('0000:01:00.0', { driver: 'vfio-pci' }), dev('0000:01:00.1', { driver: null, driverKnown: false })]);
    const actual = judge(portdrv(), h, groups(['0000:01:00.0', '0000:01:00.1'])).groups.find((x) => x.scope === 'actual')!;
    expect(actual.old).toBe('unknown');
    expect(actual.final).toBe('unknown');
    expect(actual.change).toBeNull();
  });

  it('a group member missing from the dump entirely is unknown too', () => {
    const h = host('h9', [dev('0000:01:00.0', { driver: 'vfio-pci' })]);
    const actual = judge(portdrv(), h, groups(['0000:00:01.0', '0000:01:00.0'])).groups.find((x) => x.scope === 'actual')!;
    expect(actual.change).toBe('undetermined');
    expect(actual.undecided).toEqual(['0000:00:01.0']);
  });
});

describe('review findings', () => {
  it('a bare sysfs listing (no class, no binding) is judged and comes out undetermined, never safe', () => {
    const h = host('h11', [
      dev('0000:00:01.0', { headerType: null, classCode: null, driver: null, driverKnown: false }),
      dev('0000:01:00.0', { headerType: null, classCode: null, driver: null, driverKnown: false }),
    ]);
    const j = judge(portdrv(), h, groups(['0000:00:01.0', '0000:01:00.0']));
    expect(j.groups.map((x) => [x.scope, x.change])).toEqual([['potential', 'undetermined']]);
  });

  it('strings a series adds to the allow-list do not make a group "actual"', () => {
    const s = series(
      patch(1, 'allow hda', [], { ruleChanges: [{ patchIndex: 1, file: 'drivers/vfio/vfio.c', kind: 'allowlist-add', driver: 'snd_hda_intel', line: 3 }] }),
    );
    const h = host('h12', [dev('0000:00:1f.3', { driver: 'snd_hda_intel' })]);
    expect(judge(s, h, groups(['0000:00:1f.3'])).groups.map((x) => x.scope)).toEqual(['potential']);
  });

  it('a remove + add of the same allow-list string in one patch is no change of the old rule', () => {
    const s = series(
      patch(1, 'rewrite', [], {
        ruleChanges: [
          { patchIndex: 1, file: 'drivers/vfio/vfio.c', kind: 'allowlist-remove', driver: 'pci-stub', line: 3 },
          { patchIndex: 1, file: 'drivers/vfio/vfio.c', kind: 'allowlist-add', driver: 'pci-stub', line: 4 },
        ],
      }),
    );
    const t = buildTimeline(s, tables);
    expect(t.allowListAdded).toEqual([]);
    expect(t.notApplied).toEqual([]);
  });

  it('an unknown-binding RCEC (class 0807) may be on pcieport: old blocked, new viable is possible', () => {
    const h = host('h13', [
      dev('0000:00:07.0', { headerType: 'normal', classCode: '0807', driver: null, driverKnown: false }),
      dev('0000:00:07.1', { driver: 'vfio-pci' }),
    ]);
    const actual = judge(portdrv(), h, groups(['0000:00:07.0', '0000:00:07.1'])).groups.find((x) => x.scope === 'actual')!;
    expect(actual.change).toBe('undetermined');
  });
});

describe('declaration timeline', () => {
  it('drivers the series touches start from the - side, others from the table', () => {
    const t = buildTimeline(portdrv(), tables);
    expect(t.base.declares('pcieport')).toBe(false);
    expect(t.afterPatch[0]!.declares('pcieport')).toBe(true);
    expect(t.base.declares('vfio-pci')).toBe(true);
    expect(t.base.declares('shpchp')).toBe(false);
  });

  it('unresolved flag changes are kept aside, not guessed', () => {
    const t = buildTimeline(series(patch(1, 'x', [change(1, null, 'added')])), tables);
    expect(t.unresolved).toHaveLength(1);
    expect(t.touched.size).toBe(0);
  });

  it('allow-list strings added by the series extend the old rule', () => {
    const s = series(
      patch(1, 'allow foo', [], { ruleChanges: [{ patchIndex: 1, file: 'drivers/vfio/vfio.c', kind: 'allowlist-add', driver: 'foo_stub', line: 3 }] }),
    );
    const h = host('h10', [dev('0000:01:00.0', { driver: 'vfio-pci' }), dev('0000:01:00.1', { driver: 'foo_stub' })]);
    const actual = judge(s, h, groups(['0000:01:00.0', '0000:01:00.1'])).groups.find((x) => x.scope === 'actual')!;
    expect(actual.old).toBe('viable');
    expect(actual.final).toBe('blocked');
    expect(actual.change).toBe('regressed');
  });
});
