// One input text in, one host out. A single pass over lines: each line is recognised by cheap
// prefix tests as a device header line, an indented line of the current device block, a
// listing line in one of four forms, a snapshot header, or noise (prompts, script output).
// Pure: no I/O. Auto-detects the forms; a file holding a listing and lspci output of the same
// machine becomes one host.

import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { formatBdf, type Host, type HostMetadata } from './model.js';
import { newBlock, type Block, type ListedDevice } from './block.js';
import { clean, isAddressStart, looksLikeAddress, parseDeviceLine, type DeviceLine } from './device-line.js';
import { readBodyLine } from './lspci-verbose.js';
import { readGroupLine, readLsEntry, readSysfsLine, type ListingForm } from './listing.js';
import { commandShowsKernel } from './lspci-short.js';
import { mergeHost } from './merge.js';

export interface ParseResult {
  hosts: Host[];
  diagnostics: Diagnostic[];
}

/** Codes of the diagnostics that mean "no host in this file". */
export const SKIP_CODES = ['empty', 'binary', 'not-lspci'] as const;

export const SNAPSHOT_MARK = '# vfio-impact snapshot';

/** Host id when no manifest names it: the base name without `.lspci.txt` / `.txt`. */
export function hostIdFromFile(file: string): string {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  if (base.endsWith('.lspci.txt')) return base.slice(0, -10);
  if (base.endsWith('.txt')) return base.slice(0, -4);
  return base;
}

/**
 * Binary when control characters (other than tab, CR, LF, FF) or U+FFFD replacement characters
 * make up more than a tenth of the first 4 KiB (gzip, UTF-16, executables). A stray NUL in a
 * text dump does not make it binary: the rest of the dump is still read (see `nul-bytes`).
 * Returns the 1-based line of the first offending character, or 0 when the text looks textual.
 */
export function binaryLine(text: string): number {
  const n = Math.min(text.length, 4096);
  // Nearly every input has none: one regex scan (native code) settles it, ~3x cheaper than
  // the counting loop below on the first 4 KiB.
  if (!BINARY_CHAR.test(n === text.length ? text : text.slice(0, n))) return 0;
  let first = -1;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0xfffd) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (bad * 10 <= n) return 0;
  return lineAt(text, first);
}

// eslint-disable-next-line no-control-regex
const BINARY_CHAR = /[\u0000-\u0008\u000b\u000e-\u001f\ufffd]/;

/** 1-based line of character `index`. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

interface State {
  file: string;
  diagnostics: Diagnostic[];
  blocks: Block[];
  listed: ListedDevice[];
  cur: Block | null;
  group: { group: number; indent: number } | null;
  lsGroup: number | null;
  forms: Set<string>;
  kernelLinesShown: boolean;
  snapshot: boolean;
  kernel: string | null;
  cmdline: string | null;
  noise: number;
  firstNoise: number;
}

/**
 * `cutEnd`: the input stopped in the middle of this block's last line (no final newline). Then
 * the block may be cut whatever its form: a `-vv` block cut before its first verbose line looks
 * like a short `-k` one, and a cut `Kernel driver in use: i9` line may hold half a name.
 */
function closeBlock(st: State, cleanEnd: boolean, cutEnd = false): void {
  const b = st.cur;
  if (!b) return;
  st.cur = null;
  // Even cut, a kernel line says the dump shows bindings (it decides for the other blocks).
  if (b.driverLineSeen || b.modulesLineSeen) st.kernelLinesShown = true;
  const driverLineCut = cutEnd && b.endsWithDriverLine;
  if (driverLineCut) {
    b.driverLineSeen = false;
    b.driver = null;
  }
  // A verbose block ends with a blank line, or at least with the kernel lines lspci prints last
  // (spec §8.2); anything else means the block was cut.
  if ((b.verbose || cutEnd) && !cleanEnd && (!b.endsWithKernelLine || driverLineCut)) {
    b.truncated = true;
    st.diagnostics.push(
      diag(
        st.file,
        b.lastLine,
        'warning',
        'truncated-block',
        `the block of device ${formatBdf(b.header.domain, b.header.bus, b.header.device, b.header.function)} (line ${b.line}) ends before its closing lines; its driver is taken as unknown`,
      ),
    );
  }
  st.forms.add(b.verbose ? 'lspci-verbose' : 'lspci-short');
}

function startBlock(st: State, header: DeviceLine, line: number): void {
  closeBlock(st, false);
  st.group = null;
  st.lsGroup = null;
  const b = newBlock(header, line);
  st.blocks.push(b);
  st.cur = b;
}

function list(st: State, device: DeviceLine, group: number, line: number, form: ListingForm): void {
  st.listed.push({ header: device, group, line, form });
  st.forms.add(form);
}

function noise(st: State, s: string, line: number): void {
  closeBlock(st, false);
  st.group = null;
  st.lsGroup = null;
  if (commandShowsKernel(s)) st.kernelLinesShown = true;
  if (st.noise++ === 0) st.firstNoise = line;
}

/** `BOOT_IMAGE=/boot/vmlinuz-6.5.11-8-pve root=...` (a pasted /proc/cmdline). */
function kernelFromCmdline(cmdline: string): string | null {
  const m = /^BOOT_IMAGE=\S*vmlinuz-(\S+)/.exec(cmdline);
  return m ? m[1]! : null;
}

/** `# vfio-impact snapshot`, `# kernel: 6.8.12-4-pve`, `# cmdline: ...` */
function readSnapshotLine(st: State, s: string, at: number): boolean {
  if (s.startsWith(SNAPSHOT_MARK, at)) {
    st.snapshot = true;
    // The snapshot reads driver links from sysfs: a device without one has no driver.
    st.kernelLinesShown = true;
    st.forms.add('snapshot');
    return true;
  }
  if (!st.snapshot) return false;
  if (s.startsWith('# kernel: ', at)) st.kernel = clean(s.slice(at + 10).trim()) || null;
  else if (s.startsWith('# cmdline: ', at)) st.cmdline = clean(s.slice(at + 11).trim()) || null;
  return true;
}

const STDERR_MARK = 'pcilib: ';

/**
 * Index of the next `pcilib: ` from `from`, or -1. Searched by its rare tail `b: `: V8 looks
 * for a pattern's first character with memchr, and `p` is frequent in lspci output (a plain
 * indexOf cost ~27 ns per line of dump, this ~7).
 */
export function stderrMessageAt(text: string, from: number): number {
  let i = text.indexOf('b: ', from + 5);
  while (i >= 0) {
    if (text.startsWith(STDERR_MARK, i - 5)) return i - 5;
    i = text.indexOf('b: ', i + 1);
  }
  return -1;
}

/** Only spaces and tabs from `from` to `to`. */
function isBlankRange(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}

/**
 * One line, `t` from `pos` to `eol` (the line end, CR excluded). `t` is the whole input text on
 * the fast path: a body line of the current block is dispatched on its first characters in
 * place, and only the lines another reader needs whole are cut out of it.
 */
function readLine(st: State, t: string, pos: number, eol: number, lineNo: number): void {
  // `c` ends as the first non-blank character: each read of `t` costs a few ns, and every
  // reader below dispatches on it.
  let at = pos;
  let c = 0;
  while (at < eol) {
    c = t.charCodeAt(at);
    if (c !== 32 && c !== 9) break;
    at++;
  }
  if (at === eol) {
    closeBlock(st, true);
    st.group = null;
    st.lsGroup = null;
    return;
  }

  // An indented line of the current device block: nearly every line of a verbose dump.
  const cur = st.cur;
  if (at > pos && cur !== null) {
    // looksLikeAddress may peek past the line end in `t`: a false yes is refused by parseDeviceLine.
    if (isAddressStart(c) && looksLikeAddress(t, at)) {
      // Pastes with odd indentation put header lines at any depth.
      const dl = parseDeviceLine(t.slice(pos, eol), at - pos);
      if (dl) {
        startBlock(st, dl, lineNo);
        return;
      }
    }
    // An indented listing after lspci output (`  IOMMU Group 1:` in a markdown list); the
    // block's own `IOMMU group: 7` line has a colon after `group` and does not match, so it
    // is dismissed by that character before any prefix test or line copy.
    if (
      c !== 73 /* I */ ||
      t.charCodeAt(at + 11) !== 32 ||
      !t.startsWith('IOMMU ', at) ||
      readGroupLine(t.slice(pos, eol), at - pos) === null
    ) {
      readBodyLine(cur, t, at, c, eol, lineNo);
      return;
    }
  }
  const s = pos === 0 && eol === t.length ? t : t.slice(pos, eol);
  readOtherLine(st, s, at - pos, c, lineNo);
}

/** A line outside a device block's body: a header line, a listing line, a separator or noise. */
function readOtherLine(st: State, s: string, at: number, c: number, lineNo: number): void {
  const inGroup = st.group !== null && at > st.group.indent;
  if (looksLikeAddress(s, at)) {
    const dl = parseDeviceLine(s, at);
    if (dl) {
      if (inGroup) list(st, dl, st.group!.group, lineNo, 'listing-grouped');
      else startBlock(st, dl, lineNo);
      return;
    }
  }
  if (c === 73 /* I */) {
    const g = readGroupLine(s, at);
    if (g) {
      closeBlock(st, true);
      if (g.kind === 'header') {
        st.group = { group: g.group, indent: at };
      } else {
        st.group = null;
        list(st, g.device, g.group, lineNo, 'listing-arch-wiki');
      }
      return;
    }
  }
  if (c === 47 /* / */) {
    const p = readSysfsLine(s, at);
    if (p) {
      closeBlock(st, true);
      st.group = null;
      if (p.kind === 'ls-header') st.lsGroup = p.group;
      else list(st, p.device, p.group, lineNo, 'listing-sysfs-find');
      return;
    }
  }
  if (st.lsGroup !== null) {
    const d = readLsEntry(s, at);
    if (d) {
      list(st, d, st.lsGroup, lineNo, 'listing-sysfs-ls');
      return;
    }
    if (s.startsWith('total ', at)) return;
  }
  if (c === 45 /* - */ && s.trimEnd().slice(at) === '---') {
    // The separator between a listing and the lspci output of the same machine.
    closeBlock(st, true);
    st.group = null;
    st.lsGroup = null;
    return;
  }
  if (c === 35 /* # */ && readSnapshotLine(st, s, at)) return;
  if (c === 66 /* B */ && s.startsWith('BOOT_IMAGE=', at)) {
    st.cmdline = clean(s.slice(at).trim());
    return;
  }
  noise(st, s, lineNo);
}

export function parseInput(text: string, file: string, metadata: HostMetadata = {}): ParseResult {
  const diagnostics: Diagnostic[] = [];
  if (isBlank(text)) {
    diagnostics.push(diag(file, 1, 'error', 'empty', text.length === 0 ? 'empty file' : 'file holds only blank lines'));
    return { hosts: [], diagnostics };
  }
  const bin = binaryLine(text);
  if (bin > 0) {
    diagnostics.push(diag(file, bin, 'error', 'binary', 'binary file (NUL or control bytes), not lspci text'));
    return { hosts: [], diagnostics };
  }

  const nul = text.indexOf('\0');
  if (nul >= 0) {
    // Names holding it are sanitised (U+FFFD) like any control character; say where it was.
    diagnostics.push(diag(file, lineAt(text, nul), 'warning', 'nul-bytes', 'NUL byte in the text (first on this line); read as U+FFFD'));
  }

  const st: State = {
    file,
    diagnostics,
    blocks: [],
    listed: [],
    cur: null,
    group: null,
    lsGroup: null,
    forms: new Set(),
    kernelLinesShown: false,
    snapshot: false,
    kernel: null,
    cmdline: null,
    noise: 0,
    firstNoise: 0,
  };

  // Lines are walked by offset in the whole text: most lines of a -vvv dump are capability
  // detail the model never reads, and they are dismissed by their first characters without
  // a substring of their own. Same lines and numbers as `text.split('\n')` without the piece
  // after a final newline.
  const len = text.length;
  const endsWithNewline = text.charCodeAt(len - 1) === 10;
  // The next `pcilib: ` not before the current line, or -1.
  let stderrAt = stderrMessageAt(text, 0);
  let crLines = 0;
  let lineNo = 0;
  let pos = 0;
  let more = true;
  while (more) {
    const nl = text.indexOf('\n', pos);
    let eol = nl < 0 ? len : nl;
    let next = nl + 1;
    more = nl >= 0 && next < len;
    lineNo++;
    // No whole-text `indexOf('\r')` first: V8 may re-run such a search inside the loop.
    if (eol > pos && text.charCodeAt(eol - 1) === 13) {
      eol--;
      crLines++;
    }
    if (stderrAt < 0 || stderrAt >= eol) {
      // A last line of blanks with no newline after it is the start of a line that was cut
      // (`\t\t`), not the blank line that ends a block: the end of input decides that block.
      if (nl >= 0 || !isBlankRange(text, pos, eol)) readLine(st, text, pos, eol, lineNo);
      pos = next;
      continue;
    }
    // lspci's stderr spliced into a stdout line as the terminal showed it: `Capabilpcilib: sysfs_read_vpd:
    // read failed: No such device` then `ities: [50] MSI...` on the next line. Take the message out
    // and rejoin the line (the corpus manifest counts what lspci printed).
    // The kept pieces are joined once at the end and each search starts in the new piece:
    // rescanning the joined line per message was quadratic in a line followed by many messages.
    const first = lineNo;
    let s = text.slice(pos, eol);
    let p = stderrAt - pos;
    const kept: string[] = [];
    while (p >= 0) {
      diagnostics.push(diag(file, lineNo, 'info', 'stderr-spliced', `lspci stderr message taken out of the output: ${clean(s.slice(p, p + 120))}`));
      kept.push(s.slice(0, p));
      s = '';
      if (more) {
        pos = next;
        const nl2 = text.indexOf('\n', pos);
        let eol2 = nl2 < 0 ? len : nl2;
        next = nl2 + 1;
        more = nl2 >= 0 && next < len;
        lineNo++;
        if (eol2 > pos && text.charCodeAt(eol2 - 1) === 13) eol2--;
        s = text.slice(pos, eol2);
      }
      p = s.indexOf('pcilib: ');
    }
    kept.push(s);
    s = kept.join('');
    stderrAt = more ? stderrMessageAt(text, next) : -1;
    readLine(st, s, 0, s.length, first);
    pos = next;
  }
  // End of input: a verbose block still open must have reached its kernel lines.
  closeBlock(st, endsWithNewline && st.cur !== null && st.cur.endsWithKernelLine, !endsWithNewline);

  if (crLines > 0) {
    diagnostics.push(diag(file, 1, 'info', 'crlf', `CRLF line endings on ${crLines} lines; read as LF`));
  }
  if (st.blocks.length === 0 && st.listed.length === 0) {
    diagnostics.push(
      diag(file, st.firstNoise || 1, 'error', 'not-lspci', `no lspci device line or IOMMU group listing line in ${lineNo} lines`),
    );
    return { hosts: [], diagnostics };
  }
  if (st.noise > 0) {
    diagnostics.push(
      diag(
        file,
        st.firstNoise,
        'info',
        'skipped-lines',
        `${st.noise} line${st.noise === 1 ? ' is' : 's are'} neither lspci output nor an IOMMU group listing (prompts, script output); skipped`,
      ),
    );
  }

  const devices = mergeHost(
    { file, blocks: st.blocks, listed: st.listed, kernelLinesShown: st.kernelLinesShown },
    diagnostics,
  );
  const kernel = st.kernel ?? metadata['kernel'] ?? (st.cmdline ? kernelFromCmdline(st.cmdline) : null);
  const host: Host = {
    // A file name can hold escape sequences too.
    id: metadata['id'] || clean(hostIdFromFile(file)),
    file,
    metadata,
    kernel: kernel ?? null,
    cmdline: st.cmdline,
    devices,
    // A device without a capability list (`Status: Cap-`) prints no Capabilities line even
    // without root: only a capability actually shown makes the dump's capabilities readable.
    capabilitiesReadable: st.blocks.some((b) => b.capabilityLines && !b.accessDenied),
    groupsPresent: devices.some((d) => d.iommuGroup !== null),
    forms: [...st.forms].sort(),
    diagnostics,
  };
  return { hosts: [host], diagnostics };
}
