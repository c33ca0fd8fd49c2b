// analyze and gate through the real CLI process on the shared corpora.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CHANGE_COLUMNS } from '../../src/report/records.js';
import { FORUMS, LINUXHW, ROOT, runCli } from '../support/cli.js';

const PORTDRV = join(ROOT, 'corpora', 'series', 'portdrv');
const CORPUS = ['--corpus', LINUXHW, FORUMS];
const BASELINE = join(ROOT, 'baselines', 'gate', 'shared-portdrv.csv');

/** A real format-patch file that takes pcieport's declaration away again. */
const UNDECLARE_PORTDRV = `From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: Test Author <test@example.org>
Date: Fri, 4 Dec 2026 10:00:00 +0000
Subject: [PATCH] PCI: portdrv: Drop driver_managed_dma

Pretend the port driver started doing DMA.
---
 drivers/pci/pcie/portdrv.c | 1 -
 1 file changed, 1 deletion(-)

diff --git a/drivers/pci/pcie/portdrv.c b/drivers/pci/pcie/portdrv.c
index 1111111..2222222 100644
--- a/drivers/pci/pcie/portdrv.c
+++ b/drivers/pci/pcie/portdrv.c
@@ -10,7 +10,6 @@ static struct pci_driver pcie_portdriver = {
 	.name		= "pcieport",
 	.id_table	= &port_pci_ids[0],
 
 	.probe		= pcie_portdrv_probe,
 	.remove		= pcie_portdrv_remove,
-	.driver_managed_dma = true,
 	.shutdown	= pcie_portdrv_shutdown,
-- 
2.39.5
`;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vfio-impact-report-'));
  await writeFile(join(tmp, 'undeclare.patch'), UNDECLARE_PORTDRV);
});

describe('analyze exports', () => {
  it('CSV read back with csv-parse gives the same records as the JSON changes', async () => {
    const [csv, json] = await Promise.all([
      runCli(['analyze', '--series', PORTDRV, ...CORPUS, '--format', 'csv']),
      runCli(['analyze', '--series', PORTDRV, ...CORPUS, '--format', 'json']),
    ]);
    expect(csv.code).toBe(0);
    expect(json.code).toBe(0);
    const records = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    const doc = JSON.parse(json.stdout) as { changes: Record<string, unknown>[]; summary: { hostsRead: number } };
    const fromJson = doc.changes.map((c) => Object.fromEntries(CHANGE_COLUMNS.map((k) => [k, c[k]])));
    expect(records.length).toBeGreaterThan(0);
    expect(records).toEqual(fromJson);
    expect(Object.keys(records[0]!).slice(0, 9)).toEqual(['host', 'group', 'scope', 'old', 'new', 'change', 'blocking_bdf', 'blocking_driver', 'patch']);
    expect(new Set(records.map((r) => r['change']))).toEqual(new Set(['regressed', 'undetermined']));
    expect(doc.summary.hostsRead).toBe(records.length > 0 ? doc.summary.hostsRead : -1);
  });

  it('affected hosts spilled to a temporary file give the same report as kept in memory', async () => {
    const args = ['analyze', '--series', PORTDRV, ...CORPUS, '--format', 'json'];
    const [spilled, kept] = await Promise.all([runCli(args, { env: { VFIO_IMPACT_HOSTS_IN_MEMORY: '0' } }), runCli(args)]);
    expect(spilled.code).toBe(0);
    expect(JSON.parse(spilled.stdout).changes.length).toBeGreaterThan(5);
    expect(spilled.stdout).toBe(kept.stdout);
  });

  it('JSON summary has per-scope, per-patch and without-series figures', async () => {
    const r = await runCli(['analyze', '--series', PORTDRV, ...CORPUS, '--format', 'json']);
    const s = JSON.parse(r.stdout).summary;
    expect(s.hostsRead).toBeGreaterThanOrEqual(50);
    expect(s.regressions.potential).toBeGreaterThan(0);
    expect(s.withoutSeries.regressions.potential).toBeGreaterThan(s.regressions.potential);
    expect(s.perPatch.map((p: { index: number }) => p.index)).toEqual([1, 2]);
    expect(s.perPatch[1].fixes.potential).toBe(s.withoutSeries.regressions.potential - s.regressions.potential);
  });

  it('markdown has the headline table and groups regressions by blocking driver and platform', async () => {
    const r = await runCli(['analyze', '--series', PORTDRV, '--corpus', LINUXHW, '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| **regressed** (old rule → with the series) |');
    expect(r.stdout).toMatch(/\| yenta_cardbus \| IBM ThinkPad T41 23737JU \| the rule itself \| 1 \|/);
    expect(r.stdout).toContain('| #2 PCI: portdrv: Suppress kernel DMA ownership auto-claiming |');
  });

  it('text output piped has no escape sequences and says where groups came from', async () => {
    const r = await runCli(['analyze', '--series', PORTDRV, ...CORPUS]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b/);
    expect(r.stdout).toMatch(/derived groups, LOW CONFIDENCE/);
    expect(r.stdout).toMatch(/dump groups/);
  });

  it('--out writes atomically, refuses a symlink and refuses to overwrite an input', async () => {
    const out = join(tmp, 'report.csv');
    const r = await runCli(['analyze', '--series', PORTDRV, '--corpus', LINUXHW, '--format', 'csv', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect((await readFile(out, 'utf8')).split('\n')[0]).toBe(CHANGE_COLUMNS.join(','));
    expect((await readdir(tmp)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const link = join(tmp, 'link.csv');
    await symlink(join(tmp, 'elsewhere.csv'), link);
    const viaLink = await runCli(['analyze', '--series', PORTDRV, '--corpus', LINUXHW, '--format', 'csv', '--out', link]);
    expect(viaLink.code).toBe(2);
    expect(viaLink.stderr).toContain('symbolic link');
    const patch = join(tmp, 'undeclare.patch');
    const self = await runCli(['analyze', '--series', patch, '--corpus', LINUXHW, '--out', patch]);
    expect(self.code).toBe(2);
    expect(await readFile(patch, 'utf8')).toBe(UNDECLARE_PORTDRV);
  });

  it('--out into a folder that does not exist fails before the run, with a clear message', async () => {
    const r = await runCli(['analyze', '--series', PORTDRV, '--corpus', LINUXHW, '--out', join(tmp, 'no-such-dir', 'r.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/folder .*no-such-dir does not exist/);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it('a declared-driver table with no rows, or without a driver column, is refused', async () => {
    const empty = join(tmp, 'declared-empty.csv');
    await writeFile(empty, 'driver,source\n');
    const r = await runCli(['analyze', '--series', PORTDRV, '--corpus', LINUXHW, '--declared', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no drivers listed');
    const wrong = join(tmp, 'declared-wrong.csv');
    await writeFile(wrong, 'name\npcieport\n');
    expect((await runCli(['analyze', '--series', PORTDRV, '--corpus', LINUXHW, '--declared', wrong])).stderr).toContain("no 'driver' column");
  });

  it('a series path that cannot be read: the report is written, the exit code is 2', async () => {
    const r = await runCli(['analyze', '--series', PORTDRV, join(tmp, 'missing.patch'), '--corpus', LINUXHW]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Affected hosts');
    expect(r.stderr).toMatch(/missing\.patch/);
    expect(r.stderr).toMatch(/error\(s\) reading the series/);
  });

  it('no host read: exit 2 with the reason', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'vfio-impact-empty-'));
    const r = await runCli(['analyze', '--series', PORTDRV, '--corpus', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no host could be read');
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['analyze', '--corpus', LINUXHW])).code).toBe(2);
    expect((await runCli(['analyze', '--series', PORTDRV, '--git', ROOT, '--range', 'a..b'])).code).toBe(2);
    expect((await runCli(['analyze', '--series', PORTDRV, '--scope', 'everything'])).code).toBe(2);
    expect((await runCli(['no-such-command'])).code).toBe(2);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('analyze');
  });
});

describe('gate', () => {
  it('exit 0: every regression of the example series is in the shipped baseline', async () => {
    const r = await runCli(['gate', '--series', PORTDRV, ...CORPUS, '--baseline', BASELINE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 new/);
  });

  it('exit 1: a patch that takes the pcieport declaration away adds regressions, listed and annotated', async () => {
    const junit = join(tmp, 'junit.xml');
    const r = await runCli(['gate', '--series', join(tmp, 'undeclare.patch'), ...CORPUS, '--baseline', BASELINE, '--junit', junit], {
      env: { GITHUB_ACTIONS: 'true' },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^NEW .*blocked by pcieport/m);
    expect(r.stdout).toMatch(/^::error title=vfio-impact: new regression::/m);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="vfio-impact gate" tests="\d+" failures="[1-9]\d*">/);
  });

  it('baseline update then re-gate gives 0', async () => {
    const baseline = join(tmp, 'baseline.csv');
    const up = await runCli(['gate', '--series', join(tmp, 'undeclare.patch'), ...CORPUS, '--baseline', baseline, '--update-baseline']);
    expect(up.code).toBe(0);
    const again = await runCli(['gate', '--series', join(tmp, 'undeclare.patch'), ...CORPUS, '--baseline', baseline]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 new/);
  });

  it('exit 2: unreadable baseline, malformed baseline, no host, empty series, too many skipped inputs', async () => {
    const missing = await runCli(['gate', '--series', PORTDRV, ...CORPUS, '--baseline', join(tmp, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read baseline');

    const emptyFile = join(tmp, 'empty-baseline.csv');
    await writeFile(emptyFile, '');
    const emptyBaseline = await runCli(['gate', '--series', PORTDRV, ...CORPUS, '--baseline', emptyFile]);
    expect(emptyBaseline.code).toBe(2);
    expect(emptyBaseline.stderr).toContain('empty (expected the header line');

    const bad = join(tmp, 'bad-baseline.csv');
    await writeFile(bad, 'host,scope\nx,actual\n');
    const malformed = await runCli(['gate', '--series', PORTDRV, ...CORPUS, '--baseline', bad]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("missing column 'devices'");

    const empty = await mkdtemp(join(tmpdir(), 'vfio-impact-empty-'));
    expect((await runCli(['gate', '--series', PORTDRV, '--corpus', empty, '--baseline', BASELINE])).code).toBe(2);

    const noFlag = join(tmp, 'noflag.patch');
    await writeFile(noFlag, UNDECLARE_PORTDRV.replace('-\t.driver_managed_dma = true,\n', '-\t.suspend = NULL,\n'));
    const emptySeries = await runCli(['gate', '--series', noFlag, ...CORPUS, '--baseline', BASELINE]);
    expect(emptySeries.code).toBe(2);
    expect(emptySeries.stderr).toContain('--allow-empty');

    const junkDir = await mkdtemp(join(tmpdir(), 'vfio-impact-junk-'));
    await writeFile(join(junkDir, 'a.txt'), 'this is not lspci output\n');
    await writeFile(join(junkDir, 'b.txt'), '');
    const skipped = await runCli(['gate', '--series', PORTDRV, '--corpus', LINUXHW, junkDir, '--baseline', BASELINE, '--max-skipped-share', '0.01']);
    expect(skipped.code).toBe(2);
    expect(skipped.stderr).toMatch(/2 of \d+ corpus inputs were skipped/);
  });
});
