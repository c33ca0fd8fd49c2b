// The device header line lspci prints first for every device (spec §8.1, lspci.c show_terse),
// and the bare address that sysfs paths end in. Cheap character tests, no regex: this runs on
// every line of every dump.

import { sanitize } from '../diagnostics/sanitize.js';

/** Value of one hex digit, or -1. */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Cheap test before parseAddress: lspci and sysfs print addresses in lower-case hex, with a
 * colon after the bus (`00:1f.3`) or after the domain (`0000:`, `10000:`). Verbose body lines
 * mostly start with upper-case letters (`Capabilities`, `DevCap`, `ACSCap`), so they fail here.
 */
export function looksLikeAddress(s: string, at: number): boolean {
  if (!isAddressStart(s.charCodeAt(at))) return false;
  return s.charCodeAt(at + 2) === 58 || s.charCodeAt(at + 4) === 58 || s.charCodeAt(at + 5) === 58;
}

/** A lower-case hex digit, the first character of an address as lspci and sysfs print it. */
export function isAddressStart(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

export interface Address {
  domain: number;
  bus: number;
  device: number;
  function: number;
  /** Index just past the function digit. */
  end: number;
}

/**
 * `[dddd:]bb:dd.f` at `start`, followed by a space, a tab, `/` or the end of the string.
 * The domain may be longer than 4 digits (VMD domains print as `10000:e1:00.0`).
 */
export function parseAddress(s: string, start: number): Address | null {
  let i = start;
  let first = 0;
  let firstLen = 0;
  for (; i < s.length; i++) {
    const v = hexDigit(s.charCodeAt(i));
    if (v < 0) break;
    first = first * 16 + v;
    firstLen++;
  }
  if (firstLen === 0 || firstLen > 8 || s.charCodeAt(i) !== 58 /* : */) return null;
  i++;
  const b0 = hexDigit(s.charCodeAt(i));
  const b1 = hexDigit(s.charCodeAt(i + 1));
  if (b0 < 0 || b1 < 0) return null;
  const second = b0 * 16 + b1;
  i += 2;
  let domain = 0;
  let bus: number;
  let device: number;
  const sep = s.charCodeAt(i);
  if (sep === 58 /* : */) {
    // dddd:bb:dd.f
    domain = first;
    bus = second;
    i++;
    const d0 = hexDigit(s.charCodeAt(i));
    const d1 = hexDigit(s.charCodeAt(i + 1));
    if (d0 < 0 || d1 < 0 || s.charCodeAt(i + 2) !== 46 /* . */) return null;
    device = d0 * 16 + d1;
    i += 3;
  } else if (sep === 46 /* . */) {
    // bb:dd.f
    if (firstLen !== 2) return null;
    bus = first;
    device = second;
    i++;
  } else {
    return null;
  }
  const f = s.charCodeAt(i) - 48;
  if (f < 0 || f > 7 || device > 31) return null;
  i++;
  if (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 47 /* / */) return null;
  }
  return { domain, bus, device, function: f, end: i };
}

export interface DeviceLine extends Address {
  classCode: string | null;
  className: string | null;
  vendorId: string | null;
  deviceId: string | null;
  description: string;
}

const UNSAFE_TEST = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** sanitize() only when needed: most input lines are plain ASCII. */
export function clean(text: string): string {
  return UNSAFE_TEST.test(text) ? sanitize(text) : text;
}

function isHex(s: string, from: number, len: number): boolean {
  for (let i = from; i < from + len; i++) if (hexDigit(s.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * `vvvv:dddd` at `at` (exactly 4:4 hex digits), returned lower-case, or null.
 */
export function idPair(s: string, at: number): [string, string] | null {
  if (at < 0 || at + 9 > s.length || s.charCodeAt(at + 4) !== 58) return null;
  if (!isHex(s, at, 4) || !isHex(s, at + 5, 4)) return null;
  return [s.slice(at, at + 4).toLowerCase(), s.slice(at + 5, at + 9).toLowerCase()];
}

/**
 * Names and IDs after the class, in the three ways lspci prints them:
 * - `-nn`: `Intel Corporation Device Name [8086:0c01] (rev 07) (prog-if 00 [Normal decode])`
 * - `-n`:  `8086:0c01 (rev 07)`
 * - names only: `Intel Corporation Device Name (rev 07)`
 * Also used for the `Subsystem:` line.
 */
export function parseNamesAndIds(desc: string): { name: string; ids: [string, string] | null } {
  const end = namesEnd(desc);
  // -nn: the last bracket pair is the IDs.
  const nn = bracketIds(desc, end);
  if (nn) return { name: desc.slice(0, end - 11).trimEnd(), ids: nn };
  // -n: numbers only.
  const ids = idPair(desc, 0);
  if (ids && (end === 9 || desc.charCodeAt(9) === 32)) return { name: '', ids };
  return { name: desc.slice(0, end).trimEnd(), ids: null };
}

/** The IDs of parseNamesAndIds alone (the `Subsystem:` line needs no name). */
export function parseIds(desc: string): [string, string] | null {
  const end = namesEnd(desc);
  const nn = bracketIds(desc, end);
  if (nn) return nn;
  const ids = idPair(desc, 0);
  return ids && (end === 9 || desc.charCodeAt(9) === 32) ? ids : null;
}

/** `[vvvv:dddd]` just before `end`, or null. */
function bracketIds(desc: string, end: number): [string, string] | null {
  if (desc.charCodeAt(end - 1) === 93 /* ] */ && end >= 11 && desc.charCodeAt(end - 11) === 91 /* [ */) {
    return idPair(desc, end - 10);
  }
  return null;
}

/** End of the names and IDs: before a trailing `(prog-if ...)` and `(rev xx)`. */
function namesEnd(desc: string): number {
  let end = desc.length;
  // Strip `(prog-if ...)` then `(rev xx)`; prog-if may hold a bracketed name.
  if (desc.charCodeAt(end - 1) === 41 /* ) */) {
    const p = lastSpaced(desc, '(prog-if ', desc.length);
    if (p >= 0) end = p;
  }
  if (desc.charCodeAt(end - 1) === 41) {
    const r = lastSpaced(desc, '(rev ', end);
    if (r >= 0) end = r;
  }
  return end;
}

/**
 * `s.lastIndexOf(' ' + word, from)` for a `word` that starts with `(`. V8 runs lastIndexOf as
 * a C++ builtin, a costly call on every header line; indexOf finds the rare `(` natively, and
 * a name rarely holds more than one.
 */
function lastSpaced(s: string, word: string, from: number): number {
  let last = -1;
  for (let i = s.indexOf(word, 1); i >= 0 && i - 1 <= from; i = s.indexOf(word, i + 1)) {
    if (s.charCodeAt(i - 1) === 32) last = i - 1;
  }
  return last;
}

/**
 * The device header line, `[dddd:]bb:dd.f <class>: <vendor> <device> [vvvv:dddd] (rev rr)`,
 * starting at `start`. Class forms: `PCI bridge [0604]` (-nn), `0604` (-n), `PCI bridge` (names).
 * lspci's placeholder for an unknown class name, `Class [cccc]`, gives className null.
 */
export function parseDeviceLine(s: string, start: number): DeviceLine | null {
  const a = parseAddress(s, start);
  if (!a || s.charCodeAt(a.end) !== 32) return null;
  const restStart = a.end + 1;
  const colon = s.indexOf(': ', restStart);
  if (colon < 0) return null;
  const classLen = colon - restStart;
  let classCode: string | null = null;
  let className: string | null = null;
  if (classLen === 4 && isHex(s, restStart, 4)) {
    classCode = s.slice(restStart, colon).toLowerCase();
  } else if (
    classLen > 7 &&
    s.charCodeAt(colon - 1) === 93 &&
    s.charCodeAt(colon - 6) === 91 &&
    isHex(s, colon - 5, 4)
  ) {
    classCode = s.slice(colon - 5, colon - 1).toLowerCase();
    const name = s.slice(restStart, colon - 7);
    className = name === 'Class' ? null : clean(name);
  } else {
    const name = s.slice(restStart, colon);
    className = name === 'Class' ? null : clean(name);
  }
  const { name, ids } = parseNamesAndIds(s.slice(colon + 2));
  // Built field by field: an object spread here costs more than the whole line parse.
  return {
    domain: a.domain,
    bus: a.bus,
    device: a.device,
    function: a.function,
    end: a.end,
    classCode,
    className,
    vendorId: ids ? ids[0] : null,
    deviceId: ids ? ids[1] : null,
    // `Device` alone is lspci's placeholder for an unknown vendor and device name.
    description: name === 'Device' ? '' : clean(name),
  };
}
