// pci_acs_enabled(dev, REQ_ACS_FLAGS) (spec §6.2): device-specific quirks first, in table order
// (spec §7.1), then the out-of-tree override if simulated (spec §6.7), then the standard rule by
// PCIe type and the ACS capability/control bits lspci prints (spec §8.6).

import type { AcsBits } from '../corpus/model.js';
import { matchingRows, type QuirkRow, type QuirkTables } from './quirks.js';
import type { AcsOverride } from './override.js';
import type { PciNode } from './tree.js';

export interface AcsAnswer {
  enabled: boolean;
  /** Why, in words: the quirk, the missing control bits, the PCIe type rule. */
  why: string;
}

/**
 * Which ACS control bits to use. `as-printed`: the dump's ACSCtl (the dump was taken with the
 * IOMMU on, so the kernel had already enabled what it would). `kernel-enabled`: what
 * pci_std_enable_acs() would set with the IOMMU on: ACSCtl plus every requested bit ACSCap
 * advertises (spec §6.4) - for dumps taken with the IOMMU off, whose ACSCtl is firmware state.
 */
export type AcsControls = 'as-printed' | 'kernel-enabled';

export interface AcsContext {
  tables: QuirkTables;
  override: AcsOverride | undefined;
  controls: AcsControls;
  /** An AMD IOMMU is present (ACPI IVRS table), inferred from an AMD IOMMU function (class 0806). */
  ivrs: boolean;
}

type Bit = keyof AcsBits;
/** REQ_ACS_FLAGS = SV | RR | CR | UF (spec §6.1). */
const REQ: Bit[] = ['sv', 'rr', 'cr', 'uf'];
const BIT_NAMES: Record<Bit, string> = {
  sv: 'SrcValid',
  tb: 'TransBlk',
  rr: 'ReqRedir',
  cr: 'CmpltRedir',
  uf: 'UpstreamFwd',
  ec: 'EgressCtrl',
  dt: 'DirectTrans',
};

/** Quirk answer: 1 enabled, 0 not enabled, -1 no opinion (keep looking). */
type QuirkAnswer = 1 | 0 | -1;

const isRootPort = (n: PciNode): boolean => n.isPcie !== false && n.pcieType === 'root-port';

/** What each named quirk function decides (drivers/pci/quirks.c v6.19, spec §7.1). */
function runAcsQuirk(row: QuirkRow, n: PciNode, ctx: AcsContext): QuirkAnswer {
  switch (row.quirk) {
    case 'pci_quirk_amd_sb_acs':
      // Only multifunction functions on the root bus, and only with an IVRS table; the request
      // is narrowed to RR|CR, which the quirk asserts.
      if (!n.multifunction || n.parent !== null || !ctx.ivrs) return -1;
      return 1;
    case 'pci_quirk_mf_endpoint_acs':
    case 'pci_quirk_qcom_rp_acs':
    case 'pci_quirk_xgene_acs':
    case 'pci_quirk_brcm_acs':
    case 'pci_quirk_loongson_acs':
      return 1;
    case 'pci_quirk_rciep_acs':
      return n.pcieType === 'rc-integrated-endpoint' ? 1 : -1;
    case 'pci_quirk_intel_pch_acs':
      // Isolated only if the boot-time enable quirk succeeded; assumed (it runs whenever an
      // IOMMU driver requests ACS and the LPC's RCBA is set up, as on every board seen).
      return isRootPort(n) ? 1 : -1;
    case 'pci_quirk_intel_spt_pch_acs':
      // Needs an ACS capability; the real control dword is not what lspci shows, and the
      // enable quirk sets every requested bit the capability has, so: isolated.
      if (!isRootPort(n) || !n.dev.hasAcs) return -1;
      return 1;
    case 'pci_quirk_cavium_acs':
    case 'pci_quirk_al_acs':
    case 'pci_quirk_nxp_rp_acs':
      return isRootPort(n) ? 1 : -1;
    case 'pci_quirk_zhaoxin_pcie_ports_acs':
      if (n.isPcie === false || (n.pcieType !== 'root-port' && n.pcieType !== 'downstream-port')) return -1;
      return row.device === 'any' ? 0 : 1;
    case 'pci_quirk_wangxun_nic_acs':
      // Listed NIC IDs are isolated; any other Wangxun device answers "not isolated".
      return row.device === 'any' ? 0 : 1;
    default:
      return -1;
  }
}

/** pcie_acs_overrides() from the out-of-tree patch (spec §6.7), the last table entry. */
function runOverride(o: AcsOverride, n: PciNode): QuirkAnswer {
  if (n.isPcie === false || n.dev.hasAcs) return -1;
  const vendor = n.dev.vendorId?.toLowerCase();
  const device = n.dev.deviceId?.toLowerCase();
  if (o.ids.some((id) => id.vendor === vendor && id.device === device)) return 1;
  // Capabilities unreadable: a non-bridge device is taken for a PCIe endpoint without ACS, as
  // everywhere else for such dumps.
  const type = n.pcieType ?? (n.isPcie === null && !n.isBridge ? 'endpoint' : null);
  switch (type) {
    case 'downstream-port':
    case 'root-port':
      return o.downstream ? 1 : -1;
    case 'endpoint':
    case 'upstream-port':
    case 'legacy-endpoint':
    case 'rc-integrated-endpoint':
      return o.multifunction && n.multifunction ? 1 : -1;
    default:
      return -1;
  }
}

/** pci_acs_flags_enabled(): requested bits the capability lacks count as hard-wired on. */
function flagsEnabled(n: PciNode, ctx: AcsContext): AcsAnswer {
  const d = n.dev;
  if (!d.hasAcs) return { enabled: false, why: 'no ACS capability' };
  if (!d.acsCap || !d.acsCtl) {
    return ctx.controls === 'kernel-enabled'
      ? { enabled: true, why: 'ACS capability (bits not shown; kernel enables them)' }
      : { enabled: false, why: 'ACS capability without readable ACSCap/ACSCtl bits' };
  }
  const cap = d.acsCap;
  const ctl = d.acsCtl;
  const missing = REQ.filter((b) => cap[b] && !(ctl[b] || ctx.controls === 'kernel-enabled'));
  if (missing.length === 0) return { enabled: true, why: 'ACS enabled (ACSCtl)' };
  return { enabled: false, why: `ACSCtl lacks ${missing.map((b) => BIT_NAMES[b]).join(' ')}` };
}

export function acsEnabled(n: PciNode, ctx: AcsContext): AcsAnswer {
  for (const row of matchingRows(ctx.tables.acsByVendor, n.dev.vendorId, n.dev.deviceId)) {
    const answer = runAcsQuirk(row, n, ctx);
    if (answer >= 0) {
      return { enabled: answer === 1, why: `ACS quirk ${row.quirk}${answer === 1 ? '' : ' (not isolated)'}` };
    }
  }
  if (ctx.override && runOverride(ctx.override, n) === 1) {
    return { enabled: true, why: 'pcie_acs_override' };
  }
  if (n.isPcie === false) return { enabled: false, why: 'conventional PCI (no ACS)' };
  if (n.isPcie === null) {
    // Capabilities unreadable: no ACS can be seen, so none is assumed.
    if (n.isBridge) return { enabled: false, why: 'capabilities unreadable: ACS assumed absent' };
    if (n.multifunction) return { enabled: false, why: 'multifunction, capabilities unreadable: ACS assumed absent' };
    return { enabled: true, why: 'single-function device' };
  }
  switch (n.pcieType) {
    case 'pci-to-pcie-bridge':
    case 'pcie-to-pci-bridge':
    case 'rc-event-collector':
      return { enabled: false, why: `${n.pcieType} is never ACS-isolated` };
    case 'downstream-port':
    case 'root-port':
      return flagsEnabled(n, ctx);
    case 'endpoint':
    case 'upstream-port':
    case 'legacy-endpoint':
    case 'rc-integrated-endpoint':
      if (!n.multifunction) return { enabled: true, why: 'single-function device' };
      return flagsEnabled(n, ctx);
    default:
      return { enabled: true, why: 'PCIe type without ACS rules' };
  }
}
