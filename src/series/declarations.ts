// Find the DMA-ownership declarations a diff adds or removes (spec §2.5, §3) and the edits to
// the old rule itself (spec §1.1): vfio_driver_allowed[] strings and the header-type exemption
// in vfio_dev_driver_allowed(). Pure: hunks in, findings out.

import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { sanitize } from '../diagnostics/sanitize.js';
import type { FlagSpelling, RuleChange } from './model.js';
import type { DiffFile, Hunk, HunkLine } from './patch.js';

/** A flag line found in a hunk, before its struct is tied to a driver name. */
export interface FoundDeclaration {
  patchIndex: number;
  file: string;
  flag: FlagSpelling;
  action: 'added' | 'removed';
  value: boolean;
  /** 1-based line in the patch input. */
  line: number;
  /** Which version of the source the line belongs to: new for added, old for removed. */
  side: 'old' | 'new';
  /** Line number in that version of the source file. */
  sourceLine: number | null;
  struct: string | null;
  structType: string | null;
  /** `.driver`/`.drv` when the flag sits in a nested `struct device_driver` block. */
  container: string | null;
  /** The struct's `.name` initializer as written, when the hunk shows it (`"pcieport"`, `DRV_NAME`). */
  nameExpr: string | null;
  /** `#define NAME "value"` lines of this file seen on the same side in the patch. */
  defines: Record<string, string>;
}

// Spec §2.5: merged `.driver_managed_dma`, v1 `.driver.suppress_auto_claim_dma_owner` (flat or
// inside `.driver = {`/`.drv = {`), and the intermediate `no_kernel_api_dma`. The reviewer typo
// `.device_managed_dma` is not a field and is not accepted.
const FLAG_DESIGNATOR =
  /(?:^|[\s{,])\.(?:(driver|drv)\s*\.\s*)?(driver_managed_dma|suppress_auto_claim_dma_owner|no_kernel_api_dma)\s*=\s*(true|false|1|0)\b/g;
const TYPO = /(?:^|[\s{,])\.(?:(?:driver|drv)\s*\.\s*)?device_managed_dma\s*=/;
/** `static struct pci_driver pcie_portdriver __refdata = {` (qualifiers and attributes allowed). */
const STRUCT_OPENER = /\bstruct\s+(\w+)\s+(?:__\w+\s+)*(\w+)\s*(?:__\w+\s*)*=\s*\{/;
const NESTED_OPENER = /^\s*\.(driver|drv)\s*=\s*\{/;
const NAME_FIELD = /(?:^|[\s{,])\.(?:(?:driver|drv)\s*\.\s*)?name\s*=\s*("(?:[^"\\]|\\.)*"|\w+)/;
const DEFINE_STRING = /^\s*#\s*define\s+(\w+)\s+("(?:[^"\\]|\\.)*"|\w+)\s*$/;
const ALLOWLIST_OPENER = /\bvfio_driver_(?:allowed|whitelist)\s*\[\s*\]\s*=\s*\{/;
const HEADER_EXEMPTION = /\bhdr_type\s*!=\s*PCI_HEADER_TYPE_NORMAL\b/;
const FUNCTION_LINE = /^[A-Za-z_][\w\s*]*\b(\w+)\s*\(/;

/** Drop comments and string literals' content so braces and designators in them do not count. */
export function codeOf(text: string): string {
  return text
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\/\*.*?\*\//g, ' ')
    .replace(/\/\/.*$/, '')
    .replace(/^\s*\*.*$/, '')
    .replace(/\/\*.*$/, '');
}

function isSourceFile(path: string): boolean {
  return /\.[ch]$/.test(path);
}

/** The lines of one side of a hunk, in order: old = context + del, new = context + add. */
function sideLines(hunk: Hunk, side: 'old' | 'new'): HunkLine[] {
  return hunk.lines.filter((l) => l.kind === 'context' || (side === 'old' ? l.kind === 'del' : l.kind === 'add'));
}

export interface Enclosing {
  struct: string | null;
  structType: string | null;
  container: string | null;
  /** Index in the side's lines of the struct opener, or -1 when it is above the hunk. */
  openerIndex: number;
  /** true when the walk reached the hunk top still inside the block (the hunk header may name it). */
  reachedTop: boolean;
}

/**
 * Walk up from line `index` counting braces until an unmatched `{`: a `.driver = {` block is
 * stepped through (nested form), a `struct T v = {` opener ends the search.
 */
export function enclosingStruct(lines: string[], index: number): Enclosing {
  let depth = 0;
  let container: string | null = null;
  for (let k = index - 1; k >= 0; k--) {
    const code = codeOf(lines[k] ?? '');
    for (let c = code.length - 1; c >= 0; c--) {
      const ch = code[c];
      if (ch === '}') depth++;
      else if (ch === '{') {
        if (depth > 0) {
          depth--;
          continue;
        }
        const opener = code.slice(0, c + 1);
        const nested = NESTED_OPENER.exec(opener);
        if (nested && container === null) {
          container = nested[1] ?? null;
          continue;
        }
        const s = STRUCT_OPENER.exec(opener);
        if (s) return { struct: s[2] ?? null, structType: s[1] ?? null, container, openerIndex: k, reachedTop: false };
        return { struct: null, structType: null, container, openerIndex: k, reachedTop: false };
      }
    }
  }
  return { struct: null, structType: null, container, openerIndex: -1, reachedTop: depth === 0 };
}

/** `.name = ...` of the struct whose block opens at `openerIndex` (-1: above the hunk), before it closes. */
export function nameInBlock(lines: string[], openerIndex: number): string | null {
  let depth = openerIndex >= 0 ? 0 : 1;
  for (let k = Math.max(openerIndex, 0); k < lines.length; k++) {
    let raw = (lines[k] ?? '').replace(/\/\*.*?\*\//g, ' ').replace(/\/\/.*$/, '');
    if (k === openerIndex) {
      raw = raw.slice(raw.indexOf('{') + 1);
      depth = 1;
    }
    // Depth 1 is the struct itself (pci_driver `.name`), depth 2 a nested `.driver = { .name }`.
    if (depth === 1 || depth === 2) {
      const m = NAME_FIELD.exec(raw);
      if (m && m[1] !== undefined) return m[1];
    }
    for (const ch of codeOf(raw)) {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    if (depth <= 0) return null;
  }
  return null;
}

export function definesIn(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const m = DEFINE_STRING.exec(l);
    if (m && m[1] && m[2] && !(m[1] in out)) out[m[1]] = m[2];
  }
  return out;
}

function parseValue(v: string): boolean {
  return v === 'true' || v === '1';
}

export interface FileFindings {
  declarations: FoundDeclaration[];
  ruleChanges: RuleChange[];
  diagnostics: Diagnostic[];
}

/** Every flag line and rule edit in one file of one patch. `input` names the patch for diagnostics. */
export function findInFile(patchIndex: number, diff: DiffFile, input: string): FileFindings {
  const out: FileFindings = { declarations: [], ruleChanges: [], diagnostics: [] };
  const path = diff.to ?? diff.from;
  if (path === null || !isSourceFile(path)) return out;

  const allLines = (side: 'old' | 'new'): string[] => diff.hunks.flatMap((h) => sideLines(h, side).map((l) => l.text));
  const defines = { old: definesIn(allLines('old')), new: definesIn(allLines('new')) };

  for (const hunk of diff.hunks) {
    for (const line of hunk.lines) {
      if (line.kind === 'context') continue;
      const side = line.kind === 'add' ? 'new' : 'old';
      const filePath = (side === 'new' ? diff.to : diff.from) ?? path;
      const lines = sideLines(hunk, side);
      const at = lines.indexOf(line);
      const texts = lines.map((l) => l.text);
      const code = line.text.replace(/\/\*.*?\*\//g, ' ').replace(/\/\/.*$/, '');
      if (/^\s*(\*|\/\*|\/\/)/.test(line.text)) continue;

      FLAG_DESIGNATOR.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = FLAG_DESIGNATOR.exec(code)) !== null) {
        const enc = enclosingStruct(texts, at);
        let struct = enc.struct;
        let structType = enc.structType;
        if (struct === null && enc.reachedTop) {
          // Spec §3.1 parser hint: the hunk header names the struct when its opener is above the hunk.
          const h = STRUCT_OPENER.exec(hunk.context);
          if (h) {
            struct = h[2] ?? null;
            structType = h[1] ?? null;
          }
        }
        const nameExpr = struct !== null ? nameInBlock(texts, enc.openerIndex) : null;
        out.declarations.push({
          patchIndex,
          file: sanitize(filePath),
          flag: m[2] as FlagSpelling,
          action: line.kind === 'add' ? 'added' : 'removed',
          value: parseValue(m[3] ?? ''),
          line: line.line,
          side,
          sourceLine: side === 'new' ? line.newLine : line.oldLine,
          struct: struct === null ? null : sanitize(struct),
          structType: structType === null ? null : sanitize(structType),
          container: m[1] ?? enc.container,
          nameExpr: nameExpr === null ? null : sanitize(nameExpr),
          defines: defines[side],
        });
      }
      if (TYPO.test(code)) {
        out.diagnostics.push(
          diag(input, line.line, 'warning', 'not-a-declaration', '`.device_managed_dma` is not a kernel field (spec §2.5); not counted as a declaration'),
        );
      }
      out.ruleChanges.push(...ruleEdits(patchIndex, filePath, hunk, texts, at, line));
    }
  }
  return out;
}

/** Spec §1.1: strings added to / removed from vfio_driver_allowed[], and the header-type test. */
function ruleEdits(patchIndex: number, file: string, hunk: Hunk, texts: string[], at: number, line: HunkLine): RuleChange[] {
  const out: RuleChange[] = [];
  const added = line.kind === 'add';
  const text = line.text;

  // Allow-list: the line is the array opener itself, or sits inside its braces.
  let inList = false;
  let listPart = text;
  const own = ALLOWLIST_OPENER.exec(text);
  if (own) {
    inList = true;
    listPart = text.slice(own.index + own[0].length);
  } else {
    let k = at - 1;
    for (; k >= 0; k--) {
      const t = texts[k] ?? '';
      const opener = ALLOWLIST_OPENER.exec(t);
      if (opener) {
        inList = !t.slice(opener.index + opener[0].length).includes('}');
        break;
      }
      if (/[{};]/.test(codeOf(t))) break;
    }
    if (k < 0 && ALLOWLIST_OPENER.test(hunk.context)) inList = true;
  }
  if (inList) {
    const body = listPart.split('}')[0] ?? '';
    for (const s of body.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      out.push({ patchIndex, file: sanitize(file), kind: added ? 'allowlist-add' : 'allowlist-remove', driver: sanitize(s[1] ?? ''), line: line.line });
    }
  }

  // Header-type exemption: only inside vfio_dev_driver_allowed(); vfio-pci's own refusal of
  // bridges (vfio_pci_core.c) uses the same comparison and must not count.
  if (HEADER_EXEMPTION.test(codeOf(text))) {
    let fn: string | null = null;
    for (let k = at - 1; k >= 0 && fn === null; k--) {
      const f = FUNCTION_LINE.exec(texts[k] ?? '');
      if (f) fn = f[1] ?? null;
    }
    if (fn === null) fn = FUNCTION_LINE.exec(hunk.context)?.[1] ?? null;
    if (fn === 'vfio_dev_driver_allowed') {
      out.push({ patchIndex, file: sanitize(file), kind: added ? 'header-exemption-added' : 'header-exemption-removed', driver: null, line: line.line });
    }
  }
  return out;
}
