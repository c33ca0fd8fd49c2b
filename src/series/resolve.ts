// Tie a changed struct to the driver name `Kernel driver in use:` shows (spec §4): first from
// the hunk (`.name = "pcieport"`), then from the whole file at that revision when a tree is
// given (following `#define DRV_NAME`, a local header, and KBUILD_MODNAME through the
// Makefile), then from the shipped table. Never guessed: otherwise `unresolved`.

import { posix } from 'node:path';
import type { NameResolution } from './model.js';
import { codeOf, definesIn, enclosingStruct, matchStructOpener, nameInBlock, type FoundDeclaration } from './declarations.js';

/** Reads a file of the kernel tree at a revision; null when it does not exist there. */
export type ReadTreeFile = (path: string, rev: string) => Promise<string | null>;

export interface DriverTableRow {
  file: string;
  struct: string;
  driver: string;
  /** Where the row comes from (spec section, kernel version). */
  source: string;
}

export interface Resolution {
  struct: string | null;
  structType: string | null;
  driver: string | null;
  resolvedBy: NameResolution;
}

export interface ResolveOptions {
  table: DriverTableRow[];
  /** Present when a kernel tree is available. */
  readFile?: ReadTreeFile;
  /** Revision holding the version of the file the flag line belongs to (new side: the commit; old side: its parent). */
  rev?: string | null;
}

function literal(expr: string): string | null {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(expr);
  return m ? (m[1] ?? '') : null;
}

/** Follow `#define` chains (DRV_NAME -> MODULE_NAME -> "x") through the given maps. */
export function expandName(expr: string, defines: Record<string, string>): string | null {
  let cur = expr;
  for (let depth = 0; depth < 4; depth++) {
    const lit = literal(cur);
    if (lit !== null) return lit;
    const next = defines[cur];
    if (next === undefined) return null;
    cur = next;
  }
  return null;
}

/**
 * Spec §4: KBUILD_MODNAME is the module object name from the Makefile with `-` turned into `_`.
 * `obj-$(CONFIG_X) += mlx5-vfio-pci.o` with `mlx5-vfio-pci-y := main.o cmd.o` makes main.c part
 * of mlx5_vfio_pci; a file listed directly as `obj-... += vfio_pci.o` is its own module.
 */
export function moduleFromMakefile(makefile: string, sourcePath: string): string | null {
  const base = posix.basename(sourcePath).replace(/\.c$/, '');
  const text = makefile.replace(/\\\n/g, ' ');
  const objects = new Set<string>();
  const composite = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    const m = /^\s*([\w.$()-]+?)\s*[:+]?=\s*(.*)$/.exec(line);
    if (!m || !m[1]) continue;
    const lhs = m[1];
    const words = (m[2] ?? '').split(/\s+/).filter(Boolean);
    if (/^obj-/.test(lhs)) {
      for (const w of words) if (w.endsWith('.o')) objects.add(w.slice(0, -2));
      continue;
    }
    const c = /^([\w-]+)-(?:y|objs|\$\([\w]+\))$/.exec(lhs);
    if (c && c[1]) composite.set(c[1], [...(composite.get(c[1]) ?? []), ...words.map((w) => w.replace(/\.o$/, ''))]);
  }
  for (const [module, parts] of composite) {
    if (parts.includes(base) && objects.has(module)) return module.replace(/-/g, '_');
  }
  if (objects.has(base) && !composite.has(base)) return base.replace(/-/g, '_');
  return null;
}

function tableLookup(table: DriverTableRow[], file: string, struct: string | null): string | null {
  if (struct === null) return null;
  const row = table.find((r) => r.file === file && r.struct === struct);
  return row ? row.driver : null;
}

/** The `.name` of `struct` in a whole source file, or of the struct enclosing `line` when the struct is unknown. */
export function structInSource(
  source: string,
  struct: string | null,
  line: number | null,
): { struct: string | null; structType: string | null; nameExpr: string | null } {
  const lines = source.split('\n');
  let opener = -1;
  let structType: string | null = null;
  let name = struct;
  if (struct !== null) {
    // matchStructOpener, not a regex built from the name: that one backtracked exponentially
    // on a hostile tree line like `struct t v__a__a__a...`.
    opener = lines.findIndex((l) => l.includes(struct) && matchStructOpener(codeOf(l))?.name === struct);
    if (opener >= 0) structType = matchStructOpener(codeOf(lines[opener] ?? ''))?.type ?? null;
  } else if (line !== null && line >= 1) {
    const enc = enclosingStruct(lines, line - 1);
    opener = enc.openerIndex;
    name = enc.struct;
    structType = enc.structType;
    if (name === null) opener = -1;
  }
  if (opener < 0) return { struct: name, structType, nameExpr: null };
  return { struct: name, structType, nameExpr: nameInBlock(lines, opener) };
}

async function fromTree(d: FoundDeclaration, readFile: ReadTreeFile, rev: string): Promise<Resolution | null> {
  const source = await readFile(d.file, rev);
  if (source === null) return null;
  const found = structInSource(source, d.struct, d.sourceLine);
  const struct = d.struct ?? found.struct;
  const structType = d.structType ?? found.structType;
  const expr = found.nameExpr ?? d.nameExpr;
  if (struct === null || expr === null) return null;
  if (expr === 'KBUILD_MODNAME') {
    const makefile = await readFile(posix.join(posix.dirname(d.file), 'Makefile'), rev);
    const module = makefile === null ? null : moduleFromMakefile(makefile, d.file);
    return module === null ? null : { struct, structType, driver: module, resolvedBy: 'tree' };
  }
  const defines = definesIn(source.split('\n'));
  let name = expandName(expr, defines);
  if (name === null) {
    // SHPC_MODULE_NAME lives in shpchp.h: follow the file's own `#include "local.h"` lines.
    for (const inc of source.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      const header = await readFile(posix.normalize(posix.join(posix.dirname(d.file), inc[1] ?? '')), rev);
      if (header === null) continue;
      Object.assign(defines, { ...definesIn(header.split('\n')), ...defines });
      name = expandName(expr, defines);
      if (name !== null) break;
    }
  }
  return name === null ? null : { struct, structType, driver: name, resolvedBy: 'tree' };
}

export async function resolveDriver(d: FoundDeclaration, options: ResolveOptions): Promise<Resolution> {
  if (d.struct !== null && d.nameExpr !== null && d.nameExpr !== 'KBUILD_MODNAME') {
    const name = expandName(d.nameExpr, d.defines);
    if (name !== null) return { struct: d.struct, structType: d.structType, driver: name, resolvedBy: 'hunk' };
  }
  if (options.readFile && options.rev) {
    const t = await fromTree(d, options.readFile, options.rev);
    if (t !== null) return t;
  }
  const fromTable = tableLookup(options.table, d.file, d.struct);
  if (fromTable !== null) return { struct: d.struct, structType: d.structType, driver: fromTable, resolvedBy: 'table' };
  return { struct: d.struct, structType: d.structType, driver: null, resolvedBy: 'unresolved' };
}
