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
const NESTED_OPENER = /^\s*\.(driver|drv)\s*=\s*\{/;
const NAME_FIELD = /(?:^|[\s{,])\.(?:(?:driver|drv)\s*\.\s*)?name\s*=\s*("(?:[^"\\]|\\.)*"|\w+)/;
const DEFINE_STRING = /^\s*#\s*define\s+(\w+)\s+("(?:[^"\\]|\\.)*"|\w+)\s*$/;
const ALLOWLIST_OPENER = /\bvfio_driver_(?:allowed|whitelist)\s*\[\s*\]\s*=\s*\{/;
const HEADER_EXEMPTION = /\bhdr_type\s*!=\s*PCI_HEADER_TYPE_NORMAL\b/;
const FUNCTION_LINE = /^[A-Za-z_][\w\s*]*\b(\w+)\s*\(/;

const isWord = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/** What `\s` matches. */
const isSpace = (c: number): boolean =>
  c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
/** What `.` does not match. */
const isTerminator = (c: number): boolean => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

/**
 * `static struct pci_driver pcie_portdriver __refdata = {` (qualifiers and attributes allowed):
 * the type and variable of the leftmost opener in `text`, as the regex
 * `\bstruct\s+(\w+)\s+(?:__\w+\s+)*(\w+)\s*(?:__\w+\s*)*=\s*\{` would find them. Written out by
 * hand because that regex backtracks exponentially on `v__a__a__a...` (a hostile patch line
 * hung the run); this is one pass over the text.
 */
export function matchStructOpener(text: string): { type: string; name: string } | null {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isWord(c) && !isSpace(c)) {
      i++;
      continue;
    }
    // A run of word characters and blanks: everything between `struct` and `=` lies in one.
    let j = i;
    while (j < n && (isWord(text.charCodeAt(j)) || isSpace(text.charCodeAt(j)))) j++;
    if (text.charCodeAt(j) === 61 /* = */) {
      let k = j + 1;
      while (k < n && isSpace(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) === 123 /* { */) {
        const m = openerInRun(text, i, j);
        if (m) return m;
      }
    }
    i = j + 1;
  }
  return null;
}

/** Words of a run `struct T [__a ...] NAME [__b ...]`: at most one word not starting `__` after T. */
function openerInRun(text: string, from: number, to: number): { type: string; name: string } | null {
  const words: string[] = [];
  let i = from;
  while (i < to) {
    if (!isWord(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    while (j < to && isWord(text.charCodeAt(j))) j++;
    words.push(text.slice(i, j));
    i = j;
  }
  // plain[k]: words at k and after that do not start with `__`.
  const plain = new Array<number>(words.length + 1).fill(0);
  let lastPlain = -1;
  for (let k = words.length - 1; k >= 0; k--) {
    const w = words[k]!;
    const isPlain = !w.startsWith('__');
    plain[k] = plain[k + 1]! + (isPlain ? 1 : 0);
    if (isPlain && lastPlain < 0) lastPlain = k;
  }
  for (let k = 0; k + 2 < words.length; k++) {
    if (words[k] !== 'struct' || plain[k + 2]! > 1) continue;
    // One plain word: it is the name; all attributes: the last one is taken as the name.
    const name = plain[k + 2] === 1 ? words[lastPlain]! : words[words.length - 1]!;
    return { type: words[k + 1]!, name };
  }
  return null;
}

/**
 * `s.replace(/\/\*.*?\*\//g, ' ')` in one pass: the regex rescans to the end of the line for
 * every unclosed `/*`, quadratic on a line of them.
 */
export function replaceBlockComments(s: string): string {
  let out = '';
  let from = 0;
  let i = s.indexOf('/*');
  while (i >= 0) {
    const close = s.indexOf('*/', i + 2);
    if (close < 0) break;
    let t = i + 2;
    while (t < close && !isTerminator(s.charCodeAt(t))) t++;
    if (t < close) {
      // `.` stops at a line terminator: no comment starts before it.
      i = s.indexOf('/*', t + 1);
      continue;
    }
    out += s.slice(from, i) + ' ';
    from = close + 2;
    i = s.indexOf('/*', from);
  }
  return from === 0 ? s : out + s.slice(from);
}

/** `s.replace(/MARK.*$/, '')` (first MARK with no line terminator after it) in one pass. */
function cutToEnd(s: string, mark: string): string {
  let last = -1;
  for (let k = s.length - 1; k >= 0; k--) {
    if (isTerminator(s.charCodeAt(k))) {
      last = k;
      break;
    }
  }
  const p = s.indexOf(mark, last + 1);
  return p < 0 ? s : s.slice(0, p);
}

/** Comments out of one line: `/* ... *\/` become a blank, `//` ends the line. */
export function stripComments(s: string): string {
  return cutToEnd(replaceBlockComments(s), '//');
}

/**
 * Where the literal opened by the quote at `i` ends: the index of its closing quote, or -1 with
 * `stop` where the scan gave up (the end of the text, or a backslash before a line terminator,
 * which `\\.` does not match). Every quote between `i` and `stop` was escaped inside this
 * literal, so a literal opened there scans the same characters and gives up at `stop` too.
 */
function literalEnd(s: string, i: number): { close: number; stop: number } {
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 34 /* " */) return { close: j, stop: j };
    if (c === 92 /* \ */) {
      if (j + 1 >= s.length || isTerminator(s.charCodeAt(j + 1))) return { close: -1, stop: j };
      j += 2;
      continue;
    }
    j++;
  }
  return { close: -1, stop: j };
}

/** `s.replace(/"(?:[^"\\]|\\.)*"/g, '""')` in one pass (see literalEnd). */
function emptyStrings(s: string): string {
  let i = s.indexOf('"');
  if (i < 0) return s;
  let out = '';
  let from = 0;
  while (i >= 0) {
    const { close, stop } = literalEnd(s, i);
    if (close < 0) {
      i = s.indexOf('"', stop + 1);
      continue;
    }
    out += s.slice(from, i) + '""';
    from = close + 1;
    i = s.indexOf('"', from);
  }
  return out + s.slice(from);
}

/** Drop comments and string literals' content so braces and designators in them do not count. */
export function codeOf(text: string): string {
  const noComments = replaceBlockComments(emptyStrings(text));
  return cutToEnd(cutToEnd(noComments, '//').replace(/^\s*\*.*$/, ''), '/*');
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

interface OpenBrace {
  /** Line and column of an unmatched `{`. */
  k: number;
  c: number;
  parent: OpenBrace | null;
  /** The brace's opener line read once, however many flag lines sit inside it. */
  opener?: { nested: string | null; struct: { type: string; name: string } | null };
}

/**
 * Enclosing struct of every line of `lines`, from one forward pass that keeps the unmatched
 * `{`s: walking up from each flag line instead was quadratic in a hunk of many flag lines.
 */
export class EnclosingIndex {
  private readonly codes: string[];
  private readonly tops: Array<OpenBrace | null> = [];
  /** `}` with no `{` before them, seen before each line (the walk up would end with depth > 0). */
  private readonly extra: number[] = [];

  /** `codes`: codeOf of each line when the caller has them already. */
  constructor(lines: readonly string[], limit: number = lines.length, codes?: readonly string[]) {
    this.codes = [];
    let top: OpenBrace | null = null;
    let extra = 0;
    for (let k = 0; k < limit; k++) {
      this.tops.push(top);
      this.extra.push(extra);
      const code = codes?.[k] ?? codeOf(lines[k] ?? '');
      this.codes.push(code);
      for (let c = 0; c < code.length; c++) {
        const ch = code.charCodeAt(c);
        if (ch === 123 /* { */) top = { k, c, parent: top };
        else if (ch === 125 /* } */) {
          if (top) top = top.parent;
          else extra++;
        }
      }
    }
    this.tops.push(top);
    this.extra.push(extra);
  }

  /**
   * The block line `index` sits in: a `.driver = {` block is stepped through (nested form),
   * a `struct T v = {` opener ends the search.
   */
  at(index: number): Enclosing {
    let node = this.tops[Math.min(index, this.tops.length - 1)] ?? null;
    const extra = this.extra[Math.min(index, this.extra.length - 1)] ?? 0;
    let container: string | null = null;
    while (node) {
      const o = this.openerOf(node);
      if (o.nested !== null && container === null) {
        container = o.nested;
        node = node.parent;
        continue;
      }
      return { struct: o.struct?.name ?? null, structType: o.struct?.type ?? null, container, openerIndex: node.k, reachedTop: false };
    }
    return { struct: null, structType: null, container, openerIndex: -1, reachedTop: extra === 0 };
  }

  private openerOf(node: OpenBrace): NonNullable<OpenBrace['opener']> {
    if (!node.opener) {
      const opener = (this.codes[node.k] ?? '').slice(0, node.c + 1);
      const nested = NESTED_OPENER.exec(opener);
      node.opener = { nested: nested ? (nested[1] ?? null) : null, struct: matchStructOpener(opener) };
    }
    return node.opener;
  }
}

/** Walk up from line `index` counting braces until an unmatched `{` (see EnclosingIndex.at). */
export function enclosingStruct(lines: string[], index: number): Enclosing {
  return new EnclosingIndex(lines, Math.min(index, lines.length)).at(index);
}

/**
 * `.name = ...` of the struct whose block opens at `openerIndex` (-1: above the hunk), before it
 * closes. `budget.left` counts lines read across calls; at 0 the search gives up (null).
 */
export function nameInBlock(lines: string[], openerIndex: number, budget: { left: number } = { left: Infinity }): string | null {
  let depth = openerIndex >= 0 ? 0 : 1;
  for (let k = Math.max(openerIndex, 0); k < lines.length; k++) {
    if (budget.left-- <= 0) return null;
    let raw = stripComments(lines[k] ?? '');
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

/**
 * One side of one hunk, read once: the line index of each hunk line, the enclosing struct of
 * every line, and the nearest allow-list/function line above each, all from forward passes.
 * Recomputing these per changed line was quadratic in the hunk's length.
 */
class SideView {
  readonly lines: HunkLine[];
  readonly texts: string[];
  private readonly position = new Map<HunkLine, number>();
  private codeLines: string[] | null = null;
  private enclosingIndex: EnclosingIndex | null = null;
  private stops: Int32Array | null = null;
  private functions: Array<string | null> | null = null;
  private readonly names = new Map<number, string | null>();
  /** Lines nameInBlock may read for this side: linear in the hunk, ample for real structs. */
  private readonly budget: { left: number };

  constructor(hunk: Hunk, side: 'old' | 'new') {
    this.lines = sideLines(hunk, side);
    this.texts = this.lines.map((l) => l.text);
    this.lines.forEach((l, i) => this.position.set(l, i));
    this.budget = { left: 2 * this.lines.length + 4096 };
  }

  indexOf(line: HunkLine): number {
    return this.position.get(line) ?? -1;
  }

  /** codeOf of every line, computed once. */
  get codes(): string[] {
    this.codeLines ??= this.texts.map(codeOf);
    return this.codeLines;
  }

  enclosing(at: number): Enclosing {
    this.enclosingIndex ??= new EnclosingIndex(this.texts, this.texts.length, this.codes);
    return this.enclosingIndex.at(at);
  }

  nameIn(openerIndex: number): string | null {
    let name = this.names.get(openerIndex);
    if (name === undefined) {
      name = nameInBlock(this.texts, openerIndex, this.budget);
      this.names.set(openerIndex, name);
    }
    return name;
  }

  /** The nearest line above `at` that is an allow-list opener or holds `{`, `}` or `;` (-1: none). */
  listStop(at: number): number {
    if (!this.stops) {
      this.stops = new Int32Array(this.texts.length);
      let last = -1;
      const codes = this.codes;
      this.texts.forEach((t, k) => {
        this.stops![k] = last;
        if (ALLOWLIST_OPENER.test(t) || /[{};]/.test(codes[k] ?? '')) last = k;
      });
    }
    return this.stops[at] ?? -1;
  }

  /** The function named by the nearest function-definition-looking line above `at`. */
  functionAbove(at: number): string | null {
    if (!this.functions) {
      this.functions = [];
      let last: string | null = null;
      for (const t of this.texts) {
        this.functions.push(last);
        const f = FUNCTION_LINE.exec(t);
        if (f) last = f[1] ?? null;
      }
    }
    return this.functions[at] ?? null;
  }
}

/** Every flag line and rule edit in one file of one patch. `input` names the patch for diagnostics. */
export function findInFile(patchIndex: number, diff: DiffFile, input: string): FileFindings {
  const out: FileFindings = { declarations: [], ruleChanges: [], diagnostics: [] };
  const path = diff.to ?? diff.from;
  if (path === null || !isSourceFile(path)) return out;

  const allLines = (side: 'old' | 'new'): string[] => {
    const texts: string[] = [];
    for (const h of diff.hunks) for (const l of sideLines(h, side)) texts.push(l.text);
    return texts;
  };
  const defines = { old: definesIn(allLines('old')), new: definesIn(allLines('new')) };

  for (const hunk of diff.hunks) {
    const views: { old: SideView | null; new: SideView | null } = { old: null, new: null };
    let contextOpener: { type: string; name: string } | null | undefined;
    for (const line of hunk.lines) {
      if (line.kind === 'context') continue;
      const side = line.kind === 'add' ? 'new' : 'old';
      const filePath = (side === 'new' ? diff.to : diff.from) ?? path;
      const view = (views[side] ??= new SideView(hunk, side));
      const at = view.indexOf(line);
      const code = stripComments(line.text);
      if (/^\s*(\*|\/\*|\/\/)/.test(line.text)) continue;

      FLAG_DESIGNATOR.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = FLAG_DESIGNATOR.exec(code)) !== null) {
        const enc = view.enclosing(at);
        let struct = enc.struct;
        let structType = enc.structType;
        if (struct === null && enc.reachedTop) {
          // Spec §3.1 parser hint: the hunk header names the struct when its opener is above the hunk.
          if (contextOpener === undefined) contextOpener = matchStructOpener(hunk.context);
          if (contextOpener) {
            struct = contextOpener.name;
            structType = contextOpener.type;
          }
        }
        const nameExpr = struct !== null ? view.nameIn(enc.openerIndex) : null;
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
      for (const r of ruleEdits(patchIndex, filePath, hunk, view, at, line)) out.ruleChanges.push(r);
    }
  }
  return out;
}

/** The contents of the complete `"..."` literals of `s`, in one pass (see literalEnd). */
function stringLiterals(s: string): string[] {
  const out: string[] = [];
  let i = s.indexOf('"');
  while (i >= 0) {
    const { close, stop } = literalEnd(s, i);
    if (close < 0) {
      i = s.indexOf('"', stop + 1);
      continue;
    }
    out.push(s.slice(i + 1, close));
    i = s.indexOf('"', close + 1);
  }
  return out;
}

/** Spec §1.1: strings added to / removed from vfio_driver_allowed[], and the header-type test. */
function ruleEdits(patchIndex: number, file: string, hunk: Hunk, view: SideView, at: number, line: HunkLine): RuleChange[] {
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
    const k = view.listStop(at);
    if (k >= 0) {
      const t = view.texts[k] ?? '';
      const opener = ALLOWLIST_OPENER.exec(t);
      if (opener) inList = !t.slice(opener.index + opener[0].length).includes('}');
    } else if (ALLOWLIST_OPENER.test(hunk.context)) inList = true;
  }
  if (inList) {
    const body = listPart.split('}')[0] ?? '';
    for (const literal of stringLiterals(body)) {
      out.push({ patchIndex, file: sanitize(file), kind: added ? 'allowlist-add' : 'allowlist-remove', driver: sanitize(literal), line: line.line });
    }
  }

  // Header-type exemption: only inside vfio_dev_driver_allowed(); vfio-pci's own refusal of
  // bridges (vfio_pci_core.c) uses the same comparison and must not count.
  if (HEADER_EXEMPTION.test(view.codes[at] ?? codeOf(text))) {
    const fn = view.functionAbove(at) ?? FUNCTION_LINE.exec(hunk.context)?.[1] ?? null;
    if (fn === 'vfio_dev_driver_allowed') {
      out.push({ patchIndex, file: sanitize(file), kind: added ? 'header-exemption-added' : 'header-exemption-removed', driver: null, line: line.line });
    }
  }
  return out;
}
