// The PCI bus tree behind a flat lspci dump: which bridge each bus hangs from, which buses are
// root buses, and the order the kernel adds devices in (spec §6.6: a root bus's devices in
// devfn order, then each child bus in the same order), which pci_device_group() depends on.

import type { Device, PcieType } from '../corpus/model.js';

export interface PciNode {
  index: number;
  dev: Device;
  bdf: string;
  /** (device << 3) | function, as the kernel's devfn. */
  devfn: number;
  busKey: string;
  /** The bridge whose subordinate bus this device sits on; null on a root bus. */
  parent: PciNode | null;
  /** Type-1 or type-2 header (a bus range of its own). */
  isBridge: boolean;
  /** Express capability seen (true), readably absent (false), or unknown (null: caps unreadable). */
  isPcie: boolean | null;
  /** PCIe type; for unreadable capabilities a guess from the topology (see `assumedType`). */
  pcieType: PcieType | null;
  /** true when `pcieType` was guessed because capabilities were unreadable. */
  assumedType: boolean;
  /** dev->multifunction as the kernel sees it (spec §6.2); SR-IOV VFs never are. */
  multifunction: boolean;
}

export interface PciTree {
  /** Every distinct device, in kernel add order. */
  nodes: PciNode[];
  /** Devices per bus (`domain:bus`), in devfn order: what for_each_pci_dev sees on one bus. */
  byBus: Map<string, PciNode[]>;
  /** Buses with no bridge above them that do not look like root buses (partial dump?). */
  orphanBuses: string[];
  /** Devices listed twice (same address): only the first is used. */
  duplicates: string[];
}

function busKeyOf(domain: number, bus: number): string {
  return `${domain.toString(16).padStart(4, '0')}:${bus.toString(16).padStart(2, '0')}`;
}

function isBridgeDevice(d: Device): boolean {
  if (d.headerType === 'bridge' || d.headerType === 'cardbus') return true;
  return d.headerType === null && d.secondaryBus !== null;
}

/** Types that can never sit on a root bus: finding one there means its bridge is missing. */
const NEVER_ON_ROOT_BUS = new Set<PcieType>(['upstream-port', 'downstream-port']);

/** Addresses strictly ascending (the dump's order, most often)? Then none repeats. */
function strictlyAscending(devices: readonly Device[]): boolean {
  for (let i = 1; i < devices.length; i++) if (!(devices[i - 1]!.bdf < devices[i]!.bdf)) return false;
  return true;
}

/** Already in devfn order (the dump's order, most often)? Then the sort can be skipped. */
function inDevfnOrder(list: readonly PciNode[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.devfn > list[i]!.devfn) return false;
  return true;
}

/** Hoisted: a literal inside the per-device loop would be a new RegExp object per device. */
const VIRTUAL_FUNCTION = /virtual function/i;

export function buildTree(devices: readonly Device[]): PciTree {
  const duplicates: string[] = [];
  let unique: readonly Device[] = devices;
  // Dumps list devices in address order: strictly ascending addresses cannot repeat, and then
  // there is no need to hash every address to find the duplicates.
  if (!strictlyAscending(devices)) {
    const seen = new Set<string>();
    const kept: Device[] = [];
    for (const d of devices) {
      if (seen.has(d.bdf)) duplicates.push(d.bdf);
      else {
        seen.add(d.bdf);
        kept.push(d);
      }
    }
    unique = kept;
  }

  const nodes: PciNode[] = [];
  for (let index = 0; index < unique.length; index++) {
    const dev = unique[index]!;
    // Dumps list a bus's devices together: reuse the previous device's bus key string.
    const prev = index > 0 ? nodes[index - 1]! : null;
    const busKey = prev && prev.dev.domain === dev.domain && prev.dev.bus === dev.bus ? prev.busKey : busKeyOf(dev.domain, dev.bus);
    nodes.push({
      index,
      dev,
      bdf: dev.bdf,
      devfn: ((dev.device & 0x1f) << 3) | (dev.function & 0x7),
      busKey,
      parent: null,
      isBridge: isBridgeDevice(dev),
      isPcie: dev.isPcie,
      pcieType: dev.pcieType,
      assumedType: false,
      multifunction: dev.multifunction && !VIRTUAL_FUNCTION.test(dev.description),
    });
  }

  const byBus = new Map<string, PciNode[]>();
  for (const n of nodes) {
    const list = byBus.get(n.busKey);
    if (list) list.push(n);
    else byBus.set(n.busKey, [n]);
  }
  for (const list of byBus.values()) if (!inDevfnOrder(list)) list.sort((a, b) => a.devfn - b.devfn);

  // Parent bridge of each bus: the bridge whose secondary bus it is, else the narrowest
  // secondary..subordinate range containing it (same domain), never a bridge on that bus itself.
  const bridgesByDomain = new Map<number, PciNode[]>();
  for (const n of nodes) {
    if (!n.isBridge || n.dev.secondaryBus === null) continue;
    const list = bridgesByDomain.get(n.dev.domain);
    if (list) list.push(n);
    else bridgesByDomain.set(n.dev.domain, [n]);
  }
  const parentOfBus = new Map<string, PciNode | null>();
  for (const [key, list] of byBus) {
    const first = list[0]!;
    const bus = first.dev.bus;
    let best: PciNode | null = null;
    let bestWidth = Infinity;
    let bestExact = false;
    for (const b of bridgesByDomain.get(first.dev.domain) ?? []) {
      if (b.busKey === key) continue;
      const sec = b.dev.secondaryBus!;
      const sub = Math.max(b.dev.subordinateBus ?? sec, sec);
      if (bus < sec || bus > sub) continue;
      const exact = sec === bus;
      const width = sub - sec;
      if (
        best === null ||
        (exact && !bestExact) ||
        (exact === bestExact && (width < bestWidth || (width === bestWidth && b.bdf < best.bdf)))
      ) {
        best = b;
        bestWidth = width;
        bestExact = exact;
      }
    }
    parentOfBus.set(key, best);
  }
  // Broken bus numbers can make a loop (a bridge below its own child bus): cut it there. A walk
  // up that takes as many steps as there are buses has met some bus twice: it is in a loop.
  const busCount = byBus.size;
  for (const key of byBus.keys()) {
    let steps = 0;
    for (let cur = parentOfBus.get(key) ?? null; cur; cur = parentOfBus.get(cur.busKey) ?? null) {
      if (++steps >= busCount) {
        parentOfBus.set(key, null);
        break;
      }
    }
  }
  for (const n of nodes) n.parent = parentOfBus.get(n.busKey) ?? null;

  const orphanBuses: string[] = [];
  for (const [key, list] of byBus) {
    if (parentOfBus.get(key)) continue;
    if (list.some((n) => n.pcieType !== null && NEVER_ON_ROOT_BUS.has(n.pcieType))) orphanBuses.push(key);
  }

  // Add order: root buses by (domain, bus); each bus's devices by devfn, then child buses.
  const childBuses = new Map<PciNode, string[]>();
  for (const [key, parent] of parentOfBus) {
    if (!parent) continue;
    const list = childBuses.get(parent);
    if (list) list.push(key);
    else childBuses.set(parent, [key]);
  }
  for (const list of childBuses.values()) list.sort();
  const ordered: PciNode[] = [];
  const visit = (key: string): void => {
    const list = byBus.get(key) ?? [];
    ordered.push(...list);
    for (const n of list) for (const child of childBuses.get(n) ?? []) visit(child);
  };
  for (const key of [...byBus.keys()].filter((k) => !parentOfBus.get(k)).sort()) visit(key);

  guessUnreadableTypes(ordered);
  return { nodes: ordered, byBus, orphanBuses, duplicates };
}

/**
 * Capabilities unreadable (`<access denied>`): no Express type. Guess the port types from the
 * tree so ID quirks for root ports can still apply: a bridge on a root bus is a root port, a
 * bridge below a switch upstream port is a downstream port, a bridge below a port whose own
 * bus holds only bridges is a switch upstream port. Other bridges stay unknown.
 */
function guessUnreadableTypes(ordered: PciNode[]): void {
  // Only such bridges get a guess (the loop below only sets the type of the node it visits):
  // most dumps have none, and then there is nothing to index.
  if (!ordered.some((n) => n.pcieType === null && !n.dev.capabilitiesReadable && n.isBridge)) return;
  const childrenOf = new Map<PciNode, PciNode[]>();
  for (const n of ordered) {
    if (!n.parent) continue;
    const list = childrenOf.get(n.parent);
    if (list) list.push(n);
    else childrenOf.set(n.parent, [n]);
  }
  // ordered is parents-first, so a parent's guess is known before its children's.
  for (const n of ordered) {
    if (n.pcieType !== null || n.dev.capabilitiesReadable || !n.isBridge) continue;
    const parentType = n.parent?.pcieType ?? null;
    const children = childrenOf.get(n) ?? [];
    if (!n.parent) n.pcieType = 'root-port';
    else if (parentType === 'upstream-port') n.pcieType = 'downstream-port';
    else if (
      (parentType === 'root-port' || parentType === 'downstream-port') &&
      children.length > 0 &&
      children.every((c) => c.isBridge)
    )
      n.pcieType = 'upstream-port';
    else continue;
    n.assumedType = true;
  }
}


/** Words for a bridge's role, as the kernel and lspci name them. */
export function roleOf(n: PciNode): string {
  switch (n.pcieType) {
    case 'root-port':
      return 'root port';
    case 'downstream-port':
      return 'switch downstream port';
    case 'upstream-port':
      return 'switch upstream port';
    case 'pcie-to-pci-bridge':
      return 'PCIe-to-PCI bridge';
    case 'pci-to-pcie-bridge':
      return 'PCI-to-PCIe bridge';
    case 'rc-integrated-endpoint':
      return 'root-complex integrated endpoint';
    case 'rc-event-collector':
      return 'root-complex event collector';
    default:
      if (n.isBridge) return n.isPcie === false ? 'conventional PCI bridge' : 'bridge';
      return n.isPcie === false ? 'conventional PCI device' : 'device';
  }
}
