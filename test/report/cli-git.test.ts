// analyze --git --range in a real git tree gives the same judgement as the same commits
// exported with git format-patch and read with --series.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitEdits, formatPatch, makeKernelTree, PORTDRV_FLAT_V1, SHPC_FLAT_V1, STUB_NESTED_V1, type KernelTree } from '../support/kernel-tree.js';
import { LINUXHW, runCli } from '../support/cli.js';

let tree: KernelTree;
let patches: string;

beforeAll(async () => {
  tree = await makeKernelTree();
  await commitEdits(tree, 'PCI: pci_stub: Suppress kernel DMA ownership auto-claiming', [STUB_NESTED_V1]);
  await commitEdits(tree, 'PCI: portdrv: Suppress kernel DMA ownership auto-claiming', [PORTDRV_FLAT_V1]);
  await commitEdits(tree, 'PCI: shpchp: Suppress kernel DMA ownership auto-claiming', [SHPC_FLAT_V1]);
  patches = await mkdtemp(join(tmpdir(), 'vfio-impact-fp-'));
  await formatPatch(tree, ['-o', patches, `${tree.base}..HEAD`]);
});
afterAll(async () => {
  await tree?.cleanup();
});

describe('analyze through git', () => {
  it('--git --range and --series of the format-patch output agree', async () => {
    const viaGit = await runCli(['analyze', '--git', tree.dir, '--range', `${tree.base}..HEAD`, '--corpus', LINUXHW, '--format', 'json']);
    const viaFiles = await runCli(['analyze', '--series', patches, '--corpus', LINUXHW, '--format', 'json']);
    expect(viaGit.code).toBe(0);
    expect(viaFiles.code).toBe(0);
    const g = JSON.parse(viaGit.stdout);
    const f = JSON.parse(viaFiles.stdout);
    expect(g.series.patches.map((p: { subject: string }) => p.subject)).toEqual([
      'PCI: pci_stub: Suppress kernel DMA ownership auto-claiming',
      'PCI: portdrv: Suppress kernel DMA ownership auto-claiming',
      'PCI: shpchp: Suppress kernel DMA ownership auto-claiming',
    ]);
    expect(g.series.patches.flatMap((p: { changes: { driver: string }[] }) => p.changes.map((c) => c.driver))).toEqual(['pci-stub', 'pcieport', 'shpchp']);
    expect(g.summary).toEqual(f.summary);
    expect(g.changes).toEqual(f.changes);
  });

  it('a revision that looks like an option is refused, never passed to git', async () => {
    const r = await runCli(['analyze', '--git', tree.dir, '--range', '--output=/tmp/x..HEAD', '--corpus', LINUXHW]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/begins with "-"/);
  });

  it('a folder that is not a git repository gives a clear error', async () => {
    const r = await runCli(['analyze', '--git', patches, '--range', 'a..b', '--corpus', LINUXHW]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a git repository/);
  });
});
