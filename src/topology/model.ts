// IOMMU groups of one host: taken from the dump's `IOMMU group:` lines, or derived the way
// pci_device_group() does (spec §6.6). Group numbers are not comparable across sources
// (ida_alloc order, spec §6): compare partitions, key groups by their device addresses.

export interface IommuGroup {
  /** The dump's group number as a string (`"13"`), or `d1`, `d2`... for derived groups. */
  id: string;
  /** Device addresses (`dddd:bb:dd.f`), sorted. */
  devices: string[];
  /** For derived groups: per device address, the kernel rule that placed it there. */
  placement?: Record<string, string>;
}

export type GroupSource = 'dump' | 'derived' | 'none';

export interface HostGroups {
  /** `dump`: from `IOMMU group:` lines / a listing; `derived`: computed; `none`: could not be had. */
  source: GroupSource;
  /** `certain` for dump groups and derivations from readable capabilities; `low` otherwise. */
  confidence: 'certain' | 'low';
  /** Why confidence is low or why there are no groups; null when certain. */
  reason: string | null;
  groups: IommuGroup[];
}
