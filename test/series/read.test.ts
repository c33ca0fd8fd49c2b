// The series stage end to end on a real git tree: one series, committed with real git,
// exported by git format-patch as files and as an mbox, re-encoded the way mail does it,
// and read back through every input path to the same declarations.
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/context.js';
import { readSeries } from '../../src/series/read.js';
import type { FlagChange, Series } from '../../src/series/model.js';
import { formatPatch, makeTestSeriesTree, type KernelTree } from '../support/kernel-tree.js';
import { toBase64, toCrlf, toMboxrd, toQuotedPrintable } from './encode.js';

let tree: KernelTree;
let work: string;
let patchDir: string;
let mboxPath: string;
let mbox: string;
let range: string;

beforeAll(async () => {
  tree = await makeTestSeriesTree();
  work = await mkdtemp(join(tmpdir(), 'vfio-impact-series-'));
  patchDir = join(work, 'patches');
  await tree.git.raw(['config', 'branch.master.description', 'DMA ownership declarations, all spellings\n\nTest series.']);
  await formatPatch(tree, ['--cover-letter', '--cover-from-description=subject', '-o', patchDir, `${tree.base}..master`]);
  mbox = await formatPatch(tree, ['--stdout', `${tree.base}..master`]);
  mboxPath = join(work, 'series.mbox');
  await writeFile(mboxPath, mbox);
  range = `${tree.base}..master`;
});

afterAll(async () => {
  await tree.cleanup();
  await rm(work, { recursive: true, force: true });
});

const key = (c: FlagChange): string => `${c.patchIndex} ${c.file} ${c.struct} ${c.driver} ${c.flag} ${c.action} ${c.value}`;
const keys = (s: Series): string[] => s.patches.flatMap((p) => p.changes.map(key));
const withResolution = (s: Series): string[] => s.patches.flatMap((p) => p.changes.map((c) => `${key(c)} ${c.resolvedBy}`));

// What the series declares, with a kernel tree to read names from (git range, or --tree).
const EXPECTED_WITH_TREE = [
  '1 drivers/pci/pci-stub.c stub_driver pci-stub suppress_auto_claim_dma_owner added true hunk',
  '2 drivers/pci/pcie/portdrv_pci.c pcie_portdriver pcieport suppress_auto_claim_dma_owner added true tree',
  '3 drivers/pci/hotplug/shpchp_core.c shpc_driver shpchp no_kernel_api_dma added true tree',
  '5 drivers/vfio/pci/mlx5/main.c mlx5vf_pci_driver mlx5_vfio_pci driver_managed_dma added true tree',
  '5 drivers/vfio/pci/vfio_pci.c vfio_pci_driver vfio-pci driver_managed_dma added true tree',
  '6 drivers/net/ethernet/realtek/8139too.c rtl8139_pci_driver 8139too driver_managed_dma added true tree',
  '6 drivers/pci/hotplug/shpchp_core.c shpc_driver shpchp no_kernel_api_dma removed true tree',
  '6 drivers/pci/hotplug/shpchp_core.c shpc_driver shpchp driver_managed_dma added true tree',
  '6 drivers/pci/pci-stub.c stub_driver pci-stub suppress_auto_claim_dma_owner removed true hunk',
  '6 drivers/pci/pci-stub.c stub_driver pci-stub driver_managed_dma added true hunk',
  '6 drivers/pci/pcie/portdrv_pci.c pcie_portdriver pcieport suppress_auto_claim_dma_owner removed true tree',
  '6 drivers/pci/pcie/portdrv_pci.c pcie_portdriver pcieport driver_managed_dma added true tree',
  '7 drivers/net/ethernet/realtek/8139too.c rtl8139_pci_driver 8139too driver_managed_dma removed true tree',
  '7 drivers/pci/hotplug/shpchp_core.c shpc_driver shpchp driver_managed_dma removed true tree',
  '7 drivers/pci/hotplug/shpchp_core.c shpc_driver shpchp driver_managed_dma added false tree',
];

// Without a tree: names come from the hunk or the shipped table; DRV_NAME's 8139too is in neither.
const EXPECTED_NO_TREE = EXPECTED_WITH_TREE.map((l) =>
  l.includes('8139too.c') ? l.replace(' 8139too ', ' null ').replace(/ tree$/, ' unresolved') : l.replace(/ tree$/, ' table'),
);

describe('readSeries through a git range', () => {
  it('finds every declaration in order, resolved through the tree (DRV_NAME, KBUILD_MODNAME, a header macro)', async () => {
    const s = await readSeries({ git: { repo: tree.dir, range } });
    expect(withResolution(s)).toEqual(EXPECTED_WITH_TREE);
    expect(s.patches.map((p) => p.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.patches.map((p) => p.commit)).toEqual(tree.commits);
    expect(s.patches[0]?.source).toBe(`git:${tree.commits[0]}`);
    expect(s.title).toBe(`${range} in ${tree.dir}`);
  });

  it('reports the allow-list edit and the header-type exemption removal as rule changes', async () => {
    const s = await readSeries({ git: { repo: tree.dir, range } });
    expect(s.patches[7]?.ruleChanges.map((r) => [r.kind, r.driver, r.file])).toEqual([
      ['allowlist-remove', 'pci-stub', 'drivers/vfio/vfio.c'],
      ['allowlist-add', 'pci-stub', 'drivers/vfio/vfio.c'],
      ['allowlist-add', 'pcieport', 'drivers/vfio/vfio.c'],
      ['header-exemption-removed', null, 'drivers/vfio/vfio.c'],
    ]);
    // vfio_pci_core.c's own `hdr_type != PCI_HEADER_TYPE_NORMAL` (patch 4) is not the exemption.
    expect(s.patches.flatMap((p) => p.ruleChanges).filter((r) => r.patchIndex !== 8)).toEqual([]);
  });

  it('a patch touching no driver (field definition, documentation, vfio-pci core) has no change', async () => {
    const s = await readSeries({ git: { repo: tree.dir, range } });
    const p4 = s.patches[3];
    expect(p4?.subject).toBe('PCI: Add driver_managed_dma to struct pci_driver');
    expect(p4?.files).toEqual(['Documentation/driver-api/dma-ownership.rst', 'drivers/vfio/pci/vfio_pci_core.c', 'include/linux/pci.h']);
    expect(p4?.changes).toEqual([]);
  });

  it('does not accept the .device_managed_dma typo, and says so at its line', async () => {
    const s = await readSeries({ git: { repo: tree.dir, range } });
    const typos = s.diagnostics.filter((d) => d.code === 'not-a-declaration');
    expect(typos.map((d) => d.file)).toEqual([`git:${tree.commits[4]?.slice(0, 12)}`, `git:${tree.commits[5]?.slice(0, 12)}`]);
    // Lines of a git-read patch count in `git format-patch -1 --stdout SHA`.
    const text = await tree.git.raw(['format-patch', '-1', '--stdout', tree.commits[4] ?? '']);
    expect(text.split('\n')[(typos[0]?.line ?? 0) - 1]).toBe('+\t.device_managed_dma = true,');
  });

  it('refuses a revision or path that begins with "-", and never runs git with it', async () => {
    const marker = join(work, 'must-not-exist');
    await expect(readSeries({ git: { repo: tree.dir, range: `--output=${marker}` } })).rejects.toThrow(/begins with "-"/);
    await expect(readSeries({ git: { repo: tree.dir, range: `${tree.base}..--output=${marker}` } })).rejects.toThrow(/begins with "-"/);
    await expect(readSeries({ git: { repo: '--upload-pack=touch', range } })).rejects.toThrow(CliError);
    await expect(readSeries({ paths: ['-rf'] })).rejects.toThrow(/begins with "-"/);
    await expect(readFile(marker)).rejects.toThrow();
  });

  it('refuses a folder that is not a git repository and an unknown revision', async () => {
    await expect(readSeries({ git: { repo: patchDir, range } })).rejects.toThrow(/not a git repository/);
    await expect(readSeries({ git: { repo: tree.dir, range: `${tree.base}..no-such-branch` } })).rejects.toThrow(/unknown revision "no-such-branch"/);
    await expect(readSeries({ git: { repo: tree.dir, range: 'master' } })).rejects.toThrow(/BASE\.\.HEAD/);
  });
});

describe('readSeries from git format-patch files and mboxes', () => {
  it('a directory, the files one by one (in any order) and the mbox give the same declarations', async () => {
    const files = (await readdir(patchDir)).sort().map((f) => join(patchDir, f));
    const fromDir = await readSeries({ paths: [patchDir] });
    const fromFiles = await readSeries({ paths: [...files].reverse() });
    const fromMbox = await readSeries({ paths: [mboxPath] });
    expect(withResolution(fromDir)).toEqual(EXPECTED_NO_TREE);
    expect(withResolution(fromFiles)).toEqual(EXPECTED_NO_TREE);
    expect(withResolution(fromMbox)).toEqual(EXPECTED_NO_TREE);
    expect(fromDir.title).toBe('DMA ownership declarations, all spellings');
    expect(fromDir.patches[0]).toMatchObject({ index: 0, cover: true, changes: [], number: 0, total: 8 });
    expect(fromMbox.patches.map((p) => p.source)).toEqual(tree.commits.map((_, i) => `mbox:${mboxPath}#${i + 1}`));
    expect(fromMbox.patches.map((p) => p.commit)).toEqual(tree.commits);
    const unresolved = fromMbox.diagnostics.filter((d) => d.code === 'unresolved-driver');
    expect(unresolved).toHaveLength(2);
    expect(mbox.split('\n')[(unresolved[0]?.line ?? 0) - 1]).toBe('+\t.driver_managed_dma = true,');
  });

  it('with --tree, patch files resolve through the commits they came from, exactly as the git range does', async () => {
    const viaTree = await readSeries({ paths: [patchDir], tree: tree.dir });
    const viaGit = await readSeries({ git: { repo: tree.dir, range } });
    expect(withResolution(viaTree)).toEqual(withResolution(viaGit));
    expect(withResolution(await readSeries({ paths: [mboxPath], tree: tree.dir }))).toEqual(EXPECTED_WITH_TREE);
  });

  it('every change points at its flag line in the patch file', async () => {
    const s = await readSeries({ paths: [patchDir] });
    const files = (await readdir(patchDir)).sort();
    for (const p of s.patches) {
      const text = (await readFile(join(patchDir, files[p.index] ?? ''), 'utf8')).split('\n');
      for (const c of p.changes) {
        const line = text[c.line - 1] ?? '';
        expect(line.startsWith(c.action === 'added' ? '+' : '-'), line).toBe(true);
        expect(line).toContain(c.flag);
      }
    }
  });

  it('a flag set by one patch and unset by a later one shows both, in patch order', async () => {
    const s = await readSeries({ paths: [mboxPath], tree: tree.dir });
    const rtl = s.patches.flatMap((p) => p.changes).filter((c) => c.driver === '8139too');
    expect(rtl.map((c) => [c.patchIndex, c.action, c.value])).toEqual([
      [6, 'added', true],
      [7, 'removed', true],
    ]);
  });

  it('quoted-printable, base64, CRLF and mboxrd-escaped mboxes read the same as the plain one', async () => {
    const plain = await readSeries({ paths: [mboxPath] });
    for (const [name, encode] of [
      ['qp', toQuotedPrintable],
      ['base64', toBase64],
      ['crlf', toCrlf],
      ['mboxrd', toMboxrd],
    ] as const) {
      const path = join(work, `series-${name}.mbox`);
      await writeFile(path, encode(mbox));
      const s = await readSeries({ paths: [path] });
      expect(keys(s), name).toEqual(keys(plain));
      expect(s.patches.map((p) => p.subject), name).toEqual(plain.patches.map((p) => p.subject));
      expect(s.patches.flatMap((p) => p.ruleChanges.map((r) => `${r.kind} ${r.driver}`)), name).toEqual(
        plain.patches.flatMap((p) => p.ruleChanges.map((r) => `${r.kind} ${r.driver}`)),
      );
    }
    // In the QP file the line still points at the raw (encoded) flag line.
    const qpPath = join(work, 'series-qp.mbox');
    const qpText = (await readFile(qpPath, 'utf8')).split('\n');
    const qp = await readSeries({ paths: [qpPath] });
    for (const c of qp.patches.flatMap((p) => p.changes)) expect(qpText[c.line - 1]).toContain(`.${c.flag === 'suppress_auto_claim_dma_owner' && c.patchIndex === 2 ? 'driver.' : ''}${c.flag}`);
  });
});

describe('malformed input', () => {
  it('a hunk shorter than its header, and a stray line in a hunk: diagnostics name patch and line, the rest is read', async () => {
    const dir = join(work, 'malformed');
    await mkdir(dir, { recursive: true });
    const files = (await readdir(patchDir)).sort();
    for (const f of files) await copyFile(join(patchDir, f), join(dir, f));
    // Patch 2 (portdrv): drop one context line, so the hunk runs out before its counts.
    const p2 = join(dir, files[2] ?? '');
    const p2lines = (await readFile(p2, 'utf8')).split('\n');
    const ctx = p2lines.findIndex((l) => l === ' \t.err_handler\t= &pcie_portdrv_err_handler,');
    p2lines.splice(ctx, 1);
    await writeFile(p2, p2lines.join('\n'));
    // Patch 6: a line that is not a diff line inside the 8139too hunk.
    const p6 = join(dir, files[6] ?? '');
    const p6lines = (await readFile(p6, 'utf8')).split('\n');
    const at = p6lines.findIndex((l) => l === '+\t.driver_managed_dma = true,');
    p6lines.splice(at, 0, 'this line was mangled by a mailer');
    await writeFile(p6, p6lines.join('\n'));

    const s = await readSeries({ paths: [dir] });
    const bad = s.diagnostics.filter((d) => d.code === 'malformed-hunk');
    expect(bad.map((d) => d.file)).toEqual([p2, p6]);
    expect(bad[1]?.line).toBe(at + 1);
    expect(bad[1]?.message).toMatch(/does not start with/);
    expect(s.patches[2]?.changes).toEqual([]);
    // The 8139too hunk is skipped; the other files of patch 6 and every other patch still count.
    expect(keys(s)).toEqual(
      EXPECTED_NO_TREE.map((l) => l.replace(/ (hunk|table|unresolved)$/, '')).filter((l) => !l.startsWith('2 ') && !l.startsWith('6 drivers/net')),
    );
  });

  it('a truncated patch file and a file that is not a patch: diagnostics, and the series is still read', async () => {
    const dir = join(work, 'truncated');
    await mkdir(dir, { recursive: true });
    const files = (await readdir(patchDir)).sort();
    const whole = await readFile(join(patchDir, files[1] ?? ''), 'utf8');
    await writeFile(join(dir, '0001-cut.patch'), whole.slice(0, whole.indexOf('.suppress_auto_claim_dma_owner')));
    await copyFile(join(patchDir, files[2] ?? ''), join(dir, '0002.patch'));
    await writeFile(join(dir, '0003-notes.patch'), 'Just some notes, no diff here.\n');
    const s = await readSeries({ paths: [dir, join(work, 'no-such-file.patch')] });
    expect(s.diagnostics.map((d) => [d.code, d.file.replace(`${work}/`, '')])).toEqual(
      expect.arrayContaining([
        ['malformed-hunk', 'truncated/0001-cut.patch'],
        ['not-a-patch', 'truncated/0003-notes.patch'],
        ['unreadable', 'no-such-file.patch'],
      ]),
    );
    expect(keys(s)).toEqual(['2 drivers/pci/pcie/portdrv_pci.c pcie_portdriver pcieport suppress_auto_claim_dma_owner added true']);
  });

  it('no readable patch at all is an error', async () => {
    const dir = join(work, 'empty');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'readme.patch'), 'nothing to see\n');
    await expect(readSeries({ paths: [dir] })).rejects.toThrow(CliError);
    await expect(readSeries({ paths: [join(work, 'missing')] })).rejects.toThrow(/no readable patch/);
  });
});
