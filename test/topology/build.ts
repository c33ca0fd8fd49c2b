// Hand-built hosts for the topology rules: one device per call, in the words of an lspci dump.

import type { AcsBits, Device, Host, PcieType } from '../../src/corpus/model.js';

const ALL: AcsBits = { sv: true, tb: false, rr: true, cr: true, uf: true, ec: false, dt: false };
const NONE: AcsBits = { sv: false, tb: false, rr: false, cr: false, uf: false, ec: false, dt: false };

export interface DeviceSpec {
  /** `vvvv:dddd` */
  id?: string;
  type?: PcieType | null;
  /** Conventional PCI (no Express capability). */
  conventional?: boolean;
  /** Bridge with `secondary[-subordinate]` bus numbers, e.g. `2` or `[2, 5]`. */
  bus?: number | [number, number];
  /** `enabled`: ACSCap and ACSCtl SV/RR/CR/UF; `disabled`: ACSCap set, ACSCtl clear; omitted: no ACS capability. */
  acs?: 'enabled' | 'disabled';
  classCode?: string;
  group?: number;
  unreadable?: boolean;
  subsystem?: string;
}

export function dev(bdf: string, spec: DeviceSpec = {}): Device {
  const m = /^(?:([0-9a-f]{4}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/.exec(bdf);
  if (!m) throw new Error(`bad bdf ${bdf}`);
  const [domain, bus, device, fn] = [parseInt(m[1] ?? '0', 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16), parseInt(m[4]!, 16)];
  const [vendorId, deviceId] = (spec.id ?? '1234:0001').split(':') as [string, string];
  const [subsystemVendorId, subsystemDeviceId] = spec.subsystem ? (spec.subsystem.split(':') as [string, string]) : [null, null];
  const range = spec.bus === undefined ? null : typeof spec.bus === 'number' ? [spec.bus, spec.bus] : spec.bus;
  const readable = !spec.unreadable;
  const isPcie = !readable ? null : spec.conventional ? false : true;
  return {
    domain,
    bus,
    device,
    function: fn,
    bdf: `${m[1] ?? '0000'}:${m[2]}:${m[3]}.${m[4]}`,
    classCode: spec.classCode ?? (range ? '0604' : '0200'),
    className: null,
    vendorId,
    deviceId,
    subsystemVendorId,
    subsystemDeviceId,
    description: '',
    headerType: range ? 'bridge' : 'normal',
    headerTypeEvidence: range ? 'bus-line' : 'no-bridge-lines',
    pcieType: isPcie ? (spec.type ?? (range ? 'root-port' : 'endpoint')) : null,
    isPcie,
    hasAcs: readable && spec.acs !== undefined,
    acsCap: readable && spec.acs ? ALL : null,
    acsCtl: readable && spec.acs ? (spec.acs === 'enabled' ? ALL : NONE) : null,
    driver: null,
    driverKnown: false,
    modules: [],
    iommuGroup: spec.group ?? null,
    primaryBus: range ? bus : null,
    secondaryBus: range ? range[0] : null,
    subordinateBus: range ? range[1] : null,
    multifunction: false,
    capabilitiesReadable: readable,
    line: 1,
  };
}

/** A host from devices; multifunction is inferred as the parser does (another function in the slot). */
export function host(devices: Device[], extra: Partial<Host> = {}): Host {
  const slots = new Map<string, number>();
  for (const d of devices) {
    const key = `${d.domain}:${d.bus}:${d.device}`;
    slots.set(key, (slots.get(key) ?? 0) + 1);
  }
  const withMf = devices.map((d) => ({ ...d, multifunction: (slots.get(`${d.domain}:${d.bus}:${d.device}`) ?? 0) > 1 }));
  return {
    id: 'test-host',
    file: 'test-host.lspci.txt',
    metadata: {},
    kernel: null,
    cmdline: null,
    devices: withMf,
    capabilitiesReadable: withMf.every((d) => d.capabilitiesReadable),
    groupsPresent: withMf.some((d) => d.iommuGroup !== null),
    forms: ['lspci-verbose'],
    diagnostics: [],
    ...extra,
  };
}

/** The partition as sorted lists of short addresses (`01:00.0`), for readable assertions. */
export function partition(groups: Array<{ devices: string[] }>): string[][] {
  return groups
    .map((g) => g.devices.map((d) => d.replace(/^0000:/, '')).sort())
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}
