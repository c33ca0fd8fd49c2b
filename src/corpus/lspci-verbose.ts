// The indented lines of a device block (`lspci -v`/`-vv`/`-vvv`, and the few that `-k`
// prints). One pass, dispatched on the first character; each reader names the exact text it
// matches. Lines the tool does not need are skipped here at the cost of one switch.

import type { Block } from './block.js';
import type { HeaderType } from './model.js';
import { hexDigit } from './device-line.js';
import { readDriverLine, readKernelLine, readSubsystemLine } from './lspci-kernel.js';
import { readAcsLine, readCapabilityLine } from './lspci-caps.js';

/**
 * Read one indented line, `t` from `at` (its first non-blank character, `c0`) to `eol` (its end).
 * `t` may be the whole input text: readers that only test a prefix read it in place, and a
 * line is cut out of it only for the readers that search it or keep a piece of it, so the
 * capability detail lines (most of a -vvv dump) cost one switch and at most one prefix test.
 */
export function readBodyLine(b: Block, t: string, at: number, c0: number, eol: number, line: number): void {
  b.lastLine = line;
  b.endsWithKernelLine = false;
  b.endsWithDriverLine = false;
  // The second character is tested before a prefix: a startsWith call costs about ten times a
  // charCodeAt, and most lines under a letter are not the one line that letter is read for
  // (`DevCap:` under D, `Interrupt:` under I). Past the line end it is never the letter wanted.
  const c1 = t.charCodeAt(at + 1);
  switch (c0) {
    case 65: // A
      // These readers test their own prefix; the second letter leaves them nearly only their lines.
      if (c1 === 67 /* C */) readAcsLine(b, t.slice(at, eol), 0);
      return;
    case 66: // B
      if (c1 === 117 /* u */) readBusLine(b, t.slice(at, eol), 0);
      return;
    case 67: // C
      if (c1 === 97 /* a */ && readCapabilityLine(b, t, at, eol)) return;
      if (!b.verbose && t.startsWith('Control:', at)) b.verbose = true;
      return;
    case 68: // D
      if (c1 === 114 /* r */) readDriverLine(b, t, at, eol);
      return;
    case 69: // E
      if (!b.verbose && t.startsWith('Expansion ROM', at)) b.verbose = true;
      return;
    case 70: // F
      if (c1 === 108 /* l */) readFlagsLine(b, t.slice(at, eol), 0);
      return;
    case 72: // H
      if (c1 === 101 /* e */ && t.startsWith('Header type: ', at)) readHeaderTypeLine(b, t.slice(at, eol), 0);
      return;
    case 73: // I
      if (c1 === 79 /* O */) readIommuGroupLine(b, t, at);
      else if (c1 === 47 /* / */) readIoLine(b, t, at);
      return;
    case 75: // K
      readKernelLine(b, t, at, eol);
      return;
    case 76: // L
      if (!b.verbose && t.startsWith('Latency', at)) b.verbose = true;
      return;
    case 77: // M
      if (c1 === 101 /* e */) readMemoryLine(b, t, at);
      return;
    case 80: // P
      if (c1 === 114 /* r */ && t.startsWith('Prefetchable memory behind bridge', at)) bridgeLine(b);
      return;
    case 82: // R
      if (!b.verbose && t.startsWith('Region ', at)) b.verbose = true;
      return;
    case 83: // S
      if (c1 === 117 /* u */ && readSubsystemLine(b, t, at, eol)) return;
      if (!b.verbose && t.startsWith('Status:', at)) b.verbose = true;
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
