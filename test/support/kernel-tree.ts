// A tiny kernel-like git tree in a temporary folder: driver files laid out like the kernel's
// (PCIe port driver, pci-stub, the SHPC hotplug driver, vfio-pci and vfio.c's old allow-list,
// a driver naming itself through DRV_NAME, one through KBUILD_MODNAME and its Makefile).
// The C is written for these tests (skeletons, not kernel code). Commits use fixed dates and
// an isolated git config so the same steps always give the same commit ids.

import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';

export const AUTHOR_NAME = 'Jörg Example';
export const AUTHOR_EMAIL = 'examples@vfio-impact.invalid';

export interface KernelTree {
  dir: string;
  git: SimpleGit;
  /** Commit id of the initial tree. */
  base: string;
  /** Commits made so far, oldest first. */
  commits: string[];
  /** Seconds added to the fixed clock for each commit. */
  clock: number;
  cleanup(): Promise<void>;
}

const EPOCH = Date.UTC(2021, 10, 15, 2, 0, 0) / 1000; // 15 Nov 2021, the v1 posting date (spec §3.1)

export const BASE_FILES: Record<string, string> = {
  'Makefile': '# SPDX-License-Identifier: GPL-2.0\nobj-y += drivers/\n',
  'include/linux/pci.h': [
    '/* SPDX-License-Identifier: GPL-2.0 */',
    '#ifndef LINUX_PCI_H',
    '#define LINUX_PCI_H',
    '',
    'struct pci_driver {',
    '\tconst char\t\t*name;',
    '\tconst struct pci_device_id *id_table;',
    '\tint  (*probe)(struct pci_dev *dev, const struct pci_device_id *id);',
    '\tvoid (*remove)(struct pci_dev *dev);',
    '\tstruct device_driver\tdriver;',
    '};',
    '',
    '#endif /* LINUX_PCI_H */',
    '',
  ].join('\n'),
  'drivers/pci/pcie/portdrv_pci.c': [
    '// SPDX-License-Identifier: GPL-2.0',
    '/*',
    ' * PCIe port bus driver skeleton for the vfio-impact test tree.',
    ' */',
    '',
    '#include <linux/pci.h>',
    '#include <linux/init.h>',
    '#include "portdrv.h"',
    '',
    'static int pcie_portdrv_probe(struct pci_dev *dev, const struct pci_device_id *id)',
    '{',
    '\treturn pcie_port_device_register(dev);',
    '}',
    '',
    'static void pcie_portdrv_remove(struct pci_dev *dev)',
    '{',
    '\tpcie_port_device_remove(dev);',
    '}',
    '',
    'static const struct pci_device_id port_pci_ids[] = {',
    '\t/* handle any PCI-Express port */',
    '\t{ PCI_DEVICE_CLASS(PCI_CLASS_BRIDGE_PCI_NORMAL, ~0) },',
    '\t{ },',
    '};',
    '',
    'static const struct pci_error_handlers pcie_portdrv_err_handler = {',
    '\t.error_detected = pcie_portdrv_error_detected,',
    '};',
    '',
    'static struct pci_driver pcie_portdriver = {',
    '\t.name\t\t= "pcieport",',
    '\t.id_table\t= &port_pci_ids[0],',
    '',
    '\t.probe\t\t= pcie_portdrv_probe,',
    '\t.remove\t\t= pcie_portdrv_remove,',
    '\t.shutdown\t= pcie_portdrv_remove,',
    '',
    '\t.err_handler\t= &pcie_portdrv_err_handler,',
    '',
    '\t.driver.pm\t= PCIE_PORTDRV_PM_OPS,',
    '};',
    '',
    'static int __init pcie_portdrv_init(void)',
    '{',
    '\treturn pci_register_driver(&pcie_portdriver);',
    '}',
    'device_initcall(pcie_portdrv_init);',
    '',
  ].join('\n'),
  'drivers/pci/pcie/portdrv.h': '/* SPDX-License-Identifier: GPL-2.0 */\n#define PCIE_PORTDRV_PM_OPS\tNULL\n',
  'drivers/pci/pci-stub.c': [
    '// SPDX-License-Identifier: GPL-2.0-only',
    '/*',
    ' * Stub driver skeleton: claims devices so no other driver binds them.',
    ' */',
    '',
    '#include <linux/module.h>',
    '#include <linux/pci.h>',
    '',
    'static int pci_stub_probe(struct pci_dev *dev, const struct pci_device_id *id)',
    '{',
    '\tpci_info(dev, "claimed by stub\\n");',
    '\treturn 0;',
    '}',
    '',
    'static struct pci_driver stub_driver = {',
    '\t.name\t\t= "pci-stub",',
    '\t.id_table\t= NULL,\t/* only dynamic id\'s */',
    '\t.probe\t\t= pci_stub_probe,',
    '};',
    '',
    'static int __init pci_stub_init(void)',
    '{',
    '\treturn pci_register_driver(&stub_driver);',
    '}',
    'module_init(pci_stub_init);',
    '',
  ].join('\n'),
  'drivers/pci/hotplug/shpchp.h': [
    '/* SPDX-License-Identifier: GPL-2.0+ */',
    '#ifndef _SHPCHP_H',
    '#define _SHPCHP_H',
    '',
    '#define SHPC_MODULE_NAME "shpchp"',
    '',
    '#endif',
    '',
  ].join('\n'),
  'drivers/pci/hotplug/shpchp_core.c': [
    '// SPDX-License-Identifier: GPL-2.0+',
    '/*',
    ' * Standard Hot Plug Controller driver skeleton.',
    ' */',
    '',
    '#include <linux/module.h>',
    '#include <linux/pci.h>',
    '#include "shpchp.h"',
    '',
    'static int shpc_probe(struct pci_dev *pdev, const struct pci_device_id *ent)',
    '{',
    '\treturn shpc_init(pdev);',
    '}',
    '',
    'static void shpc_remove(struct pci_dev *dev)',
    '{',
    '\tshpc_release(dev);',
    '}',
    '',
    'static const struct pci_device_id shpcd_pci_tbl[] = {',
    '\t{PCI_DEVICE_CLASS(PCI_CLASS_BRIDGE_PCI_NORMAL, ~0)},',
    '\t{ /* end: all zeroes */ }',
    '};',
    '',
    'static struct pci_driver shpc_driver = {',
    '\t.name =\t\tSHPC_MODULE_NAME,',
    '\t.id_table =\tshpcd_pci_tbl,',
    '\t.probe =\tshpc_probe,',
    '\t.remove =\tshpc_remove,',
    '};',
    '',
    'static int __init shpcd_init(void)',
    '{',
    '\treturn pci_register_driver(&shpc_driver);',
    '}',
    'module_init(shpcd_init);',
    '',
  ].join('\n'),
  'drivers/vfio/vfio.c': [
    '// SPDX-License-Identifier: GPL-2.0-only',
    '/*',
    ' * VFIO core skeleton: the pre-5.19 group viability test (spec 1.1).',
    ' */',
    '',
    '#include <linux/pci.h>',
    '#include <linux/vfio.h>',
    '',
    'static const char * const vfio_driver_allowed[] = { "pci-stub" };',
    '',
    'static bool vfio_dev_driver_allowed(struct device *dev,',
    '\t\t\t\t    struct device_driver *drv)',
    '{',
    '\tif (dev_is_pci(dev)) {',
    '\t\tstruct pci_dev *pdev = to_pci_dev(dev);',
    '',
    '\t\tif (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)',
    '\t\t\treturn true;',
    '\t}',
    '',
    '\treturn match_string(vfio_driver_allowed,',
    '\t\t\t    ARRAY_SIZE(vfio_driver_allowed),',
    '\t\t\t    drv->name) >= 0;',
    '}',
    '',
  ].join('\n'),
  'drivers/vfio/pci/vfio_pci.c': [
    '// SPDX-License-Identifier: GPL-2.0-only',
    '/*',
    ' * vfio-pci skeleton.',
    ' */',
    '',
    '#include <linux/module.h>',
    '#include <linux/pci.h>',
    '',
    'static struct pci_driver vfio_pci_driver = {',
    '\t.name\t\t\t= "vfio-pci",',
    '\t.id_table\t\t= vfio_pci_table,',
    '\t.probe\t\t\t= vfio_pci_probe,',
    '\t.remove\t\t\t= vfio_pci_remove,',
    '\t.sriov_configure\t= vfio_pci_sriov_configure,',
    '\t.err_handler\t\t= &vfio_pci_core_err_handlers,',
    '};',
    '',
  ].join('\n'),
  'drivers/vfio/pci/vfio_pci_core.c': [
    '// SPDX-License-Identifier: GPL-2.0-only',
    '#include <linux/pci.h>',
    '',
    'int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev)',
    '{',
    '\tstruct pci_dev *pdev = vdev->pdev;',
    '',
    '\tif (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)',
    '\t\treturn -EINVAL;',
    '',
    '\treturn vfio_register_group_dev(&vdev->vdev);',
    '}',
    '',
  ].join('\n'),
  'drivers/vfio/pci/mlx5/Makefile': [
    '# SPDX-License-Identifier: GPL-2.0-only',
    'obj-$(CONFIG_MLX5_VFIO_PCI) += mlx5-vfio-pci.o',
    'mlx5-vfio-pci-y := main.o cmd.o',
    '',
  ].join('\n'),
  'drivers/vfio/pci/mlx5/main.c': [
    '// SPDX-License-Identifier: GPL-2.0-only',
    '#include <linux/module.h>',
    '#include <linux/pci.h>',
    '',
    'static struct pci_driver mlx5vf_pci_driver = {',
    '\t.name = KBUILD_MODNAME,',
    '\t.id_table = mlx5vf_pci_table,',
    '\t.probe = mlx5vf_pci_probe,',
    '\t.remove = mlx5vf_pci_remove,',
    '\t.err_handler = &mlx5vf_err_handlers,',
    '};',
    '',
    'module_pci_driver(mlx5vf_pci_driver);',
    '',
  ].join('\n'),
  'drivers/net/ethernet/realtek/8139too.c': [
    '// SPDX-License-Identifier: GPL-2.0-only',
    '/* 8139too.c skeleton for the vfio-impact test tree. */',
    '',
    '#define DRV_NAME\t"8139too"',
    '#define DRV_VERSION\t"0.9.28"',
    '',
    '#include <linux/module.h>',
    '#include <linux/pci.h>',
    '',
    'static int rtl8139_init_one(struct pci_dev *pdev, const struct pci_device_id *ent)',
    '{',
    '\treturn rtl8139_init_board(pdev);',
    '}',
    '',
    'static struct pci_driver rtl8139_pci_driver = {',
    '\t.name\t\t= DRV_NAME,',
    '\t.id_table\t= rtl8139_pci_tbl,',
    '\t.probe\t\t= rtl8139_init_one,',
    '\t.remove\t\t= rtl8139_remove_one,',
    '\t.driver.pm\t= &rtl8139_pm_ops,',
    '};',
    '',
    'module_pci_driver(rtl8139_pci_driver);',
    '',
  ].join('\n'),
  'Documentation/driver-api/dma-ownership.rst': 'DMA ownership\n=============\n\nDrivers that manage DMA themselves say so in their driver struct.\n',
};

/** simple-git with a config of its own: no user or system config, fixed identity, no signing. */
export function isolatedGit(dir: string, extraEnv: Record<string, string> = {}): SimpleGit {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    LANG: 'C',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    ...extraEnv,
  };
  return simpleGit({
    baseDir: dir,
    config: [`user.name=${AUTHOR_NAME}`, `user.email=${AUTHOR_EMAIL}`, 'commit.gpgsign=false', 'core.autocrlf=false'],
    allowConfig: ['commit.gpgsign', 'core.autocrlf', 'user.*', 'branch.*'],
    allowEnvironment: ['GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_DATE'],
  }).env(env);
}

export async function writeTreeFile(dir: string, path: string, content: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
}

/** A fresh tree with BASE_FILES committed; `dir` defaults to a new temporary folder. */
export async function makeKernelTree(dir?: string): Promise<KernelTree> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'vfio-impact-tree-')));
  await mkdir(root, { recursive: true });
  for (const [path, content] of Object.entries(BASE_FILES)) await writeTreeFile(root, path, content);
  const tree: KernelTree = {
    dir: root,
    git: isolatedGit(root),
    base: '',
    commits: [],
    clock: 0,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  await tree.git.raw(['init', '--quiet', '--initial-branch=master']);
  tree.base = await commitAll(tree, 'Initial skeleton tree\n\nDriver skeletons laid out like the kernel tree.');
  tree.commits = [];
  return tree;
}

export interface Edit {
  path: string;
  /** Exact text to replace (must occur once) and its replacement. */
  from: string;
  to: string;
}

export async function applyEdits(tree: KernelTree, edits: Edit[]): Promise<void> {
  for (const e of edits) {
    const file = join(tree.dir, e.path);
    const text = await readFile(file, 'utf8');
    const at = text.indexOf(e.from);
    if (at < 0 || text.indexOf(e.from, at + 1) >= 0) throw new Error(`edit of ${e.path}: text not found exactly once: ${e.from}`);
    await writeFile(file, text.slice(0, at) + e.to + text.slice(at + e.from.length));
  }
}

/** Commit everything with the next tick of the fixed clock; returns the commit id. */
export async function commitAll(tree: KernelTree, message: string): Promise<string> {
  const when = `@${EPOCH + tree.clock * 3600} +0800`;
  tree.clock++;
  const git = isolatedGit(tree.dir, { GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when });
  await git.raw(['add', '--all']);
  await git.raw(['commit', '--quiet', '--allow-empty', '-m', message]);
  const sha = (await git.raw(['rev-parse', 'HEAD'])).trim();
  tree.commits.push(sha);
  return sha;
}

export async function commitEdits(tree: KernelTree, message: string, edits: Edit[]): Promise<string> {
  await applyEdits(tree, edits);
  return commitAll(tree, message);
}

/** git format-patch into `outDir` (files) or to a string (`--stdout`). */
export async function formatPatch(tree: KernelTree, args: string[]): Promise<string> {
  return tree.git.raw(['format-patch', '--no-signature', '--src-prefix=a/', '--dst-prefix=b/', ...args]);
}

// ---------------------------------------------------------------------------------------------
// The test series: declares, un-declares and renames, in all three spellings (spec §2.5).

export interface SeriesStep {
  subject: string;
  body: string;
  edits: Edit[];
}

const PORTDRV = 'drivers/pci/pcie/portdrv_pci.c';
const STUB = 'drivers/pci/pci-stub.c';
const SHPC = 'drivers/pci/hotplug/shpchp_core.c';
const VFIO_PCI = 'drivers/vfio/pci/vfio_pci.c';
const MLX5 = 'drivers/vfio/pci/mlx5/main.c';
const RTL = 'drivers/net/ethernet/realtek/8139too.c';

export const STUB_NESTED_V1: Edit = {
  path: STUB,
  from: '\t.probe\t\t= pci_stub_probe,\n};',
  to: '\t.probe\t\t= pci_stub_probe,\n\t.driver\t\t= {\n\t\t.suppress_auto_claim_dma_owner = true,\n\t},\n};',
};
export const PORTDRV_FLAT_V1: Edit = {
  path: PORTDRV,
  from: '\t.driver.pm\t= PCIE_PORTDRV_PM_OPS,\n};',
  to: '\t.driver.pm\t= PCIE_PORTDRV_PM_OPS,\n\n\t.driver.suppress_auto_claim_dma_owner = true,\n};',
};
export const SHPC_FLAT_V1: Edit = {
  path: SHPC,
  from: '\t.remove =\tshpc_remove,\n};',
  to: '\t.remove =\tshpc_remove,\n\t.driver.suppress_auto_claim_dma_owner = true,\n};',
};

export const TEST_SERIES: SeriesStep[] = [
  {
    subject: 'PCI: pci_stub: Suppress kernel DMA ownership auto-claiming',
    body: 'pci-stub only claims a device so nothing else binds it; it never maps\nDMA or touches BARs, so it can stay bound in a user-owned group.',
    edits: [STUB_NESTED_V1],
  },
  {
    subject: 'PCI: portdrv: Suppress kernel DMA ownership auto-claiming',
    body: 'From the point of view of DMA ownership the port driver is harmless:\nits services do not do DMA. Declare it in the v1 spelling.',
    edits: [PORTDRV_FLAT_V1],
  },
  {
    subject: 'PCI: shpchp: Declare no kernel DMA API use',
    body: 'Intermediate spelling of the declaration, on the SHPC hotplug driver.',
    edits: [{ path: SHPC, from: '\t.remove =\tshpc_remove,\n};', to: '\t.remove =\tshpc_remove,\n\t.no_kernel_api_dma = true,\n};' }],
  },
  {
    subject: 'PCI: Add driver_managed_dma to struct pci_driver',
    body: 'Adds the field and its documentation; no driver sets it here.',
    edits: [
      { path: 'include/linux/pci.h', from: '\tstruct device_driver\tdriver;\n', to: '\tstruct device_driver\tdriver;\n\tbool driver_managed_dma;\n' },
      {
        path: 'Documentation/driver-api/dma-ownership.rst',
        from: 'struct.\n',
        to: 'struct.\n\n  .driver_managed_dma = true,\n',
      },
      {
        path: 'drivers/vfio/pci/vfio_pci_core.c',
        from: '\tif (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)\n',
        to: '\tif (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL) /* no bridges */\n',
      },
    ],
  },
  {
    subject: 'vfio: Set driver_managed_dma on vfio-pci, mlx5 and 8139too',
    body: 'The merged spelling on three pci_driver structs; the last one is\nwritten with the reviewer typo first.',
    edits: [
      {
        path: VFIO_PCI,
        from: '\t.err_handler\t\t= &vfio_pci_core_err_handlers,\n};',
        to: '\t.err_handler\t\t= &vfio_pci_core_err_handlers,\n\t.driver_managed_dma\t= true,\n};',
      },
      { path: MLX5, from: '\t.err_handler = &mlx5vf_err_handlers,\n};', to: '\t.err_handler = &mlx5vf_err_handlers,\n\t.driver_managed_dma = true,\n};' },
      { path: RTL, from: '\t.driver.pm\t= &rtl8139_pm_ops,\n};', to: '\t.driver.pm\t= &rtl8139_pm_ops,\n\t.device_managed_dma = true,\n};' },
    ],
  },
  {
    subject: 'PCI: Rename the DMA ownership declarations to driver_managed_dma',
    body: 'Move every declaration to the merged spelling.',
    edits: [
      {
        path: STUB,
        from: '\t.driver\t\t= {\n\t\t.suppress_auto_claim_dma_owner = true,\n\t},\n',
        to: '\t.driver_managed_dma = true,\n',
      },
      { path: PORTDRV, from: '\t.driver.suppress_auto_claim_dma_owner = true,\n', to: '\t.driver_managed_dma = true,\n' },
      { path: SHPC, from: '\t.no_kernel_api_dma = true,\n', to: '\t.driver_managed_dma = true,\n' },
      { path: RTL, from: '\t.device_managed_dma = true,\n', to: '\t.driver_managed_dma = true,\n' },
    ],
  },
  {
    subject: 'PCI: Undeclare 8139too and shpchp',
    body: 'Both drivers do DMA or MMIO that a user-owned group could reach.',
    edits: [
      { path: RTL, from: '\t.driver_managed_dma = true,\n', to: '' },
      { path: SHPC, from: '\t.driver_managed_dma = true,\n', to: '\t.driver_managed_dma = false,\n' },
    ],
  },
  {
    subject: 'vfio: Allow pcieport by name and drop the header-type exemption',
    body: 'Edits the old rule itself (spec 1.1).',
    edits: [
      {
        path: 'drivers/vfio/vfio.c',
        from: 'static const char * const vfio_driver_allowed[] = { "pci-stub" };',
        to: 'static const char * const vfio_driver_allowed[] = { "pci-stub", "pcieport" };',
      },
      {
        path: 'drivers/vfio/vfio.c',
        from: '\tif (dev_is_pci(dev)) {\n\t\tstruct pci_dev *pdev = to_pci_dev(dev);\n\n\t\tif (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)\n\t\t\treturn true;\n\t}\n\n',
        to: '',
      },
    ],
  },
];

/** Commit TEST_SERIES on a fresh tree; returns the tree (base = the commit before the series). */
export async function makeTestSeriesTree(dir?: string): Promise<KernelTree> {
  const tree = await makeKernelTree(dir);
  for (const step of TEST_SERIES) await commitEdits(tree, `${step.subject}\n\n${step.body}`, step.edits);
  return tree;
}
