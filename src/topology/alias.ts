// DMA aliases a device carries from the kernel's header fixups (spec §6.5, §7.3): extra devfns
// on its own bus in dma_alias_mask, the PCIe-bridge-alias flag on bridges that hide their PCIe
// capability, and the translation-root flag that stops the alias walk.

import { matchingRows, type QuirkTables } from './quirks.js';
import type { PciNode } from './tree.js';

export interface AliasInfo {
  /** dma_alias_mask: devfns on the device's own bus it also issues DMA as. */
  devfns: Set<number> | null;
  /** Quirk that set the mask (for the placement text). */
  quirk: string | null;
  /** PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS: devices behind alias to (secondary bus, 00.0). */
  pcieBridgeAlias: boolean;
  /** PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT: the alias walk stops at this bridge. */
  xlateRoot: boolean;
  /** Aliases exist but are read from the device at boot (Switchtec NTB): cannot be derived. */
  underivable: string | null;
}

const devfnOf = (slot: number, fn: number): number => ((slot & 0x1f) << 3) | (fn & 7);

function addRange(set: Set<number>, devfn: number, count: number): void {
  for (let i = 0; i < count && devfn + i < 256; i++) set.add(devfn + i);
}

export function aliasInfo(n: PciNode, tables: QuirkTables): AliasInfo {
  const info: AliasInfo = { devfns: null, quirk: null, pcieBridgeAlias: false, xlateRoot: false, underivable: null };
  const d = n.dev;
  const mask = (): Set<number> => (info.devfns ??= new Set<number>());
  for (const row of matchingRows(tables.dmaAliasByVendor, d.vendorId, d.deviceId)) {
    switch (row.quirk) {
      case 'quirk_dma_func0_alias':
        if (d.function !== 0) mask().add(devfnOf(d.device, 0));
        break;
      case 'quirk_dma_func1_alias':
        if (d.function !== 1) mask().add(devfnOf(d.device, 1));
        break;
      case 'quirk_fixed_dma_alias':
        // Adaptec 3405/3805 only (subsystem 9005:02bb / 9005:02bc).
        if (d.subsystemVendorId?.toLowerCase() === '9005' && ['02bb', '02bc'].includes(d.subsystemDeviceId?.toLowerCase() ?? '')) {
          mask().add(devfnOf(1, 0));
        }
        break;
      case 'quirk_mic_x200_dma_alias':
        mask().add(devfnOf(0x10, 0)).add(devfnOf(0x11, 0)).add(devfnOf(0x12, 3));
        break;
      case 'quirk_pex_vca_alias':
        for (let slot = 0; slot < 0x20; slot++) addRange(mask(), devfnOf(slot, 0), 5);
        break;
      case 'quirk_plx_ntb_dma_alias':
        addRange(mask(), 0, 256);
        break;
      case 'quirk_switchtec_ntb_dma_alias':
        if (d.classCode === '0680') info.underivable = `${n.bdf}: Switchtec NTB proxy DMA aliases are read from BAR0 at boot`;
        continue;
      case 'quirk_use_pcie_bridge_dma_alias': {
        // A PCIe-to-PCI bridge hiding its PCIe capability: non-root type-1 header, not PCIe,
        // below a PCIe port that is not itself a PCIe-to-PCI bridge.
        const p = n.parent;
        if (p && n.isBridge && d.headerType !== 'cardbus' && n.isPcie === false && p.isPcie === true && p.pcieType !== 'pcie-to-pci-bridge') {
          info.pcieBridgeAlias = true;
        }
        continue;
      }
      case 'quirk_bridge_cavm_thrx2_pcie_root':
        info.xlateRoot = true;
        continue;
      default:
        continue;
    }
    if (info.devfns) info.quirk ??= row.quirk;
  }
  return info;
}
