// The host model: what one machine's lspci dump and/or IOMMU-group listing tells us, in the
// kernel's own words. Field meanings follow ../shared/spec/kernel-semantics.md §8 (how lspci
// prints them) and §6 (what the grouping code reads).

import type { Diagnostic } from '../diagnostics/diagnostic.js';

/** Config-space header type with the multifunction bit stripped (spec §1.1, probe.c). */
export type HeaderType = 'normal' | 'bridge' | 'cardbus';

/**
 * How the header type was recognised; lspci never prints it (spec §8.7).
 * - `bus-line`: a `Bus: primary=` line with `... behind bridge` lines (type 1)
 * - `cardbus-windows`: a `Bus: primary=` line with `Memory window`/`I/O window` lines (type 2)
 * - `class-0604` / `class-0609` / `class-0607`: only the class code was available
 * - `no-bridge-lines`: a verbose block without bridge lines and not a bridge class (type 0)
 * - `class-other`: a short (non-verbose) line whose class is not a bridge class (type 0)
 * - `unknown`: nothing to go on (e.g. a raw sysfs path listing)
 */
export type HeaderTypeEvidence =
  | 'bus-line'
  | 'cardbus-windows'
  | 'class-0604'
  | 'class-0609'
  | 'class-0607'
  | 'no-bridge-lines'
  | 'class-other'
  | 'sysfs'
  | 'unknown';

/** PCIe device/port type from the `Express` capability line (spec §8.5). */
export type PcieType =
  | 'endpoint'
  | 'legacy-endpoint'
  | 'root-port'
  | 'upstream-port'
  | 'downstream-port'
  | 'pcie-to-pci-bridge'
  | 'pci-to-pcie-bridge'
  | 'rc-integrated-endpoint'
  | 'rc-event-collector'
  | 'unknown';

/** ACS capability or control bits, in lspci's order SV TB RR CR UF EC DT (spec §8.6, §6.1). */
export interface AcsBits {
  sv: boolean;
  tb: boolean;
  rr: boolean;
  cr: boolean;
  uf: boolean;
  ec: boolean;
  dt: boolean;
}

export interface Device {
  domain: number;
  bus: number;
  /** Slot (device number) 0-31. */
  device: number;
  function: number;
  /** Canonical address `dddd:bb:dd.f`, lower-case hex. */
  bdf: string;
  /** 4 hex digits, e.g. `0604`; null when the input did not show it. */
  classCode: string | null;
  /** Class name as printed (`PCI bridge`), sanitised. */
  className: string | null;
  vendorId: string | null;
  deviceId: string | null;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  /** The rest of the header line (vendor and device names), sanitised, for display. */
  description: string;
  headerType: HeaderType | null;
  headerTypeEvidence: HeaderTypeEvidence;
  /**
   * PCIe type from the Express capability. null when the device has no Express capability in a
   * readable dump (conventional PCI) or when capabilities were not readable (see `capabilitiesReadable`).
   */
  pcieType: PcieType | null;
  /** true: an Express capability was seen; false: capabilities readable and none; null: unknown. */
  isPcie: boolean | null;
  /** Whether an `Access Control Services` capability was seen (ACSCap line present). */
  hasAcs: boolean;
  acsCap: AcsBits | null;
  acsCtl: AcsBits | null;
  /**
   * Driver in use (`Kernel driver in use:`). null = the input shows the device has no driver.
   * Only meaningful when `driverKnown` is true.
   */
  driver: string | null;
  /** false when the input lists the device without showing its binding (spec: unknown, never "no driver"). */
  driverKnown: boolean;
  /** `Kernel modules:` list (module names, underscore form). */
  modules: string[];
  /** IOMMU group number from the input, or null. */
  iommuGroup: number | null;
  primaryBus: number | null;
  secondaryBus: number | null;
  subordinateBus: number | null;
  /** Inferred: another function exists on the same domain:bus:slot (spec §6.2). */
  multifunction: boolean;
  /** Whether this device's config-space capabilities were readable (`<access denied>` => false). */
  capabilitiesReadable: boolean;
  /** 1-based line of the device's header line (or listing line) in the source file. */
  line: number;
}

/** Where a host came from and what a manifest said about it (vendor, model, kernel, source...). */
export interface HostMetadata {
  [key: string]: string;
}

export interface Host {
  /** Stable host id: manifest id when given, else the file base name without extension. */
  id: string;
  /** Path of the source file as given on the command line (or `<stdin>`). */
  file: string;
  metadata: HostMetadata;
  /** Kernel version when the input says (snapshot header or manifest). */
  kernel: string | null;
  /** Kernel command line when the input says (snapshot header, pasted /proc/cmdline). */
  cmdline: string | null;
  devices: Device[];
  /** false when every device's capabilities read `<access denied>` or the input is not a verbose dump. */
  capabilitiesReadable: boolean;
  /** true when IOMMU group numbers were present for at least one device. */
  groupsPresent: boolean;
  /** What forms of input the host was built from, e.g. `lspci-verbose`, `listing-arch-wiki`. */
  forms: string[];
  diagnostics: Diagnostic[];
}

/** What reading one input file produced: hosts, or a reason it was skipped. */
export type CorpusItem =
  | { kind: 'host'; host: Host }
  | { kind: 'skipped'; file: string; reason: string; diagnostics: Diagnostic[] };

export function formatBdf(domain: number, bus: number, device: number, fn: number): string {
  // Table lookups for the usual values: toString(16) + padStart four times cost more than the
  // rest of a device's merge. Anything outside the tables takes the general form.
  const d = domain === 0 ? '0000' : domain.toString(16).padStart(4, '0');
  const b = HEX2[bus] ?? bus.toString(16).padStart(2, '0');
  const s = HEX2[device] ?? device.toString(16).padStart(2, '0');
  const f = HEX1[fn] ?? fn.toString(16);
  return `${d}:${b}:${s}.${f}`;
}

/** `HEX2[n]`: n in two lower-case hex digits (0-255); `HEX1[n]`: n in one (0-15). */
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX1 = Array.from({ length: 16 }, (_, i) => i.toString(16));
