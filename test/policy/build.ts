// Hand-built hosts and series for policy unit tests.
import type { Device, Host } from '../../src/corpus/model.js';
import type { FlagChange, Patch, Series } from '../../src/series/model.js';
import type { HostGroups } from '../../src/topology/model.js';

export function dev(bdf: string, opts: Partial<Device> & { driver?: string | null } = {}): Device {
  const [dom, bus, rest] = bdf.split(':');
  const [slot, fn] = rest!.split('.');
  return {
    domain: parseInt(dom!, 16),
    bus: parseInt(bus!, 16),
    device: parseInt(slot!, 16),
    function: parseInt(fn!, 16),
    bdf,
    classCode: opts.headerType === 'bridge' ? '0604' : opts.headerType === 'cardbus' ? '0607' : '0200',
    className: null,
    vendorId: '8086',
    deviceId: '1234',
    subsystemVendorId: null,
    subsystemDeviceId: null,
    description: 'test device',
    headerType: 'normal',
    headerTypeEvidence: 'bus-line',
    pcieType: null,
    isPcie: null,
    hasAcs: false,
    acsCap: null,
    acsCtl: null,
    driver: null,
    driverKnown: true,
    modules: [],
    iommuGroup: null,
    primaryBus: null,
    secondaryBus: null,
    subordinateBus: null,
    multifunction: false,
    capabilitiesReadable: true,
    line: 1,
    ...opts,
  };
}

export function host(id: string, devices: Device[]): Host {
  return {
    id,
    file: `${id}.txt`,
    metadata: { vendor: 'Acme', model: 'Board' },
    kernel: null,
    cmdline: null,
    devices,
    capabilitiesReadable: true,
    groupsPresent: true,
    forms: ['test'],
    diagnostics: [],
  };
}

export function groups(...gs: string[][]): HostGroups {
  return { source: 'dump', confidence: 'certain', reason: null, groups: gs.map((devices, i) => ({ id: String(i + 1), devices })) };
}

export function change(patchIndex: number, driver: string | null, action: 'added' | 'removed', value = true): FlagChange {
  return {
    patchIndex,
    file: 'drivers/x.c',
    struct: 'x_driver',
    structType: 'pci_driver',
    driver,
    flag: 'driver_managed_dma',
    action,
    value,
    resolvedBy: driver === null ? 'unresolved' : 'hunk',
    line: 10,
  };
}

export function patch(index: number, subject: string, changes: FlagChange[], extra: Partial<Patch> = {}): Patch {
  return {
    index,
    number: index,
    total: null,
    subject,
    source: `p${index}.patch`,
    commit: null,
    cover: false,
    files: ['drivers/x.c'],
    changes,
    ruleChanges: [],
    ...extra,
  };
}

export function series(...patches: Patch[]): Series {
  return { title: 'test series', patches, diagnostics: [] };
}
