// One device as an lspci block or a listing line showed it, before the host is assembled.
// Mutable while its lines are read; merge.ts turns it into a model Device.

import type { AcsBits, HeaderType, PcieType } from './model.js';
import type { DeviceLine } from './device-line.js';

export interface Block {
  header: DeviceLine;
  /** 1-based line of the header line. */
  line: number;
  /** 1-based line of the last line read into the block. */
  lastLine: number;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  /** A line only `-v` and above print was seen (Control:, Flags:, Capabilities:, Bus:...). */
  verbose: boolean;
  /** `Kernel driver in use:` / `Driver in use:` value, when seen. */
  driver: string | null;
  driverLineSeen: boolean;
  modules: string[];
  modulesLineSeen: boolean;
  iommuGroup: number | null;
  busLine: boolean;
  behindBridgeLines: boolean;
  windowLines: boolean;
  primaryBus: number | null;
  secondaryBus: number | null;
  subordinateBus: number | null;
  accessDenied: boolean;
  /** Any `Capabilities: [..]` line (readable capability list). */
  capabilityLines: boolean;
  pcieType: PcieType | null;
  hasAcs: boolean;
  acsCap: AcsBits | null;
  acsCtl: AcsBits | null;
  /** Header type stated by a vfio-impact snapshot (`Header type:` line, read from sysfs config). */
  sysfsHeaderType: HeaderType | null;
  /** The last line read was a kernel line (they close a verbose block, spec §8.2). */
  endsWithKernelLine: boolean;
  /** The last line read was the `Kernel driver in use:` line itself (its name may be cut at EOF). */
  endsWithDriverLine: boolean;
  /** The block ended without its closing lines (end of file or a new header mid-block). */
  truncated: boolean;
}

export function newBlock(header: DeviceLine, line: number): Block {
  return {
    header,
    line,
    lastLine: line,
    subsystemVendorId: null,
    subsystemDeviceId: null,
    verbose: false,
    driver: null,
    driverLineSeen: false,
    modules: [],
    modulesLineSeen: false,
    iommuGroup: null,
    busLine: false,
    behindBridgeLines: false,
    windowLines: false,
    primaryBus: null,
    secondaryBus: null,
    subordinateBus: null,
    accessDenied: false,
    capabilityLines: false,
    pcieType: null,
    hasAcs: false,
    acsCap: null,
    acsCtl: null,
    sysfsHeaderType: null,
    endsWithKernelLine: false,
    endsWithDriverLine: false,
    truncated: false,
  };
}

/** A device named by an IOMMU-group listing line. */
export interface ListedDevice {
  header: DeviceLine;
  group: number;
  line: number;
  form: string;
}
