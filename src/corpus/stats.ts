// Per-host counts `corpus stats` reports, in the manifest's terms: devices with an
// `IOMMU group` (devicesWithGroup), devices with an ACSCap line, devices on vfio-pci, and the
// drivers in use on bridges (header type 1 or 2).

import type { CorpusItem, Host } from './model.js';

export interface HostStats {
  /** Base name of the input. */
  file: string;
  id: string;
  devices: number;
  devicesWithGroup: number;
  /** Distinct IOMMU groups. */
  groups: number;
  /** Devices with an `ACSCap:` line. */
  devicesWithAcs: number;
  vfioBound: number;
  /** Distinct drivers in use on bridges (PCI-to-PCI and CardBus), sorted. */
  bridgeDrivers: string[];
  capabilitiesReadable: boolean;
  groupsPresent: boolean;
  forms: string[];
  /** Diagnostics raised while reading the host. */
  diagnostics: number;
}

export interface CorpusTotals {
  hosts: number;
  devices: number;
  devicesWithGroup: number;
  groups: number;
  devicesWithAcs: number;
  vfioBound: number;
  bridgeDrivers: string[];
  diagnostics: number;
  skipped: number;
  /** Skipped inputs by reason. */
  skippedByReason: Record<string, number>;
}

export function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

export function hostStats(host: Host): HostStats {
  const groups = new Set<number>();
  const bridgeDrivers = new Set<string>();
  let withGroup = 0;
  let withAcs = 0;
  let vfio = 0;
  for (const d of host.devices) {
    if (d.iommuGroup !== null) {
      withGroup++;
      groups.add(d.iommuGroup);
    }
    if (d.acsCap !== null) withAcs++;
    if (d.driver === 'vfio-pci') vfio++;
    if (d.driver !== null && (d.headerType === 'bridge' || d.headerType === 'cardbus')) bridgeDrivers.add(d.driver);
  }
  return {
    file: baseName(host.file),
    id: host.id,
    devices: host.devices.length,
    devicesWithGroup: withGroup,
    groups: groups.size,
    devicesWithAcs: withAcs,
    vfioBound: vfio,
    bridgeDrivers: [...bridgeDrivers].sort(),
    capabilitiesReadable: host.capabilitiesReadable,
    groupsPresent: host.groupsPresent,
    forms: host.forms,
    diagnostics: host.diagnostics.length,
  };
}

/** Running totals: add hosts and skipped items one at a time (nothing per host is kept). */
export class StatsTotals {
  private readonly drivers = new Set<string>();
  readonly totals: CorpusTotals = {
    hosts: 0,
    devices: 0,
    devicesWithGroup: 0,
    groups: 0,
    devicesWithAcs: 0,
    vfioBound: 0,
    bridgeDrivers: [],
    diagnostics: 0,
    skipped: 0,
    skippedByReason: {},
  };

  add(item: CorpusItem, stats?: HostStats): void {
    const t = this.totals;
    if (item.kind === 'skipped') {
      t.skipped++;
      t.skippedByReason[item.reason] = (t.skippedByReason[item.reason] ?? 0) + 1;
      t.diagnostics += item.diagnostics.length;
      return;
    }
    const s = stats ?? hostStats(item.host);
    t.hosts++;
    t.devices += s.devices;
    t.devicesWithGroup += s.devicesWithGroup;
    t.groups += s.groups;
    t.devicesWithAcs += s.devicesWithAcs;
    t.vfioBound += s.vfioBound;
    t.diagnostics += s.diagnostics;
    for (const d of s.bridgeDrivers) this.drivers.add(d);
    t.bridgeDrivers = [...this.drivers].sort();
  }
}
