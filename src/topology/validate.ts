// Proof for the derivation: on a host whose dump carries `IOMMU group:` lines, derive groups as
// if those lines were absent and compare the two partitions (group numbers are not comparable,
// spec §6: ida_alloc order), device by device.

import type { Host } from '../corpus/model.js';
import type { IommuGroup } from './model.js';
import type { QuirkTables } from './quirks.js';
import { deriveGroups, type DeriveOptions } from './derive.js';
import { dumpGroups } from './groups.js';

export type ValidationResult = 'match' | 'mismatch' | 'insufficient';

/** One connected piece of the two partitions that is not the same group on both sides. */
export interface GroupDifference {
  /** Every device in this piece. */
  devices: string[];
  /** The dump's groups here, by their numbers. */
  dump: IommuGroup[];
  /** The derived groups here, with the rule that placed each device. */
  derived: IommuGroup[];
}

export interface HostValidation {
  file: string;
  host: string;
  result: ValidationResult;
  /** Why `insufficient`; notes otherwise (devices left out of the comparison). */
  reason: string | null;
  differences: GroupDifference[];
  /** Groups compared: the dump's and the derived ones (over the same devices). */
  dumpGroupCount: number;
  derivedGroupCount: number;
}

/**
 * Derive with the dump's ACS controls as printed (the dump was taken with the IOMMU on, so the
 * kernel had enabled what it would) and compare with the dump's groups. `insufficient` when
 * there is nothing to compare or capabilities are unreadable (differences still listed).
 */
export function validateHost(host: Host, tables: QuirkTables, options: DeriveOptions = {}): HostValidation {
  const base = { file: host.file, host: host.id };
  if (!host.groupsPresent) {
    return { ...base, result: 'insufficient', reason: 'no IOMMU group lines to compare with', differences: [], dumpGroupCount: 0, derivedGroupCount: 0 };
  }
  const { groups: fromDump, ungrouped } = dumpGroups(host);
  const blind: Host = { ...host, groupsPresent: false, devices: host.devices.map((d) => ({ ...d, iommuGroup: null })) };
  const derived = deriveGroups(blind, tables, { acsControls: 'as-printed', ...options });

  // Compare over the devices the dump grouped; a device without a group line has nothing to match.
  const dumpOf = new Map<string, IommuGroup>();
  for (const g of fromDump) for (const d of g.devices) dumpOf.set(d, g);
  const derivedOf = new Map<string, IommuGroup>();
  for (const g of derived.groups) for (const d of g.devices) if (dumpOf.has(d)) derivedOf.set(d, g);

  // Union-find over devices joined by sharing a group on either side.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    for (let c = x; parent.get(c) !== r; ) {
      const next = parent.get(c)!;
      parent.set(c, r);
      c = next;
    }
    return r;
  };
  const union = (a: string, b: string): void => {
    parent.set(find(a), find(b));
  };
  for (const d of dumpOf.keys()) parent.set(d, d);
  for (const g of fromDump) for (const d of g.devices.slice(1)) union(d, g.devices[0]!);
  for (const g of derived.groups) {
    const inside = g.devices.filter((d) => dumpOf.has(d));
    for (const d of inside.slice(1)) union(d, inside[0]!);
  }
  const pieces = new Map<string, string[]>();
  for (const d of dumpOf.keys()) {
    const r = find(d);
    const list = pieces.get(r);
    if (list) list.push(d);
    else pieces.set(r, [d]);
  }

  const differences: GroupDifference[] = [];
  for (const devices of pieces.values()) {
    const dumpHere = [...new Set(devices.map((d) => dumpOf.get(d)!))];
    const derivedHere = [...new Set(devices.map((d) => derivedOf.get(d)).filter((g): g is IommuGroup => g !== undefined))];
    if (dumpHere.length === 1 && derivedHere.length === 1) continue;
    differences.push({
      devices: devices.sort(),
      dump: dumpHere,
      derived: derivedHere.map((g) => {
        const inside = g.devices.filter((d) => dumpOf.has(d));
        const placement: Record<string, string> = {};
        for (const d of inside) placement[d] = g.placement?.[d] ?? '';
        return { id: g.id, devices: inside, placement };
      }),
    });
  }
  differences.sort((a, b) => (a.devices[0]! < b.devices[0]! ? -1 : 1));

  const notes: string[] = [];
  if (ungrouped.length > 0) notes.push(`not compared (no IOMMU group line): ${ungrouped.join(', ')}`);
  const derivedCount = new Set(derivedOf.values()).size;
  // Host.capabilitiesReadable is true as soon as one device was readable; a non-root dump still
  // shows devices without a capability list (Cap-), so check every device.
  const unreadable = host.devices.filter((d) => !d.capabilitiesReadable).length;
  if (!host.capabilitiesReadable || unreadable > 0) {
    return {
      ...base,
      result: 'insufficient',
      reason: [`capabilities unreadable (<access denied>) for ${unreadable} of ${host.devices.length} devices: ACS cannot be seen`, ...notes].join('; '),
      differences,
      dumpGroupCount: fromDump.length,
      derivedGroupCount: derivedCount,
    };
  }
  return {
    ...base,
    result: differences.length === 0 ? 'match' : 'mismatch',
    reason: notes.length > 0 ? notes.join('; ') : null,
    differences,
    dumpGroupCount: fromDump.length,
    derivedGroupCount: derivedCount,
  };
}
