// The shipped example series (corpora/series/) are real git format-patch output that the
// generator remakes byte for byte (but for dates), and they read back as documented.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSeries } from '../../src/series/read.js';
import { EXAMPLE_SERIES, comparable, generateExampleSeries } from '../support/make-example-series.js';
import { ROOT } from '../support/cli.js';

const SHIPPED = join(ROOT, 'corpora', 'series');
const scratch: string[] = [];
afterAll(async () => {
  for (const d of scratch) await rm(d, { recursive: true, force: true });
});

describe('example series', () => {
  it('regenerating them with real git gives the shipped patches', async () => {
    if (process.env['VFIO_IMPACT_WRITE_EXAMPLES'] === '1') {
      await generateExampleSeries(SHIPPED);
    }
    const out = await mkdtemp(join(tmpdir(), 'vfio-impact-examples-'));
    scratch.push(out);
    const written = await generateExampleSeries(out);
    const shipped: string[] = [];
    for (const name of EXAMPLE_SERIES) for (const f of (await readdir(join(SHIPPED, name))).sort()) shipped.push(`${name}/${f}`);
    expect(shipped).toEqual(written);
    for (const f of written) {
      expect(comparable(await readFile(join(SHIPPED, f), 'utf8')), f).toBe(comparable(await readFile(join(out, f), 'utf8')));
    }
  });

  it('portdrv: the seed hunk (.name outside the hunk context) resolves to pcieport', async () => {
    const series = await readSeries({ paths: [join(SHIPPED, 'portdrv')] });
    expect(series.title).toBe('Suppress kernel DMA ownership auto-claiming for pci-stub and portdrv');
    expect(series.patches.map((p) => [p.index, p.cover, p.number, p.total])).toEqual([
      [0, true, 0, 2],
      [1, false, 1, 2],
      [2, false, 2, 2],
    ]);
    const [stub, port] = [series.patches[1]?.changes, series.patches[2]?.changes];
    expect(stub).toEqual([
      expect.objectContaining({ file: 'drivers/pci/pci-stub.c', struct: 'stub_driver', driver: 'pci-stub', flag: 'suppress_auto_claim_dma_owner', action: 'added', value: true, resolvedBy: 'hunk' }),
    ]);
    expect(port).toEqual([
      expect.objectContaining({
        file: 'drivers/pci/pcie/portdrv_pci.c',
        struct: 'pcie_portdriver',
        structType: 'pci_driver',
        driver: 'pcieport',
        flag: 'suppress_auto_claim_dma_owner',
        action: 'added',
        value: true,
        resolvedBy: 'table',
      }),
    ]);
    // The line points at the flag line in the patch file.
    const text = await readFile(join(SHIPPED, 'portdrv', (await readdir(join(SHIPPED, 'portdrv'))).sort()[2] ?? ''), 'utf8');
    expect(text.split('\n')[(port?.[0]?.line ?? 0) - 1]).toBe('+\t.driver.suppress_auto_claim_dma_owner = true,');
    expect(series.diagnostics).toEqual([]);
  });

  it('pci-stub: a single unnumbered patch', async () => {
    const series = await readSeries({ paths: [join(SHIPPED, 'pci-stub')] });
    expect(series.patches).toHaveLength(1);
    expect(series.patches[0]).toMatchObject({ index: 1, number: null, cover: false, subject: 'PCI: pci_stub: Suppress kernel DMA ownership auto-claiming' });
    expect(series.patches[0]?.changes.map((c) => [c.driver, c.flag, c.action])).toEqual([['pci-stub', 'suppress_auto_claim_dma_owner', 'added']]);
  });

  it('shpchp: the third patch declares shpchp, named through the table', async () => {
    const series = await readSeries({ paths: [join(SHIPPED, 'shpchp')] });
    expect(series.patches.filter((p) => !p.cover).map((p) => p.changes.map((c) => `${c.driver}:${c.resolvedBy}`))).toEqual([
      ['pci-stub:hunk'],
      ['pcieport:table'],
      ['shpchp:table'],
    ]);
    expect(series.patches[3]?.changes[0]).toMatchObject({ struct: 'shpc_driver', file: 'drivers/pci/hotplug/shpchp_core.c' });
  });
});
