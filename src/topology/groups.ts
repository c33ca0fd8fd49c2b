// The groups a host's verdicts are judged on: the dump's own `IOMMU group:` lines when it has
// them (what the kernel really did), derived groups otherwise (spec §6.6), always saying which.

import type { Host } from '../corpus/model.js';
import type { HostGroups, IommuGroup } from './model.js';
import type { QuirkTables } from './quirks.js';
import { deriveGroups, type DeriveOptions } from './derive.js';

/** Partition of the dump's devices by their `IOMMU group:` number, groups in numeric order. */
export function dumpGroups(host: Host): { groups: IommuGroup[]; ungrouped: string[] } {
  const byNumber = new Map<number, string[]>();
  const ungrouped: string[] = [];
  for (const d of host.devices) {
    if (d.iommuGroup === null) {
      ungrouped.push(d.bdf);
      continue;
    }
    const list = byNumber.get(d.iommuGroup);
    if (list) list.push(d.bdf);
    else byNumber.set(d.iommuGroup, [d.bdf]);
  }
  // Group numbers most often come in ascending order already: sort only when they do not.
  const numbers = [...byNumber.keys()];
  let ascending = true;
  for (let i = 1; i < numbers.length && ascending; i++) if (!(numbers[i - 1]! < numbers[i]!)) ascending = false;
  if (!ascending) numbers.sort((a, b) => a - b);
  const groups = numbers.map((n) => ({ id: String(n), devices: sortedUnique(byNumber.get(n)!) }));
  return { groups, ungrouped: [...new Set(ungrouped)].sort() };
}

/**
 * `[...new Set(list)].sort()` without the Set: sorting brings repeats (a device listed twice)
 * together, so dropping a string equal to the one before it leaves each once. Dumps list a
 * group's devices in address order, so the sort is most often skipped.
 */
function sortedUnique(list: string[]): string[] {
  let ordered = true;
  for (let i = 1; i < list.length && ordered; i++) if (list[i - 1]! > list[i]!) ordered = false;
  if (!ordered) list.sort();
  let n = 1;
  for (let i = 1; i < list.length; i++) if (list[i] !== list[n - 1]) list[n++] = list[i]!;
  if (list.length > n) list.length = n;
  return list;
}

export function groupsForHost(host: Host, tables: QuirkTables, options: DeriveOptions = {}): HostGroups {
  if (host.devices.length === 0) {
    return { source: 'none', confidence: 'low', reason: 'no PCI devices in the input', groups: [] };
  }
  if (host.groupsPresent) {
    const { groups, ungrouped } = dumpGroups(host);
    // The kernel's own groups are certain; a device without a group line (e.g. an iGPU left out
    // by intel_iommu=igfx_off) has no group and cannot be assigned: say so.
    const reason =
      ungrouped.length > 0
        ? `${ungrouped.length} device${ungrouped.length === 1 ? '' : 's'} without an IOMMU group line: ${ungrouped.join(', ')}`
        : null;
    const parts = [reason, options.acsOverride ? '--acs-override ignored: the dump shows the groups the kernel made' : null];
    const text = parts.filter((p): p is string => p !== null).join('; ');
    return { source: 'dump', confidence: 'certain', reason: text === '' ? null : text, groups };
  }
  const derived = deriveGroups(host, tables, options);
  if (host.forms.includes('snapshot')) {
    // A live snapshot without groups means the IOMMU is off or absent: the kernel then places no
    // restriction at all (spec §2.1, iommu_device_use_default_domain) and VFIO cannot assign
    // anything. What we derive is what the kernel would form with the IOMMU on: never certain.
    const why = 'this machine has no IOMMU groups (IOMMU off or absent): groups derived as the kernel would form them with the IOMMU on';
    return { ...derived, confidence: 'low', reason: derived.reason ? `${why}; ${derived.reason}` : why };
  }
  return derived;
}
