// The two viability rules, one device at a time. Pure.
//
// OLD (spec §1.1, vfio_dev_viable() before 5.19): a device does not block its group if it has
// no driver, or vfio_dev_driver_allowed() accepts it (header type != normal, whatever the
// driver; else its driver name is in vfio_driver_allowed[]), or it is bound to a vfio driver.
// NEW (spec §2.2, 5.19+): a device does not block if it has no driver or its driver declares
// driver_managed_dma; every other bound driver holds kernel DMA ownership (owner_cnt) and
// iommu_group_claim_dma_owner() fails with -EPERM.

import type { HeaderType } from '../corpus/model.js';
import type { DeclarationState } from './declarations.js';
import type { DeviceOutcome } from './model.js';
import type { PolicyTables } from './tables.js';

/** What the old rule needs besides the tables: allow-list strings the series adds. */
export interface OldRuleContext {
  tables: PolicyTables;
  allowListAdded: readonly string[];
}

const HEADER_NUMBER: Record<HeaderType, number> = { normal: 0, bridge: 1, cardbus: 2 };

export function isBridgeHeader(h: HeaderType | null): boolean {
  return h === 'bridge' || h === 'cardbus';
}

export function isVfioDriver(driver: string, tables: PolicyTables): boolean {
  return tables.vfioDrivers.has(driver);
}

export function onOldAllowList(driver: string, ctx: OldRuleContext): boolean {
  return ctx.tables.oldAllowList.has(driver) || ctx.allowListAdded.includes(driver);
}

/** vfio_dev_viable() for one device with a known header type and known binding. */
export function oldRule(header: HeaderType, driver: string | null, ctx: OldRuleContext): DeviceOutcome {
  if (driver === null) return { pass: true, reason: 'no driver' };
  if (header !== 'normal') {
    const kind = header === 'cardbus' ? 'CardBus bridge' : 'bridge';
    return { pass: true, reason: `${kind}, header type ${HEADER_NUMBER[header]}, driver ${driver}` };
  }
  if (onOldAllowList(driver, ctx)) return { pass: true, reason: `${driver} is on the old allow-list (vfio_driver_allowed)` };
  if (isVfioDriver(driver, ctx.tables)) return { pass: true, reason: `bound to vfio driver ${driver}` };
  return {
    pass: false,
    reason: `${driver} is not a vfio driver nor on the old allow-list, and header type 0 is not exempt`,
  };
}

/** The new rule for one device with a known binding. */
export function newRule(driver: string | null, state: DeclarationState): DeviceOutcome {
  if (driver === null) return { pass: true, reason: 'no driver' };
  return { pass: state.declares(driver), reason: state.why(driver) };
}
