// The out-of-tree `pcie_acs_override=` boot option (spec §6.7), which Proxmox and several gaming
// kernels carry: simulated so users can see what it would change. Not in mainline.

import { CliError } from '../cli/context.js';

export interface AcsOverride {
  /** Root ports and switch downstream ports without an ACS capability count as isolated. */
  downstream: boolean;
  /** Multifunction endpoints / upstream ports / RCiEPs without an ACS capability count as isolated. */
  multifunction: boolean;
  /** `id:vvvv:dddd`: these devices (without an ACS capability) count as isolated, any PCIe type. */
  ids: Array<{ vendor: string; device: string }>;
}

/** The patch declares 16 id slots but stops accepting at 15 (spec §6.7). */
export const MAX_OVERRIDE_IDS = 15;

/**
 * Parse `downstream,multifunction,id:8086:1c10` (the value of `pcie_acs_override=`; a leading
 * `pcie_acs_override=` is accepted too, as users paste it from /proc/cmdline).
 */
export function parseAcsOverride(text: string): AcsOverride {
  const value = text.trim().replace(/^pcie_acs_override=/, '');
  const result: AcsOverride = { downstream: false, multifunction: false, ids: [] };
  if (value === '') throw new CliError('--acs-override: empty value (expected downstream, multifunction and/or id:vvvv:dddd)');
  for (const raw of value.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === 'downstream') result.downstream = true;
    else if (token === 'multifunction') result.multifunction = true;
    else {
      const id = /^id:([0-9a-f]{4}):([0-9a-f]{4})$/.exec(token);
      if (!id) {
        throw new CliError(
          `--acs-override: bad token '${raw.trim()}' (expected downstream, multifunction or id:vvvv:dddd)`,
        );
      }
      if (result.ids.length >= MAX_OVERRIDE_IDS) {
        throw new CliError(`--acs-override: more than ${MAX_OVERRIDE_IDS} id: entries (the kernel patch ignores the rest)`);
      }
      result.ids.push({ vendor: id[1]!, device: id[2]! });
    }
  }
  return result;
}

export function formatAcsOverride(o: AcsOverride): string {
  const parts: string[] = [];
  if (o.downstream) parts.push('downstream');
  if (o.multifunction) parts.push('multifunction');
  for (const id of o.ids) parts.push(`id:${id.vendor}:${id.device}`);
  return parts.join(',');
}
