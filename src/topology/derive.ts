// IOMMU groups derived the way pci_device_group() builds them (spec §6.6), for dumps taken with
// the IOMMU off or by an lspci too old to print `IOMMU group:`. Pure: a host in, groups out,
// with the rule that placed every device.

import type { Host } from '../corpus/model.js';
import type { HostGroups, IommuGroup } from './model.js';
import type { QuirkTables } from './quirks.js';
import { formatAcsOverride, type AcsOverride } from './override.js';
import { buildTree, roleOf, type PciNode } from './tree.js';
import { acsEnabled, type AcsAnswer, type AcsContext, type AcsControls } from './acs.js';
import { aliasInfo, type AliasInfo } from './alias.js';

export interface DeriveOptions {
  acsOverride?: AcsOverride;
  /** Default: `as-printed` when the dump carries IOMMU groups (IOMMU was on), else `kernel-enabled`. */
  acsControls?: AcsControls;
  /**
   * Write why each device landed in its group (`placement`, for `groups`). Default true;
   * `analyze` never shows it and skips the strings (about a fifth of derivation time).
   */
  explain?: boolean;
}

/** Bridge class codes: PCI-to-PCI, CardBus, semi-transparent PCI-to-PCI. */
const isBridgeClass = (c: string | null): boolean => c === '0604' || c === '0607' || c === '0609';

export function deriveGroups(host: Host, tables: QuirkTables, options: DeriveOptions = {}): HostGroups {
  const tree = buildTree(host.devices);
  const explain = options.explain !== false;
  const nodes = tree.nodes;
  const controls = options.acsControls ?? (host.groupsPresent ? 'as-printed' : 'kernel-enabled');
  const ctx: AcsContext = {
    tables,
    override: options.acsOverride,
    controls,
    // An AMD IOMMU function (class 0806) means firmware published an IVRS table.
    ivrs: nodes.some((n) => n.dev.classCode === '0806' && (n.dev.vendorId === '1022' || n.dev.vendorId === '1002')),
  };

  // Per-node state lives in arrays indexed by PciNode.index (0..n-1): cheaper than Maps keyed
  // by node objects, and derivation looks these up for every device several times.
  const acsMemo: Array<AcsAnswer | undefined> = new Array(nodes.length);
  const acs = (n: PciNode): AcsAnswer => (acsMemo[n.index] ??= acsEnabled(n, ctx));
  // pci_acs_path_enabled(start, NULL): every hop up to the root bus ACS-enabled (spec §6.3).
  // Memoised as the first failing hop, or null when the path is clean (undefined: not yet known).
  const pathMemo: Array<PciNode | null | undefined> = new Array(nodes.length);
  const pathFailure = (start: PciNode): PciNode | null => {
    const chain: PciNode[] = [];
    let failure: PciNode | null = null;
    for (let cur: PciNode | null = start; cur; cur = cur.parent) {
      const memo = pathMemo[cur.index];
      if (memo !== undefined) {
        failure = memo;
        break;
      }
      chain.push(cur);
      if (!acs(cur).enabled) {
        failure = cur;
        break;
      }
    }
    // Each node's own answer wins over what is above it: the kernel checks bottom-up.
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = chain[i]!;
      if (!acs(c).enabled) failure = c;
      pathMemo[c.index] = failure;
    }
    return pathMemo[start.index] ?? null;
  };

  const aliases: AliasInfo[] = new Array(nodes.length);
  for (const n of nodes) aliases[n.index] = aliasInfo(n, tables);
  const alias = (n: PciNode): AliasInfo => aliases[n.index]!;
  // Buses where some device has a DMA alias mask: on the others no two devices alias, and the
  // alias walk below skips the pairwise search (most hosts have none).
  const aliasBuses = new Set<string>();
  for (const n of nodes) if (alias(n).devfns) aliasBuses.add(n.busKey);
  // pci_devs_are_dma_aliases(): one's alias mask holds the other's devfn (same bus).
  const areAliases = (a: PciNode, b: PciNode): boolean =>
    (alias(a).devfns?.has(b.devfn) ?? false) || (alias(b).devfns?.has(a.devfn) ?? false);

  // Group number per node index; -1 while the node has none yet.
  const groupOf: number[] = new Array<number>(nodes.length).fill(-1);
  const members: PciNode[][] = [];
  const placement: string[] = explain ? new Array<string>(nodes.length) : [];

  // The devfns one alias walk has visited: a walk meets a handful at most, so a short list that
  // each walk empties serves instead of a new Set per device.
  const visited: number[] = [];
  let found: string | null = null;
  // get_pci_alias_group(): this device's group, or that of a device it aliases (or that aliases
  // it) on the same bus, or of such a device's non-isolated sibling functions.
  const aliasGroup = (n: PciNode, how: string): number => {
    if (visited.includes(n.devfn)) return -1;
    visited.push(n.devfn);
    const g = groupOf[n.index]!;
    if (g >= 0) {
      found = how;
      return g;
    }
    if (!aliasBuses.has(n.busKey)) return -1;
    for (const t of tree.byBus.get(n.busKey) ?? []) {
      if (t === n || !areAliases(n, t)) continue;
      let r = aliasGroup(t, explain ? `DMA alias (${alias(n).quirk ?? alias(t).quirk ?? 'DMA alias quirk'}) of ${t.bdf}` : '');
      if (r >= 0) return r;
      r = functionAliasGroup(t);
      if (r >= 0) return r;
    }
    return -1;
  };
  // get_pci_function_alias_group(): a multifunction device without ACS shares with its
  // sibling functions that lack ACS too.
  const functionAliasGroup = (n: PciNode): number => {
    if (!n.multifunction || acs(n).enabled) return -1;
    for (const t of tree.byBus.get(n.busKey) ?? []) {
      if (t === n || t.dev.device !== n.dev.device || acs(t).enabled) continue;
      const r = aliasGroup(t, explain ? `multifunction sibling of ${t.bdf}, neither ACS-isolated (${acs(n).why})` : '');
      if (r >= 0) return r;
    }
    return -1;
  };

  for (const dev of nodes) {
    // 1. Alias walk (pci_for_each_dma_alias, spec §6.5): the highest bridge that takes over
    //    the requester ID on the way up; stop at one that already has a group.
    let last = dev;
    let joined = -1;
    let why = '';
    for (let b = dev.parent; b; b = b.parent) {
      if (alias(b).xlateRoot) break;
      let aliasing = false;
      if (b.isPcie === true) aliasing = b.pcieType === 'pcie-to-pci-bridge' || b.pcieType === 'pci-to-pcie-bridge';
      else if (b.isPcie === false) aliasing = true;
      if (!aliasing) continue;
      last = b;
      const g = groupOf[b.index]!;
      if (g >= 0) {
        joined = g;
        if (explain) why = `DMA alias of ${roleOf(b)} ${b.bdf}${alias(b).pcieBridgeAlias ? ' (quirk_use_pcie_bridge_dma_alias)' : ''}`;
        break;
      }
    }
    let anchor = last;
    const prefix: string[] = [];
    if (explain && joined < 0 && anchor !== dev) prefix.push(`DMA alias of ${roleOf(anchor)} ${anchor.bdf}`);

    // 2. ACS walk: up from the anchor's bus until a bridge whose path to the root is isolated.
    if (joined < 0) {
      for (let b = anchor.parent; b; b = b.parent) {
        const failing = pathFailure(b);
        if (!failing) break;
        anchor = b;
        const g = groupOf[b.index]!;
        const text = !explain
          ? ''
          : failing === b
            ? `behind non-ACS ${roleOf(b)} ${b.bdf} (${acs(b).why})`
            : `behind ${roleOf(b)} ${b.bdf}, whose path is not ACS-isolated at ${roleOf(failing)} ${failing.bdf} (${acs(failing).why})`;
        if (g >= 0) {
          joined = g;
          why = text;
          break;
        }
        if (explain) prefix.push(text);
      }
    }

    // 3./4. Alias peers and non-isolated sibling functions of the anchor.
    if (joined < 0) {
      visited.length = 0;
      found = null;
      let g = aliasGroup(anchor, 'itself');
      if (g < 0) g = functionAliasGroup(anchor);
      if (g >= 0) {
        joined = g;
        if (explain) why = [...prefix, `${anchor === dev ? '' : `${anchor.bdf} is a `}${found ?? 'alias'}`].join('; ');
      }
    }

    if (joined < 0) {
      joined = members.length;
      members.push([]);
      if (explain) why = [...prefix, firstInGroup(dev, anchor, acs, pathFailure)].join('; ');
    }
    groupOf[dev.index] = joined;
    members[joined]!.push(dev);
    if (explain) placement[dev.index] = why;
  }

  const groups: IommuGroup[] = members.map((list, i) => {
    // members is not used again: sort it in place (it is most often in order already).
    if (!inBdfOrder(list)) list.sort((a, b) => (a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0));
    const devices = list.map((n) => n.bdf);
    if (!explain) return { id: `d${i + 1}`, devices };
    const place: Record<string, string> = {};
    for (const n of list) place[n.bdf] = placement[n.index]!;
    return { id: `d${i + 1}`, devices, placement: place };
  });

  const reasons: string[] = [];
  const unreadable = nodes.filter((n) => !n.dev.capabilitiesReadable);
  if (unreadable.length > 0) {
    reasons.push(
      unreadable.length === nodes.length
        ? 'capabilities unreadable (<access denied>): no ACS or PCIe type visible, none assumed, so groups may be smaller on the real machine'
        : `capabilities unreadable for ${unreadable.length} of ${nodes.length} devices (${unreadable.slice(0, 3).map((n) => n.bdf).join(', ')}${unreadable.length > 3 ? ', ...' : ''})`,
    );
  }
  // A short `lspci -nnk` has no `Bus:` lines: the tree above non-root buses is unknown.
  const blindBridges = nodes.filter((n) => n.dev.secondaryBus === null && (n.isBridge || isBridgeClass(n.dev.classCode)));
  if (blindBridges.length > 0) {
    reasons.push(
      `bus numbers of ${blindBridges.length} bridge${blindBridges.length === 1 ? '' : 's'} not in the dump (lspci without -v): devices behind them treated as on a root bus`,
    );
  }
  if (tree.orphanBuses.length > 0) {
    reasons.push(`no bridge above bus ${tree.orphanBuses.join(', ')} in the dump (partial dump?): treated as root bus`);
  }
  for (const n of nodes) {
    const u = alias(n).underivable;
    if (u) reasons.push(u);
  }
  const notes: string[] = [];
  if (options.acsOverride) notes.push(`pcie_acs_override=${formatAcsOverride(options.acsOverride)} simulated`);
  if (tree.duplicates.length > 0) notes.push(`duplicate device lines ignored: ${tree.duplicates.join(', ')}`);
  if (reasons.length > 0) {
    return { source: 'derived', confidence: 'low', reason: [...reasons, ...notes].join('; '), groups };
  }
  return { source: 'derived', confidence: 'certain', reason: notes.length > 0 ? notes.join('; ') : null, groups };
}

function firstInGroup(
  dev: PciNode,
  anchor: PciNode,
  acs: (n: PciNode) => AcsAnswer,
  pathFailure: (n: PciNode) => PciNode | null,
): string {
  const own: string[] = [];
  if (anchor !== dev) own.push(`first device of the group of ${anchor.bdf}`);
  else if (!dev.parent) own.push('root bus device, own group');
  else {
    const above = dev.parent;
    own.push(`own group: ACS path isolated from ${roleOf(above)} ${above.bdf} to the root bus`);
    if (pathFailure(above) === null) own[0] += ` (${acs(above).why})`;
  }
  if (dev === anchor && dev.multifunction) {
    const a = acs(dev);
    own.push(a.enabled ? `multifunction, isolated: ${a.why}` : 'multifunction without ACS, first of its functions');
  }
  return own.join('; ');
}

/** Sorted by address already? (Addresses in a tree are distinct.) */
function inBdfOrder(list: readonly PciNode[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.bdf > list[i]!.bdf) return false;
  return true;
}
