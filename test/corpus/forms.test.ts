// Every input form, built from real dumps: the four listing forms generated from a dump's own
// `IOMMU group:` lines parse back to the same groups; `lspci -nnk` reduced from a verbose dump
// gives the same drivers; a listing and lspci output in one file become one host.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInput } from '../../src/corpus/parse.js';
import type { Host } from '../../src/corpus/model.js';
import {
  SAMPLES,
  archWikiListing,
  blocksOf,
  findListing,
  groupedListing,
  linuxhw,
  lsListing,
  partition,
  shortListing,
} from './helpers.js';

function host(text: string, file = 'input.txt'): Host {
  const r = parseInput(text, file);
  expect(r.hosts, JSON.stringify(r.diagnostics)).toHaveLength(1);
  return r.hosts[0]!;
}

// A Proxmox host with 97 IOMMU group lines and ACS on the root ports.
const dump = linuxhw('server-dell-poweredge-r730xd');
const verbose = host(dump.text, dump.path);
const blocks = blocksOf(dump.text);

const listings = {
  'listing-arch-wiki': archWikiListing(blocks),
  'listing-grouped': groupedListing(blocks),
  'listing-sysfs-find': findListing(blocks),
  'listing-sysfs-ls': lsListing(blocks),
};

describe('the four listing forms, generated from a real dump, parse back to its groups', () => {
  it('the dump itself has groups to compare against', () => {
    expect(Object.keys(partition(verbose.devices)).length).toBeGreaterThan(30);
  });

  for (const [form, text] of Object.entries(listings)) {
    it(form, () => {
      const h = host(text);
      expect(h.forms).toEqual([form]);
      expect(partition(h.devices)).toEqual(partition(verbose.devices));
      expect(h.groupsPresent).toBe(true);
      // A listing says nothing about bindings: unknown, never "no driver".
      expect(h.devices.every((d) => !d.driverKnown && d.driver === null)).toBe(true);
      expect(h.diagnostics).toEqual([]);
    });
  }

  it('the lspci -nns lines of a listing carry class and IDs, so bridges are known by class', () => {
    const h = host(listings['listing-grouped']);
    const port = h.devices.find((d) => d.bdf === '0000:00:01.0')!;
    const v = verbose.devices.find((d) => d.bdf === '0000:00:01.0')!;
    expect([port.classCode, port.vendorId, port.deviceId]).toEqual([v.classCode, v.vendorId, v.deviceId]);
    expect(port.headerType).toBe('bridge');
    expect(port.headerTypeEvidence).toBe('class-0604');
  });
});

describe('short lspci output reduced from the real dump', () => {
  it('lspci -nnk gives the same drivers, modules and IDs, with bindings known', () => {
    const h = host(shortListing(blocks));
    expect(h.forms).toEqual(['lspci-short']);
    expect(h.devices).toHaveLength(verbose.devices.length);
    for (const [i, d] of h.devices.entries()) {
      const v = verbose.devices[i]!;
      expect(d.bdf).toBe(v.bdf);
      expect([d.driver, d.driverKnown, d.modules]).toEqual([v.driver, true, v.modules]);
      expect([d.vendorId, d.deviceId, d.subsystemVendorId, d.subsystemDeviceId]).toEqual([
        v.vendorId,
        v.deviceId,
        v.subsystemVendorId,
        v.subsystemDeviceId,
      ]);
      expect(d.headerType).toBe(v.headerType);
      expect(d.capabilitiesReadable).toBe(false);
      expect(d.isPcie).toBeNull();
    }
    expect(h.capabilitiesReadable).toBe(false);
  });

  it('lspci -nn without -k leaves every binding unknown', () => {
    const h = host(shortListing(blocks, false));
    expect(h.devices.every((d) => d.driverKnown === false && d.driver === null)).toBe(true);
  });

  it('lspci -n (numbers only) still gives class and IDs', () => {
    const numeric = verbose.devices
      .map((d) => `${d.bdf.slice(5)} ${d.classCode}: ${d.vendorId}:${d.deviceId} (rev 01)\n\tKernel driver in use: ${d.driver ?? 'none'}\n`)
      .join('');
    const h = host(numeric);
    expect(h.devices.map((d) => [d.bdf, d.classCode, d.vendorId, d.deviceId])).toEqual(
      verbose.devices.map((d) => [d.bdf, d.classCode, d.vendorId, d.deviceId]),
    );
  });
});

describe('a listing and lspci output of the same machine in one file', () => {
  for (const [form, listing] of Object.entries(listings)) {
    it(`${form} + --- + lspci -nnk is one host with groups and drivers`, () => {
      const h = host(listing + '---\n$ lspci -nnk\n' + shortListing(blocks));
      expect(h.forms).toEqual([form, 'lspci-short'].sort());
      expect(h.devices).toHaveLength(verbose.devices.length);
      expect(partition(h.devices)).toEqual(partition(verbose.devices));
      expect(h.devices.map((d) => d.driver)).toEqual(verbose.devices.map((d) => d.driver));
      expect(h.devices.every((d) => d.driverKnown)).toBe(true);
      expect(h.diagnostics.map((d) => d.code)).toEqual(['skipped-lines']);
    });
  }

  it('without the --- line, unindented lspci lines after a grouped listing still start lspci output', () => {
    const h = host(listings['listing-grouped'] + shortListing(blocks));
    expect(partition(h.devices)).toEqual(partition(verbose.devices));
    expect(h.devices.every((d) => d.driverKnown)).toBe(true);
  });

  it('lspci output first, then a listing indented as a markdown list (spaces for tabs)', () => {
    const indented = listings['listing-grouped']
      .split('\n')
      .map((l) => (l ? '  ' + l.replace(/^\t/, '        ') : l))
      .join('\n');
    const h = host(shortListing(blocks) + indented);
    expect(h.devices).toHaveLength(verbose.devices.length);
    expect(partition(h.devices)).toEqual(partition(verbose.devices));
    expect(h.devices.every((d) => d.driverKnown)).toBe(true);
    expect(h.diagnostics).toEqual([]);
  });

  it('a listed device missing from a partial lspci excerpt keeps an unknown binding', () => {
    const vfio = blocks.slice(0, 3);
    const h = host(listings['listing-arch-wiki'] + '---\n' + shortListing(vfio));
    const known = h.devices.filter((d) => d.driverKnown).map((d) => d.bdf);
    expect(known).toEqual(verbose.devices.slice(0, 3).map((d) => d.bdf));
  });

  it('verbose output plus a listing that disagrees keeps the listing and warns with the line', () => {
    const b = blocks.find((x) => x.group !== null)!;
    const wrong = `IOMMU Group 999 ${b.header}\n---\n` + dump.text;
    const h = host(wrong, 'wrong.txt');
    const w = h.diagnostics.find((d) => d.code === 'group-conflict');
    expect(w).toMatchObject({ file: 'wrong.txt', line: 1, severity: 'warning' });
    expect(h.devices.find((d) => d.bdf.endsWith(b.bdf))?.iommuGroup).toBe(999);
  });
});

describe('verbose forms', () => {
  it('-v puts the group on the Flags line and prints ACS without ACSCap', () => {
    const h = host(readFileSync(join(SAMPLES, 'verbose-v-flags.lspci.txt'), 'utf8'));
    const [port, lpc] = h.devices;
    expect(port).toMatchObject({ bdf: '0000:00:1c.0', iommuGroup: 8, pcieType: 'root-port', isPcie: true, hasAcs: true, acsCap: null });
    expect(port).toMatchObject({ headerType: 'bridge', headerTypeEvidence: 'bus-line', secondaryBus: 1, subordinateBus: 2, driver: 'pcieport' });
    expect(lpc).toMatchObject({ bdf: '0000:00:1f.0', iommuGroup: 9, driver: null, driverKnown: true, headerTypeEvidence: 'no-bridge-lines' });
  });

  it('a non-root CardBus bridge is recognised by its windows, with its multifunction sibling', () => {
    const h = host(readFileSync(join(SAMPLES, 'verbose-nonroot-cardbus.lspci.txt'), 'utf8'));
    const [cb, fw, wlan] = h.devices;
    expect(cb).toMatchObject({ headerType: 'cardbus', headerTypeEvidence: 'cardbus-windows', secondaryBus: 0x15, subordinateBus: 0x16 });
    expect(cb).toMatchObject({ capabilitiesReadable: false, isPcie: null, driver: 'yenta_cardbus', multifunction: true });
    expect(fw!.multifunction).toBe(true);
    expect(wlan!.multifunction).toBe(false);
    expect(h.capabilitiesReadable).toBe(false);
  });

  it('-D and VMD domains longer than four digits', () => {
    const d = linuxhw('notebook-dell-xps-13-9310');
    const h = host(d.text);
    expect(h.devices.map((x) => x.bdf)).toContain('10000:e1:00.0');
    expect(h.devices.find((x) => x.bdf === '10000:e0:06.0')).toMatchObject({ domain: 0x10000, headerType: 'bridge', driver: 'pcieport' });
  });

  it('ACS capability and control bits in lspci order', () => {
    const port = verbose.devices.find((d) => d.acsCap !== null && d.acsCtl !== null && d.acsCtl.rr)!;
    expect(port.hasAcs).toBe(true);
    const b = blocks.find((x) => port.bdf.endsWith(x.bdf))!;
    const cap = b.lines.find((l) => l.includes('ACSCap:'))!;
    expect(port.acsCap!.sv).toBe(cap.includes('SrcValid+'));
    expect(port.acsCap!.uf).toBe(cap.includes('UpstreamFwd+'));
    expect(port.acsCap!.dt).toBe(cap.includes('DirectTrans+'));
  });
});

describe('corpora/samples', () => {
  const expected: Record<string, string[]> = {
    'combined-listing-lspci.txt': ['listing-grouped', 'lspci-short'],
    'listing-arch-wiki.txt': ['listing-arch-wiki'],
    'listing-grouped.txt': ['listing-grouped'],
    'listing-sysfs-find.txt': ['listing-sysfs-find'],
    'listing-sysfs-ls.txt': ['listing-sysfs-ls'],
    'short-nnk.txt': ['lspci-short'],
    'verbose-nonroot-cardbus.lspci.txt': ['lspci-verbose'],
    'verbose-root.lspci.txt': ['lspci-verbose'],
    'verbose-v-flags.lspci.txt': ['lspci-verbose'],
  };
  it('holds one sample per form, each read as that form', () => {
    const files = readdirSync(SAMPLES).filter((f) => !f.startsWith('README')).sort();
    expect(files).toEqual(Object.keys(expected).sort());
    for (const f of files) expect(host(readFileSync(join(SAMPLES, f), 'utf8'), f).forms, f).toEqual(expected[f]);
  });

  it('the four listing samples describe the same groups', () => {
    const parts = ['listing-arch-wiki.txt', 'listing-grouped.txt', 'listing-sysfs-find.txt', 'listing-sysfs-ls.txt'].map((f) =>
      partition(host(readFileSync(join(SAMPLES, f), 'utf8')).devices),
    );
    for (const p of parts) expect(p).toEqual({ '8': ['0000:00:1c.0'], '9': ['0000:00:1f.0', '0000:00:1f.3', '0000:00:1f.4'], '10': ['0000:01:00.0'] });
  });
});
