// The live machine as one corpus file: /sys/bus/pci/devices and /sys/kernel/iommu_groups
// (and `lspci -vvvnnk -D` when installed). The file is a `# vfio-impact snapshot` header, a
// group listing in the `find /sys/kernel/iommu_groups/ -type l` form, `---`, then device
// blocks; parseInput reads it back. Without lspci the blocks are written from sysfs in lspci's
// own spelling (spec §8), so parsing the snapshot gives the same model readLiveHost builds.

import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { clean, parseAddress } from './device-line.js';
import { acsBits, formatAcsBits } from './lspci-caps.js';
import { headerTypeFromClass } from './lspci-short.js';
import { sortDevices } from './merge.js';
import { formatBdf, type AcsBits, type Device, type HeaderType, type Host, type PcieType } from './model.js';
import { SNAPSHOT_MARK } from './parse.js';

export interface SnapshotOptions {
  /** Where sysfs is mounted (default `/sys`); tests point it at a fake tree. */
  sysfsRoot?: string;
  /** Where procfs is mounted (default `/proc`): kernel version and command line. */
  procRoot?: string;
  /** lspci to run (default `lspci`), or false to write what sysfs says. */
  lspci?: string | false;
  /** Time written in the header (default now). */
  now?: Date;
}

/** What one device's sysfs directory says, config space included when readable. */
interface SysfsDevice {
  device: Device;
  /** Config space bytes (64 without root, 256 or 4096 with), or null when unreadable. */
  config: Buffer | null;
  /** The capability lines to write, in lspci's spelling. */
  capabilityLines: string[];
}

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

async function linkName(path: string): Promise<string | null> {
  try {
    return basename(await readlink(path));
  } catch {
    return null;
  }
}

/** `0x1af4` -> `1af4`. */
function id16(v: string | null): string | null {
  if (v === null || !/^0x[0-9a-fA-F]{1,4}$/.test(v)) return null;
  return v.slice(2).toLowerCase().padStart(4, '0');
}

const EXPRESS_TYPES: Record<number, [PcieType, string]> = {
  0: ['endpoint', 'Endpoint'],
  1: ['legacy-endpoint', 'Legacy Endpoint'],
  4: ['root-port', 'Root Port'],
  5: ['upstream-port', 'Upstream Port'],
  6: ['downstream-port', 'Downstream Port'],
  7: ['pcie-to-pci-bridge', 'PCI-Express to PCI/PCI-X Bridge'],
  8: ['pci-to-pcie-bridge', 'PCI/PCI-X to PCI-Express Bridge'],
  9: ['rc-integrated-endpoint', 'Root Complex Integrated Endpoint'],
  10: ['rc-event-collector', 'Root Complex Event Collector'],
};

interface Caps {
  pcieType: PcieType | null;
  acsCap: AcsBits | null;
  acsCtl: AcsBits | null;
  hasAcs: boolean;
  lines: string[];
}

/**
 * Walk the capability lists of a config space (include/uapi/linux/pci_regs.h): the standard
 * list from 0x34 (0x14 for CardBus) when Status has Cap+, the extended list from 0x100.
 */
function walkCapabilities(cfg: Buffer, headerType: number): Caps {
  const caps: Caps = { pcieType: null, acsCap: null, acsCtl: null, hasAcs: false, lines: [] };
  const status = cfg.readUInt16LE(6);
  if (status & 0x10) {
    let ptr = cfg[headerType === 2 ? 0x14 : 0x34]! & 0xfc;
    for (let n = 0; ptr >= 0x40 && ptr + 4 <= cfg.length && n < 48; n++) {
      const id = cfg[ptr]!;
      const next = cfg[ptr + 1]! & 0xfc;
      if (id === 0x10) {
        const flags = cfg.readUInt16LE(ptr + 2);
        const type = (flags >> 4) & 0xf;
        const slot = flags & 0x100 ? '+' : '-';
        const known = EXPRESS_TYPES[type];
        caps.pcieType = known ? known[0] : 'unknown';
        let text = known ? known[1] : `Unknown type ${type}`;
        if (type === 4 || type === 6 || type === 8) text += ` (Slot${slot})`;
        caps.lines.push(`\tCapabilities: [${ptr.toString(16)}] Express (v${flags & 0xf}) ${text}, IntMsgNum ${(flags >> 9) & 0x1f}`);
      } else {
        caps.lines.push(`\tCapabilities: [${ptr.toString(16)}] #${id.toString(16).padStart(2, '0')}`);
      }
      ptr = next;
    }
  }
  if (cfg.length > 0x100) {
    let ptr = 0x100;
    for (let n = 0; ptr >= 0x100 && ptr + 8 <= cfg.length && n < 96; n++) {
      const header = cfg.readUInt32LE(ptr);
      if (header === 0 || header === 0xffffffff) break;
      const id = header & 0xffff;
      const version = (header >>> 16) & 0xf;
      const where = `[${ptr.toString(16)} v${version}]`;
      if (id === 0x000d) {
        // ACS: capability register at +4, control at +6 (spec §6.1).
        caps.hasAcs = true;
        caps.acsCap = bitsOf(cfg.readUInt16LE(ptr + 4));
        caps.acsCtl = bitsOf(cfg.readUInt16LE(ptr + 6));
        caps.lines.push(`\tCapabilities: ${where} Access Control Services`);
        caps.lines.push(`\t\tACSCap:\t${formatAcsBits(caps.acsCap)}`);
        caps.lines.push(`\t\tACSCtl:\t${formatAcsBits(caps.acsCtl)}`);
      } else {
        caps.lines.push(`\tCapabilities: ${where} #${id.toString(16).padStart(2, '0')}`);
      }
      const next = (header >>> 20) & 0xffc;
      if (next <= ptr) break;
      ptr = next;
    }
  }
  return caps;
}

function bitsOf(v: number): AcsBits {
  // Through lspci's own text, so the bits read back exactly as parsed.
  return acsBits(
    `SrcValid${v & 0x01 ? '+' : '-'} TransBlk${v & 0x02 ? '+' : '-'} ReqRedir${v & 0x04 ? '+' : '-'} ` +
      `CmpltRedir${v & 0x08 ? '+' : '-'} UpstreamFwd${v & 0x10 ? '+' : '-'} EgressCtrl${v & 0x20 ? '+' : '-'} ` +
      `DirectTrans${v & 0x40 ? '+' : '-'}`,
    0,
  );
}

const HEADER_TYPES: Record<number, HeaderType> = { 0: 'normal', 1: 'bridge', 2: 'cardbus' };

async function readSysfsDevice(dir: string, name: string, group: number | null): Promise<SysfsDevice | null> {
  const a = parseAddress(name, 0);
  if (!a || a.end !== name.length) return null;
  const [cls, vendor, device, sv, sd, driver, config] = await Promise.all([
    readText(join(dir, 'class')),
    readText(join(dir, 'vendor')),
    readText(join(dir, 'device')),
    readText(join(dir, 'subsystem_vendor')),
    readText(join(dir, 'subsystem_device')),
    linkName(join(dir, 'driver')),
    readFile(join(dir, 'config')).catch(() => null),
  ]);
  // sysfs `class` is 0xCCSSPP: base class, subclass, prog-if.
  const classCode = cls !== null && /^0x[0-9a-fA-F]{6}$/.test(cls) ? cls.slice(2, 6).toLowerCase() : null;
  const cfg = config !== null && config.length >= 64 ? config : null;
  const rawType = cfg ? cfg[0x0e]! & 0x7f : -1;
  const sysfsType = HEADER_TYPES[rawType] ?? null;
  const [headerType, evidence] = sysfsType ? [sysfsType, 'sysfs' as const] : headerTypeFromClass(classCode, null, cfg !== null);
  // Without root sysfs exposes only the first 64 bytes (spec §8.7).
  const readable = cfg !== null && cfg.length > 64;
  const caps = readable ? walkCapabilities(cfg, rawType) : null;
  const hasBusNumbers = cfg !== null && (rawType === 1 || rawType === 2);
  return {
    device: {
      domain: a.domain,
      bus: a.bus,
      device: a.device,
      function: a.function,
      bdf: formatBdf(a.domain, a.bus, a.device, a.function),
      classCode,
      className: null,
      vendorId: id16(vendor),
      deviceId: id16(device),
      subsystemVendorId: id16(sv),
      subsystemDeviceId: id16(sd),
      description: '',
      headerType,
      headerTypeEvidence: evidence,
      pcieType: caps ? caps.pcieType : null,
      isPcie: caps ? caps.pcieType !== null : null,
      hasAcs: caps?.hasAcs ?? false,
      acsCap: caps?.acsCap ?? null,
      acsCtl: caps?.acsCtl ?? null,
      driver: driver === null ? null : clean(driver),
      driverKnown: true,
      modules: [],
      iommuGroup: group,
      primaryBus: hasBusNumbers ? cfg[0x18]! : null,
      secondaryBus: hasBusNumbers ? cfg[0x19]! : null,
      subordinateBus: hasBusNumbers ? cfg[0x1a]! : null,
      multifunction: false,
      capabilitiesReadable: readable,
      line: 0,
    },
    config: cfg,
    capabilityLines: caps?.lines ?? [],
  };
}

/** Group of each device address, from /sys/kernel/iommu_groups/N/devices/ (empty without an IOMMU). */
async function readGroups(sysfs: string): Promise<Map<string, number>> {
  const groups = new Map<string, number>();
  const base = join(sysfs, 'kernel', 'iommu_groups');
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return groups;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    let members: string[];
    try {
      members = await readdir(join(base, n, 'devices'));
    } catch {
      continue;
    }
    for (const m of members) {
      const a = parseAddress(m, 0);
      if (a && a.end === m.length) groups.set(formatBdf(a.domain, a.bus, a.device, a.function), Number(n));
    }
  }
  return groups;
}

interface LiveRead {
  host: Host;
  sysfsDevices: SysfsDevice[];
}

async function readLive(options: SnapshotOptions): Promise<LiveRead> {
  const sysfs = options.sysfsRoot ?? '/sys';
  const proc = options.procRoot ?? '/proc';
  const groups = await readGroups(sysfs);
  const devDir = join(sysfs, 'bus', 'pci', 'devices');
  let names: string[] = [];
  try {
    names = (await readdir(devDir)).sort();
  } catch {
    names = [];
  }
  const read = await Promise.all(
    names.map(async (name) => {
      const a = parseAddress(name, 0);
      const bdf = a ? formatBdf(a.domain, a.bus, a.device, a.function) : name;
      const linked = await linkName(join(devDir, name, 'iommu_group'));
      const group = groups.get(bdf) ?? (linked !== null && /^\d+$/.test(linked) ? Number(linked) : null);
      return readSysfsDevice(join(devDir, name), name, group);
    }),
  );
  const sysfsDevices = read.filter((d): d is SysfsDevice => d !== null);
  const devices = sortDevices(sysfsDevices.map((d) => d.device));
  const rank = new Map(devices.map((d, i) => [d, i]));
  sysfsDevices.sort((x, y) => rank.get(x.device)! - rank.get(y.device)!);
  const kernel = await readText(join(proc, 'sys', 'kernel', 'osrelease'));
  const cmdline = await readText(join(proc, 'cmdline'));
  const host: Host = {
    id: 'live',
    file: '<live>',
    metadata: {},
    kernel: kernel ? clean(kernel) : null,
    // /proc/cmdline separates nothing with NULs, but other kernels' proc files might.
    cmdline: cmdline ? clean(cmdline.replace(/\0/g, ' ').trim()) : null,
    devices,
    capabilitiesReadable: sysfsDevices.some((d) => d.device.capabilitiesReadable && d.capabilityLines.length > 0),
    groupsPresent: devices.some((d) => d.iommuGroup !== null),
    forms: ['sysfs'],
    diagnostics: [],
  };
  return { host, sysfsDevices };
}

/** The live machine's host model, straight from sysfs (no lspci). */
export async function readLiveHost(options: SnapshotOptions = {}): Promise<Host> {
  return (await readLive(options)).host;
}

function flag(v: number, bit: number): string {
  return v & bit ? '+' : '-';
}

/** One device block in lspci's spelling from what sysfs says. */
function formatBlock(s: SysfsDevice): string {
  const d = s.device;
  const ids = d.vendorId !== null && d.deviceId !== null ? ` [${d.vendorId}:${d.deviceId}]` : '';
  const cls = d.classCode !== null ? `Class [${d.classCode}]` : 'Class';
  const out = [`${d.bdf} ${cls}: Device${ids}`];
  if (d.subsystemVendorId !== null && d.subsystemDeviceId !== null) {
    out.push(`\tSubsystem: Device [${d.subsystemVendorId}:${d.subsystemDeviceId}]`);
  }
  const cfg = s.config;
  if (cfg) {
    const cmd = cfg.readUInt16LE(4);
    out.push(
      `\tControl: I/O${flag(cmd, 0x1)} Mem${flag(cmd, 0x2)} BusMaster${flag(cmd, 0x4)} SpecCycle${flag(cmd, 0x8)} ` +
        `MemWINV${flag(cmd, 0x10)} VGASnoop${flag(cmd, 0x20)} ParErr${flag(cmd, 0x40)} Stepping${flag(cmd, 0x80)} ` +
        `SERR${flag(cmd, 0x100)} FastB2B${flag(cmd, 0x200)} DisINTx${flag(cmd, 0x400)}`,
    );
    // lspci never prints the header type; the snapshot states what config offset 0x0e says.
    if (d.headerTypeEvidence === 'sysfs') out.push(`\tHeader type: ${d.headerType} [sysfs config]`);
    if (d.primaryBus !== null) {
      const h = (v: number | null): string => (v ?? 0).toString(16).padStart(2, '0');
      out.push(
        `\tBus: primary=${h(d.primaryBus)}, secondary=${h(d.secondaryBus)}, subordinate=${h(d.subordinateBus)}, sec-latency=${cfg[0x1b]}`,
      );
    }
    if (d.capabilitiesReadable) out.push(...s.capabilityLines);
    else out.push('\tCapabilities: <access denied>');
  }
  if (d.driver !== null) out.push(`\tKernel driver in use: ${d.driver}`);
  return out.join('\n') + '\n';
}

function runLspci(bin: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(bin, ['-vvvnnk', '-D'], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      resolve(err ? null : stdout);
    });
  });
}

/** Pure writer: the snapshot text for what readLive found (and lspci output when there is some). */
function formatSnapshot(live: LiveRead, lspci: string | null, now: Date): string {
  const { host } = live;
  const groups = new Set(host.devices.flatMap((d) => (d.iommuGroup === null ? [] : [d.iommuGroup])));
  const out: string[] = [
    SNAPSHOT_MARK,
    `# kernel: ${host.kernel ?? 'unknown'}`,
    `# cmdline: ${host.cmdline ?? ''}`,
    `# date: ${now.toISOString()}`,
    `# devices from: ${lspci !== null ? 'lspci -vvvnnk -D' : 'sysfs (lspci not installed)'}`,
    `# iommu groups: ${groups.size > 0 ? groups.size : 'none (IOMMU off or absent)'}`,
  ];
  // The listing, as `find /sys/kernel/iommu_groups/ -type l` prints it.
  const listed = host.devices
    .filter((d) => d.iommuGroup !== null)
    .sort((a, b) => a.iommuGroup! - b.iommuGroup! || (a.bdf < b.bdf ? -1 : 1));
  for (const d of listed) out.push(`/sys/kernel/iommu_groups/${d.iommuGroup}/devices/${d.bdf}`);
  out.push('---');
  const head = out.join('\n') + '\n';
  if (lspci !== null) return head + (lspci.endsWith('\n') ? lspci : lspci + '\n');
  return head + live.sysfsDevices.map(formatBlock).join('\n') + (live.sysfsDevices.length > 0 ? '\n' : '');
}

/** The snapshot file's text for this machine (or the sysfs/proc roots given). */
export async function writeSnapshot(options: SnapshotOptions = {}): Promise<string> {
  const live = await readLive(options);
  const lspci = options.lspci === false ? null : await runLspci(options.lspci ?? 'lspci');
  return formatSnapshot(live, lspci, options.now ?? new Date());
}
