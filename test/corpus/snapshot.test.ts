// The live snapshot: a fake sysfs tree (real files and symlinks in a temp dir) built from a
// real dump, a machine without an IOMMU, a non-root read, and this machine itself. In every
// case parseInput(snapshot) must equal the model read straight from sysfs.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInput } from '../../src/corpus/parse.js';
import { readLiveHost, writeSnapshot } from '../../src/corpus/snapshot.js';
import type { AcsBits, Device, Host } from '../../src/corpus/model.js';
import { linuxhw, partition } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vfio-impact-sysfs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PCIE_TYPES: Record<string, number> = {
  endpoint: 0,
  'legacy-endpoint': 1,
  'root-port': 4,
  'upstream-port': 5,
  'downstream-port': 6,
  'pcie-to-pci-bridge': 7,
  'pci-to-pcie-bridge': 8,
  'rc-integrated-endpoint': 9,
  'rc-event-collector': 10,
};

function acsWord(b: AcsBits): number {
  return (+b.sv) | (+b.tb << 1) | (+b.rr << 2) | (+b.cr << 3) | (+b.uf << 4) | (+b.ec << 5) | (+b.dt << 6);
}

/** Config space as the kernel exposes it: 64 bytes without root, 4096 with. */
function configOf(d: Device, root: boolean): Buffer {
  const c = Buffer.alloc(root ? 4096 : 64);
  c.writeUInt16LE(parseInt(d.vendorId!, 16), 0);
  c.writeUInt16LE(parseInt(d.deviceId!, 16), 2);
  c.writeUInt16LE(0x0406, 4);
  c[0x0b] = parseInt(d.classCode!.slice(0, 2), 16);
  c[0x0a] = parseInt(d.classCode!.slice(2), 16);
  c[0x0e] = (d.headerType === 'bridge' ? 1 : d.headerType === 'cardbus' ? 2 : 0) | (d.multifunction ? 0x80 : 0);
  if (d.secondaryBus !== null) {
    c[0x18] = d.primaryBus!;
    c[0x19] = d.secondaryBus;
    c[0x1a] = d.subordinateBus!;
  }
  if (root && d.pcieType !== null) {
    c.writeUInt16LE(0x10, 6); // Status: Cap+
    c[0x34] = 0x40;
    c[0x40] = 0x10;
    c[0x41] = 0;
    c.writeUInt16LE(2 | (PCIE_TYPES[d.pcieType]! << 4), 0x42);
    if (d.acsCap && d.acsCtl) {
      c.writeUInt32LE(0x000d | (1 << 16), 0x100);
      c.writeUInt16LE(acsWord(d.acsCap), 0x104);
      c.writeUInt16LE(acsWord(d.acsCtl), 0x106);
    }
  }
  return c;
}

/** A sysfs + procfs tree for a host, with the symlinks the kernel makes. */
function fakeSysfs(name: string, host: Host, opts: { root: boolean; iommu: boolean }): { sys: string; proc: string } {
  const base = join(tmp, name);
  const sys = join(base, 'sys');
  const proc = join(base, 'proc');
  mkdirSync(join(sys, 'bus', 'pci', 'devices'), { recursive: true });
  mkdirSync(join(proc, 'sys', 'kernel'), { recursive: true });
  writeFileSync(join(proc, 'sys', 'kernel', 'osrelease'), `${host.kernel}\n`);
  writeFileSync(join(proc, 'cmdline'), 'BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro intel_iommu=on\n');
  for (const d of host.devices) {
    const dir = join(sys, 'devices', 'pci0000:00', d.bdf);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'class'), `0x${d.classCode}00\n`);
    writeFileSync(join(dir, 'vendor'), `0x${d.vendorId}\n`);
    writeFileSync(join(dir, 'device'), `0x${d.deviceId}\n`);
    writeFileSync(join(dir, 'subsystem_vendor'), `0x${d.subsystemVendorId ?? '0000'}\n`);
    writeFileSync(join(dir, 'subsystem_device'), `0x${d.subsystemDeviceId ?? '0000'}\n`);
    writeFileSync(join(dir, 'config'), configOf(d, opts.root));
    symlinkSync(`../../../devices/pci0000:00/${d.bdf}`, join(sys, 'bus', 'pci', 'devices', d.bdf));
    if (d.driver !== null) {
      mkdirSync(join(sys, 'bus', 'pci', 'drivers', d.driver), { recursive: true });
      symlinkSync(`../../../bus/pci/drivers/${d.driver}`, join(dir, 'driver'));
    }
    if (opts.iommu && d.iommuGroup !== null) {
      const g = join(sys, 'kernel', 'iommu_groups', String(d.iommuGroup), 'devices');
      mkdirSync(g, { recursive: true });
      symlinkSync(`../../../../devices/pci0000:00/${d.bdf}`, join(g, d.bdf));
      symlinkSync(`../../../kernel/iommu_groups/${d.iommuGroup}`, join(dir, 'iommu_group'));
    }
  }
  return { sys, proc };
}

function withoutLines(devices: Device[]): Omit<Device, 'line'>[] {
  return devices.map(({ line: _line, ...rest }) => rest);
}

function expectSameModel(parsed: Host, live: Host): void {
  expect(withoutLines(parsed.devices)).toEqual(withoutLines(live.devices));
  expect([parsed.kernel, parsed.cmdline, parsed.groupsPresent, parsed.capabilitiesReadable]).toEqual([
    live.kernel,
    live.cmdline,
    live.groupsPresent,
    live.capabilitiesReadable,
  ]);
}

const dump = linuxhw('desktop-dell-optiplex-7070-8a436329aa');
const real = parseInput(dump.text, dump.path, { kernel: '6.2.11-1-PVE' }).hosts[0]!;

describe('snapshot of a fake sysfs built from a real root dump', () => {
  const { sys, proc } = fakeSysfs('root', real, { root: true, iommu: true });

  it('parse(snapshot) equals the live model', async () => {
    const text = await writeSnapshot({ sysfsRoot: sys, procRoot: proc, lspci: false, now: new Date(0) });
    const r = parseInput(text, 'snap.txt');
    expect(r.diagnostics).toEqual([]);
    const live = await readLiveHost({ sysfsRoot: sys, procRoot: proc });
    expectSameModel(r.hosts[0]!, live);
    expect(r.hosts[0]!.forms).toEqual(['listing-sysfs-find', 'lspci-verbose', 'snapshot']);
    expect(text.split('\n').slice(0, 4)).toEqual([
      '# vfio-impact snapshot',
      '# kernel: 6.2.11-1-PVE',
      '# cmdline: BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro intel_iommu=on',
      '# date: 1970-01-01T00:00:00.000Z',
    ]);
  });

  it('the live model keeps what the dump said: groups, drivers, header types, PCIe types, ACS', async () => {
    const live = await readLiveHost({ sysfsRoot: sys, procRoot: proc });
    expect(partition(live.devices)).toEqual(partition(real.devices));
    expect(live.devices.map((d) => [d.bdf, d.driver, d.headerType, d.pcieType, d.acsCap, d.acsCtl, d.secondaryBus, d.multifunction])).toEqual(
      real.devices.map((d) => [d.bdf, d.driver, d.headerType, d.pcieType, d.acsCap, d.acsCtl, d.secondaryBus, d.multifunction]),
    );
    expect(live.devices.every((d) => d.headerTypeEvidence === 'sysfs' && d.driverKnown)).toBe(true);
    expect(live.devices.filter((d) => d.acsCap !== null)).toHaveLength(2);
  });

  it('with lspci installed, the snapshot holds its output after the listing', async () => {
    const fake = join(tmp, 'fake-lspci');
    writeFileSync(fake, `#!/bin/sh\n[ "$1" = "-vvvnnk" ] && [ "$2" = "-D" ] || exit 2\ncat '${dump.path}'\n`);
    chmodSync(fake, 0o755);
    const text = await writeSnapshot({ sysfsRoot: sys, procRoot: proc, lspci: fake });
    expect(text).toContain('# devices from: lspci -vvvnnk -D');
    const h = parseInput(text, 'snap.txt').hosts[0]!;
    expect(withoutLines(h.devices)).toEqual(withoutLines(real.devices));
  });

  it('falls back to sysfs when lspci is not installed', async () => {
    const text = await writeSnapshot({ sysfsRoot: sys, procRoot: proc, lspci: join(tmp, 'no-such-lspci') });
    expect(text).toContain('# devices from: sysfs (lspci not installed)');
  });
});

describe('snapshot of a machine without an IOMMU, read without root', () => {
  const { sys, proc } = fakeSysfs('nonroot-noiommu', real, { root: false, iommu: false });

  it('has no groups, capabilities not readable, and reads back identically', async () => {
    const text = await writeSnapshot({ sysfsRoot: sys, procRoot: proc, lspci: false });
    expect(text).toContain('# iommu groups: none (IOMMU off or absent)');
    const parsed = parseInput(text, 'snap.txt').hosts[0]!;
    const live = await readLiveHost({ sysfsRoot: sys, procRoot: proc });
    expectSameModel(parsed, live);
    expect(live.groupsPresent).toBe(false);
    expect(live.capabilitiesReadable).toBe(false);
    expect(live.devices.every((d) => d.isPcie === null && d.iommuGroup === null)).toBe(true);
    const port = real.devices.find((d) => d.bdf === '0000:00:1c.0')!;
    expect(port.secondaryBus).not.toBeNull();
    expect(live.devices.find((d) => d.bdf === '0000:00:1c.0')).toMatchObject({ headerType: 'bridge', headerTypeEvidence: 'sysfs', secondaryBus: port.secondaryBus });
  });
});

describe('snapshot of this machine', () => {
  it('parse(snapshot) equals the live model read from /sys', async () => {
    const text = await writeSnapshot({ lspci: false });
    const live = await readLiveHost();
    const r = parseInput(text, 'live.txt');
    if (live.devices.length === 0) {
      expect(r.hosts).toEqual([]);
      return;
    }
    expectSameModel(r.hosts[0]!, live);
    expect(live.kernel).not.toBeNull();
  });
});
