import { beforeAll, describe, expect, it } from 'vitest';
import { deriveGroups } from '../../src/topology/derive.js';
import { loadQuirkTables, type QuirkTables } from '../../src/topology/quirks.js';
import { parseAcsOverride } from '../../src/topology/override.js';
import { dev, host, partition } from './build.js';

let tables: QuirkTables;
beforeAll(async () => {
  tables = await loadQuirkTables();
});

const placementOf = (groups: ReturnType<typeof deriveGroups>, bdf: string): string => {
  const full = bdf.startsWith('0000:') ? bdf : `0000:${bdf}`;
  const g = groups.groups.find((x) => x.devices.includes(full));
  return g?.placement?.[full] ?? '<none>';
};

/** Root port 00:01.0 -> switch upstream 01:00.0 -> downstream 02:00.0, 02:01.0 -> GPU 03:00.0/.1, NIC 04:00.0. */
function switchHost(opts: { rootAcs?: 'enabled'; downstreamAcs?: 'enabled' }) {
  return host([
    dev('00:00.0', { classCode: '0600', type: null, conventional: true }),
    dev('00:01.0', { bus: [1, 4], acs: opts.rootAcs }),
    dev('01:00.0', { bus: [2, 4], type: 'upstream-port' }),
    dev('02:00.0', { bus: 3, type: 'downstream-port', acs: opts.downstreamAcs }),
    dev('02:01.0', { bus: 4, type: 'downstream-port', acs: opts.downstreamAcs }),
    dev('03:00.0', { classCode: '0300' }),
    dev('03:00.1', { classCode: '0403' }),
    dev('04:00.0'),
  ]);
}

describe('PCIe switch', () => {
  it('without ACS on the downstream ports: each port pulls its own subtree into its group (spec §6.6)', () => {
    const g = deriveGroups(switchHost({ rootAcs: 'enabled' }), tables);
    expect(partition(g.groups)).toEqual([
      ['00:00.0'],
      ['00:01.0'],
      ['01:00.0'],
      ['02:00.0', '03:00.0', '03:00.1'],
      ['02:01.0', '04:00.0'],
    ]);
    expect(placementOf(g, '04:00.0')).toBe('behind non-ACS switch downstream port 0000:02:01.0 (no ACS capability)');
    expect(g.confidence).toBe('certain');
    expect(g.source).toBe('derived');
  });

  it('with ACS on every port: every endpoint function alone (single-function) or per slot', () => {
    const g = deriveGroups(switchHost({ rootAcs: 'enabled', downstreamAcs: 'enabled' }), tables);
    expect(partition(g.groups)).toEqual([
      ['00:00.0'],
      ['00:01.0'],
      ['01:00.0'],
      ['02:00.0'],
      ['02:01.0'],
      // GPU and its audio function: multifunction without ACS share.
      ['03:00.0', '03:00.1'],
      ['04:00.0'],
    ]);
    expect(placementOf(g, '03:00.1')).toMatch(/^multifunction sibling of 0000:03:00.0/);
  });

  it('without ACS on the root port: the whole switch joins the root port group', () => {
    const g = deriveGroups(switchHost({ downstreamAcs: 'enabled' }), tables);
    expect(partition(g.groups)).toEqual([
      ['00:00.0'],
      ['00:01.0', '01:00.0', '02:00.0', '02:01.0', '03:00.0', '03:00.1', '04:00.0'],
    ]);
    expect(placementOf(g, '01:00.0')).toBe('behind non-ACS root port 0000:00:01.0 (no ACS capability)');
    expect(placementOf(g, '04:00.0')).toBe(
      'behind switch downstream port 0000:02:01.0, whose path is not ACS-isolated at root port 0000:00:01.0 (no ACS capability)',
    );
  });

  it('ACS capability with controls off is not isolation when the dump shows the IOMMU was on', () => {
    const h = switchHost({ rootAcs: 'enabled' });
    h.devices = h.devices.map((d) => (d.bdf === '0000:00:01.0' ? { ...d, acsCtl: { ...d.acsCtl!, rr: false } } : d));
    const printed = deriveGroups(h, tables, { acsControls: 'as-printed' });
    expect(partition(printed.groups)).toHaveLength(2);
    expect(placementOf(printed, '01:00.0')).toBe('behind non-ACS root port 0000:00:01.0 (ACSCtl lacks ReqRedir)');
    // With the IOMMU off at dump time the kernel would enable what ACSCap offers (spec §6.4).
    const enabled = deriveGroups(h, tables, { acsControls: 'kernel-enabled' });
    expect(partition(enabled.groups)).toHaveLength(5);
  });
});

describe('PCIe-to-PCI bridge with conventional PCI behind it', () => {
  it('every device behind the bridge aliases to it and shares its group (spec §6.5)', () => {
    const g = deriveGroups(
      host([
        dev('00:1c.0', { bus: [1, 2], acs: 'enabled' }),
        dev('01:00.0', { bus: 2, type: 'pcie-to-pci-bridge' }),
        dev('02:00.0', { conventional: true }),
        dev('02:01.0', { conventional: true }),
        dev('00:1f.0', { classCode: '0601', type: 'rc-integrated-endpoint' }),
      ]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:1c.0'], ['00:1f.0'], ['01:00.0', '02:00.0', '02:01.0']]);
    expect(placementOf(g, '02:01.0')).toBe('DMA alias of PCIe-to-PCI bridge 0000:01:00.0');
  });

  it('a bridge that hides its PCIe capability (ASMedia ASM1083) aliases the same way, by quirk', () => {
    const g = deriveGroups(
      host([
        dev('00:1c.0', { bus: [1, 2], acs: 'enabled' }),
        dev('01:00.0', { bus: 2, id: '1b21:1080', conventional: true }),
        dev('02:00.0', { conventional: true }),
      ]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:1c.0'], ['01:00.0', '02:00.0']]);
    expect(placementOf(g, '02:00.0')).toBe(
      'DMA alias of conventional PCI bridge 0000:01:00.0 (quirk_use_pcie_bridge_dma_alias)',
    );
  });

  it('a conventional PCI bridge on the root bus (82801 PCI bridge) takes its devices into its group', () => {
    const g = deriveGroups(
      host([dev('00:1e.0', { bus: 5, id: '8086:244e', conventional: true }), dev('05:00.0', { conventional: true }), dev('05:02.0', { conventional: true })]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:1e.0', '05:00.0', '05:02.0']]);
  });
});

describe('multifunction devices', () => {
  it('functions without ACS share one group', () => {
    const g = deriveGroups(
      host([dev('00:01.0', { bus: 1, acs: 'enabled' }), dev('01:00.0'), dev('01:00.1'), dev('01:00.2')]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:01.0'], ['01:00.0', '01:00.1', '01:00.2']]);
  });

  it('functions with ACS enabled are split', () => {
    const g = deriveGroups(
      host([dev('00:01.0', { bus: 1, acs: 'enabled' }), dev('01:00.0', { acs: 'enabled' }), dev('01:00.1', { acs: 'enabled' })]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:01.0'], ['01:00.0'], ['01:00.1']]);
    expect(placementOf(g, '01:00.1')).toMatch(/multifunction, isolated: ACS enabled \(ACSCtl\)/);
  });

  it('an Intel NIC in pci_quirk_mf_endpoint_acs is split without an ACS capability', () => {
    const g = deriveGroups(
      host([dev('00:01.0', { bus: 1, acs: 'enabled' }), dev('01:00.0', { id: '8086:1521' }), dev('01:00.1', { id: '8086:1521' })]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:01.0'], ['01:00.0'], ['01:00.1']]);
    expect(placementOf(g, '01:00.1')).toMatch(/ACS quirk pci_quirk_mf_endpoint_acs/);
  });

  it('the order of functions matters as in the kernel: an isolated middle function stays alone', () => {
    const g = deriveGroups(
      host([dev('00:02.0', { bus: 1, acs: 'enabled' }), dev('01:00.0'), dev('01:00.1', { acs: 'enabled' }), dev('01:00.2')]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:02.0'], ['01:00.0', '01:00.2'], ['01:00.1']]);
  });
});

describe('root-complex integrated endpoints', () => {
  it('a single-function RCiEP is alone; a multifunction non-Intel RCiEP without ACS is one group', () => {
    const g = deriveGroups(
      host([
        dev('00:02.0', { id: '1002:1636', type: 'rc-integrated-endpoint', classCode: '0300' }),
        dev('00:14.0', { id: '1022:790b', type: 'rc-integrated-endpoint' }),
        dev('00:14.3', { id: '1022:790e', type: 'rc-integrated-endpoint' }),
      ]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:02.0'], ['00:14.0', '00:14.3']]);
    expect(placementOf(g, '00:02.0')).toBe('root bus device, own group');
  });

  it('Intel multifunction RCiEPs are split by pci_quirk_rciep_acs', () => {
    const g = deriveGroups(
      host([
        dev('00:16.0', { id: '8086:a2ba', type: 'rc-integrated-endpoint' }),
        dev('00:16.3', { id: '8086:a2bd', type: 'rc-integrated-endpoint' }),
      ]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:16.0'], ['00:16.3']]);
    expect(placementOf(g, '00:16.3')).toMatch(/ACS quirk pci_quirk_rciep_acs/);
  });

  it('Intel PCH functions that are not RCiEPs (no Express capability) share', () => {
    const g = deriveGroups(
      host([dev('00:1f.0', { id: '8086:a2c6', conventional: true, classCode: '0601' }), dev('00:1f.3', { id: '8086:a2f0', conventional: true }), dev('00:1f.4', { id: '8086:a2a3', conventional: true })]),
      tables,
    );
    expect(partition(g.groups)).toEqual([['00:1f.0', '00:1f.3', '00:1f.4']]);
  });
});

/** Two PCH root ports as functions of slot 1c, no ACS capability, an endpoint behind each. */
function pchHost(ids: [string, string]) {
  return host([
    dev('00:1c.0', { id: ids[0], bus: 2 }),
    dev('00:1c.4', { id: ids[1], bus: 3 }),
    dev('02:00.0'),
    dev('03:00.0'),
  ]);
}

describe('quirked root ports', () => {
  it('Intel PCH root ports in pci_quirk_intel_pch_acs are isolated without an ACS capability', () => {
    const g = deriveGroups(pchHost(['8086:1c10', '8086:1c18']), tables);
    expect(partition(g.groups)).toEqual([['00:1c.0'], ['00:1c.4'], ['02:00.0'], ['03:00.0']]);
    expect(placementOf(g, '02:00.0')).toBe(
      'own group: ACS path isolated from root port 0000:00:1c.0 to the root bus (ACS quirk pci_quirk_intel_pch_acs)',
    );
  });

  it('the same ports without the quirk merge: multifunction root ports without ACS and all below', () => {
    const g = deriveGroups(pchHost(['8086:9999', '8086:999a']), tables);
    expect(partition(g.groups)).toEqual([['00:1c.0', '00:1c.4', '02:00.0', '03:00.0']]);
    expect(placementOf(g, '00:1c.4')).toMatch(/^multifunction sibling of 0000:00:1c.0, neither ACS-isolated \(no ACS capability\)/);
  });

  it('Intel Sunrise Point ports with an ACS capability are isolated whatever ACSCtl shows (spec §7.1)', () => {
    const h = host([
      dev('00:1b.0', { id: '8086:a2e7', bus: 2, acs: 'disabled' }),
      dev('00:1b.4', { id: '8086:a2eb', bus: 3, acs: 'disabled' }),
      dev('02:00.0'),
      dev('03:00.0'),
    ]);
    const g = deriveGroups(h, tables, { acsControls: 'as-printed' });
    expect(partition(g.groups)).toEqual([['00:1b.0'], ['00:1b.4'], ['02:00.0'], ['03:00.0']]);
    expect(placementOf(g, '00:1b.4')).toMatch(/ACS quirk pci_quirk_intel_spt_pch_acs/);
  });

  it('Zhaoxin ports outside the listed range answer "not isolated" even with ACS enabled', () => {
    const g = deriveGroups(host([dev('00:01.0', { id: '1d17:0999', bus: 1, acs: 'enabled' }), dev('01:00.0')]), tables);
    expect(partition(g.groups)).toEqual([['00:01.0', '01:00.0']]);
    expect(placementOf(g, '01:00.0')).toMatch(/pci_quirk_zhaoxin_pcie_ports_acs \(not isolated\)/);
  });

  it('AMD SB functions are isolated by pci_quirk_amd_sb_acs only with an AMD IOMMU (IVRS)', () => {
    const sb = [
      dev('00:14.0', { id: '1002:4385', conventional: true }),
      dev('00:14.2', { id: '1002:4383', conventional: true }),
    ];
    expect(partition(deriveGroups(host(sb), tables).groups)).toEqual([['00:14.0', '00:14.2']]);
    const withIommu = host([dev('00:00.2', { id: '1002:5a23', classCode: '0806', conventional: true }), ...sb]);
    expect(partition(deriveGroups(withIommu, tables).groups)).toEqual([['00:00.2'], ['00:14.0'], ['00:14.2']]);
  });
});

describe('DMA alias quirks', () => {
  it('a Ricoh function aliasing function 0 joins its group despite ACS (quirk_dma_func0_alias)', () => {
    const h = host([
      dev('00:1c.0', { bus: 7, acs: 'enabled' }),
      dev('07:00.0', { id: '1180:e832', acs: 'enabled' }),
      dev('07:00.3', { id: '1180:e832', acs: 'enabled' }),
    ]);
    const g = deriveGroups(h, tables);
    expect(partition(g.groups)).toEqual([['00:1c.0'], ['07:00.0', '07:00.3']]);
    expect(placementOf(g, '07:00.3')).toBe('DMA alias (quirk_dma_func0_alias) of 0000:07:00.0');
  });

  it('a Marvell SATA controller aliasing a ghost function 1 does not pull in other devices', () => {
    const h = host([dev('00:1c.0', { bus: 3, acs: 'enabled' }), dev('03:00.0', { id: '1b4b:9230' })]);
    expect(partition(deriveGroups(h, tables).groups)).toEqual([['00:1c.0'], ['03:00.0']]);
  });

  it('a PLX NTB aliasing every devfn of its bus takes all devices of that bus', () => {
    const h = host([
      dev('00:03.0', { bus: 8, acs: 'enabled' }),
      dev('08:00.0', { id: '10b5:87b0', classCode: '0680' }),
      dev('08:01.0'),
    ]);
    const g = deriveGroups(h, tables);
    expect(partition(g.groups)).toEqual([['00:03.0'], ['08:00.0', '08:01.0']]);
  });
});

describe('pcie_acs_override (spec §6.7)', () => {
  it('downstream isolates root ports without an ACS capability', () => {
    const g = deriveGroups(pchHost(['8086:9999', '8086:999a']), tables, { acsOverride: parseAcsOverride('downstream') });
    expect(partition(g.groups)).toEqual([['00:1c.0'], ['00:1c.4'], ['02:00.0'], ['03:00.0']]);
    expect(g.reason).toBe('pcie_acs_override=downstream simulated');
  });

  it('multifunction splits endpoint functions; a device with an ACS capability keeps its own answer', () => {
    const h = host([
      dev('00:01.0', { bus: 1, acs: 'enabled' }),
      dev('01:00.0'),
      dev('01:00.1'),
      dev('00:02.0', { bus: 2, acs: 'enabled' }),
      dev('02:00.0', { acs: 'disabled' }),
      dev('02:00.1', { acs: 'disabled' }),
    ]);
    const g = deriveGroups(h, tables, { acsOverride: parseAcsOverride('multifunction'), acsControls: 'as-printed' });
    expect(partition(g.groups)).toEqual([['00:01.0'], ['00:02.0'], ['01:00.0'], ['01:00.1'], ['02:00.0', '02:00.1']]);
  });

  it('id: isolates the listed device only', () => {
    const g = deriveGroups(pchHost(['8086:9999', '8086:999a']), tables, { acsOverride: parseAcsOverride('id:8086:9999') });
    // 1c.0 is isolated; 1c.4 is not, but its only non-isolated sibling is gone, so it is alone too.
    expect(partition(g.groups)).toEqual([['00:1c.0'], ['00:1c.4', '03:00.0'], ['02:00.0']]);
  });
});

describe('confidence', () => {
  it('unreadable capabilities: derived with no ACS assumed, marked low with the reason', () => {
    const h = host([
      dev('00:01.0', { bus: 1, unreadable: true }),
      dev('00:01.1', { bus: 2, unreadable: true }),
      dev('01:00.0', { unreadable: true }),
      dev('02:00.0', { unreadable: true }),
    ]);
    const g = deriveGroups(h, tables);
    expect(g.confidence).toBe('low');
    expect(g.reason).toMatch(/^capabilities unreadable \(<access denied>\)/);
    expect(partition(g.groups)).toEqual([['00:01.0', '00:01.1', '01:00.0', '02:00.0']]);
  });

  it('a switch port with no bridge above it in the dump is a partial dump: low confidence', () => {
    const g = deriveGroups(host([dev('05:00.0', { bus: 6, type: 'downstream-port', acs: 'enabled' }), dev('06:00.0')]), tables);
    expect(g.confidence).toBe('low');
    expect(g.reason).toMatch(/no bridge above bus 0000:05/);
  });
});
