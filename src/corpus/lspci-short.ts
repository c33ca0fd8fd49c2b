// What a block without verbose lines (`lspci -nnk`, `lspci -k`, `lspci -nn`, a listing line)
// still tells: the header type from the class alone, and whether "no driver line" means
// "no driver" (only when the output was taken with -k).

import type { HeaderType, HeaderTypeEvidence } from './model.js';

/**
 * Header type from the class when no bridge lines were printed (spec §8.7): class 0604/0609
 * normally implies type 1, 0607 type 2. Names are used when `-nn` was not given.
 */
export function headerTypeFromClass(
  classCode: string | null,
  className: string | null,
  verbose: boolean,
): [HeaderType | null, HeaderTypeEvidence] {
  const code = classCode ?? codeFromName(className);
  if (code === '0604') return ['bridge', 'class-0604'];
  if (code === '0609') return ['bridge', 'class-0609'];
  if (code === '0607') return ['cardbus', 'class-0607'];
  // A verbose block prints `Bus: primary=` for types 1 and 2 even without root (spec §8.7).
  if (verbose) return ['normal', 'no-bridge-lines'];
  if (classCode !== null || className !== null) return ['normal', 'class-other'];
  return [null, 'unknown'];
}

/** pci.ids names of the bridge classes (spec §8.1). */
function codeFromName(name: string | null): string | null {
  if (name === 'PCI bridge') return '0604';
  if (name === 'CardBus bridge') return '0607';
  if (name === 'Semi-transparent PCI-to-PCI bridge') return '0609';
  return null;
}

/**
 * A shell line that ran lspci with `-k` (or -v, which implies the kernel lines), e.g.
 * `root@fuji:~# lspci -nnkq` or `$ lspci -nnk -d 1002:687f`.
 */
export function commandShowsKernel(line: string): boolean {
  const i = line.indexOf('lspci');
  if (i < 0) return false;
  for (const word of line.slice(i + 5).split(/\s+/)) {
    if (word.startsWith('-') && !word.startsWith('--') && /[kv]/.test(word)) return true;
  }
  return false;
}
