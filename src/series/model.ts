// A patch series as the policy stage needs it: per patch, every DMA-ownership declaration the
// patch adds or removes, resolved to the driver name lspci shows. Spellings: spec §2.5.

import type { Diagnostic } from '../diagnostics/diagnostic.js';

/**
 * The three spellings the series used for "this driver manages DMA itself" (spec §2.5):
 * merged v5.19 `.driver_managed_dma`, v1 `.driver.suppress_auto_claim_dma_owner`, and the
 * intermediate `no_kernel_api_dma`.
 */
export type FlagSpelling = 'driver_managed_dma' | 'suppress_auto_claim_dma_owner' | 'no_kernel_api_dma';

/** How a changed struct was tied to a driver name. */
export type NameResolution = 'hunk' | 'tree' | 'table' | 'unresolved';

export interface FlagChange {
  /** 1-based position of the patch in the series. */
  patchIndex: number;
  /** Kernel source path from the diff, e.g. `drivers/pci/pcie/portdrv_pci.c`. */
  file: string;
  /** Struct variable, e.g. `pcie_portdriver`; null when it could not be found. */
  struct: string | null;
  /** Struct type when seen, e.g. `pci_driver`. */
  structType: string | null;
  /** Driver name as `Kernel driver in use:` shows it (e.g. `pcieport`); null when unresolved. */
  driver: string | null;
  flag: FlagSpelling;
  /** `added`: the `+` side sets it; `removed`: a `-` line that set it is gone. */
  action: 'added' | 'removed';
  /** The value written on that line (`= true` or `= false`). */
  value: boolean;
  resolvedBy: NameResolution;
  /** Line in the patch file (1-based) where the flag line is. */
  line: number;
  /**
   * Net effect on the declaration once the patch is applied, when a change pair on the same
   * struct cancels (e.g. a rename of spelling): computed by the policy stage, not here.
   */
}

/** A change to the OLD rule itself (spec §1.1): allow-list strings or the header-type exemption. */
export interface RuleChange {
  patchIndex: number;
  file: string;
  kind: 'allowlist-add' | 'allowlist-remove' | 'header-exemption-removed' | 'header-exemption-added';
  /** The allow-list string for allowlist-*, null for the header exemption. */
  driver: string | null;
  line: number;
}

export interface Patch {
  /** 1-based order in the series ([PATCH n/m] when present, else file/commit order). */
  index: number;
  /** n of `[PATCH n/m]`, when present. */
  number: number | null;
  /** m of `[PATCH n/m]`, when present. */
  total: number | null;
  /** Subject without the `[PATCH ...]` prefix, sanitised. */
  subject: string;
  /** Where it came from: a file path, `mbox:PATH#N`, or `git:SHA`. */
  source: string;
  /** Commit id when read from git or present in a `From <sha>` line. */
  commit: string | null;
  /** Cover letter (0/m): kept for its subject, has no diff. */
  cover: boolean;
  /** Files the diff touches. */
  files: string[];
  changes: FlagChange[];
  ruleChanges: RuleChange[];
}

export interface Series {
  /** Human label: the cover letter subject, the range, or the first patch subject. */
  title: string;
  patches: Patch[];
  diagnostics: Diagnostic[];
}
