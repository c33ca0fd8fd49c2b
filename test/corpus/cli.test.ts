// `corpus stats` and `snapshot` run in-process through main([...argv]) with captured output.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseInput } from '../../src/corpus/parse.js';
import { captureContext } from '../support/capture.js';
import { CORPORA, FORUMS, LINUXHW, SAMPLES, linuxhw } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vfio-impact-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const c = captureContext(stdin);
  const code = await main(['node', 'vfio-impact', ...argv], c.ctx);
  return { code, out: c.out(), err: c.err() };
}

interface JsonHost {
  file: string;
  devices: number;
  devicesWithGroup: number;
  groups: number;
  devicesWithAcs: number;
  vfioBound: number;
  bridgeDrivers: string[];
  diagnostics: number;
}

describe('vfio-impact corpus stats', () => {
  it('--format json over linuxhw/ reports exactly the manifest counts', async () => {
    const r = await run(['corpus', 'stats', '--format', 'json', LINUXHW]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { hosts: JsonHost[]; totals: { hosts: number; skipped: number; devices: number } };
    const rows = parse(readFileSync(join(LINUXHW, 'manifest.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(json.hosts.map((h) => h.file)).toEqual(rows.map((r) => r['file']).sort());
    for (const h of json.hosts) {
      const row = rows.find((x) => x['file'] === h.file)!;
      expect([h.devicesWithGroup, h.devicesWithAcs, h.vfioBound]).toEqual([
        Number(row['iommu_group_lines']),
        Number(row['acs_lines']),
        Number(row['vfio_bound']),
      ]);
      expect(h.bridgeDrivers).toEqual(row['bridge_drivers']!.split(';').filter(Boolean).sort());
    }
    expect(json.totals.hosts).toBe(rows.length);
    expect(json.totals.skipped).toBe(0);
    expect(json.totals.devices).toBe(json.hosts.reduce((n, h) => n + h.devices, 0));
    // The spliced pcilib messages are reported on stderr with file:line.
    expect(r.err).toMatch(/mini-pc-azw-gtr-e78f0ae1db\.lspci\.txt:483: info: .*\[stderr-spliced\]/);
  });

  it('text: one line per host, totals, and the skipped inputs with their reasons; exit 0', async () => {
    const empty = join(tmp, 'empty.txt');
    writeFileSync(empty, '');
    const r = await run(['corpus', 'stats', join(FORUMS, 'kholia-osx-kvm.txt'), empty, join(CORPORA, 'README.md')]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('kholia-osx-kvm.txt: 4 devices, 4 with a group in 2 groups, 0 with ACS, 1 on vfio-pci, bridge drivers: - (1 diagnostics)');
    expect(r.out).toContain('1 hosts: 4 devices');
    expect(r.out).toContain('2 skipped (1 empty file; 1 not an lspci dump or IOMMU group listing)');
    expect(r.err).toContain(`${empty}:1: error: empty file [empty]`);
    expect(r.err).toMatch(/README\.md:1: error: .* \[not-lspci\]/);
  });

  it('csv: a header, one row per input and a TOTAL row', async () => {
    const r = await run(['corpus', 'stats', '--format', 'csv', FORUMS]);
    expect(r.code).toBe(0);
    const rows = parse(r.out, { columns: true }) as Record<string, string>[];
    const manifest = parse(readFileSync(join(FORUMS, 'manifest.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(manifest.length + 1);
    for (const m of manifest) {
      const row = rows.find((x) => x['file'] === m['file'])!;
      expect([row['vfioBound'], row['groups']]).toEqual([m['vfio_bound'], m['groups_listed']]);
    }
    expect(rows.at(-1)!['file']).toBe('TOTAL');
  });

  it('- reads stdin', async () => {
    const dump = linuxhw('desktop-dell-optiplex-7060');
    const r = await run(['corpus', 'stats', '--format', 'json', '-'], dump.text);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { hosts: JsonHost[] };
    expect(json.hosts).toMatchObject([{ file: '<stdin>', devicesWithGroup: 17 }]);
  });

  it('exit 2 when no host was read, and on usage errors', async () => {
    const dir = mkdtempSync(join(tmp, 'nothing-'));
    const none = await run(['corpus', 'stats', dir, join(tmp, 'missing.txt')]);
    expect(none.code).toBe(2);
    expect(none.out).toContain('2 skipped (1 directory holds no dumps; 1 no such file or directory)');
    expect((await run(['corpus', 'stats', '--format', 'xml', SAMPLES])).code).toBe(2);
    expect((await run(['corpus', 'stats'])).code).toBe(2);
    const bad = await run(['corpus', 'stats', '--concurrency', '0', SAMPLES]);
    expect([bad.code, bad.err]).toEqual([2, 'vfio-impact: --concurrency must be a positive integer, not 0\n']);
  });

  it('reads every sample form', async () => {
    const r = await run(['corpus', 'stats', '--format', 'json', SAMPLES]);
    const json = JSON.parse(r.out) as { hosts: (JsonHost & { forms: string[] })[]; totals: { skipped: number } };
    expect(json.totals.skipped).toBe(0);
    expect(json.hosts.find((h) => h.file === 'listing-sysfs-ls.txt')).toMatchObject({ devices: 5, groups: 3, forms: ['listing-sysfs-ls'] });
    expect(json.hosts.find((h) => h.file === 'combined-listing-lspci.txt')).toMatchObject({ devices: 5, groups: 3, bridgeDrivers: ['pcieport'] });
  });
});

describe('vfio-impact snapshot', () => {
  it('writes a file this tool reads back (stdout without --out)', async () => {
    const out = join(tmp, 'snap.txt');
    const r = await run(['snapshot', '--out', out, '--no-lspci']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# vfio-impact snapshot\n# kernel: ')).toBe(true);
    expect(r.err).toMatch(/^vfio-impact: snapshot .*snap\.txt: \d+ devices, /);
    const s = await run(['snapshot', '--no-lspci']);
    expect(s.code).toBe(0);
    const a = parseInput(text, 'a').hosts;
    const b = parseInput(s.out, 'b').hosts;
    expect(b.map((h) => h.devices.map((d) => d.bdf))).toEqual(a.map((h) => h.devices.map((d) => d.bdf)));
  });
});
