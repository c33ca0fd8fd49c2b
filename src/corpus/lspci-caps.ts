// The capability lines the kernel's grouping code cares about: the Express capability
// (ls-caps.c cap_express, spec §8.5), ACS (ls-ecaps.c cap_acs, spec §8.6) and the non-root
// `Capabilities: <access denied>` (spec §8.7).

import type { AcsBits, PcieType } from './model.js';
import type { Block } from './block.js';

const CAPABILITIES = 'Capabilities: ';
const ACCESS_DENIED = '<access denied>';
const EXPRESS = 'Express ';
const ACS = 'Access Control Services';

/**
 * `\tCapabilities: <access denied>`
 * `\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00` (`(vN)` only at -vv)
 * `\tCapabilities: [148 v1] Access Control Services`
 * The line ends at `end` (`s` may hold more lines after it; see readBodyLine).
 */
export function readCapabilityLine(b: Block, s: string, at: number, end = s.length): boolean {
  if (!s.startsWith(CAPABILITIES, at)) return false;
  b.verbose = true;
  const i = at + CAPABILITIES.length;
  if (s.startsWith(ACCESS_DENIED, i)) {
    b.accessDenied = true;
    return true;
  }
  b.capabilityLines = true;
  const close = pairAt(s, 93 /* ] */, i, end);
  if (close < 0) return true;
  const what = close + 2;
  if (s.startsWith(EXPRESS, what)) {
    let t = what + EXPRESS.length;
    if (s.charCodeAt(t) === 40 /* ( */) {
      const p = pairAt(s, 41 /* ) */, t, end);
      if (p >= 0) t = p + 2;
    }
    b.pcieType = expressType(s, t);
  } else if (s.startsWith(ACS, what)) {
    b.hasAcs = true;
  }
  return true;
}

/** Index of the first `<c> ` (c then a space) in `s` from `from`, ending before `end`; -1 if none. */
function pairAt(s: string, c: number, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) {
    if (s.charCodeAt(i) === c && s.charCodeAt(i + 1) === 32) return i;
  }
  return -1;
}

/** The `<type>` strings of cap_express, exactly as pciutils prints them (spec §8.5). */
export function expressType(s: string, at: number): PcieType {
  if (s.startsWith('Endpoint', at)) return 'endpoint';
  if (s.startsWith('Legacy Endpoint', at)) return 'legacy-endpoint';
  if (s.startsWith('Root Port', at)) return 'root-port';
  if (s.startsWith('Upstream Port', at)) return 'upstream-port';
  if (s.startsWith('Downstream Port', at)) return 'downstream-port';
  if (s.startsWith('PCI-Express to PCI/PCI-X Bridge', at)) return 'pcie-to-pci-bridge';
  if (s.startsWith('PCI/PCI-X to PCI-Express Bridge', at)) return 'pci-to-pcie-bridge';
  if (s.startsWith('Root Complex Integrated Endpoint', at)) return 'rc-integrated-endpoint';
  if (s.startsWith('Root Complex Event Collector', at)) return 'rc-event-collector';
  return 'unknown';
}

/**
 * `\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-`
 * `\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-`
 */
export function readAcsLine(b: Block, s: string, at: number): boolean {
  const isCap = s.startsWith('ACSCap:', at);
  if (!isCap && !s.startsWith('ACSCtl:', at)) return false;
  const bits = acsBits(s, at + 7);
  b.hasAcs = true;
  if (isCap) b.acsCap = bits;
  else b.acsCtl = bits;
  return true;
}

function flag(s: string, name: string, from: number): boolean {
  const i = s.indexOf(name, from);
  return i >= 0 && s.charCodeAt(i + name.length) === 43; /* + */
}

export function acsBits(s: string, from: number): AcsBits {
  return {
    sv: flag(s, 'SrcValid', from),
    tb: flag(s, 'TransBlk', from),
    rr: flag(s, 'ReqRedir', from),
    cr: flag(s, 'CmpltRedir', from),
    uf: flag(s, 'UpstreamFwd', from),
    ec: flag(s, 'EgressCtrl', from),
    dt: flag(s, 'DirectTrans', from),
  };
}

/** Inverse of acsBits, in lspci's order and spelling. */
export function formatAcsBits(b: AcsBits): string {
  const f = (v: boolean): string => (v ? '+' : '-');
  return (
    `SrcValid${f(b.sv)} TransBlk${f(b.tb)} ReqRedir${f(b.rr)} CmpltRedir${f(b.cr)} ` +
    `UpstreamFwd${f(b.uf)} EgressCtrl${f(b.ec)} DirectTrans${f(b.dt)}`
  );
}
