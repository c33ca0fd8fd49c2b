// One input text in, one host out. A single pass over lines: each line is recognised by cheap
// prefix tests as a device header line, an indented line of the current device block, a
// listing line in one of four forms, a snapshot header, or noise (prompts, script output).
// Pure: no I/O. Auto-detects the forms; a file holding a listing and lspci output of the same
// machine becomes one host.

import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { formatBdf, type Host, type HostMetadata } from './model.js';
import { newBlock, type Block, type ListedDevice } from './block.js';
import { clean, looksLikeAddress, parseDeviceLine, type DeviceLine } from './device-line.js';
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
  let first = -1;
  const n = Math.min(text.length, 4096);
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

function closeBlock(st: State, cleanEnd: boolean): void {
  const b = st.cur;
  if (!b) return;
  st.cur = null;
  // A verbose block ends with a blank line, or at least with the kernel lines lspci prints last
  // (spec §8.2); anything else means the block was cut.
  if (b.verbose && !cleanEnd && !b.endsWithKernelLine) {
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
  if (b.driverLineSeen || b.modulesLineSeen) st.kernelLinesShown = true;
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

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
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

  const lines = text.split('\n');
  const endsWithNewline = text.charCodeAt(text.length - 1) === 10;
  if (endsWithNewline) lines.pop();
  const hasCr = text.indexOf('\r') >= 0;
  const hasStderr = text.indexOf('pcilib: ') >= 0;
  let crLines = 0;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let s = lines[i]!;
    if (hasCr && s.charCodeAt(s.length - 1) === 13) {
      s = s.slice(0, -1);
      crLines++;
    }
    if (hasStderr) {
      // lspci's stderr spliced into a stdout line as the terminal showed it: `Capabilpcilib: sysfs_read_vpd:
      // read failed: No such device` then `ities: [50] MSI...` on the next line. Take the message out
      // and rejoin the line (the corpus manifest counts what lspci printed).
      // The kept pieces are joined once at the end and each search starts in the new piece:
      // rescanning the joined line per message was quadratic in a line followed by many messages.
      let p = s.indexOf('pcilib: ');
      if (p >= 0) {
        const kept: string[] = [];
        while (p >= 0) {
          diagnostics.push(
            diag(file, i + 1, 'info', 'stderr-spliced', `lspci stderr message taken out of the output: ${clean(s.slice(p, p + 120))}`),
          );
          kept.push(s.slice(0, p));
          let next = '';
          if (i + 1 < lines.length) {
            next = lines[++i]!;
            if (hasCr && next.charCodeAt(next.length - 1) === 13) next = next.slice(0, -1);
          }
          s = next;
          p = s.indexOf('pcilib: ');
        }
        kept.push(s);
        s = kept.join('');
      }
    }

    let at = 0;
    while (at < s.length) {
      const c = s.charCodeAt(at);
      if (c !== 32 && c !== 9) break;
      at++;
    }
    if (at === s.length) {
      closeBlock(st, true);
      st.group = null;
      st.lsGroup = null;
      continue;
    }
    const c = s.charCodeAt(at);
    const inGroup = st.group !== null && at > st.group.indent;

    // An indented line of the current device block.
    if (at > 0 && st.cur !== null) {
      if (looksLikeAddress(s, at)) {
        // Pastes with odd indentation put header lines at any depth.
        const dl = parseDeviceLine(s, at);
        if (dl) {
          startBlock(st, dl, lineNo);
          continue;
        }
      }
      // An indented listing after lspci output (`  IOMMU Group 1:` in a markdown list); the
      // block's own `IOMMU group: 7` line has a colon after `group` and does not match.
      if (c !== 73 /* I */ || readGroupLine(s, at) === null) {
        readBodyLine(st.cur, s, at, lineNo);
        continue;
      }
    }

    if (looksLikeAddress(s, at)) {
      const dl = parseDeviceLine(s, at);
      if (dl) {
        if (inGroup) list(st, dl, st.group!.group, lineNo, 'listing-grouped');
        else startBlock(st, dl, lineNo);
        continue;
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
        continue;
      }
    }
    if (c === 47 /* / */) {
      const p = readSysfsLine(s, at);
      if (p) {
        closeBlock(st, true);
        st.group = null;
        if (p.kind === 'ls-header') st.lsGroup = p.group;
        else list(st, p.device, p.group, lineNo, 'listing-sysfs-find');
        continue;
      }
    }
    if (st.lsGroup !== null) {
      const d = readLsEntry(s, at);
      if (d) {
        list(st, d, st.lsGroup, lineNo, 'listing-sysfs-ls');
        continue;
      }
      if (s.startsWith('total ', at)) continue;
    }
    if (c === 45 /* - */ && s.trimEnd().slice(at) === '---') {
      // The separator between a listing and the lspci output of the same machine.
      closeBlock(st, true);
      st.group = null;
      st.lsGroup = null;
      continue;
    }
    if (c === 35 /* # */ && readSnapshotLine(st, s, at)) continue;
    if (c === 66 /* B */ && s.startsWith('BOOT_IMAGE=', at)) {
      st.cmdline = clean(s.slice(at).trim());
      continue;
    }
    noise(st, s, lineNo);
  }
  // End of input: a verbose block still open must have reached its kernel lines.
  closeBlock(st, endsWithNewline && st.cur !== null && st.cur.endsWithKernelLine);

  if (crLines > 0) {
    diagnostics.push(diag(file, 1, 'info', 'crlf', `CRLF line endings on ${crLines} lines; read as LF`));
  }
  if (st.blocks.length === 0 && st.listed.length === 0) {
    diagnostics.push(
      diag(file, st.firstNoise || 1, 'error', 'not-lspci', `no lspci device line or IOMMU group listing line in ${lines.length} lines`),
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
