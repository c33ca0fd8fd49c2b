// One host from what a file showed: lspci blocks (drivers, capabilities, bridge lines) and
// listing lines (groups). Groups come from the listing; everything else from lspci.

import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Block, ListedDevice } from './block.js';
import { formatBdf, type Device, type HeaderType, type HeaderTypeEvidence } from './model.js';
import { headerTypeFromClass } from './lspci-short.js';

export interface MergeInput {
  file: string;
  blocks: Block[];
  listed: ListedDevice[];
  /** The lspci output shows kernel lines (-k or -v), so a block without one has no driver. */
  kernelLinesShown: boolean;
}

/** Header type from the bridge lines a verbose block printed (spec §8.4, §8.7). */
function headerType(b: Block, classCode: string | null, className: string | null): [HeaderType | null, HeaderTypeEvidence] {
  if (b.sysfsHeaderType) return [b.sysfsHeaderType, 'sysfs'];
  if (b.busLine) {
    if (b.behindBridgeLines) return ['bridge', 'bus-line'];
    if (b.windowLines) return ['cardbus', 'cardbus-windows'];
    // A Bus line alone (block cut short): the class decides between type 1 and 2.
    if (classCode === '0607') return ['cardbus', 'class-0607'];
    return ['bridge', 'bus-line'];
  }
  return headerTypeFromClass(classCode, className, b.verbose);
}

export function blockToDevice(b: Block, kernelLinesShown: boolean): Device {
  const h = b.header;
  const [ht, evidence] = headerType(b, h.classCode, h.className);
  const readable = b.verbose && !b.accessDenied;
  // In a verbose block lspci prints the kernel lines last: if they are absent the device has
  // no driver, unless the block was cut before them.
  const driverKnown = b.driverLineSeen || ((b.verbose || kernelLinesShown) && !b.truncated);
  return {
    domain: h.domain,
    bus: h.bus,
    device: h.device,
    function: h.function,
    bdf: formatBdf(h.domain, h.bus, h.device, h.function),
    classCode: h.classCode,
    className: h.className,
    vendorId: h.vendorId,
    deviceId: h.deviceId,
    subsystemVendorId: b.subsystemVendorId,
    subsystemDeviceId: b.subsystemDeviceId,
    description: h.description,
    headerType: ht,
    headerTypeEvidence: evidence,
    pcieType: readable ? b.pcieType : null,
    isPcie: readable ? b.pcieType !== null : null,
    hasAcs: b.hasAcs,
    acsCap: b.acsCap,
    acsCtl: b.acsCtl,
    driver: driverKnown ? b.driver : null,
    driverKnown,
    modules: b.modules,
    iommuGroup: b.iommuGroup,
    primaryBus: b.primaryBus,
    secondaryBus: b.secondaryBus,
    subordinateBus: b.subordinateBus,
    multifunction: false,
    capabilitiesReadable: readable,
    line: b.line,
  };
}

function listedToDevice(l: ListedDevice): Device {
  const h = l.header;
  const [ht, evidence] = headerTypeFromClass(h.classCode, h.className, false);
  return {
    domain: h.domain,
    bus: h.bus,
    device: h.device,
    function: h.function,
    bdf: formatBdf(h.domain, h.bus, h.device, h.function),
    classCode: h.classCode,
    className: h.className,
    vendorId: h.vendorId,
    deviceId: h.deviceId,
    subsystemVendorId: null,
    subsystemDeviceId: null,
    description: h.description,
    headerType: ht,
    headerTypeEvidence: evidence,
    pcieType: null,
    isPcie: null,
    hasAcs: false,
    acsCap: null,
    acsCtl: null,
    driver: null,
    // The listing names the device but says nothing of its binding.
    driverKnown: false,
    modules: [],
    iommuGroup: l.group,
    primaryBus: null,
    secondaryBus: null,
    subordinateBus: null,
    multifunction: false,
    capabilitiesReadable: false,
    line: l.line,
  };
}

/**
 * A number standing for the address, one to one over what parseAddress yields (domain below
 * 2^32, bus below 256, slot below 32, function below 8): cheaper Map keys than bdf strings,
 * which would have to be flattened and hashed.
 */
function addressKey(d: { domain: number; bus: number; device: number; function: number }): number {
  return ((d.domain * 256 + d.bus) * 32 + d.device) * 8 + d.function;
}

function compareDevices(a: Device, b: Device): number {
  return a.domain - b.domain || a.bus - b.bus || a.device - b.device || a.function - b.function;
}

/** Devices of one host, sorted by address, with multifunction inferred from siblings (spec §6.2). */
export function mergeHost(input: MergeInput, diagnostics: Diagnostic[]): Device[] {
  const byBdf = new Map<number, Device>();
  for (const b of input.blocks) {
    const key = addressKey(b.header);
    const seen = byBdf.get(key);
    if (seen) {
      const bdf = formatBdf(b.header.domain, b.header.bus, b.header.device, b.header.function);
      diagnostics.push(
        diag(input.file, b.line, 'warning', 'duplicate-device', `device ${bdf} appears again (first at line ${seen.line}); the first block is kept`),
      );
      continue;
    }
    byBdf.set(key, blockToDevice(b, input.kernelLinesShown));
  }
  const listedGroup = new Map<number, ListedDevice>();
  for (const l of input.listed) {
    const fromListing = listedToDevice(l);
    const bdf = fromListing.bdf;
    const key = addressKey(l.header);
    const before = listedGroup.get(key);
    if (before) {
      if (before.group !== l.group) {
        diagnostics.push(
          diag(input.file, l.line, 'warning', 'group-conflict', `device ${bdf} listed in group ${l.group} and in group ${before.group} (line ${before.line}); the first is kept`),
        );
      }
      continue;
    }
    listedGroup.set(key, l);
    const d = byBdf.get(key);
    if (!d) {
      byBdf.set(key, fromListing);
      continue;
    }
    if (d.iommuGroup !== null && d.iommuGroup !== l.group) {
      diagnostics.push(
        diag(input.file, l.line, 'warning', 'group-conflict', `device ${bdf} is in group ${l.group} in the listing but lspci (line ${d.line}) says ${d.iommuGroup}; the listing is kept`),
      );
    }
    d.iommuGroup = l.group;
    // Fill what `lspci -k` without -nn leaves out from the listing's `lspci -nns` line.
    if (d.classCode === null && fromListing.classCode !== null) {
      d.classCode = fromListing.classCode;
      if (d.headerTypeEvidence === 'class-other' || d.headerTypeEvidence === 'unknown') {
        [d.headerType, d.headerTypeEvidence] = headerTypeFromClass(d.classCode, d.className, false);
      }
    }
    if (d.className === null) d.className = fromListing.className;
    if (d.vendorId === null) {
      d.vendorId = fromListing.vendorId;
      d.deviceId = fromListing.deviceId;
    }
    if (d.description === '') d.description = fromListing.description;
  }
  return sortDevices([...byBdf.values()]);
}

/** Sort by address and infer multifunction: another function on the same domain:bus:slot (spec §6.2). */
export function sortDevices(devices: Device[]): Device[] {
  devices.sort(compareDevices);
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!;
    const prev = devices[i - 1];
    const next = devices[i + 1];
    d.multifunction =
      (prev !== undefined && prev.domain === d.domain && prev.bus === d.bus && prev.device === d.device) ||
      (next !== undefined && next.domain === d.domain && next.bus === d.bus && next.device === d.device);
  }
  return devices;
}
