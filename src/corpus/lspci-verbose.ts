// The indented lines of a device block (`lspci -v`/`-vv`/`-vvv`, and the few that `-k`
// prints). One pass, dispatched on the first character; each reader names the exact text it
// matches. Lines the tool does not need are skipped here at the cost of one switch.

import type { Block } from './block.js';
import type { HeaderType } from './model.js';
import { hexDigit } from './device-line.js';
import { readDriverLine, readKernelLine, readSubsystemLine } from './lspci-kernel.js';
import { readAcsLine, readCapabilityLine } from './lspci-caps.js';

/** Read one indented line; `at` is the index of its first non-blank character. */
export function readBodyLine(b: Block, s: string, at: number, line: number): void {
  b.lastLine = line;
  b.endsWithKernelLine = false;
  switch (s.charCodeAt(at)) {
    case 65: // A
      readAcsLine(b, s, at);
      return;
    case 66: // B
      readBusLine(b, s, at);
      return;
    case 67: // C
      if (!readCapabilityLine(b, s, at) && s.startsWith('Control:', at)) b.verbose = true;
      return;
    case 68: // D
      readDriverLine(b, s, at);
      return;
    case 69: // E
      if (s.startsWith('Expansion ROM', at)) b.verbose = true;
      return;
    case 70: // F
      readFlagsLine(b, s, at);
      return;
    case 72: // H
      readHeaderTypeLine(b, s, at);
      return;
    case 73: // I
      if (!readIommuGroupLine(b, s, at)) readIoLine(b, s, at);
      return;
    case 75: // K
      readKernelLine(b, s, at);
      return;
    case 76: // L
      if (s.startsWith('Latency', at)) b.verbose = true;
      return;
    case 77: // M
      readMemoryLine(b, s, at);
      return;
    case 80: // P
      if (s.startsWith('Prefetchable memory behind bridge', at)) bridgeLine(b);
      return;
    case 82: // R
      if (s.startsWith('Region ', at)) b.verbose = true;
      return;
    case 83: // S
      if (!readSubsystemLine(b, s, at) && s.startsWith('Status:', at)) b.verbose = true;
      return;
    default:
      return;
  }
}

function bridgeLine(b: Block): void {
  b.behindBridgeLines = true;
  b.verbose = true;
}

/** `\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0` (show_htype1/2, spec §8.4). */
function readBusLine(b: Block, s: string, at: number): void {
  if (!s.startsWith('Bus: primary=', at)) return;
  b.busLine = true;
  b.verbose = true;
  b.primaryBus = hexByte(s, at + 13);
  const sec = s.indexOf('secondary=', at);
  if (sec >= 0) b.secondaryBus = hexByte(s, sec + 10);
  const sub = s.indexOf('subordinate=', at);
  if (sub >= 0) b.subordinateBus = hexByte(s, sub + 12);
}

function hexByte(s: string, at: number): number | null {
  const h = hexDigit(s.charCodeAt(at));
  const l = hexDigit(s.charCodeAt(at + 1));
  return h < 0 || l < 0 ? null : h * 16 + l;
}

/** `\tI/O behind bridge: ...` (type 1) or `\tI/O window 0: ...` (type 2, CardBus). */
function readIoLine(b: Block, s: string, at: number): void {
  if (s.startsWith('I/O behind bridge', at)) bridgeLine(b);
  else if (s.startsWith('I/O window', at)) {
    b.windowLines = true;
    b.verbose = true;
  } else if (s.startsWith('I/O ports at', at)) b.verbose = true;
}

/** `\tMemory behind bridge: ...` (type 1), `\tMemory window 0: ...` (type 2), `\tMemory at ...` (-v). */
function readMemoryLine(b: Block, s: string, at: number): void {
  if (s.startsWith('Memory behind bridge', at)) bridgeLine(b);
  else if (s.startsWith('Memory window', at)) {
    b.windowLines = true;
    b.verbose = true;
  } else if (s.startsWith('Memory at', at)) b.verbose = true;
}

/** `\tIOMMU group: 7` (-vv and above, spec §8.3). */
function readIommuGroupLine(b: Block, s: string, at: number): boolean {
  if (!s.startsWith('IOMMU group: ', at)) return false;
  b.iommuGroup = decimal(s, at + 13);
  return true;
}

/** `\tFlags: bus master, fast devsel, latency 0, IRQ 16, IOMMU group 7` (-v, spec §8.3). */
function readFlagsLine(b: Block, s: string, at: number): void {
  if (!s.startsWith('Flags: ', at)) return;
  b.verbose = true;
  const g = s.indexOf('IOMMU group ', at);
  if (g >= 0) b.iommuGroup = decimal(s, g + 12);
}

/** `\tHeader type: bridge [sysfs]`: written by `vfio-impact snapshot` from sysfs config (lspci never prints it). */
function readHeaderTypeLine(b: Block, s: string, at: number): void {
  if (!s.startsWith('Header type: ', at)) return;
  const t = s.slice(at + 13).split(' ')[0];
  if (t === 'normal' || t === 'bridge' || t === 'cardbus') b.sysfsHeaderType = t as HeaderType;
}

export function decimal(s: string, at: number): number | null {
  let v = 0;
  let n = 0;
  for (let i = at; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    n++;
  }
  return n === 0 || n > 9 ? null : v;
}
