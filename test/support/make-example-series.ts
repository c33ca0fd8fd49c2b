// Makes the example series shipped in corpora/series/ with real git: a tiny kernel-like tree
// (kernel-tree.ts), the v1-style declarations committed on it, and `git format-patch` output.
// test/series/examples.test.ts regenerates them into a temporary folder and compares; run it
// with VFIO_IMPACT_WRITE_EXAMPLES=1 to rewrite corpora/series/ instead.

import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PORTDRV_FLAT_V1, SHPC_FLAT_V1, STUB_NESTED_V1, commitEdits, formatPatch, makeKernelTree } from './kernel-tree.js';

export const STUB_MESSAGE = `PCI: pci_stub: Suppress kernel DMA ownership auto-claiming

pci-stub binds a device only to keep every other driver away from it.
Its probe does not enable bus mastering, map DMA or touch the BARs, so
a device bound to it cannot interfere with an IOMMU group that
userspace owns.

Tell the driver core not to claim kernel DMA ownership when pci-stub
binds, so that a device parked on pci-stub no longer stops VFIO from
claiming its group.`;

export const PORTDRV_MESSAGE = `PCI: portdrv: Suppress kernel DMA ownership auto-claiming

Without ACS on a bridge, the devices below it end up in the bridge's
IOMMU group. The PCIe port driver does no DMA of its own and does not
map the port's BARs: its services work through configuration space and
interrupts. It can therefore stay bound to the port while the devices
below it are assigned to userspace.

Mark pcie_portdriver so that binding it does not claim kernel DMA
ownership. Bridge drivers that do drive MMIO keep the default and now
block the group, which is the intended outcome.`;

export const SHPC_MESSAGE = `PCI: shpchp: Suppress kernel DMA ownership auto-claiming

Example patch for vfio-impact, not a claim that the driver is safe:
the SHPC controller registers are MMIO that a device below the bridge
could reach by peer-to-peer DMA, which is why the merged series left
shpchp undeclared.

With this declaration a group holding an shpchp-bound bridge could be
claimed by VFIO again, as it could under the old header-type exemption.`;

const PORTDRV_COVER = `Suppress kernel DMA ownership auto-claiming for pci-stub and portdrv

Two drivers that never do DMA or touch BARs declare so, in the v1
spelling (.driver.suppress_auto_claim_dma_owner), so that they can stay
bound in an IOMMU group that userspace owns. Patch 1 uses the nested
.driver = { } form, patch 2 the flat form; in patch 2 the .name line is
outside the hunk context.`;

const SHPC_COVER = `Declare pci-stub, portdrv and shpchp DMA-safe (example)

The portdrv series plus a third patch declaring the SHPC hotplug
driver, so that a tool can show which passthrough setups such a
declaration would change.`;

export const EXAMPLE_SERIES = ['portdrv', 'pci-stub', 'shpchp'] as const;

async function emptyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/** Writes `portdrv/`, `pci-stub/` and `shpchp/` under `outRoot`; returns the files written, relative. */
export async function generateExampleSeries(outRoot: string): Promise<string[]> {
  const tree = await makeKernelTree();
  try {
    const base = tree.base;
    const stub = await commitEdits(tree, STUB_MESSAGE, [STUB_NESTED_V1]);
    const portdrv = await commitEdits(tree, PORTDRV_MESSAGE, [PORTDRV_FLAT_V1]);
    const shpc = await commitEdits(tree, SHPC_MESSAGE, [SHPC_FLAT_V1]);

    const common = ['--cover-from-description=subject', '--no-thread', '--zero-commit'];
    // The cover letter takes its subject and blurb from the description of the branch named in the range.
    await tree.git.raw(['branch', 'portdrv', portdrv]);
    await tree.git.raw(['config', 'branch.portdrv.description', PORTDRV_COVER]);
    await emptyDir(join(outRoot, 'portdrv'));
    await formatPatch(tree, [...common, '--cover-letter', '-o', join(outRoot, 'portdrv'), `${base}..portdrv`]);

    await emptyDir(join(outRoot, 'pci-stub'));
    await formatPatch(tree, ['--no-thread', '--zero-commit', '-o', join(outRoot, 'pci-stub'), '-1', stub]);

    await tree.git.raw(['branch', 'shpchp', shpc]);
    await tree.git.raw(['config', 'branch.shpchp.description', SHPC_COVER]);
    await emptyDir(join(outRoot, 'shpchp'));
    await formatPatch(tree, [...common, '--cover-letter', '-o', join(outRoot, 'shpchp'), `${base}..shpchp`]);

    const written: string[] = [];
    for (const name of EXAMPLE_SERIES) {
      for (const f of (await readdir(join(outRoot, name))).sort()) written.push(`${name}/${f}`);
    }
    return written;
  } finally {
    await tree.cleanup();
  }
}

/** What must not differ between two generations: everything but dates and the envelope line. */
export function comparable(patch: string): string {
  return patch
    .split('\n')
    .filter((l) => !/^From [0-9a-f]{40} /.test(l) && !/^Date: /.test(l))
    .join('\n');
}
