// IOMMU-group listings in the forms people paste. Each reader names the exact text it matches.
// Group numbers are the basename of /sys/kernel/iommu_groups/N (spec §8.3).

import { parseAddress, parseDeviceLine, type DeviceLine } from './device-line.js';
import { decimal } from './lspci-verbose.js';

export type ListingForm = 'listing-arch-wiki' | 'listing-grouped' | 'listing-sysfs-find' | 'listing-sysfs-ls';

export type GroupLine =
  /** `IOMMU Group 13:` (grouped form: indented `lspci -nns` lines follow). */
  | { kind: 'header'; group: number }
  /** `IOMMU Group 13 01:00.0 VGA compatible controller [0300]: ...` (Arch-wiki loop; `group` lower-case too). */
  | { kind: 'device'; group: number; device: DeviceLine };

/** `IOMMU Group N` / `IOMMU group N`, then `:` and nothing (header) or a device line. */
export function readGroupLine(s: string, at: number): GroupLine | null {
  if (!s.startsWith('IOMMU ', at)) return null;
  const g = at + 6;
  if (!(s.startsWith('Group ', g) || s.startsWith('group ', g))) return null;
  const n = g + 6;
  const group = decimal(s, n);
  if (group === null) return null;
  let i = n;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (s.charCodeAt(i) === 58 /* : */) i++;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  if (i >= s.length) return { kind: 'header', group };
  const device = parseDeviceLine(s, i);
  return device ? { kind: 'device', group, device } : null;
}

const GROUPS_DIR = '/sys/kernel/iommu_groups/';

export type SysfsLine =
  /** `/sys/kernel/iommu_groups/13/devices/0000:01:00.0` (`find /sys/kernel/iommu_groups/ -type l`). */
  | { kind: 'device'; group: number; device: DeviceLine }
  /** `/sys/kernel/iommu_groups/13/devices/:` (the directory header of `ls -l .../*\/devices/`). */
  | { kind: 'ls-header'; group: number };

export function readSysfsLine(s: string, at: number): SysfsLine | null {
  if (!s.startsWith(GROUPS_DIR, at)) return null;
  const n = at + GROUPS_DIR.length;
  const group = decimal(s, n);
  if (group === null) return null;
  let i = n;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (!s.startsWith('/devices', i)) return null;
  i += 8;
  const rest = s.slice(i).trimEnd();
  if (rest === ':' || rest === '/:') return { kind: 'ls-header', group };
  if (s.charCodeAt(i) !== 47 /* / */) return null;
  const a = parseAddress(s, i + 1);
  if (!a) return null;
  return { kind: 'device', group, device: bareDevice(a) };
}

/**
 * One entry of `ls -l /sys/kernel/iommu_groups/13/devices/`:
 * `lrwxrwxrwx 1 root root 0 Mar  1 12:00 0000:01:00.0 -> ../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0`
 */
export function readLsEntry(s: string, at: number): DeviceLine | null {
  if (s.charCodeAt(at) !== 108 /* l */) return null;
  const arrow = s.indexOf(' -> ', at);
  if (arrow < 0) return null;
  const nameStart = s.lastIndexOf(' ', arrow - 1) + 1;
  const a = parseAddress(s.slice(nameStart, arrow), 0);
  return a ? bareDevice(a) : null;
}

function bareDevice(a: { domain: number; bus: number; device: number; function: number; end: number }): DeviceLine {
  return {
    domain: a.domain,
    bus: a.bus,
    device: a.device,
    function: a.function,
    end: a.end,
    classCode: null,
    className: null,
    vendorId: null,
    deviceId: null,
    description: '',
  };
}
