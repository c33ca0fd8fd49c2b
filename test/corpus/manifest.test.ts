// The real corpora against their manifests: every dump in linuxhw/ and every forum file,
// whatever files the directories hold.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseInput } from '../../src/corpus/parse.js';
import { hostStats } from '../../src/corpus/stats.js';
import { readCorpus } from '../../src/corpus/read.js';
import type { Host } from '../../src/corpus/model.js';
import { fileURLToPath } from 'node:url';

// ../shared beside the project, wherever the checkout is (CI clones it afresh).
export const CORPORA = fileURLToPath(new URL('../../../shared/corpora', import.meta.url));
const LINUXHW = join(CORPORA, 'linuxhw');
const FORUMS = join(CORPORA, 'forums');

function manifest(dir: string): Record<string, string>[] {
  return parse(readFileSync(join(dir, 'manifest.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
}

function dumps(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f !== 'manifest.csv' && !f.startsWith('README'))
    .sort();
}

/** Device header lines counted independently of the parser: `[dom:]bb:dd.f ` at column 0. */
function headerLines(text: string): number {
  return text.split('\n').filter((l) => /^(?:[0-9a-f]+:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] /.test(l)).length;
}

function one(text: string, file: string, meta: Record<string, string> = {}): Host {
  const r = parseInput(text, file, meta);
  expect(r.hosts).toHaveLength(1);
  return r.hosts[0]!;
}

describe('linuxhw dumps match their manifest', () => {
  const rows = manifest(LINUXHW);
  const byFile = new Map(rows.map((r) => [r['file']!, r]));
  const files = dumps(LINUXHW);

  it('has a manifest row for every dump', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(byFile.has(f), f).toBe(true);
  });

  for (const file of files) {
    it(file, () => {
      const row = byFile.get(file)!;
      const text = readFileSync(join(LINUXHW, file), 'utf8');
      const host = one(text, join(LINUXHW, file), row);
      const s = hostStats(host);
      expect(s.devices).toBe(headerLines(text));
      expect(s.devicesWithGroup).toBe(Number(row['iommu_group_lines']));
      expect(s.devicesWithAcs).toBe(Number(row['acs_lines']));
      expect(s.vfioBound).toBe(Number(row['vfio_bound']));
      expect(new Set(s.bridgeDrivers)).toEqual(new Set(row['bridge_drivers']!.split(';').filter(Boolean)));
      expect(host.id).toBe(row['id']);
      expect(host.kernel).toBe(row['kernel']);
      // Every linuxhw dump is verbose: each device's binding is known.
      expect(host.devices.every((d) => d.driverKnown)).toBe(true);
      expect(host.forms).toEqual(['lspci-verbose']);
      expect(host.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    });
  }

  it('takes spliced pcilib stderr out and rejoins the line (mini-pc-azw-gtr 02:00.0 keeps its group)', () => {
    const file = files.find((f) => f.startsWith('mini-pc-azw-gtr'));
    expect(file).toBeDefined();
    const host = one(readFileSync(join(LINUXHW, file!), 'utf8'), file!);
    expect(host.devices.find((d) => d.bdf === '0000:02:00.0')?.iommuGroup).toBe(10);
    const spliced = host.diagnostics.filter((d) => d.code === 'stderr-spliced');
    expect(spliced.length).toBe(2);
    expect(spliced[0]!.line).toBe(483);
  });

  it('reads non-root dumps as capabilities not readable, root dumps as readable', () => {
    const nonRoot = files.find((f) => f.startsWith('desktop-asrock-b450m'))!;
    const root = files.find((f) => f.startsWith('desktop-dell-optiplex-7070-be51'))!;
    const nonRootText = readFileSync(join(LINUXHW, nonRoot), 'utf8');
    const a = one(nonRootText, nonRoot);
    const b = one(readFileSync(join(LINUXHW, root), 'utf8'), root);
    expect(a.capabilitiesReadable).toBe(false);
    const denied = a.devices.filter((d) => !d.capabilitiesReadable);
    expect(denied.length).toBe(nonRootText.split('Capabilities: <access denied>').length - 1);
    expect(denied.every((d) => d.pcieType === null && d.isPcie === null)).toBe(true);
    expect(b.capabilitiesReadable).toBe(true);
    const port = b.devices.find((d) => d.bdf === '0000:00:1c.0')!;
    expect(port.pcieType).toBe('root-port');
    expect(port.headerType).toBe('bridge');
    expect(port.headerTypeEvidence).toBe('bus-line');
    expect(port.driver).toBe('pcieport');
    expect(port.acsCap).not.toBeNull();
    expect(port.secondaryBus).toBe(1);
  });
});

describe('forum setups match their manifest', () => {
  const rows = manifest(FORUMS);
  const byFile = new Map(rows.map((r) => [r['file']!, r]));
  const files = dumps(FORUMS);

  it('has a manifest row for every file', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(byFile.has(f), f).toBe(true);
  });

  for (const file of files) {
    it(file, () => {
      const row = byFile.get(file)!;
      const host = one(readFileSync(join(FORUMS, file), 'utf8'), join(FORUMS, file), row);
      const s = hostStats(host);
      expect(s.vfioBound).toBe(Number(row['vfio_bound']));
      expect(s.groups).toBe(Number(row['groups_listed']));
      // Every listed device that lspci did not show has an unknown binding, never "no driver".
      for (const d of host.devices) {
        if (d.driverKnown === false) expect(d.driver).toBeNull();
      }
      expect(host.forms.some((f) => f.startsWith('listing-'))).toBe(true);
      expect(host.forms.some((f) => f.startsWith('lspci-'))).toBe(true);
      expect(host.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    });
  }
});

describe('readCorpus over the real directories', () => {
  it('yields one host per dump with manifest metadata, skipping manifest.csv', async () => {
    const items = [];
    for await (const it of readCorpus([LINUXHW, FORUMS], { concurrency: 4, ordered: true })) items.push(it);
    const expected = dumps(LINUXHW).length + dumps(FORUMS).length;
    expect(items).toHaveLength(expected);
    expect(items.every((i) => i.kind === 'host')).toBe(true);
    const first = items[0]!;
    if (first.kind !== 'host') throw new Error('not a host');
    expect(first.host.file).toBe(join(LINUXHW, dumps(LINUXHW)[0]!));
    expect(first.host.metadata['vendor']).toBeTruthy();
    expect(first.host.metadata['source_repo']).toBe('linuxhw/LsPCI');
  });
});
