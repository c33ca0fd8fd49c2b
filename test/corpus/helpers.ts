// Inputs built from the real dumps: blocks split as lspci prints them, and the listing and
// short forms people paste, generated from a dump's own `IOMMU group:` lines.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ../shared beside the project, wherever the checkout is (CI clones it afresh).
export const CORPORA = fileURLToPath(new URL('../../../shared/corpora', import.meta.url));
export const LINUXHW = join(CORPORA, 'linuxhw');
export const FORUMS = join(CORPORA, 'forums');
export const SAMPLES = new URL('../../corpora/samples/', import.meta.url).pathname;

export function linuxhw(prefix: string): { path: string; text: string } {
  const name = readdirSorted(LINUXHW).find((f) => f.startsWith(prefix));
  if (!name) throw new Error(`no linuxhw dump ${prefix}`);
  const path = join(LINUXHW, name);
  return { path, text: readFileSync(path, 'utf8') };
}

function readdirSorted(dir: string): string[] {
  return readdirSync(dir).sort();
}

export interface RawBlock {
  /** The header line, `bb:dd.f class [cccc]: ...`. */
  header: string;
  bdf: string;
  lines: string[];
  group: number | null;
}

const HEADER = /^((?:[0-9a-f]+:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) /;

/** Device blocks of a verbose dump (blank-line separated). */
export function blocksOf(text: string): RawBlock[] {
  const out: RawBlock[] = [];
  for (const chunk of text.split('\n\n')) {
    const lines = chunk.split('\n').filter((l) => l.length > 0);
    const m = lines[0] ? HEADER.exec(lines[0]) : null;
    if (!m) continue;
    const g = lines.find((l) => l.startsWith('\tIOMMU group: '));
    out.push({ header: lines[0]!, bdf: m[1]!, lines: lines.slice(1), group: g ? Number(g.slice(14)) : null });
  }
  return out;
}

function withDomain(bdf: string): string {
  return bdf.split(':').length === 3 ? bdf : `0000:${bdf}`;
}

/** Groups as the shell glob lists them: directory names in lexical order. */
function groupsInGlobOrder(blocks: RawBlock[]): [number, RawBlock[]][] {
  const m = new Map<number, RawBlock[]>();
  for (const b of blocks) if (b.group !== null) m.set(b.group, [...(m.get(b.group) ?? []), b]);
  return [...m.entries()].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
}

/** The Arch-wiki loop: `IOMMU Group 13 01:00.0 VGA compatible controller [0300]: ...`. */
export function archWikiListing(blocks: RawBlock[]): string {
  return groupsInGlobOrder(blocks)
    .flatMap(([g, bs]) => bs.map((b) => `IOMMU Group ${g} ${b.header}\n`))
    .join('');
}

/** The grouped form: `IOMMU Group 13:` then tab-indented `lspci -nns` lines. */
export function groupedListing(blocks: RawBlock[]): string {
  return groupsInGlobOrder(blocks)
    .map(([g, bs]) => `IOMMU Group ${g}:\n` + bs.map((b) => `\t${b.header}\n`).join(''))
    .join('');
}

/** `find /sys/kernel/iommu_groups/ -type l`. */
export function findListing(blocks: RawBlock[]): string {
  return groupsInGlobOrder(blocks)
    .flatMap(([g, bs]) => bs.map((b) => `/sys/kernel/iommu_groups/${g}/devices/${withDomain(b.bdf)}\n`))
    .join('');
}

/** `ls -l /sys/kernel/iommu_groups/*\/devices/`. */
export function lsListing(blocks: RawBlock[]): string {
  return groupsInGlobOrder(blocks)
    .map(
      ([g, bs]) =>
        `/sys/kernel/iommu_groups/${g}/devices/:\ntotal 0\n` +
        bs
          .map((b) => `lrwxrwxrwx 1 root root 0 Dec  4 14:04 ${withDomain(b.bdf)} -> ../../../../devices/pci0000:00/${withDomain(b.bdf)}\n`)
          .join(''),
    )
    .join('\n');
}

/** `lspci -nnk` reduced from a verbose dump: the header line and the lines -k prints. */
export function shortListing(blocks: RawBlock[], kernelLines = true): string {
  const keep = kernelLines ? /^\t(DeviceName|Subsystem|Kernel driver in use|Kernel modules):/ : /^\t(DeviceName|Subsystem):/;
  return blocks.map((b) => [b.header, ...b.lines.filter((l) => keep.test(l))].join('\n') + '\n').join('');
}

/** The sorted partition group -> device addresses. */
export function partition(devices: { bdf: string; iommuGroup: number | null }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of devices) if (d.iommuGroup !== null) (out[d.iommuGroup] ??= []).push(d.bdf);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

export function headerLineCount(text: string): number {
  return text.split('\n').filter((l) => HEADER.test(l)).length;
}
