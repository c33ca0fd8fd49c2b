// Finding declarations in hunks (spec §2.5): every spelling, nested and flat, added and
// removed, with the struct from the hunk or its header and the name from hunk or table.
import { beforeAll, describe, expect, it } from 'vitest';
import { findInFile } from '../../src/series/declarations.js';
import { splitMbox } from '../../src/series/mbox.js';
import { parsePatchMessage } from '../../src/series/patch.js';
import { moduleFromMakefile, resolveDriver, structInSource, type DriverTableRow } from '../../src/series/resolve.js';
import { loadDriverTable } from '../../src/series/table.js';

let table: DriverTableRow[];
beforeAll(async () => {
  table = (await loadDriverTable()).rows;
});

/** A one-file git diff; hunk counts are computed from the lines so every test hunk is well formed. */
function diff(file: string, start: number, context: string, lines: string[]): string {
  const old = lines.filter((l) => !l.startsWith('+')).length;
  const neu = lines.filter((l) => !l.startsWith('-')).length;
  return [
    'From 3333333333333333333333333333333333333333 Mon Sep 17 00:00:00 2001',
    'Subject: [PATCH 1/1] test',
    '',
    '---',
    `diff --git a/${file} b/${file}`,
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${start},${old} +${start},${neu} @@${context ? ` ${context}` : ''}`,
    ...lines,
    '',
  ].join('\n');
}

async function changesOf(text: string) {
  const [message] = splitMbox(text, 'test.patch');
  const patch = parsePatchMessage(message!, 'test.patch');
  const out = [];
  const rules = [];
  const diagnostics = [...patch.diagnostics];
  for (const f of patch.files) {
    const found = findInFile(1, f, 'test.patch');
    rules.push(...found.ruleChanges);
    diagnostics.push(...found.diagnostics);
    for (const d of found.declarations) {
      const r = await resolveDriver(d, { table });
      out.push({ flag: d.flag, action: d.action, value: d.value, line: d.line, ...r });
    }
  }
  return { changes: out, rules, diagnostics };
}

describe('the seed hunk (spec §3.1: v1 04/11, portdrv_pci.c)', () => {
  it('names pcie_portdriver from the hunk header and resolves pcieport from the table', async () => {
    const text = diff('drivers/pci/pcie/portdrv_pci.c', 203, 'static struct pci_driver pcie_portdriver = {', [
      ' \t.err_handler\t= &pcie_portdrv_err_handler,',
      ' ',
      ' \t.driver.pm\t= PCIE_PORTDRV_PM_OPS,',
      '+',
      '+\t.driver.suppress_auto_claim_dma_owner = true,',
      ' };',
      ' ',
      ' static int __init dmi_pcie_pme_disable_msi(const struct dmi_system_id *d)',
    ]);
    const { changes, diagnostics } = await changesOf(text);
    expect(changes).toEqual([
      {
        flag: 'suppress_auto_claim_dma_owner',
        action: 'added',
        value: true,
        line: 13,
        struct: 'pcie_portdriver',
        structType: 'pci_driver',
        driver: 'pcieport',
        resolvedBy: 'table',
      },
    ]);
    expect(diagnostics).toEqual([]);
  });
});

describe('spellings and forms', () => {
  it('nested v1 inside .driver = { } of a platform driver, named from the nested .name in the hunk', async () => {
    const { changes } = await changesOf(
      diff('drivers/vfio/platform/vfio_platform.c', 50, 'static struct platform_driver vfio_platform_driver = {', [
        ' \t.remove\t\t= vfio_platform_remove,',
        ' \t.driver\t= {',
        ' \t\t.name\t= "vfio-platform",',
        '+\t\t.suppress_auto_claim_dma_owner = true,',
        ' \t},',
        ' };',
      ]),
    );
    expect(changes).toEqual([expect.objectContaining({ struct: 'vfio_platform_driver', structType: 'platform_driver', driver: 'vfio-platform', resolvedBy: 'hunk', flag: 'suppress_auto_claim_dma_owner' })]);
  });

  it('nested v1 inside the amba .drv = { } block, struct opener in the hunk, name from the table', async () => {
    const { changes } = await changesOf(
      diff('drivers/vfio/platform/vfio_amba.c', 88, '', [
        ' static struct amba_driver vfio_amba_driver = {',
        ' \t.probe = vfio_amba_probe,',
        ' \t.drv = {',
        ' \t\t.owner = THIS_MODULE,',
        '+\t\t.suppress_auto_claim_dma_owner = true,',
        ' \t},',
        ' };',
      ]),
    );
    expect(changes).toEqual([expect.objectContaining({ struct: 'vfio_amba_driver', structType: 'amba_driver', driver: 'vfio-amba', resolvedBy: 'table' })]);
  });

  it('true -> false is a removal of true and an addition of false', async () => {
    const { changes } = await changesOf(
      diff('drivers/vfio/pci/vfio_pci.c', 36, 'static struct pci_driver vfio_pci_driver = {', [
        ' \t.err_handler\t\t= &vfio_pci_core_err_handlers,',
        '-\t.driver_managed_dma\t= true,',
        '+\t.driver_managed_dma\t= false,',
        ' };',
      ]),
    );
    expect(changes.map((c) => [c.flag, c.action, c.value, c.driver])).toEqual([
      ['driver_managed_dma', 'removed', true, 'vfio-pci'],
      ['driver_managed_dma', 'added', false, 'vfio-pci'],
    ]);
  });

  it('one-line nested block and 1/0 values count; comments, code assignments, field definitions and the typo do not', async () => {
    const { changes, diagnostics } = await changesOf(
      diff('drivers/misc/foo.c', 1, '', [
        ' static struct pci_driver foo_driver = {',
        ' \t.name = "foo",',
        '+\t.driver = { .suppress_auto_claim_dma_owner = true, },',
        '+\t/* .driver_managed_dma = true, */',
        '+\t.no_kernel_api_dma = 1,',
        '+\t.device_managed_dma = true,',
        ' };',
        ' ',
        ' static int foo_setup(struct pci_driver *drv)',
        ' {',
        '+\tdrv->driver_managed_dma = true;',
        '+\tbool driver_managed_dma;',
        ' \treturn 0;',
        ' }',
      ]),
    );
    expect(changes.map((c) => [c.flag, c.value, c.struct, c.driver, c.resolvedBy])).toEqual([
      ['suppress_auto_claim_dma_owner', true, 'foo_driver', 'foo', 'hunk'],
      ['no_kernel_api_dma', true, 'foo_driver', 'foo', 'hunk'],
    ]);
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([['not-a-declaration', 14]]);
  });

  it('a flag whose struct cannot be seen is unresolved, never guessed', async () => {
    const { changes } = await changesOf(
      diff('drivers/pci/pcie/portdrv_pci.c', 10, 'static int pcie_portdrv_probe(struct pci_dev *dev)', [' \t.remove = foo_remove,', '+\t.driver_managed_dma = true,', ' };']),
    );
    expect(changes).toEqual([expect.objectContaining({ struct: null, driver: null, resolvedBy: 'unresolved' })]);
  });

  it('documentation files are not source: their examples are not declarations', async () => {
    const { changes } = await changesOf(diff('Documentation/PCI/pci.rst', 1, '', [' x', '+  .driver_managed_dma = true,']));
    expect(changes).toEqual([]);
  });
});

describe('rule changes (spec §1.1)', () => {
  it('multi-line allow-list edits inside the array opened above the hunk', async () => {
    const { rules } = await changesOf(
      diff('drivers/vfio/vfio.c', 40, 'static const char * const vfio_driver_allowed[] = {', [' \t"pci-stub",', '+\t"pcieport",', '-\t"shpchp",', ' };']),
    );
    expect(rules.map((r) => [r.kind, r.driver])).toEqual([
      ['allowlist-add', 'pcieport'],
      ['allowlist-remove', 'shpchp'],
    ]);
  });
});

describe('resolution helpers', () => {
  it('KBUILD_MODNAME: the Makefile object, dashes to underscores (spec §4)', () => {
    expect(moduleFromMakefile('obj-$(CONFIG_MLX5_VFIO_PCI) += mlx5-vfio-pci.o\nmlx5-vfio-pci-y := main.o cmd.o\n', 'drivers/vfio/pci/mlx5/main.c')).toBe('mlx5_vfio_pci');
    expect(moduleFromMakefile('obj-$(CONFIG_QAT_VFIO_PCI) += qat_vfio_pci.o\nqat_vfio_pci-y := main.o\n', 'drivers/vfio/pci/qat/main.c')).toBe('qat_vfio_pci');
    expect(moduleFromMakefile('obj-$(CONFIG_PCI_STUB) += pci-stub.o\n', 'drivers/pci/pci-stub.c')).toBe('pci_stub');
    expect(moduleFromMakefile('obj-y += other.o\n', 'drivers/x/main.c')).toBeNull();
  });

  it('finds the struct around a line and its .name in a whole file', () => {
    const src = 'static int x;\nstatic struct pci_driver bar_driver = {\n\t.name = DRV_NAME,\n\t.probe = p,\n};\n';
    expect(structInSource(src, null, 4)).toEqual({ struct: 'bar_driver', structType: 'pci_driver', nameExpr: 'DRV_NAME' });
    expect(structInSource(src, 'bar_driver', null).nameExpr).toBe('DRV_NAME');
    expect(structInSource(src, 'nope', null).nameExpr).toBeNull();
  });
});
