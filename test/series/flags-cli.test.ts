// `vfio-impact flags` in-process: text, JSON and CSV over the shipped examples and a real git
// range; diagnostics on stderr, sanitised; exit 0 when read, 2 on a refused input.
import { mkdtemp, readFile, rm, writeFile, readdir, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ROOT } from '../support/cli.js';
import { makeTestSeriesTree, type KernelTree } from '../support/kernel-tree.js';
import { captureContext } from '../support/capture.js';

const SHPCHP = join(ROOT, 'corpora', 'series', 'shpchp');
let tree: KernelTree;
let work: string;

beforeAll(async () => {
  tree = await makeTestSeriesTree();
  work = await mkdtemp(join(tmpdir(), 'vfio-impact-flags-'));
});
afterAll(async () => {
  await tree.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function run(...args: string[]) {
  const cap = captureContext();
  const code = await main(['node', 'vfio-impact', 'flags', ...args], cap.ctx);
  return { code, out: cap.out(), err: cap.err() };
}

describe('vfio-impact flags', () => {
  it('--format json: patches with index, subject, source, commit, changes and rule changes', async () => {
    const r = await run('--series', SHPCHP, '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const json = JSON.parse(r.out) as { title: string; patches: Array<Record<string, unknown>>; diagnostics: unknown[] };
    expect(json.title).toBe('Declare pci-stub, portdrv and shpchp DMA-safe (example)');
    expect(json.patches.map((p) => [p['index'], p['subject']])).toEqual([
      [0, 'Declare pci-stub, portdrv and shpchp DMA-safe (example)'],
      [1, 'PCI: pci_stub: Suppress kernel DMA ownership auto-claiming'],
      [2, 'PCI: portdrv: Suppress kernel DMA ownership auto-claiming'],
      [3, 'PCI: shpchp: Suppress kernel DMA ownership auto-claiming'],
    ]);
    expect(json.patches[2]).toMatchObject({
      commit: null,
      ruleChanges: [],
      changes: [{ patchIndex: 2, driver: 'pcieport', struct: 'pcie_portdriver', flag: 'suppress_auto_claim_dma_owner', action: 'added', value: true, resolvedBy: 'table' }],
    });
    expect(json.diagnostics).toEqual([]);
  });

  it('--format csv over a git range: one row per flag change, then the rule changes', async () => {
    const r = await run('--git', tree.dir, '--range', `${tree.base}..HEAD`, '--format', 'csv');
    expect(r.code).toBe(0);
    const rows = parse(r.out, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(15 + 4);
    expect(rows[5]).toEqual({
      patch: '6',
      subject: 'PCI: Rename the DMA ownership declarations to driver_managed_dma',
      file: 'drivers/net/ethernet/realtek/8139too.c',
      line: '24',
      struct: 'rtl8139_pci_driver',
      driver: '8139too',
      flag: 'driver_managed_dma',
      action: 'added',
      value: 'true',
      resolved_by: 'tree',
    });
    expect(rows.slice(15).map((x) => `${x['action']} ${x['driver']}`)).toEqual([
      'allowlist-remove pci-stub',
      'allowlist-add pci-stub',
      'allowlist-add pcieport',
      'header-exemption-removed ',
    ]);
    // The typo warnings go to stderr as file:line diagnostics.
    expect(r.err).toMatch(/^git:[0-9a-f]{12}:23: warning: .*device_managed_dma.* \[not-a-declaration\]$/m);
  });

  it('text: a table of changes and the rule changes', async () => {
    const r = await run('--git', tree.dir, '--range', `${tree.base}..HEAD`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Series: /);
    expect(r.out).toContain('8 patches, 15 declaration change(s)');
    expect(r.out).toMatch(/^2 +PCI: portdrv: Suppress kernel DMA ownership aut… +drivers\/pci\/pcie\/portdrv_pci\.c +pcie_portdriver +pcieport +suppress_auto_claim_dma_owner +added \(= true\) +tree$/m);
    expect(r.out).toContain('8  drivers/vfio/vfio.c:');
    expect(r.out).toContain('header-exemption-removed');
  });

  it('diagnostics from hostile input reach stderr without escape sequences', async () => {
    const files = (await readdir(SHPCHP)).sort();
    const dir = join(work, 'hostile');
    await (await import('node:fs/promises')).mkdir(dir);
    for (const f of files) await copyFile(join(SHPCHP, f), join(dir, f));
    const p = join(dir, files[3] ?? '');
    const text = await readFile(p, 'utf8');
    await writeFile(p, text.replace(' \t.remove =\tshpc_remove,', '\u001b]0;owned\u0007 \u001b[31mboom'));
    const r = await run('--series', dir);
    expect(r.code).toBe(0);
    expect(r.err).toContain('[malformed-hunk]');
    expect(r.err).not.toMatch(/\u001b|\u0007/);
    expect(r.out).toContain('pcieport');
  });

  it('exit 2 with a one-line reason for a refused revision, a missing --range, or nothing to read', async () => {
    const refused = await run('--git', tree.dir, '--range=--output=x..HEAD');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/vfio-impact: refusing range "--output=x\.\.HEAD": it begins with "-"/);
    const half = await run('--git', tree.dir);
    expect(half.code).toBe(2);
    expect(half.err).toContain('--git and --range go together');
    const none = await run('--series', join(work, 'nothing-here'));
    expect(none.code).toBe(2);
    expect(none.err).toContain('no readable patch');
  });
});
